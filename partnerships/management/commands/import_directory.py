"""Import a CSV or Excel list of organisations or partnerships from the command line: the same
engine as the curators' import screens (`partnerships/imports.py`).

    manage.py import_directory libraries.csv --kind organisations --dry-run
    manage.py import_directory networks.xlsx --kind partnerships --mapping "NW networks" --publish
    manage.py import_directory networks.csv --kind partnerships --members members.csv

It prints how it read the columns (heading → field, or "ignored"), then the report: how many rows
are new, updated, unchanged, skipped or wrong, each error as a sentence, and for updates the
fields that change.

- A real run is kept as an ImportRun, so it shows in the curators' list of imports and can be
  undone there. It is attributed to `--user` if given, else to no one.
- `--dry-run` writes nothing at all, not even an ImportRun: the file is read and checked by an
  Importer made directly, so the curators' list shows only imports that happened.
- Rows with errors: nothing is written (and the run is not kept), unless `--skip-errors`, which
  writes the good rows. Either way the command exits with status 1 when any row has an error, so
  a script notices; 0 otherwise. An unreadable file, an unknown mapping or user also exit 1.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from partnerships import imports
from partnerships.imports import ImportRefused
from partnerships.models import ImportKind, ImportMapping, Sector
from partnerships.spreadsheets import SpreadsheetError, read_table

UPDATES_SHOWN = 20


class Command(BaseCommand):
    help = "Import a CSV or Excel (.xlsx) list of organisations or partnerships."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV or .xlsx file to import.")
        parser.add_argument("--kind", required=True, choices=imports.SPREADSHEET_KINDS)
        parser.add_argument(
            "--mapping", help="Name of a column mapping saved on the import screens."
        )
        parser.add_argument(
            "--source",
            help="Where the list comes from (default: the file's name). Importing a corrected "
            "file under the same source updates what the first import created.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and report only.")
        parser.add_argument(
            "--publish", action="store_true", help="Publish the imported partnerships."
        )
        parser.add_argument(
            "--skip-errors", action="store_true", help="Import the rows without errors."
        )
        parser.add_argument(
            "--default-sector",
            choices=Sector.values,
            default="",
            help="Sector of organisations whose row gives none.",
        )
        parser.add_argument("--user", help="Username the import is attributed to.")
        parser.add_argument(
            "--members",
            metavar="FILE",
            help="For partnerships: a second CSV or .xlsx file listing members a row each "
            "(columns Partnership, Member, Role), as a workbook's “Members” sheet would.",
        )
        parser.add_argument(
            "--show-updates",
            type=int,
            default=UPDATES_SHOWN,
            help=f"How many updated rows to list with their changes (default {UPDATES_SHOWN}).",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        kind = ImportKind(options["kind"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from error
        members = self._members(kind, options["members"])
        saved = self._saved_mapping(kind, options["mapping"])
        user = self._user(options["user"])
        source = options["source"] or imports.default_source(path.name)

        try:
            if options["dry_run"]:
                report = self._dry_run(kind, data, path.name, saved, source, members, options)
            else:
                report = self._apply(kind, data, path.name, saved, source, user, members, options)
        except SpreadsheetError as error:
            raise CommandError(f"{path}: {error}") from error

        self._print_report(report, options["show_updates"])
        counts = report.counts
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
        elif report.applied:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {counts['created']} new and {counts['updated']} updated "
                    f"{kind.label.lower()} from {path.name} (source “{source}”; import "
                    f"{report.run.pk} in the curators' list, where it can be undone)."
                )
            )
        if report.has_errors:
            errors = counts["errors"]
            wrong = "1 row has an error" if errors == 1 else f"{errors} rows have errors"
            if options["dry_run"] or report.applied:
                raise CommandError(f"{wrong}.")
            raise CommandError(
                f"{wrong}; nothing was imported. Correct the file, or use --skip-errors to "
                "import the other rows."
            )

    def _members(self, kind, name):
        """(file name, bytes) of the members file, or ("", b"")."""
        if not name:
            return "", b""
        if kind != ImportKind.PARTNERSHIPS:
            raise CommandError("--members is for a partnerships import.")
        path = Path(name)
        try:
            return path.name, path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from error

    def _saved_mapping(self, kind, name):
        if not name:
            return None
        mapping = ImportMapping.objects.filter(kind=kind, name=name).first()
        if mapping is None:
            names = list(ImportMapping.objects.filter(kind=kind).values_list("name", flat=True))
            known = ", ".join(f"“{n}”" for n in names) if names else "none"
            raise CommandError(
                f"No saved mapping “{name}” for {kind.label.lower()}. Saved mappings: {known}."
            )
        return mapping

    def _user(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user “{username}”.") from None

    def _dry_run(self, kind, data, file_name, saved, source, members, options):
        table = read_table(data, file_name)
        if members[1]:
            try:
                table.members = read_table(members[1], members[0])
            except SpreadsheetError as error:
                raise SpreadsheetError(f"The members file: {error}") from error
        mapping = imports.guess_mapping(kind, table.headers, saved)
        self._print_mapping(kind, table.headers, mapping)
        importer = imports.Importer(
            kind,
            table,
            mapping,
            source=source,
            default_sector=options["default_sector"],
            publish=options["publish"],
            skip_errors=options["skip_errors"],
        )
        return importer.dry_run()

    def _apply(self, kind, data, file_name, saved, source, user, members, options):
        run = imports.start_run(
            kind=kind,
            file_name=file_name,
            data=data,
            source=source,
            user=user,
            saved_mapping=saved,
            members_file_name=members[0],
            members_data=members[1],
        )
        run.default_sector = options["default_sector"]
        run.publish = options["publish"]
        run.skip_errors = options["skip_errors"]
        run.save(update_fields=["default_sector", "publish", "skip_errors"])
        self._print_mapping(kind, run.headers, run.mapping)
        try:
            return imports.apply_run(run, user=user)
        except ImportRefused as refused:
            # Nothing was written; the file is to be corrected and imported again, so the
            # refused run is not left waiting in the curators' list.
            run.delete()
            return refused.report

    def _print_mapping(self, kind, headers, mapping):
        labels = {f.name: f.label for f in imports.fields_for(kind)}
        self.stdout.write("Columns:")
        for index, heading in enumerate(headers):
            name = mapping[index] if index < len(mapping) else ""
            shown = heading or f"Column {index + 1}"
            self.stdout.write(f"  {shown} → {labels.get(name, 'ignored')}")

    def _print_report(self, report, show_updates):
        for line in imports.report_lines(report, show_updates=show_updates):
            self.stdout.write(line)
