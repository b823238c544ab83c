"""A curator imports a list of libraries and a partnership of them, in real Chromium: the upload,
columns and preview pages are accessible, an error is shown before anything is written, and
what was imported is then public in the directory."""

from partnerships.models import ImportRun, ImportState, Organisation, Region
from tests.factories import make_place

LIBRARIES = (
    "Library name,Sector,Borough,E-mail\n"
    "Bolton Central Library,Public library,Bolton,libraries@bolton.gov.uk\n"
    "Farnworth Library,Public library,Bolton,{email}\n"
)
PARTNERSHIPS = (
    "Name,Summary,Area,Members\n"
    "Bolton Libraries Together,Public libraries sharing health information,Bolton,"
    "Bolton Central Library; Farnworth Library\n"
)


def choose_file(page, name, text):
    page.get_by_label("File", exact=True).set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode()}
    )


def test_a_curator_corrects_a_list_imports_it_and_finds_it_in_the_directory(
    site, page, curator, axe_violations, console_errors
):
    make_place("Bolton", 53.578, -2.429, region=Region.objects.get(slug="north-west"))

    site.open("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.wait_for_url("**/moderation/imports/")
    assert axe_violations() == []
    page.get_by_role("link", name="New import").click()
    assert page.locator("h1").inner_text() == "Import a spreadsheet or feed"
    assert axe_violations() == []
    page.get_by_label("Organisations", exact=True).check()
    choose_file(page, "libraries.csv", LIBRARIES.format(email="kbxlh@"))
    page.get_by_label("Source (optional)").fill("Bolton libraries list")
    page.get_by_role("button", name="Upload and check the columns").click()

    page.wait_for_url("**/columns/")
    assert page.locator("h1").inner_text() == "Check the columns of libraries.csv"
    assert "“Farnworth Library”" in page.locator("main").inner_text()
    assert axe_violations() == []
    assert page.get_by_label("Borough").input_value() == ""
    page.get_by_label("Borough").select_option(label="Town or city")
    page.get_by_label("Save this mapping as (optional)").fill("Bolton libraries")
    page.get_by_role("button", name="Preview the import").click()

    page.wait_for_url("**/imports/*/")
    assert page.locator("h1").inner_text() == "Preview of the import of libraries.csv"
    errors = page.get_by_role("region", name="1 row with errors").inner_text()
    assert "Row 3, E-mail: “kbxlh@” is not an email address." in errors
    assert axe_violations() == []
    page.get_by_role("button", name="Import libraries.csv").click()
    assert "Nothing was imported" in page.locator(".messages").inner_text()
    assert Organisation.objects.count() == 0

    page.get_by_role("link", name="Upload a corrected file").click()
    assert page.get_by_label("Source (optional)").input_value() == "Bolton libraries list"
    choose_file(page, "libraries-fixed.csv", LIBRARIES.format(email="farnworth@bolton.gov.uk"))
    page.get_by_label("Saved column mapping (optional)").select_option(
        label="Bolton libraries (organisations)"
    )
    page.get_by_role("button", name="Upload and check the columns").click()
    page.wait_for_url("**/columns/")
    assert page.get_by_label("Borough").input_value() == "town"
    page.get_by_role("button", name="Preview the import").click()
    page.wait_for_url("**/imports/*/")
    assert "1 row with errors" not in page.locator("main").inner_text()
    page.get_by_role("button", name="Import libraries-fixed.csv").click()
    assert "Imported: 2 new" in page.locator(".messages").inner_text()
    assert page.get_by_role("link", name="Undo this import").is_visible()
    assert axe_violations() == []

    site.open("/moderation/imports/new/")
    page.get_by_label("Partnerships", exact=True).check()
    choose_file(page, "networks.csv", PARTNERSHIPS)
    page.get_by_role("button", name="Upload and check the columns").click()
    page.wait_for_url("**/columns/")
    assert axe_violations() == []
    page.get_by_label("Published at once").check()
    page.get_by_role("button", name="Preview the import").click()
    page.wait_for_url("**/imports/*/")
    page.get_by_role("button", name="Import networks.csv").click()
    assert "Imported: 1 new" in page.locator(".messages").inner_text()
    assert ImportRun.objects.filter(state=ImportState.APPLIED).count() == 2

    site.open("/")
    page.get_by_role("link", name="Bolton Libraries Together").click()
    assert page.locator("h1").inner_text() == "Bolton Libraries Together"
    page.get_by_role("link", name="Farnworth Library").first.click()
    assert page.locator("h1").inner_text() == "Farnworth Library"
    assert console_errors == []
