"""Back up every row and every uploaded document into one archive.

    manage.py backup /backups/directory-2026-01-31.tar.gz

See partnerships/backups.py for what the archive holds and README "Backup and restore" for the
whole procedure.
"""

from django.core.management.base import BaseCommand, CommandError

from partnerships.backups import BackupError, make_backup


class Command(BaseCommand):
    help = "Write a backup archive (.tar.gz) of all rows and all uploaded documents."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="Path of the archive to write, e.g. backup.tar.gz.")

    def handle(self, *args, archive, **options):
        try:
            manifest = make_backup(archive)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["rows"].values())
        self.stdout.write(
            f"Backed up {rows} rows of {len(manifest['rows'])} models and "
            f"{len(manifest['files'])} files to {archive}."
        )
        for missing in manifest["missing_documents"]:
            self.stderr.write(f"Warning: a row names a document missing from MEDIA_ROOT: {missing}")
