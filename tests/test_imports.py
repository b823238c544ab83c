"""Importing lists of organisations and partnerships (partnerships/imports.py): reading CSV and
XLSX, guessing columns, cleaning, matching, the dry run, all-or-nothing, re-running and undo."""

import io

import pytest
from openpyxl import Workbook

from partnerships import imports, spreadsheets
from partnerships.imports import Importer, ImportRefused, Outcome, guess_mapping
from partnerships.models import (
    ImportedRecord,
    ImportKind,
    Membership,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    PublicationState,
    Region,
    Sector,
)
from tests.factories import make_moderator, make_organisation, make_place

pytestmark = pytest.mark.django_db


def csv_bytes(text, encoding="utf-8"):
    return text.encode(encoding)


def importer(data, kind=ImportKind.ORGANISATIONS, source="test list", **options):
    table = spreadsheets.read_table(data)
    return Importer(kind, table, guess_mapping(kind, table.headers), source=source, **options)


@pytest.fixture
def bolton():
    return make_place("Bolton", 53.578, -2.429, region=Region.objects.get(slug="north-west"))


def test_a_small_organisation_list_is_previewed_then_imported(bolton):
    data = csv_bytes(
        "Library name,Sector,Town,Post code,E-mail,Website/URL,ODS code\n"
        "Bolton Central Library,Public library,Bolton,bl1 1se,mailto:libraries@Bolton.gov.uk,"
        "www.bolton.gov.uk/libraries,\n"
        "Bolton NHS Foundation Trust,NHS,Bolton,,,,rmc\n"
    )
    report = importer(data).dry_run()
    assert [row.outcome for row in report.rows] == [Outcome.NEW, Outcome.NEW]
    assert Organisation.objects.count() == 0

    report = importer(data, user=make_moderator()).apply()

    library = Organisation.objects.get(name="Bolton Central Library")
    assert library.email == "libraries@bolton.gov.uk"
    assert library.website == "https://www.bolton.gov.uk/libraries"
    assert library.postcode == "BL1 1SE"
    assert library.sector == Sector.PUBLIC_LIBRARY
    assert library.is_located
    trust = OrganisationIdentifier.objects.get(scheme="ods", value="RMC").organisation
    assert trust.name == "Bolton NHS Foundation Trust"
    assert report.counts["created"] == 2

    again = importer(data, user=make_moderator()).apply()
    assert [row.outcome for row in again.rows] == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert Organisation.objects.count() == 2


def test_a_bad_row_writes_nothing_and_is_named(bolton):
    rows = "".join(f"Library {n},Public library,Bolton,,\n" for n in range(99))
    data = csv_bytes("Name,Sector,Town,Email\n" + rows + "Library X,Public library,Bolton,kbxlh@\n")

    with pytest.raises(ImportRefused) as refused:
        importer(data, user=make_moderator()).apply()

    assert Organisation.objects.count() == 0
    assert refused.value.report.error_messages() == [
        "Row 101, Email: “kbxlh@” is not an email address."
    ]


def test_partnerships_name_their_members_and_lead(bolton):
    trust = make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    OrganisationIdentifier.objects.create(organisation=trust, scheme="ods", value="RMC")
    library = make_organisation(name="Bolton Library Service", town="Bolton")
    data = csv_bytes(
        "Partnership name,Summary,Area,Members,Lead organisation\n"
        "Bolton Health Information Partnership,Libraries together,Bolton,"
        "ODS code: RMC; Bolton Libraries,RMC\n"
    )
    preview = importer(data, kind=ImportKind.PARTNERSHIPS).dry_run()
    assert preview.error_messages() == []
    report = importer(
        data, kind=ImportKind.PARTNERSHIPS, publish=True, user=make_moderator()
    ).apply()

    assert report.counts["created"] == 1
    partnership = Partnership.objects.get()
    assert partnership.publication_state == PublicationState.PUBLISHED
    roles = dict(Membership.objects.values_list("organisation_id", "role"))
    assert roles == {trust.pk: "lead", library.pk: "member"}
    assert ImportedRecord.objects.filter(partnership=partnership).exists()


