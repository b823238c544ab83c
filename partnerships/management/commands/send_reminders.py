"""Queue the day's reminders (`partnerships.tasks.send_reminders`): editors asked to confirm
entries not confirmed for 11 months, the follow-ups, the curators' list and agreement reviews.
Run it daily from cron or any scheduler; `manage.py db_worker` then sends them. With the
immediate backend (development, tests) they are sent before the command returns. Running it
twice in a day sends nothing twice."""

from django.core.management.base import BaseCommand, CommandError
from django.tasks import TaskResultStatus

from partnerships.tasks import send_reminders


class Command(BaseCommand):
    help = "Queue the day's reminders to confirm entries and review agreements."

    def handle(self, *args, **options):
        result = send_reminders.enqueue()
        if result.status == TaskResultStatus.FAILED:
            raise CommandError(f"Sending the reminders failed: {result.errors}")
        if result.status == TaskResultStatus.SUCCESSFUL:
            counts = result.return_value or {}
            summary = ", ".join(f"{kind}: {n}" for kind, n in sorted(counts.items())) or "none"
            self.stdout.write(self.style.SUCCESS(f"Reminders sent ({summary})."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Reminders queued (task {result.id})."))
