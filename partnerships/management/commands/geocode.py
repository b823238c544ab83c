"""Place organisations, then partnerships, on the map (partnerships can take their location from
their members, so members go first).

    manage.py geocode            entries without coordinates (the default, same as --missing)
    manage.py geocode --failed   entries whose last attempt failed, e.g. after a timeout or after
                                 adding a town to the gazetteer
    manage.py geocode --all      everything again, except locations set by hand
    manage.py geocode --dry-run  say what would happen, write nothing (and ask only the gazetteer)

Each entry is saved on its own as soon as it is done, in no long transaction, so the command can
be interrupted and run again: it carries on with what is still missing or failed.
"""

from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand

from partnerships import services
from partnerships.models import LocationPrecision, LocationSource, Organisation, Partnership
from partnerships.services import Outcome

BATCH = 200
SHOWN_FAILURES = 20


class Command(BaseCommand):
    help = "Geocode organisations, then partnerships: missing (default), failed or all."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--missing",
            action="store_const",
            dest="which",
            const="missing",
            help="Entries without coordinates (the default).",
        )
        which.add_argument(
            "--failed",
            action="store_const",
            dest="which",
            const="failed",
            help="Entries whose last geocoding attempt failed.",
        )
        which.add_argument(
            "--all",
            action="store_const",
            dest="which",
            const="all",
            help="Every entry again, except locations set by hand.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would happen without saving anything or asking the online geocoder.",
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=100,
            metavar="N",
            help="Report progress every N entries (default 100).",
        )

    def handle(self, *args, which=None, dry_run=False, progress_every=100, verbosity=1, **options):
        which = which or "missing"
        self.verbosity = verbosity
        self.progress_every = max(progress_every, 1)
        if dry_run:
            self.stdout.write("Dry run: nothing will be saved.")
            if settings.GEOCODER != "offline":
                self.stdout.write("The online geocoder is not asked in a dry run; gazetteer only.")
        runs = [
            (Organisation, services.geocode_organisation),
            (Partnership, services.locate_partnership),
        ]
        for model, locate in runs:
            outcomes = []
            try:
                self.run(model, locate, which, dry_run, outcomes)
            except KeyboardInterrupt:
                self.summarise(model, outcomes, dry_run)
                self.stderr.write(
                    self.style.WARNING("Interrupted. What was done is saved; run it again.")
                )
                return
            self.summarise(model, outcomes, dry_run)

    def select(self, model, which):
        # Points set by hand, and points an import was given, are kept.
        entries = model.objects.exclude(location_precision=LocationPrecision.MANUAL).exclude(
            location_source__in=[LocationSource.MANUAL, LocationSource.IMPORTED]
        )
        if which == "missing":
            return entries.filter(latitude__isnull=True)
        if which == "failed":
            return entries.geocode_failed()
        return entries

    def run(self, model, locate, which, dry_run, outcomes):
        # Keys first, rows in batches: no cursor stays open while rows are written.
        pks = list(self.select(model, which).order_by("pk").values_list("pk", flat=True))
        name = model._meta.verbose_name_plural
        if self.verbosity >= 1:
            self.stdout.write(f"{name.capitalize()}: {len(pks)} to geocode ({which}).")
        for start in range(0, len(pks), BATCH):
            batch = model.objects.select_related("region").filter(pk__in=pks[start : start + BATCH])
            for entry in batch.order_by("pk"):
                outcomes.append(
                    locate(entry, force=which == "all", commit=not dry_run, online=not dry_run)
                )
                done = len(outcomes)
                if self.verbosity >= 1 and done % self.progress_every == 0 and done < len(pks):
                    self.stdout.write(f"  {done} / {len(pks)} {name}")

    def summarise(self, model, outcomes, dry_run):
        name = model._meta.verbose_name_plural
        counts = Counter(outcome.outcome for outcome in outcomes)
        placed = "would be placed" if dry_run else "placed"
        still = "would still fail" if dry_run else "failed"
        line = (
            f"{name.capitalize()}: {counts[Outcome.PLACED]} {placed}, "
            f"{counts[Outcome.FAILED]} {still}"
        )
        kept = counts[Outcome.MANUAL] + counts[Outcome.LOCATED]
        self.stdout.write(f"{line}, {kept} kept." if kept else f"{line}.")

        by_source = Counter(
            (outcome.result.source, outcome.result.precision)
            for outcome in outcomes
            if outcome.outcome == Outcome.PLACED
        )
        for (source, precision), n in sorted(by_source.items()):
            self.stdout.write(f"  {n} by {source}, precision {precision}")
        ambiguous = [o for o in outcomes if o.outcome == Outcome.PLACED and o.result.ambiguous]
        if ambiguous:
            self.stdout.write(
                f"  {len(ambiguous)} placed at an ambiguous town name; check them: "
                + ", ".join(str(o.entry) for o in ambiguous[:SHOWN_FAILURES])
            )
        fell_back = Counter(
            problem
            for outcome in outcomes
            if outcome.outcome == Outcome.PLACED and outcome.result.online_failed
            for problem in outcome.result.problems
        )
        for problem, n in fell_back.most_common():
            self.stdout.write(f"  {n} placed by the gazetteer after: {problem}")

        failures = [o for o in outcomes if o.outcome == Outcome.FAILED]
        if failures:
            reasons = Counter(o.result.error for o in failures)
            self.stdout.write(self.style.WARNING(f"  Still failing ({len(failures)}):"))
            for reason, n in reasons.most_common():
                self.stdout.write(f"    {reason}: {n}")
            for outcome in failures[:SHOWN_FAILURES]:
                self.stdout.write(f"    - {outcome.entry}: {outcome.result.error}")
            if len(failures) > SHOWN_FAILURES:
                self.stdout.write(f"    ... and {len(failures) - SHOWN_FAILURES} more")
