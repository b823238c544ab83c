"""The whole journey in Chromium: a new lead signs up, confirms their address from the email,
registers a partnership with members, a lead contact and an MoU, submits it; a moderator approves
it; it appears in the directory list and on the map. Every page passes axe-core."""

import re
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model

from partnerships.models import Partnership, PublicationState, Sector
from tests.factories import make_organisation, make_place

PASSWORD = "correct-horse-battery-staple-42"
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    b"xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \n"
    b"trailer << /Size 2 /Root 1 0 R >>\nstartxref\n45\n%%EOF\n"
)


def link_in(message, live_server):
    """The first link in an email, pointed at the test server."""
    url = re.search(r"https?://\S+", message.body)[0]
    return live_server.url + urlsplit(url).path


def test_a_new_lead_registers_a_partnership_that_a_moderator_publishes(
    site, page, context, live_server, axe_violations, mailoutbox, console_errors
):
    make_place("Bolton", 53.5833, -2.4333, population=139_403)
    make_organisation(name="Bolton Libraries", town="Bolton", sector=Sector.PUBLIC_LIBRARY)
    get_user_model().objects.create_superuser(
        username="curator", email="curator@example.org", password=PASSWORD
    )

    # Sign up and confirm the address from the email.
    site.open("/accounts/signup/")
    assert axe_violations() == []
    page.get_by_label("Email").fill("lead@bolton-hip.example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Register|Sign up|Create", re.I)).click()
    page.wait_for_url("**/confirm-email/**")
    assert axe_violations() == []
    verification = next(m for m in mailoutbox if "lead@bolton-hip.example.org" in m.to)
    page.goto(link_in(verification, live_server))
    assert axe_violations() == []
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    if "/accounts/login/" in page.url:
        page.get_by_label("Email").fill("lead@bolton-hip.example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name=re.compile("Sign in", re.I)).click()

    # Register the partnership.
    site.open("/partnerships/new/")
    assert axe_violations() == []
    page.locator("#id_name").fill("Bolton Health Information Partnership")
    page.locator("#id_summary").fill("Health, academic and public libraries in Bolton together.")
    page.locator("#id_area_name").fill("Bolton")
    page.locator("#id_region").select_option("north-west")
    page.locator("#id_members-0-name").fill("Bolton Libraries")
    page.locator("#id_members-0-town").fill("Bolton")
    page.locator("#id_members-0-role").select_option("member")
    page.locator("#id_members-1-name").fill("Bolton Community Health Forum")
    page.locator("#id_members-1-town").fill("Bolton")
    page.locator("#id_members-1-sector").select_option("voluntary")
    page.locator("#id_members-1-role").select_option("lead")
    page.locator("#id_contacts-0-name").fill("Partnership coordinator")
    page.locator("#id_contacts-0-email").fill("coordinator@bolton-hip.example.org")
    page.locator("#id_contacts-0-is_lead").check()
    page.locator("#id_contacts-0-consent_to_publish").check()
    page.locator("#id_agreements-0-kind").select_option("mou")
    page.locator("#id_agreements-0-title").fill("Memorandum of understanding 2026")
    page.locator("#id_agreements-0-document").set_input_files(
        {"name": "mou.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator("#id_agreements-0-is_public").check()
    page.get_by_role("button", name="Save and submit for review").click()
    page.wait_for_url("**/my/partnerships/**")
    assert "Pending review" in page.locator("main").inner_text()
    assert axe_violations() == []

    partnership = Partnership.objects.get(name="Bolton Health Information Partnership")
    assert partnership.publication_state == PublicationState.PENDING
    assert partnership.memberships.count() == 2
    assert partnership.agreements.get().document.name.endswith(".pdf")
    assert any("curator@example.org" in m.to for m in mailoutbox), "moderators are told"

    # A moderator approves it in the queue.
    moderator = context.browser.new_context().new_page()
    moderator.goto(live_server.url + "/admin/login/?next=/moderation/")
    moderator.get_by_label("Username").fill("curator")
    moderator.get_by_label("Password").fill(PASSWORD)
    moderator.get_by_role("button", name="Log in").click()
    moderator.wait_for_url("**/moderation/")
    moderator.get_by_role("link", name="Bolton Health Information Partnership").click()
    moderator.get_by_role("button", name="Approve and publish").click()
    moderator.wait_for_load_state()
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.PUBLISHED
    assert any(
        "lead@bolton-hip.example.org" in m.to and "approved" in m.body.lower() for m in mailoutbox
    )

    # It is in the directory list and on the map.
    site.open("/")
    assert "Bolton Health Information Partnership" in page.locator(".results").inner_text()
    page.locator('.leaflet-marker-icon[title*="Bolton Health Information Partnership"]').or_(
        page.locator('.leaflet-marker-icon[title*="partnerships here"]')
    ).first.wait_for()
    assert axe_violations() == []
    site.open(partnership.get_absolute_url())
    assert "coordinator@bolton-hip.example.org" in page.locator("main").inner_text()
    assert axe_violations() == []
    assert console_errors == []