def test_xlsx_with_a_formula_cell_and_windows_1252_csv():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Sector", "Town"])
    sheet.append(['=UPPER("x")', "NHS", "Bolton"])
    out = io.BytesIO()
    workbook.save(out)
    report = importer(out.getvalue()).dry_run()
    assert report.rows[0].outcome == Outcome.ERROR
    assert "formula" in report.error_messages()[0]

    data = "Name,Sector,Town\nLlyfrgell Caerdydd \u2013 £5 ŵ ŷ,Public library,Cardiff\n"
    report = importer(data.encode("utf-8")).dry_run()
    assert report.rows[0].name == "Llyfrgell Caerdydd \u2013 £5 ŵ ŷ"


# Reading ---------------------------------------------------------------------------------------


def test_windows_1252_and_utf8_with_a_byte_order_mark_read_correctly():
    text = "Name;Sector;Town\nLlyfrgell Gâr \u2013 £5 y Fôn;Public library;Cardiff\n"
    table = spreadsheets.read_table(text.encode("cp1252"))
    assert table.headers == ["Name", "Sector", "Town"]
    assert table.rows[0][1][0] == "Llyfrgell Gâr \u2013 £5 y Fôn"

    # ŵ and ŷ are not in Windows-1252 (Excel writes them only in UTF-8 files).
    welsh = "\ufeffName,Town\nLlyfrgell Tŷ'r Ŵyl,Tywyn\n".encode()
    table = spreadsheets.read_table(welsh)
    assert table.headers == ["Name", "Town"]
    assert table.rows[0][1] == ["Llyfrgell Tŷ'r Ŵyl", "Tywyn"]


def test_a_semicolon_separated_file_is_read_by_its_separator():
    table = spreadsheets.read_table(b"Name;Town;Website\nLeigh Library;Leigh;www.wigan.gov.uk\n")
    assert table.rows == [(2, ["Leigh Library", "Leigh", "www.wigan.gov.uk"])]


def _workbook_with_formula(cached=None):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Sector", "Town"])
    sheet.append(['=UPPER("leigh library")', "Public library", "Leigh"])
    out = io.BytesIO()
    workbook.save(out)
    data = out.getvalue()
    if cached is None:
        return data
    # openpyxl cannot save a calculated value; write one into the sheet's XML as Excel would.
    import zipfile

    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<v></v>", f"<v>{cached}</v>".encode()).replace(
                    b"<v />", f"<v>{cached}</v>".encode()
                )
                content = content.replace(b'<c r="A2"', b'<c r="A2" t="str"')
            archive.writestr(item, content)
    return target.getvalue()


def test_a_formula_cell_is_read_as_its_saved_value_or_reported():
    report = importer(_workbook_with_formula()).dry_run()
    assert report.rows[0].outcome == Outcome.ERROR
    assert report.error_messages()[0].startswith("Row 2, Name: The cell holds a formula")

    report = importer(_workbook_with_formula(cached="LEIGH LIBRARY")).dry_run()
    assert report.rows[0].errors == []
    assert report.rows[0].name == "Leigh Library"


