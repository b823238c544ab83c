"""The curators' import screens (curation/importing.py): upload, columns, preview, import, undo,
saved mappings, the templates to fill in, and who may use them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships import imports, spreadsheets
from partnerships.models import (
    ImportKind,
    ImportMapping,
    ImportRun,
    ImportState,
    Membership,
    Organisation,
    Region,
)
from tests.factories import make_moderator, make_partnership, make_place, make_user

pytestmark = pytest.mark.django_db

LIBRARIES = (
    "Library name,Sector,Borough,E-mail\n"
    "Bolton Central Library,Public library,Bolton,libraries@bolton.gov.uk\n"
    "Farnworth Library,Public library,Bolton,farnworth@bolton.gov.uk\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"


@pytest.fixture
def curator():
    return make_moderator()


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def bolton():
    return make_place("Bolton", 53.578, -2.429, region=Region.objects.get(slug="north-west"))


def upload(client, text, *, name="libraries.csv", kind="organisations", **extra):
    data = text if isinstance(text, bytes) else text.encode()
    return client.post(
        reverse("curation:import_new"),
        {"kind": kind, "file": SimpleUploadedFile(name, data), "source": "", **extra},
    )


def uploaded_run(client, text, **options):
    response = upload(client, text, **options)
    assert response.status_code == 302, response.content.decode()
    return ImportRun.objects.latest("pk")


def columns(run, changes=None):
    """The columns form as posted: the run's mapping, with `changes` (column index → field)."""
    data = {f"column_{i}": field for i, field in enumerate(run.mapping)}
    data.update({f"column_{i}": field for i, field in (changes or {}).items()})
    if run.kind == ImportKind.PARTNERSHIPS:
        data.setdefault("publish", "draft")
    return data


def preview(client, run, changes=None):
    url = reverse("curation:import_columns", args=[run.pk])
    response = client.post(url, columns(run, changes))
    assert response.status_code == 302, response.content.decode()
    run.refresh_from_db()
    return run


def page_text(response):
    return " ".join(response.content.decode().split())


# The whole way through -------------------------------------------------------------------------


def test_a_curator_uploads_checks_the_columns_previews_imports_and_undoes(curator_client, bolton):
    response = upload(curator_client, LIBRARIES)
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("curation:import_columns", args=[run.pk])
    assert run.source == "libraries"
    assert run.mapping == ["name", "sector", "", "email"]

    page = page_text(curator_client.get(response["Location"]))
    assert "“Bolton Central Library”; “Farnworth Library”" in page
    assert '<label for="id_column_2">Borough</label>' in page

    run = preview(curator_client, run, {2: "town"})
    assert run.state == ImportState.PREVIEWED
    assert run.mapping == ["name", "sector", "town", "email"]
    page = page_text(curator_client.get(reverse("curation:import_run", args=[run.pk])))
    assert "Preview of the import of libraries.csv" in page
    assert "Bolton Central Library" in page and Organisation.objects.count() == 0

    response = curator_client.post(reverse("curation:import_apply", args=[run.pk]))
    run.refresh_from_db()
    assert run.state == ImportState.APPLIED
    assert run.created == 2
    library = Organisation.objects.get(name="Bolton Central Library")
    assert library.town == "Bolton"
    page = page_text(curator_client.get(response["Location"]))
    assert "Imported: 2 new, 0 updated, 0 unchanged." in page
    history_url = reverse("curation:organisation_history", args=[library.pk])
    assert f'<a href="{history_url}">Bolton Central Library</a>' in page
    assert "Undo this import" in page

    undo_url = reverse("curation:import_undo", args=[run.pk])
    assert "Undo the import of libraries.csv?" in page_text(curator_client.get(undo_url))
    response = curator_client.post(undo_url, {"reason": "Wrong list"})
    run.refresh_from_db()
    assert run.state == ImportState.UNDONE
    assert Organisation.objects.count() == 0
    page = page_text(curator_client.get(response["Location"]))
    assert "Undone: 2 organisations the import created are removed" in page


