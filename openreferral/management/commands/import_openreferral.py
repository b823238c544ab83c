"""Import an Open Referral UK feed (a JSON file of services) from the command line: the same
path as the curators' import screens (`openreferral/importing.py`, the import engine).

    manage.py import_openreferral services.json --dry-run
    manage.py import_openreferral services.ndjson --source "Bolton directory" --publish

Files only (a JSON array of services, a page with `contents`, one service, or one service a
line). Output and exit codes as `import_directory`: the report (new, updated, unchanged,
skipped, errors; each error as a sentence naming the record; the changes of updates); status 1
when any record has an error (nothing written unless `--skip-errors`) or the file cannot be
read, 0 otherwise. `--dry-run` writes nothing, not even an ImportRun. A real run is kept as an
ImportRun, listed (and undoable) on the curators' import screens.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from openreferral import importing
from partnerships import imports
from partnerships.imports import ImportRefused
from partnerships.models import ImportKind, ImportRun, Sector

UPDATES_SHOWN = 20


class Command(BaseCommand):
    help = "Import an Open Referral UK feed (JSON) as partnerships and organisations."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The feed: a JSON or newline-delimited JSON file.")
        parser.add_argument(
            "--source",
            help="Where the feed comes from (default: the file's name). Importing the feed "
            "again under the same source updates what the first import created.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and report only.")
        parser.add_argument(
            "--publish", action="store_true", help="Publish the imported partnerships."
        )
        parser.add_argument(
            "--skip-errors", action="store_true", help="Import the records without errors."
        )
        parser.add_argument(
            "--default-sector",
            choices=Sector.values,
            default="",
            help="Sector of organisations the feed gives none for (a foreign feed).",
        )
        parser.add_argument("--user", help="Email or username the import is attributed to.")
        parser.add_argument(
            "--show-updates",
            type=int,
            default=UPDATES_SHOWN,
            help=f"How many updated records to list with their changes (default {UPDATES_SHOWN}).",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from error
        user = self._user(options["user"])
        source = (options["source"] or importing.default_source(path.name))[:100]
        try:
            services = importing.read_feed(data)
        except importing.FeedError as error:
            raise CommandError(f"{path}: {error}") from error
        feed = importing.FeedImport(
            services=services,
            source=source,
            default_sector=options["default_sector"],
            publish=options["publish"],
            skip_errors=options["skip_errors"],
            user=user,
            file_name=path.name,
        )
        self.stdout.write(f"{len(services)} {'service' if len(services) == 1 else 'services'}.")
        if options["dry_run"]:
            report = feed.dry_run()
        else:
            run = ImportRun.objects.create(
                kind=ImportKind.OPEN_REFERRAL,
                source=source,
                file_name=path.name[:255],
                data=data,
                default_sector=options["default_sector"],
                publish=options["publish"],
                skip_errors=options["skip_errors"],
                run_by=user,
            )
            try:
                report = feed.apply(run)
            except ImportRefused as refused:
                # Nothing was written; the run is not left waiting in the curators' list.
                run.delete()
                report = refused.report

        self._print_report(report, options["show_updates"])
        counts = report.counts
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
        elif report.applied:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {counts['created']} new and {counts['updated']} updated "
                    f"entries from {path.name} (source “{source}”; import {report.run.pk} in "
                    "the curators' list, where it can be undone)."
                )
            )
        if report.has_errors:
            errors = counts["errors"]
            wrong = "1 record has an error" if errors == 1 else f"{errors} records have errors"
            if options["dry_run"] or report.applied:
                raise CommandError(f"{wrong}.")
            raise CommandError(
                f"{wrong}; nothing was imported. Correct the feed, or use --skip-errors to "
                "import the other records."
            )

    def _user(self, name):
        if not name:
            return None
        user = (
            get_user_model()
            .objects.filter(Q(email__iexact=name) | Q(username=name))
            .order_by("pk")
            .first()
        )
        if user is None:
            raise CommandError(f"No user “{name}”.")
        return user

    def _print_report(self, report, show_updates):
        for line in imports.report_lines(
            report,
            show_updates=show_updates,
            noun=("record", "records"),
            where=lambda row: row.where or f"Record {row.number}",
        ):
            self.stdout.write(line)