def test_a_file_that_is_not_a_spreadsheet_is_refused_by_its_content():
    with pytest.raises(spreadsheets.SpreadsheetError, match="not a CSV or Excel"):
        spreadsheets.read_table(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(spreadsheets.SpreadsheetError, match="not an Excel workbook"):
        import zipfile

        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("readme.txt", "hello")
        spreadsheets.read_table(out.getvalue())
    with pytest.raises(spreadsheets.SpreadsheetError, match="empty"):
        spreadsheets.read_table(b"")


# Guessing columns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Library name", "Post code", "E-mail", "Website/URL", "Town/City", "Notes"],
            ["name", "postcode", "email", "website", "town", ""],
        ),
        (
            ["ORG NAME", "Address Line 1", "Address Line 2", "City", "Postcode", "ODS Code"],
            ["name", "address_1", "address_2", "town", "postcode", "identifier:ods"],
        ),
        (
            ["Organisation", "Type", "Charity No.", "Company number", "Web address", "Region"],
            ["name", "sector", "identifier:charity-ew", "company", "website", "region"],
        ),
        (
            [" Name of library (official) ", "Email address", "UKPRN", "Country", "Ref"],
            ["name", "email", "identifier:ukprn", "country", "source_id"],
        ),
    ],
)
def test_column_headings_are_guessed(headers, expected):
    expected = ["identifier:company" if field == "company" else field for field in expected]
    assert guess_mapping(ImportKind.ORGANISATIONS, headers) == expected


def test_partnership_headings_are_guessed_and_no_field_is_given_twice():
    headers = ["Network name", "Area served", "Members", "Led by", "Meets", "Name", "Summary"]
    assert guess_mapping(ImportKind.PARTNERSHIPS, headers) == [
        "name",
        "area_name",
        "members",
        "lead",
        "meeting_frequency",
        "",
        "summary",
    ]


def test_a_saved_mapping_is_reused_for_a_file_of_the_same_shape():
    headers = ["Library", "Borough", "Notes"]
    mapping = ["name", "town", ""]
    saved = imports.mapping_to_save(headers, mapping)
    assert guess_mapping(ImportKind.ORGANISATIONS, [" LIBRARY ", "borough", "Notes"], saved) == [
        "name",
        "town",
        "",
    ]
    # A guess still fills columns the saved mapping does not know.
    assert guess_mapping(ImportKind.ORGANISATIONS, ["Library", "Borough", "Post code"], saved) == [
        "name",
        "town",
        "postcode",
    ]


# Cleaning --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Leigh   Library ", "Leigh Library"),
        ("<b>Leigh</b> <script>alert(1)</script>Library", "Leigh Library"),
        ("Fish &amp; Chips <i>Library</i>", "Fish & Chips Library"),
        ("@Leigh Library", "Leigh Library"),
        ("+Leigh Library", "Leigh Library"),
        ("'=Leigh", "Leigh"),
        ("-", ""),
        ("n/a", ""),
    ],
)
def test_text_is_cleaned(raw, clean):
    assert imports.clean_text(raw) == clean


def test_a_formula_typed_into_a_csv_is_an_error_not_a_value():
    with pytest.raises(imports.CellError, match="is a spreadsheet formula"):
        imports.clean_text('=HYPERLINK("http://evil.example","x")')
    with pytest.raises(imports.CellError, match="is a spreadsheet formula"):
        imports.clean_text("=A1+B2")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("BOLTON CENTRAL LIBRARY", "Bolton Central Library"),
        (
            "ROYAL BOLTON HOSPITAL NHS FOUNDATION TRUST",
            "Royal Bolton Hospital NHS Foundation Trust",
        ),
        ("UNIVERSITY OF THE WEST OF ENGLAND", "University of the West of England"),
        ("NHS", "NHS"),
        ("Bolton CCG", "Bolton CCG"),
    ],
)
def test_names_in_capitals_are_put_in_normal_case(raw, clean):
    assert imports.clean_name(raw) == clean


def test_emails_lose_mailto_and_bad_ones_are_errors():
    assert imports.clean_email(" mailto:Library@Wigan.GOV.uk ") == "Library@wigan.gov.uk"
    with pytest.raises(imports.CellError, match="“kbxlh@” is not an email address"):
        imports.clean_email("kbxlh@")


def test_web_addresses_gain_a_scheme_and_bad_ones_are_errors():
    assert imports.clean_url("www.wigan.gov.uk/libraries") == "https://www.wigan.gov.uk/libraries"
    assert imports.clean_url("http://example.org") == "http://example.org"
    with pytest.raises(imports.CellError, match="is not a web address"):
        imports.clean_url("javascript:alert(1)")
    with pytest.raises(imports.CellError, match="is not a web address"):
        imports.clean_url("see our page")