def test_rows_with_errors_stop_the_import_unless_the_curator_skips_them(curator_client, bolton):
    run = uploaded_run(curator_client, LIBRARIES.replace("farnworth@bolton.gov.uk", "kbxlh@"))
    preview(curator_client, run, {2: "town"})
    page = page_text(curator_client.get(reverse("curation:import_run", args=[run.pk])))
    assert "Row 3, E-mail: “kbxlh@” is not an email address." in page

    response = curator_client.post(reverse("curation:import_apply", args=[run.pk]))
    page = page_text(curator_client.get(response["Location"]))
    assert "Nothing was imported: 1 row has errors." in page
    assert Organisation.objects.count() == 0

    curator_client.post(reverse("curation:import_apply", args=[run.pk]), {"skip_errors": "on"})
    run.refresh_from_db()
    assert (run.state, run.skip_errors, run.created) == (ImportState.APPLIED, True, 1)
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Bolton Central Library"]


def test_undoing_keeps_an_organisation_another_partnership_names_and_says_so(
    curator_client, bolton
):
    run = preview(curator_client, uploaded_run(curator_client, LIBRARIES), {2: "town"})
    curator_client.post(reverse("curation:import_apply", args=[run.pk]))
    farnworth = Organisation.objects.get(name="Farnworth Library")
    Membership.objects.create(partnership=make_partnership(), organisation=farnworth)

    response = curator_client.post(reverse("curation:import_undo", args=[run.pk]))

    page = page_text(curator_client.get(response["Location"]))
    assert "Undone: 1 organisation the import created is removed" in page
    assert "Kept, because other partnerships name them: “Farnworth Library”." in page
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Farnworth Library"]


def test_the_undo_page_names_entries_edited_since_the_import(curator_client, bolton):
    from partnerships import history
    from partnerships.models import ChangeKind

    run = preview(curator_client, uploaded_run(curator_client, LIBRARIES), {2: "town"})
    curator_client.post(reverse("curation:import_apply", args=[run.pk]))
    page = page_text(curator_client.get(reverse("curation:import_undo", args=[run.pk])))
    assert "Changed since the import" not in page

    farnworth = Organisation.objects.get(name="Farnworth Library")
    farnworth.website = "https://farnworth.example.org"
    farnworth.save()
    history.record(farnworth, kind=ChangeKind.ADMIN_EDIT)

    response = curator_client.get(reverse("curation:import_undo", args=[run.pk]))
    page = page_text(response)
    assert "Changed since the import" in page
    assert reverse("curation:organisation_history", args=[farnworth.pk]) in page


def test_an_import_cannot_be_applied_twice(curator_client, bolton):
    run = preview(curator_client, uploaded_run(curator_client, LIBRARIES))
    curator_client.post(reverse("curation:import_apply", args=[run.pk]))
    response = curator_client.post(reverse("curation:import_apply", args=[run.pk]))
    assert "cannot be imported again" in page_text(curator_client.get(response["Location"]))
    assert Organisation.objects.count() == 2


# Uploads that are refused ----------------------------------------------------------------------


def test_a_picture_is_refused_whatever_its_name_says(curator_client):
    response = upload(curator_client, PNG, name="libraries.csv")
    assert response.status_code == 400
    assert "The file is not a CSV or Excel (.xlsx) file." in page_text(response)
    assert ImportRun.objects.count() == 0


def test_a_program_renamed_as_csv_is_refused(curator_client):
    response = upload(curator_client, b"MZ\x90\x00\x03\x00\x00\x00" * 50, name="list.csv")
    assert response.status_code == 400
    assert "The file is not a CSV or Excel (.xlsx) file." in page_text(response)


def test_a_file_over_the_limit_is_refused_and_the_form_keeps_what_was_typed(
    curator_client, monkeypatch
):
    monkeypatch.setattr(spreadsheets, "MAX_UPLOAD_BYTES", 50)
    response = upload(curator_client, LIBRARIES, source="NW list")
    assert response.status_code == 400
    page = page_text(response)
    assert "the most that can be imported at once is" in page
    assert 'value="NW list"' in page
    assert ImportRun.objects.count() == 0


def test_a_mapping_without_a_name_or_with_a_field_twice_is_refused(curator_client):
    run = uploaded_run(curator_client, LIBRARIES)
    url = reverse("curation:import_columns", args=[run.pk])

    response = curator_client.post(url, columns(run, {0: ""}))
    assert response.status_code == 400
    assert "No column fills Name" in page_text(response)

    response = curator_client.post(url, columns(run, {2: "sector"}))
    assert response.status_code == 400
    assert "“Sector” and “Borough” both fill Sector" in page_text(response)
    run.refresh_from_db()
    assert run.state == ImportState.UPLOADED


# Columns and saved mappings --------------------------------------------------------------------


