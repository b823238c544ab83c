"""Delete agreement documents that nothing names any more.

A document is stored as soon as it is chosen, so that a form shown again with errors can carry
it; if the form is then abandoned, or a later upload replaces it, the file stays behind. This
command removes such files once they are older than a day (the longest a form may carry one).
Documents named by an agreement, by any revision (including past ones) or by any version in
the history are always kept.

    manage.py clear_unused_documents            delete them, and say how many
    manage.py clear_unused_documents --dry-run  list them, delete nothing

Run it daily from cron or a scheduled task.
"""

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils import timezone

from editor.uploads import unused_documents


class Command(BaseCommand):
    help = "Delete stored agreement documents that no agreement, revision or version names."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the files, delete nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        unused = unused_documents(timezone.now())
        for name in unused:
            if dry_run:
                self.stdout.write(f"would delete {name}")
            else:
                default_storage.delete(name)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {len(unused)} unused document{'s' * (len(unused) != 1)}.")
        )