def test_postcodes_are_tidied():
    assert imports.clean_postcode("bl11se") == "BL1 1SE"
    assert imports.clean_postcode("m1 1ae") == "M1 1AE"


def test_empty_rows_are_ignored_and_a_repeated_row_is_skipped(bolton):
    data = csv_bytes(
        "Name,Sector,Town\n"
        "Leigh Library,Public library,Bolton\n"
        ",,\n"
        "   ,  ,\n"
        "Leigh Library,Public library,Bolton\n"
        "LEIGH LIBRARY,Voluntary,Bolton\n"
    )
    report = importer(data).dry_run()
    assert [(row.number, row.outcome) for row in report.rows] == [
        (2, Outcome.NEW),
        (5, Outcome.SKIPPED),
        (6, Outcome.ERROR),
    ]
    assert report.rows[1].note == "The same as row 2."
    assert "the same organisation as row 2" in report.error_messages()[0]


def test_identifiers_are_checked_and_their_errors_named():
    data = csv_bytes("Name,Sector,Town,ODS code,Charity number\nLeigh Library,NHS,Leigh,R!,12\n")
    report = importer(data).dry_run()
    assert report.error_messages() == [
        "Row 2, ODS code: “R!” is not a valid NHS ODS code: an ODS code is 3 to 10 letters and "
        "digits, such as RMC or RMC01.",
        "Row 2, Charity number: “12” is not a valid charity number (England and Wales): a charity "
        "number in England and Wales is 6 or 7 digits, such as 1123456.",
    ]


# Matching --------------------------------------------------------------------------------------


def test_a_row_matches_by_identifier_whatever_its_name(bolton):
    trust = make_organisation(name="Bolton NHS Foundation Trust", town="Bolton", sector="nhs")
    OrganisationIdentifier.objects.create(organisation=trust, scheme="ods", value="RMC")
    data = csv_bytes(
        "Name,Town,ODS code,Website\nRoyal Bolton Hospital,Farnworth,RMC,boltonft.nhs.uk\n"
    )

    row = importer(data).dry_run().rows[0]

    assert (row.outcome, row.entry_id) == (Outcome.UPDATE, trust.pk)
    assert row.changes == [
        ("Name", "Bolton NHS Foundation Trust", "Royal Bolton Hospital"),
        ("Town or city", "Bolton", "Farnworth"),
        ("Website", "", "https://boltonft.nhs.uk"),
    ]


def test_a_row_matches_a_name_variant_in_the_same_town(bolton):
    library = make_organisation(name="Bolton Library and Museum Services", town="Bolton")
    make_organisation(name="Bolton Library and Museum Services", town="Wigan")
    data = csv_bytes(
        "Name,Town\nBolton Libraries & Museum Service,Bolton\n"
        "Bolton Library and Museum Servics,BOLTON\n"
    )
    rows = importer(data).dry_run().rows
    # Matched by its name, the entry keeps the directory's spelling of it: nothing changes.
    assert [(row.outcome, row.entry_id) for row in rows] == [
        (Outcome.UNCHANGED, library.pk),
        (Outcome.ERROR, library.pk),
    ]
    assert "the same organisation as row 2" in rows[1].messages()[0]


def test_an_update_changes_only_the_fields_with_values_and_never_empties_one(bolton):
    library = make_organisation(
        name="Leigh Library",
        town="Bolton",
        website="https://old.example.org",
        postcode="WN7 1EB",
        sector="public-library",
    )
    data = csv_bytes("Name,Town,Website,Post code,Email\nLeigh Library,Bolton,,,new@example.org\n")

    importer(data, user=make_moderator()).apply()

    library.refresh_from_db()
    assert library.website == "https://old.example.org"
    assert library.postcode == "WN7 1EB"
    assert library.email == "new@example.org"