def test_changing_a_column_changes_the_preview(curator_client, bolton):
    run = uploaded_run(curator_client, LIBRARIES.replace("farnworth@bolton.gov.uk", "kbxlh@"))
    run = preview(curator_client, run)
    assert (run.created, run.errors) == (1, 1)
    run_url = reverse("curation:import_run", args=[run.pk])
    assert "is not an email address" in page_text(curator_client.get(run_url))

    run = preview(curator_client, run, {3: ""})

    assert run.mapping[3] == ""
    assert (run.created, run.errors) == (2, 0)
    assert "is not an email address" not in page_text(curator_client.get(run_url))


def test_a_saved_mapping_is_used_for_the_next_file(curator_client, curator):
    run = uploaded_run(curator_client, LIBRARIES)
    data = columns(run, {2: "town", 3: ""})
    data["save_as"] = "Bolton libraries"
    curator_client.post(reverse("curation:import_columns", args=[run.pk]), data)
    saved = ImportMapping.objects.get()
    assert (saved.name, saved.kind, saved.created_by) == (
        "Bolton libraries",
        ImportKind.ORGANISATIONS,
        curator,
    )
    assert saved.columns["borough"] == "town"

    second = uploaded_run(curator_client, LIBRARIES, saved_mapping=saved.pk)
    assert second.mapping == ["name", "sector", "town", ""]
    page = page_text(curator_client.get(reverse("curation:import_new")))
    assert "Bolton libraries (organisations)" in page


def test_a_saved_mapping_of_the_other_kind_is_refused(curator_client):
    saved = ImportMapping.objects.create(name="Networks", kind=ImportKind.PARTNERSHIPS)
    response = upload(curator_client, LIBRARIES, saved_mapping=saved.pk)
    assert response.status_code == 400
    assert "“Networks” is a mapping for partnerships" in page_text(response)


def test_partnerships_can_be_imported_published(curator_client, bolton):
    organisations = uploaded_run(curator_client, LIBRARIES)
    preview(curator_client, organisations, {2: "town"})
    curator_client.post(reverse("curation:import_apply", args=[organisations.pk]))
    run = uploaded_run(
        curator_client,
        "Name,Summary,Area,Members\nBolton Libraries Together,Libraries sharing health "
        "information,Bolton,Bolton Central Library; Farnworth Library\n",
        name="networks.csv",
        kind="partnerships",
    )
    data = columns(run)
    data["publish"] = "published"
    curator_client.post(reverse("curation:import_columns", args=[run.pk]), data)
    curator_client.post(reverse("curation:import_apply", args=[run.pk]))
    run.refresh_from_db()
    assert run.publish and run.state == ImportState.APPLIED
    assert "Bolton Libraries Together" in Client().get("/").content.decode()


# The list and the templates --------------------------------------------------------------------


def test_the_list_shows_past_imports_newest_first(curator_client):
    uploaded_run(curator_client, LIBRARIES, name="first.csv")
    uploaded_run(curator_client, LIBRARIES, name="second.csv")
    page = page_text(curator_client.get(reverse("curation:imports")))
    assert page.index("second.csv") < page.index("first.csv")
    assert "New import" in page
    assert "Partnerships template (XLSX)" in page


@pytest.mark.parametrize("kind", imports.SPREADSHEET_KINDS)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_each_template_reads_back_with_every_column_understood(curator_client, kind, file_format):
    response = curator_client.get(reverse("curation:import_template", args=[kind, file_format]))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "text/csv; charset=utf-8"
        if file_format == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="{kind}-import-template.{file_format}"'
    )
    table = spreadsheets.read_table(response.content, f"template.{file_format}")
    assert all(imports.guess_mapping(kind, table.headers))
    assert len(table.rows) == 1
    if kind == ImportKind.PARTNERSHIPS and file_format == "xlsx":
        assert table.members.headers == ["Partnership", "Member", "Role"]
        assert table.members.rows[0][1][0] == table.rows[0][1][table.headers.index("Name")]


def test_an_unknown_template_is_a_404(curator_client):
    url = reverse("curation:import_template", args=["contacts", "csv"])
    assert curator_client.get(url).status_code == 404
    url = reverse("curation:import_template", args=["organisations", "xls"])
    assert curator_client.get(url).status_code == 404


# Cost ------------------------------------------------------------------------------------------


