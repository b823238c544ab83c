"""Registering a partnership in real Chromium. The form is plain HTML (the page loads no script,
so it works the same with JavaScript off) and passes the accessibility checks, with and without
errors."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from partnerships.models import Organisation, Partnership, PublicationState
from tests.factories import make_organisation, make_user


@pytest.fixture
def signed_in(page, live_server):
    """A signed-in editor: the test client's session cookie, handed to the browser."""
    user = make_user()
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return user


def test_an_editor_registers_a_partnership_without_javascript(
    site, page, signed_in, axe_violations, tmp_path
):
    existing = make_organisation(name="Bolton Libraries", town="Bolton")
    site.open("/partnerships/new/")
    assert page.locator("script").count() == 0
    assert axe_violations() == []

    page.get_by_label("Name of the partnership").fill("Bolton readers")
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert axe_violations() == []
    page.get_by_role("link", name="Summary: This field is required.").click()
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
