"""`manage.py import_directory`: the import engine from the command line, with its report, its
ImportRun and its exit status."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partnerships.models import (
    ImportKind,
    ImportMapping,
    ImportRun,
    ImportState,
    Organisation,
    Partnership,
    PublicationState,
    Region,
)
from tests.factories import make_organisation, make_place, make_user

pytestmark = pytest.mark.django_db

LIBRARIES = (
    "Library name,Sector,Town,E-mail,Website/URL\n"
    "Bolton Central Library,Public library,Bolton,libraries@bolton.gov.uk,www.bolton.gov.uk\n"
    "Bolton NHS Library,NHS,Bolton,,\n"
)


@pytest.fixture
def bolton():
    return make_place("Bolton", 53.578, -2.429, region=Region.objects.get(slug="north-west"))


def write(tmp_path, text, name="libraries.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run_command(*args, **options):
    out = io.StringIO()
    try:
        call_command("import_directory", *args, stdout=out, **options)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_a_dry_run_prints_the_columns_and_report_and_writes_nothing(tmp_path, bolton):
    out, error = run_command(write(tmp_path, LIBRARIES), kind="organisations", dry_run=True)

    assert error is None
    assert "Library name → Name" in out
    assert "Website/URL → Website" in out
    assert "2 rows: 2 new, 0 updated, 0 unchanged, 0 skipped, 0 errors" in out
    assert "Dry run: nothing was written." in out
    assert Organisation.objects.count() == 0
    assert ImportRun.objects.count() == 0


def test_a_real_run_creates_the_entries_and_an_import_run_that_can_be_undone(tmp_path, bolton):
    curator = make_user(username="curator")
    out, error = run_command(
        write(tmp_path, LIBRARIES), kind="organisations", source="Bolton list", user="curator"
    )

    assert error is None
    assert set(Organisation.objects.values_list("name", flat=True)) == {
        "Bolton Central Library",
        "Bolton NHS Library",
    }
    run = ImportRun.objects.get()
    assert run.state == ImportState.APPLIED
    assert run.source == "Bolton list"
    assert run.run_by == curator
    assert run.created == 2
    assert run.change_set is not None
    assert f"import {run.pk} in the curators' list" in out


def test_an_update_lists_the_fields_that_change(tmp_path, bolton):
    make_organisation(name="Bolton Central Library", town="Bolton", email="old@bolton.gov.uk")

    out, error = run_command(write(tmp_path, LIBRARIES), kind="organisations", dry_run=True)

    assert error is None
    assert "1 new, 1 updated" in out
    assert "Row 2, Bolton Central Library:" in out
    assert "Email: “old@bolton.gov.uk” → “libraries@bolton.gov.uk”" in out


def test_a_bad_row_is_named_nothing_is_written_and_the_status_is_one(tmp_path, bolton):
    text = LIBRARIES + "Wigan Library,Public library,Bolton,kbxlh@,\n"

    out, error = run_command(write(tmp_path, text), kind="organisations")

    assert "Row 4, E-mail: “kbxlh@” is not an email address." in out
    assert "1 row has an error; nothing was imported" in str(error)
    assert Organisation.objects.count() == 0
    assert ImportRun.objects.count() == 0


def test_skip_errors_writes_the_good_rows_and_still_exits_with_one(tmp_path, bolton):
    text = LIBRARIES + "Wigan Library,Public library,Bolton,kbxlh@,\n"

    out, error = run_command(write(tmp_path, text), kind="organisations", skip_errors=True)

    assert str(error) == "1 row has an error."
    assert "Row 4, E-mail" in out
    assert Organisation.objects.count() == 2
    assert ImportRun.objects.get().errors == 1


def test_an_unknown_mapping_is_refused_naming_the_saved_ones(tmp_path, bolton):
    ImportMapping.objects.create(name="NW libraries", kind=ImportKind.ORGANISATIONS)

    _out, error = run_command(write(tmp_path, LIBRARIES), kind="organisations", mapping="Nope")

    assert "No saved mapping “Nope”" in str(error)
    assert "“NW libraries”" in str(error)
    assert Organisation.objects.count() == 0


def test_a_saved_mapping_decides_the_columns_and_a_default_sector_fills_in(tmp_path, bolton):
    ImportMapping.objects.create(
        name="Odd list",
        kind=ImportKind.ORGANISATIONS,
        columns={"library name": "name", "sector": "", "town": "town"},
    )

    out, error = run_command(
        write(tmp_path, LIBRARIES),
        kind="organisations",
        mapping="Odd list",
        default_sector="other",
    )

    assert error is None, out
    assert "Sector → ignored" in out
    assert set(Organisation.objects.values_list("sector", flat=True)) == {"other"}


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\x00\x00binary")

    _out, error = run_command(str(path), kind="organisations")
    assert "Older Excel files (.xls)" in str(error)

    _out, error = run_command(str(tmp_path / "missing.csv"), kind="organisations")
    assert "Cannot read" in str(error)


def test_publish_publishes_the_imported_partnerships(tmp_path, bolton):
    make_organisation(name="Bolton Library Service", town="Bolton")
    make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    text = (
        "Partnership name,Summary,Area,Members,Lead organisation\n"
        "Bolton Health Information Partnership,Libraries together,Bolton,"
        "Bolton Library Service; Bolton NHS Foundation Trust,Bolton Library Service\n"
    )

    out, error = run_command(
        write(tmp_path, text, "networks.csv"), kind="partnerships", publish=True
    )

    assert error is None, out
    partnership = Partnership.objects.get()
    assert partnership.publication_state == PublicationState.PUBLISHED
    assert partnership.memberships.count() == 2


def test_members_may_come_in_a_second_file(tmp_path, bolton):
    make_organisation(name="Bolton Library Service", town="Bolton")
    trust = make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    networks = write(tmp_path, "ID,Name,Summary,Area\nN1,Bolton HIP,Together,Bolton\n", "n.csv")
    members = write(
        tmp_path,
        "Partnership,Member,Role\nN1,Bolton Library Service,\n"
        "N1,Bolton NHS Foundation Trust,Lead\n",
        "m.csv",
    )

    out, error = run_command(networks, kind="partnerships", members=members, dry_run=True)
    assert error is None, out
    assert "1 row: 1 new" in out

    out, error = run_command(networks, kind="partnerships", members=members)
    assert error is None, out
    partnership = Partnership.objects.get()
    assert partnership.memberships.get(role="lead").organisation == trust
    assert partnership.memberships.count() == 2

    _out, error = run_command(networks, kind="organisations", members=members)
    assert "--members is for a partnerships import" in str(error)
