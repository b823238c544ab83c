"""Reading the spreadsheets curators import, and writing the templates they fill in.

CSV comes as Excel and other programs write it: UTF-8 with or without a byte order mark, or
Windows-1252 (Excel's "CSV" on a British Windows machine), separated by commas or semicolons
(Excel in much of Europe). XLSX is read with openpyxl, in read-only mode so that a large workbook
streams instead of being loaded whole. (django-import-export reads both too, through tablib, but it
imports into one model per row with its own idea of matching and saving; the directory's rows are
matched, previewed and applied through its own history, so it needs only the reading.)

A formula cell in a workbook is read as the value the spreadsheet last calculated, when the file
holds one; one that holds none is reported, never imported as formula text.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

# The most a curator may upload: a national list of every public library is well under this.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# The second sheet of a partnerships workbook may list members, a row each.
MEMBERS_SHEET_NAMES = {"members", "member organisations", "memberships"}


class SpreadsheetError(ValueError):
    """The file cannot be read as a spreadsheet; the message says why, for a curator."""


@dataclass
class Formula:
    """A workbook cell holding a formula that has no calculated value saved with it."""

    text: str

    def __str__(self):
        return self.text


@dataclass
class Table:
    """A sheet: its column headings and its rows (row number as the spreadsheet shows it, the
    cells), and for a partnerships workbook an optional second sheet of members."""

    headers: list
    rows: list
    members: "Table | None" = None
    format: str = "csv"
    notes: list = field(default_factory=list)


def file_format(data):
    """ "xlsx" or "csv", judged by the content, not the file's name."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    return "csv"


def check_upload(data, name=""):
    """Raise SpreadsheetError unless `data` is a CSV or XLSX file of an acceptable size: the
    content decides, whatever the name says."""
    if not data:
        raise SpreadsheetError("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise SpreadsheetError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the most that can be imported at "
            f"once is {MAX_UPLOAD_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    if file_format(data) == "xlsx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile as error:
            raise SpreadsheetError("The file looks like a damaged Excel workbook.") from error
        if "xl/workbook.xml" not in names:
            raise SpreadsheetError(
                "The file is a zip archive but not an Excel workbook (.xlsx). Save it from your "
                "spreadsheet program as .xlsx or .csv."
            )
        return "xlsx"
    if b"\x00" in data[:65536]:
        raise SpreadsheetError(
            "The file is not a CSV or Excel (.xlsx) file. Older Excel files (.xls) must be saved "
            "as .xlsx or .csv first."
        )
    return "csv"


def read_table(data, name=""):
    """The file's first sheet as a Table (and, for a workbook, a "Members" sheet if it has
    one). Raises SpreadsheetError with a message for the curator."""
    kind = check_upload(data, name)
    table = _read_xlsx(data) if kind == "xlsx" else _read_csv(data)
    if not any(header.strip() for header in table.headers):
        raise SpreadsheetError("The first row should hold the column headings; it is empty.")
    return table


# CSV --------------------------------------------------------------------------------------------


def decode(data):
    """Text from CSV bytes: UTF-8 (a byte order mark dropped) or else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(first_line):
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(data):
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        rows = list(reader)
    except csv.Error as error:
        raise SpreadsheetError(f"The CSV file cannot be read: {error}.") from error
    if not rows:
        raise SpreadsheetError("The file has no rows.")
    headers = [cell.strip() for cell in rows[0]]
    # Row numbers as a spreadsheet program shows them: the headings are row 1. (A quoted cell
    # with a line break in it makes the program's numbers differ; rare in these lists.)
    body = [(number, row) for number, row in enumerate(rows[1:], start=2)]
    return Table(headers=headers, rows=body, format="csv")


# XLSX -------------------------------------------------------------------------------------------


def _open(data, data_only):
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise SpreadsheetError("The Excel workbook cannot be read; is it damaged?") from error


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _sheet_rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _sheet_table(rows, cached=None):
    """A Table from a sheet's rows; formula cells take their cached value from `cached` (the
    same sheet read for values) or become `Formula`s."""
    if not rows:
        return Table(headers=[], rows=[], format="xlsx")
    width = max(len(row) for row in rows)
    headers = [_cell_text(cell).strip() for cell in rows[0]] + [""] * (width - len(rows[0]))
    body = []
    for index, row in enumerate(rows[1:], start=1):
        cells = []
        for column, value in enumerate(row):
            if isinstance(value, str) and value.startswith("="):
                saved = None
                if cached is not None and index < len(cached) and column < len(cached[index]):
                    saved = cached[index][column]
                cells.append(_cell_text(saved) if saved is not None else Formula(value))
            else:
                cells.append(_cell_text(value))
        body.append((index + 1, cells))
    return Table(headers=headers, rows=body, format="xlsx")


def _read_xlsx(data):
    workbook = _open(data, data_only=False)
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise SpreadsheetError("The workbook has no sheets.")
        first = _sheet_rows(sheets[0])
        members_sheet = next(
            (s for s in sheets[1:] if s.title.strip().lower() in MEMBERS_SHEET_NAMES), None
        )
        members = _sheet_rows(members_sheet) if members_sheet is not None else None
    finally:
        workbook.close()
    has_formula = any(
        isinstance(cell, str) and cell.startswith("=")
        for rows in (first, members or [])
        for row in rows
        for cell in row
    )
    cached_first = cached_members = None
    if has_formula:
        # Read again for the values the spreadsheet saved; only when there are formulas.
        values = _open(data, data_only=True)
        try:
            cached_first = _sheet_rows(values.worksheets[0])
            if members_sheet is not None:
                cached_members = _sheet_rows(values[members_sheet.title])
        finally:
            values.close()
    table = _sheet_table(first, cached_first)
    if members is not None:
        table.members = _sheet_table(members, cached_members)
    return table


# Templates --------------------------------------------------------------------------------------


def csv_bytes(headers, rows):
    """A CSV file (UTF-8 with a byte order mark, so that Excel reads accents right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheets):
    """An XLSX workbook from [(title, headers, rows), …], headings in bold."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(str(title))  # a title may be a lazily translated label
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for column, header in enumerate(headers, start=1):
            width = max([len(header), *(len(str(row[column - 1])) for row in rows)]) + 2
            sheet.column_dimensions[sheet.cell(1, column).column_letter].width = min(width, 60)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