def test_the_preview_and_result_pages_cost_the_same_queries_for_3_or_300_rows(
    curator_client, bolton
):
    counts = {}
    for size in (3, 300):
        rows = "".join(f"Library {n},Public library,Bolton\n" for n in range(size))
        run = preview(curator_client, uploaded_run(curator_client, "Name,Sector,Town\n" + rows))
        url = reverse("curation:import_run", args=[run.pk])
        with CaptureQueriesContext(connection) as queries:
            assert curator_client.get(url).status_code == 200
        counts[size] = len(queries)
        curator_client.post(reverse("curation:import_apply", args=[run.pk]))
        with CaptureQueriesContext(connection) as queries:
            assert curator_client.get(url + "?page=2" if size > 100 else url).status_code == 200
        counts[f"{size} applied"] = len(queries)

    assert counts[3] == counts[300]
    assert counts["3 applied"] == counts["300 applied"]


# Who may use them ------------------------------------------------------------------------------


@pytest.fixture
def every_url(curator, bolton):
    run = imports.start_run(
        kind="organisations", file_name="l.csv", data=LIBRARIES.encode(), user=curator
    )
    imports.preview_run(run)
    return [
        reverse("curation:imports"),
        reverse("curation:import_new"),
        reverse("curation:import_template", args=["organisations", "csv"]),
        reverse("curation:import_run", args=[run.pk]),
        reverse("curation:import_columns", args=[run.pk]),
        reverse("curation:import_apply", args=[run.pk]),
        reverse("curation:import_undo", args=[run.pk]),
    ]


@pytest.mark.parametrize("who", ["editor", "staff without the permission"])
def test_only_curators_reach_the_import_screens_everyone_else_gets_404(client, every_url, who):
    user = make_user() if who == "editor" else make_user(is_staff=True)
    client.force_login(user)
    for url in every_url:
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert ImportRun.objects.get().state == ImportState.PREVIEWED
    assert Organisation.objects.count() == 0


def test_someone_signed_out_is_sent_to_sign_in_from_the_import_screens(client, every_url):
    for url in every_url:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login")), url


def test_importing_needs_a_post_with_the_csrf_token(curator, every_url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    run = ImportRun.objects.get()
    assert client.post(reverse("curation:import_apply", args=[run.pk])).status_code == 403
    assert client.get(reverse("curation:import_apply", args=[run.pk])).status_code == 405
    assert Organisation.objects.count() == 0


def test_the_imports_link_is_in_the_curators_navigation(curator_client, client):
    assert reverse("curation:imports") in curator_client.get("/").content.decode()
    assert reverse("curation:imports") not in Client().get("/").content.decode()


def test_a_superuser_sees_runs_and_mappings_in_the_admin(admin_client, curator):
    run = imports.start_run(
        kind="organisations", file_name="l.csv", data=LIBRARIES.encode(), user=curator
    )
    ImportMapping.objects.create(name="Bolton", kind=ImportKind.ORGANISATIONS)
    assert admin_client.get(reverse("admin:partnerships_importrun_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:partnerships_importrun_change", args=[run.pk]))
    assert page.status_code == 200 and "l.csv" in page.content.decode()
    assert (
        admin_client.get(reverse("admin:partnerships_importmapping_changelist")).status_code == 200
    )
    assert admin_client.get(reverse("admin:partnerships_importrun_add")).status_code == 403


def test_a_partnerships_file_may_come_with_a_members_file(curator_client, bolton):
    Organisation.objects.create(
        name="Bolton Library Service", town="Bolton", sector="public-library"
    )
    networks = "ID,Name,Summary,Area\nN1,Bolton HIP,Libraries together,Bolton\n"
    members = SimpleUploadedFile("members.csv", b"Partnership,Member,Role\nN1,Bolton Libraries,\n")
    run = uploaded_run(curator_client, networks, kind="partnerships", members_file=members)
    assert run.members_file_name == "members.csv"
    preview(curator_client, run)
    curator_client.post(reverse("curation:import_apply", args=[run.pk]))
    assert Membership.objects.get().organisation.name == "Bolton Library Service"

    refused = upload(
        curator_client,
        networks,
        kind="partnerships",
        members_file=SimpleUploadedFile("members.csv", b"\x00\x01\x02"),
    )
    assert refused.status_code == 400
    assert "The members file: The file is not a CSV" in page_text(refused)
    wrong_kind = upload(
        curator_client,
        LIBRARIES,
        members_file=SimpleUploadedFile("members.csv", b"Partnership,Member\nA,B\n"),
    )
    assert "A members file goes with a list of partnerships" in page_text(wrong_kind)
