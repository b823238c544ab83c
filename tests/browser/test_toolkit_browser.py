"""The toolkit in Chromium: the index, a guidance page and the library of example agreements are
clean under axe-core, log no errors and ask no other host for anything."""

import datetime

from partnerships.models import AgreementKind
from tests.factories import make_agreement, make_organisation, make_partnership
from toolkit.models import GuidancePage

BODY = """Start small, with one shared piece of work.

## Find your first contacts

- Search the [directory](/) for partnerships near you.
- Ask **colleagues** who they already know.

### A first event

1. Plan a joint stand for Health Information Week.
2. Meet afterwards to talk about what went well.

See the [example agreements](/toolkit/agreements/) and <script>alert("not run")</script>."""


def make_toolkit():
    # Only these pages, whether or not the migration's are still there.
    GuidancePage.objects.all().delete()
    GuidancePage.objects.create(
        title="Why work in partnership?", slug="why-work-together", body="Because.", position=1
    )
    GuidancePage.objects.create(
        title="First steps", slug="getting-started", summary="Start small.", body=BODY, position=2
    )
    partnership = make_partnership(name="Bolton Health Information Partnership")
    agreement = make_agreement(
        partnership,
        title="Memorandum of understanding 2024",
        kind=AgreementKind.MOU,
        shareable_example=True,
        signed_on=datetime.date(2024, 3, 5),
        summary="How the partners share training and signposting.",
    )
    agreement.parties.set([make_organisation(name="Bolton Libraries")])
    make_agreement(
        partnership,
        title="Terms of reference",
        kind=AgreementKind.TERMS_OF_REFERENCE,
        shareable_example=True,
    )


def test_a_visitor_reads_the_toolkit_and_finds_an_example_agreement(
    site, page, axe_violations, console_errors
):
    make_toolkit()
    site.open("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Toolkit").click()
    page.wait_for_url("**/toolkit/")
    assert page.locator("h1").count() == 1
    assert axe_violations() == []

    page.get_by_role("link", name="First steps").click()
    page.wait_for_url("**/toolkit/getting-started/")
    assert page.locator("h1").inner_text() == "First steps"
    assert page.locator(".guidance-body h2").inner_text() == "Find your first contacts"
    assert "<script>" in page.locator(".guidance-body").inner_text()
    assert axe_violations() == []

    page.get_by_role("link", name="example agreements", exact=True).click()
    page.wait_for_url("**/toolkit/agreements/")
    assert page.locator("h1").count() == 1
    assert "Bolton Libraries" in page.locator(".results").inner_text()
    assert axe_violations() == []

    page.get_by_label("Type of agreement").select_option(label="Terms of reference")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/toolkit/agreements/?kind=tor")
    assert page.locator(".result").count() == 1
    assert axe_violations() == []
    assert console_errors == []


def test_a_starter_template_downloads_from_the_toolkit(site, page, console_errors):
    site.open("/toolkit/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Terms of reference: OpenDocument text (.odt)").click()
    assert download.value.suggested_filename == "terms-of-reference-starter-template.odt"
    assert console_errors == []
