"""Restore a backup made by `manage.py backup` into an EMPTY install.

    manage.py migrate                                  # a new, empty database
    manage.py restore /backups/directory-2026-01-31.tar.gz

It refuses a database that already holds data, or a MEDIA_ROOT that holds files, and a backup made
with a different set of migrations. Rows load in one transaction and every count and file hash is
checked against the archive's manifest; on any failure nothing is left half restored.
"""

import tarfile

from django.core.management.base import BaseCommand, CommandError

from partnerships.backups import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup archive into an empty install (a new database and MEDIA_ROOT)."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="Path of an archive written by `manage.py backup`.")

    def handle(self, *args, archive, **options):
        try:
            manifest = restore_backup(archive)
        except (BackupError, OSError, tarfile.TarError) as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["rows"].values())
        self.stdout.write(
            f"Restored {rows} rows of {len(manifest['rows'])} models and "
            f"{len(manifest['files'])} files from {archive} (made {manifest['created_at']}). "
            "Counts and file hashes match the backup."
        )
