"""Registering a partnership in real Chromium. The form is plain HTML that works with JavaScript
off; one small module offers the members typed on the page as contacts' organisations and
agreement parties as they are typed. It passes the accessibility checks, with and without errors."""

import re

import pytest
from playwright.sync_api import expect

from partnerships.models import Organisation, Partnership, PublicationState
from tests.browser.conftest import sign_in
from tests.factories import make_organisation, make_user


@pytest.fixture
def signed_in(page, live_server):
    """A signed-in editor."""
    return sign_in(page, live_server, make_user())


def test_an_editor_registers_a_partnership_without_javascript(
    site, page, signed_in, axe_violations, tmp_path
):
    existing = make_organisation(name="Bolton Libraries", town="Bolton")
    # The page's one script only helps (issue 8, defect 13): here it never loads. (Turning
    # JavaScript off in the browser would also stop the accessibility checks.) Besides it, the
    # page has only the JavaScript catalogue, words and no behaviour.
    page.route("**/member-choices*.js", lambda route: route.abort())
    site.open("/partnerships/new/")
    assert page.locator("script:not([src*='member-choices']):not([src*='jsi18n'])").count() == 0
    assert axe_violations() == []

    page.get_by_label("Name of the partnership").fill("Bolton readers")
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert axe_violations() == []
    page.get_by_role("link", name="Summary: Enter a summary in English or in Welsh.").click()
    assert page.evaluate("document.activeElement.id") == "id_summary"
    assert page.get_by_label("Name of the partnership").input_value() == "Bolton readers"

    page.get_by_label("Summary", exact=True).first.fill("Reading for health in Bolton.")
    page.locator("#id_members-0-name").fill("Bolton Library")
    page.locator("#id_members-0-town").fill("Bolton")
    page.locator("#id_contacts-0-name").fill("Ann Lead")
    page.locator("#id_contacts-0-email").fill("ann@example.org")
    page.get_by_label("This is the lead contact").check()
    page.get_by_label("I have permission to publish these contact details in the directory").check()
    page.get_by_role("button", name="Save and submit for review").click()

    page.get_by_label("Use Bolton Libraries, Bolton").check()
    assert axe_violations() == []
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_role("heading", name="My partnerships")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/my/partnerships/(#.*)?$"))
    assert "Pending review" in page.get_by_role("table").inner_text()
    assert axe_violations() == []

    partnership = Partnership.objects.get(name="Bolton readers")
    assert partnership.publication_state == PublicationState.PENDING
    assert partnership.memberships.get().organisation == existing
    assert Organisation.objects.count() == 1


def test_contacts_and_parties_offer_the_members_as_they_are_typed(
    site, page, signed_in, axe_violations, console_errors
):
    # Issue 8, defect 13: on the first pass they offered only "Not given" and no parties.
    site.open("/partnerships/new/")
    organisation = page.locator("#id_contacts-0-organisation")
    parties = page.locator("#id_agreements-0-parties")
    expect(organisation.locator("option")).to_have_count(1)
    expect(page.get_by_text("Parties are chosen from the member organisations")).to_be_visible()

    page.locator("#id_members-0-name").fill("Wigan <b>Libraries</b>")
    page.locator("#id_members-0-town").fill("Wigan")
    page.locator("#id_members-1-name").fill("Wigan College")
    expect(organisation.locator("option")).to_have_text(
        ["Not given", "Wigan <b>Libraries</b>, Wigan", "Wigan College"]
    )
    expect(parties.get_by_label("Wigan <b>Libraries</b>, Wigan")).to_be_visible()
    expect(page.get_by_text("Parties are chosen from the member organisations")).to_be_hidden()
    assert parties.locator("b").count() == 0  # typed text stays text

    organisation.select_option(label="Wigan College")
    parties.get_by_label("Wigan College").check()
    # Typing more keeps what was chosen.
    page.locator("#id_members-1-town").fill("Wigan")
    expect(organisation).to_have_value("1")
    expect(parties.get_by_label("Wigan College, Wigan")).to_be_checked()
    assert axe_violations() == []

    page.get_by_label("Name of the partnership").fill("Wigan readers")
    page.get_by_label("Summary", exact=True).first.fill("Reading in Wigan.")
    for row in ("0", "1"):
        page.locator(f"#id_members-{row}-sector").select_option(index=1)
    page.locator("#id_contacts-0-name").fill("Ann Lead")
    page.locator("#id_agreements-0-kind").select_option(index=1)
    page.locator("#id_agreements-0-title").fill("Terms of reference")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name="My partnerships")).to_be_visible()

    partnership = Partnership.objects.get(name="Wigan readers")
    assert partnership.contacts.get().organisation.name == "Wigan College"
    assert [o.name for o in partnership.agreements.get().parties.all()] == ["Wigan College"]
    assert console_errors == []