def test_importing_the_same_file_twice_creates_nothing_the_second_time(bolton):
    make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    organisations = csv_bytes(
        "ID,Name,Sector,Town\nA1,Leigh Library,Public library,Leigh\n"
        "A2,Wigan Library,Public library,Wigan\n"
    )
    partnerships = csv_bytes(
        "ID,Name,Summary,Area,Members\nP1,Wigan Health Info,Libraries together,Wigan,"
        "Leigh Library; Wigan Library\n"
    )
    moderator = make_moderator()
    for _ in range(2):
        importer(organisations, user=moderator).apply()
        importer(partnerships, kind=ImportKind.PARTNERSHIPS, user=moderator).apply()
    assert Organisation.objects.count() == 3
    assert Partnership.objects.count() == 1
    assert Membership.objects.count() == 2

    # A corrected file of the same source updates the entry its id names.
    corrected = csv_bytes("ID,Name,Sector,Town\nA1,Leigh Town Library,Public library,Leigh\n")
    report = importer(corrected, user=moderator).apply()
    assert report.rows[0].outcome == Outcome.UPDATE
    assert Organisation.objects.filter(name="Leigh Town Library").count() == 1
    assert Organisation.objects.count() == 3


# All or nothing --------------------------------------------------------------------------------


def test_skip_errors_imports_the_good_rows(bolton):
    data = csv_bytes(
        "Name,Sector,Town,Email\nLeigh Library,Public library,Bolton,\n"
        "Wigan Library,Public library,Bolton,not-an-email\n"
    )
    report = importer(data, skip_errors=True, user=make_moderator()).apply()
    assert report.counts["created"] == 1
    assert report.counts["errors"] == 1
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Leigh Library"]


def test_five_thousand_rows_with_three_bad_ones_report_exactly_three(bolton):
    rows = [f"Library {n},Public library,Bolton,library{n}@example.org" for n in range(5000)]
    for number in (10, 2500, 4999):
        rows[number] = f"Library {number},Public library,Bolton,broken{number}@"
    data = csv_bytes("Name,Sector,Town,Email\n" + "\n".join(rows) + "\n")

    report = importer(data).dry_run()

    assert report.counts["errors"] == 3
    assert [row.number for row in report.rows if row.outcome == Outcome.ERROR] == [12, 2502, 5001]


def test_the_dry_run_costs_the_same_queries_for_more_rows(bolton, django_assert_max_num_queries):
    def rows(count):
        lines = [f"Library {n},Public library,Bolton,R{n:04d}" for n in range(count)]
        return csv_bytes("Name,Sector,Town,ODS code\n" + "\n".join(lines) + "\n")

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        importer(rows(imports.CHUNK)).dry_run()
    with CaptureQueriesContext(connection) as large:
        importer(rows(imports.CHUNK * 4)).dry_run()
    # The same handful of queries per chunk of rows, whatever the number of rows in it.
    assert len(large.captured_queries) <= 4 * len(small.captured_queries)
    assert len(small.captured_queries) <= 10


# Placing ---------------------------------------------------------------------------------------


def test_every_imported_organisation_is_placed_or_flagged_for_retry(bolton):
    data = csv_bytes(
        "Name,Sector,Town,Post code,Region\n"
        "Town Library,Public library,Bolton,,\n"
        "Postcode Library,Public library,,BL1 1SE,\n"
        "Region Library,Public library,Atlantis,,North West\n"
        "Lost Library,Public library,Atlantis,,\n"
    )
    report = importer(data, user=make_moderator()).apply()

    places = {
        o.name: (o.is_located, o.location_precision, o.geocode_failed_at is not None)
        for o in Organisation.objects.all()
    }
    assert places["Town Library"] == (True, "town", False)
    assert places["Postcode Library"] == (True, "pc-area", False)
    assert places["Region Library"] == (True, "region", True)
    assert places["Lost Library"] == (False, "", True)
    assert Organisation.objects.count() == 4
    assert report.counts["not_placed"] == 1


# Undo ------------------------------------------------------------------------------------------


