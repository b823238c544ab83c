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
    report = importer(data, kind=ImportKind.PARTNERSHIPS, publish=True, user=make_moderator()).apply()

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
    sheet.append(["=UPPER(\"x\")", "NHS", "Bolton"])
    out = io.BytesIO()
    workbook.save(out)
    report = importer(out.getvalue()).dry_run()
    assert report.rows[0].outcome == Outcome.ERROR
    assert "formula" in report.error_messages()[0]

    data = "Name,Sector,Town\nLlyfrgell Caerdydd – £5 ŵ ŷ,Public library,Cardiff\n"
    report = importer(data.encode("utf-8")).dry_run()
    assert report.rows[0].name == "Llyfrgell Caerdydd – £5 ŵ ŷ"
