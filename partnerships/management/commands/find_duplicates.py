"""Look for likely duplicate organisations and partnerships and store the pairs that the
curators' duplicates page (/moderation/duplicates/) lists. Safe to run at any time: schedule it
nightly. Pairs a curator marked "not duplicates" are never listed again."""

from django.core.management.base import BaseCommand

from partnerships import matching


class Command(BaseCommand):
    help = "Find likely duplicate organisations and partnerships for the curators to review."

    def handle(self, *args, **options):
        scan = matching.refresh_duplicate_candidates()
        seconds = (scan.finished_at - scan.started_at).total_seconds()
        self.stdout.write(
            self.style.SUCCESS(
                f"Compared {scan.organisations} organisations and {scan.partnerships} "
                f"partnerships in {seconds:.1f} s: {scan.organisation_pairs} organisation pairs "
                f"and {scan.partnership_pairs} partnership pairs to review."
            )
        )