def _state():
    return (
        sorted(Organisation.objects.values_list("name", "town", "website", "email", "sector")),
        sorted(Partnership.objects.values_list("name", "summary", "publication_state")),
        sorted(Membership.objects.values_list("partnership__name", "organisation__name", "role")),
        sorted(OrganisationIdentifier.objects.values_list("scheme", "value", "organisation__name")),
        ImportedRecord.objects.count(),
    )


def test_undoing_an_import_restores_the_directory_exactly(bolton):
    moderator = make_moderator()
    trust = make_organisation(name="Bolton NHS Foundation Trust", town="Bolton", website="")
    existing = make_organisation(name="Leigh Library", town="Bolton", email="")
    before = _state()

    organisations = csv_bytes(
        "Name,Sector,Town,Website,Email,ODS code\n"
        "Bolton NHS Foundation Trust,NHS,Bolton,www.boltonft.nhs.uk,,RMC\n"
        "Leigh Library,,Bolton,,leigh@example.org,\n"
        "Wigan Library,Public library,Bolton,,,\n"
    )
    partnerships = csv_bytes(
        "Name,Summary,Area,Members,Lead\nBolton HIP,Libraries together,Bolton,"
        "Wigan Library; Leigh Library,Bolton NHS Foundation Trust\n"
    )
    table = spreadsheets.read_table(organisations)
    run = imports.start_run(
        kind="organisations", file_name="orgs.csv", data=organisations, user=moderator
    )
    imports.apply_run(run, user=moderator)
    run2 = imports.start_run(
        kind="partnerships", file_name="p.csv", data=partnerships, user=moderator
    )
    imports.apply_run(run2, user=moderator)
    assert table and _state() != before
    assert OrganisationIdentifier.objects.get().organisation == trust

    imports.undo(run2, user=moderator)
    imports.undo(run, user=moderator)

    assert _state() == before
    trust.refresh_from_db()
    existing.refresh_from_db()
    assert (trust.website, existing.email) == ("", "")


def test_new_organisations_get_unique_addresses_beside_existing_ones(bolton):
    make_organisation(name="Leigh Library", town="Leigh")
    data = csv_bytes(
        "Name,Sector,Town\nLeigh Library,Public library,Bolton\nLeigh Library,Public library,"
        "Wigan\nNew,Public library,Bolton\n"
    )
    importer(data, user=make_moderator()).apply()
    assert sorted(Organisation.objects.values_list("slug", flat=True)) == [
        "leigh-library",
        "leigh-library-2",
        "leigh-library-3",
        "new-2",
    ]


def test_an_imported_partnership_has_its_first_version_as_snapshot_of_reads_it(bolton):
    from partnerships import history
    from partnerships.snapshots import snapshot_of

    make_organisation(name="Leigh Library", town="Leigh", latitude=53.5, longitude=-2.5)
    make_organisation(name="Wigan Library", town="Wigan")
    data = csv_bytes(
        "Name,Summary,Area,Members,Lead,Activities\n"
        "Wigan Health Info,Libraries together,Atlantis,Leigh Library; Wigan Library,Wigan Library,"
        "Health Information Week\n"
    )
    importer(data, kind=ImportKind.PARTNERSHIPS, user=make_moderator()).apply()

    partnership = Partnership.objects.get()
    version = history.versions_of(partnership).get()
    assert version.snapshot == history.state_of(partnership)[0]
    assert version.snapshot["members"] == snapshot_of(partnership)["members"]
    assert version.change_set.kind == "import"
    # Its area is not in the gazetteer, and its lead has no location: it is placed at the one
    # member that has.
    assert (partnership.latitude, partnership.longitude) == (53.5, -2.5)


def test_an_import_is_applied_once_and_undo_names_entries_changed_since(bolton):
    from partnerships import history
    from partnerships.models import ChangeKind

    moderator = make_moderator()
    data = csv_bytes("Name,Sector,Town\nLeigh Library,Public library,Bolton\n")
    run = imports.start_run(kind="organisations", file_name="a.csv", data=data, user=moderator)
    imports.apply_run(run, user=moderator)
    with pytest.raises(imports.ImportClosed):
        imports.apply_run(run, user=moderator)
    assert Organisation.objects.count() == 1

    run.refresh_from_db()
    assert imports.later_changes(run) == []
    library = Organisation.objects.get()
    library.website = "https://leigh.example.org"
    library.save()
    history.record(library, kind=ChangeKind.ADMIN_EDIT, user=moderator)
    assert imports.later_changes(run) == [library]


def _members_fixture():
    trust = make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    OrganisationIdentifier.objects.create(organisation=trust, scheme="ods", value="RMC")
    library = make_organisation(name="Bolton Library Service", town="Bolton")
    return trust, library


def test_a_workbook_may_list_members_on_a_second_sheet(bolton):
    trust, library = _members_fixture()
    workbook = Workbook()
    first = workbook.active
    first.append(["Name", "Summary", "Area"])
    first.append(["Bolton HIP", "Libraries together", "Bolton"])
    members = workbook.create_sheet("Members")
    members.append(["Partnership", "Member", "Role"])
    members.append(["Bolton HIP", "ODS code: RMC", "Lead"])
    members.append(["Bolton HIP", "Bolton Library Service", "Member"])
    members.append(["Nowhere Network", "Bolton Library Service", ""])
    out = io.BytesIO()
    workbook.save(out)

    report = importer(out.getvalue(), kind=ImportKind.PARTNERSHIPS).dry_run()
    assert report.error_messages() == [
        "Members sheet, row 4: no row of the first sheet is the partnership “Nowhere Network”."
    ]
    report = importer(
        out.getvalue(), kind=ImportKind.PARTNERSHIPS, skip_errors=True, user=make_moderator()
    ).apply()
    assert report.counts["created"] == 1
    roles = dict(Membership.objects.values_list("organisation_id", "role"))
    assert roles == {trust.pk: "lead", library.pk: "member"}


def test_a_csv_of_partnerships_may_come_with_a_second_file_of_members(bolton):
    trust, library = _members_fixture()
    moderator = make_moderator()
    run = imports.start_run(
        kind="partnerships",
        file_name="networks.csv",
        data=csv_bytes("ID,Name,Summary,Area\nN1,Bolton HIP,Libraries together,Bolton\n"),
        members_file_name="members.csv",
        members_data=csv_bytes("Partnership,Member,Role\nN1,RMC,lead\nN1,Bolton Libraries,\n"),
        user=moderator,
    )
    imports.apply_run(run, user=moderator)
    roles = dict(Membership.objects.values_list("organisation_id", "role"))
    assert roles == {trust.pk: "lead", library.pk: "member"}

    with pytest.raises(spreadsheets.SpreadsheetError, match="The members file: The file is not"):
        imports.start_run(
            kind="partnerships",
            file_name="networks.csv",
            data=csv_bytes("Name\nX\n"),
            members_file_name="members.csv",
            members_data=b"\x00\x01",
        )


def test_an_entry_matched_by_its_name_keeps_its_spelling_when_updated(bolton):
    library = make_organisation(name="Bolton Library and Museum Services", town="Bolton")
    data = csv_bytes("Name,Town,Email\nBolton Libraries & Museum Service,Bolton,b@example.org\n")
    report = importer(data, user=make_moderator()).apply()
    assert report.rows[0].changes == [("Email", "", "b@example.org")]
    library.refresh_from_db()
    assert (library.name, library.email) == ("Bolton Library and Museum Services", "b@example.org")


# Coordinates, channels, meeting format, contacts, associates; one change set for two imports


def test_given_coordinates_place_an_organisation_instead_of_its_town(bolton):
    data = csv_bytes(
        "Name,Sector,Town,Lat,Lng\nBolton Central Library,Public library,Bolton,53.5785,-2.4299\n"
    )
    importer(data).apply()
    library = Organisation.objects.get()
    assert (library.latitude, library.longitude) == (53.5785, -2.4299)
    assert library.location_source == "imported"
    assert library.location_precision == ""


def test_coordinates_outside_the_uk_are_an_error_and_swapped_ones_are_named(bolton):
    data = csv_bytes(
        "Name,Sector,Latitude,Longitude\n"
        "Swapped Library,Public library,-2.43,53.58\n"
        "Paris Library,Public library,48.8566,2.3522\n"
        "Half Library,Public library,53.5,\n"
        "Word Library,Public library,north,-2.4\n"
    )
    report = importer(data).dry_run()
    messages = report.error_messages()
    assert len(messages) == 4
    assert "latitude and longitude look swapped" in messages[0]
    assert "outside the UK" in messages[1] and "swapped" not in messages[1]
    assert "give both or neither" in messages[2]
    assert "“north” is not a latitude" in messages[3]
    with pytest.raises(ImportRefused):
        importer(data).apply()
    assert Organisation.objects.count() == 0


def test_lerwick_jersey_and_fermanagh_are_in_the_uk():
    for latitude, longitude in [(60.15, -1.15), (49.19, -2.11), (54.35, -8.15), (49.92, -6.3)]:
        assert imports.point_problem(latitude, longitude) == ""


def test_a_partnership_row_brings_its_point_channels_meeting_format_contacts_and_associates(
    bolton,
):
    from partnerships.models import CommunicationChannel, Contact, Role

    CommunicationChannel.objects.get_or_create(name="Mailing list", slug="mailing-list")
    lead = make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    associate = make_organisation(name="Bolton Healthwatch", town="Bolton")
    table = spreadsheets.Table(
        headers=[
            "name",
            "summary",
            "lead",
            "associates",
            "latitude",
            "longitude",
            "meeting_format",
            "channels",
            "contacts",
        ],
        rows=[
            (
                2,
                [
                    "Bolton HIP",
                    "Libraries together.",
                    lead.name,
                    [associate.name],
                    53.6,
                    -2.4,
                    "Hybrid",
                    ["mailing-list"],
                    [
                        {
                            "name": "Ann Lee",
                            "job_title": "Librarian",
                            "email": "ann@example.org",
                            "phone": "01204 000000",
                            "is_lead": True,
                        }
                    ],
                ],
            )
        ],
    )
    report = Importer(ImportKind.PARTNERSHIPS, table, table.headers, source="program").apply()
    assert not report.has_errors
    partnership = Partnership.objects.get()
    assert (partnership.latitude, partnership.longitude) == (53.6, -2.4)
    assert partnership.meeting_format == "hybrid"
    assert list(partnership.channels.values_list("slug", flat=True)) == ["mailing-list"]
    roles = dict(partnership.memberships.values_list("organisation__name", "role"))
    assert roles == {lead.name: Role.LEAD, associate.name: Role.ASSOCIATE}
    contact = Contact.objects.get()
    assert contact.consent_to_publish and contact.consented_at and contact.is_lead
    first = partnership.versions.get() if hasattr(partnership, "versions") else None
    from partnerships.models import Version

    first = Version.objects.get(partnership=partnership)
    assert first.snapshot["contacts"][0]["email"] == "ann@example.org"
    assert first.snapshot["channels"] == ["mailing-list"]


def test_two_importers_can_write_one_change_set(bolton):
    from partnerships import history
    from partnerships.models import ChangeKind, ChangeSet

    organisations = csv_bytes("Name,Sector,Town\nBolton Central Library,Public library,Bolton\n")
    partnerships = csv_bytes(
        "Name,Summary,Members\nBolton HIP,Libraries together.,Bolton Central Library\n"
    )
    with history.change(ChangeKind.IMPORT) as change_set:
        importer(organisations).apply(change_set)
        importer(partnerships, ImportKind.PARTNERSHIPS).apply(change_set)
    assert ChangeSet.objects.count() == 1
    assert change_set.versions.count() == 2
