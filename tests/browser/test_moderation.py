"""The moderation screens and the contact form in real Chromium: accessible, usable by keyboard,
and the honeypot out of everyone's way."""

import time

import pytest
from django.contrib.auth.models import Permission

from partnerships import services
from partnerships.models import PublicationState
from partnerships.snapshots import snapshot_of
from tests.browser.conftest import sign_in
from tests.factories import make_contact, make_partnership, make_user


@pytest.fixture
def moderator(page, live_server):
    """A signed-in moderator: the test client's session cookie, handed to the browser."""
    user = make_user(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="moderate_partnership"))
    return sign_in(page, live_server, user)


def test_a_moderator_reviews_an_edit_and_approves_it(
    site, page, moderator, axe_violations, console_errors
):
    editor = make_user()
    partnership = make_partnership(name="Bolton readers", summary="The old summary.")
    partnership.editors.add(editor)
    data = snapshot_of(partnership)
    data["fields"]["summary"] = "<script>alert(1)</script> The new summary."
    services.save_edit(partnership, data=data, user=editor)
    services.submit_for_review(partnership, user=editor)
    new = make_partnership(name="Wigan libraries", publication_state=PublicationState.DRAFT)
    make_contact(new, consent=False, name="Private deputy")
    new.editors.add(editor)
    services.submit_for_review(new, user=editor)

    site.open("/")
    page.get_by_role("link", name="Moderation 2 waiting").click()
    page.wait_for_url("**/moderation/")
    assert page.locator("h1").inner_text() == "Moderation queue"
    assert axe_violations() == []

    page.get_by_role("link", name="Wigan libraries").click()
    assert "Private: not published" in page.locator("main").inner_text()
    assert axe_violations() == []
    page.go_back()

    page.get_by_role("link", name="Bolton readers").click()
    diff = page.get_by_role("table").first
    assert "<script>alert(1)</script> The new summary." in diff.inner_text()
    assert axe_violations() == []

    page.get_by_role("button", name="Send back for changes").click()
    # The browser itself refuses the empty required message.
    assert page.url.endswith(f"/moderation/{partnership.pk}/")

    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_url("**/moderation/")
    assert "is approved and published" in page.get_by_role("status").inner_text()
    assert axe_violations() == []
    assert console_errors == []


def test_a_visitor_sends_a_message_by_keyboard_without_meeting_the_honeypot(
    site, page, axe_violations, mailoutbox
):
    partnership = make_partnership(name="Bolton readers")
    make_contact(partnership, consent=False, is_lead=True, email="hidden-lead@example.org")

    site.open(partnership.get_absolute_url())
    assert "hidden-lead@example.org" not in page.content()
    honeypot = page.locator("#contact-leave_empty").bounding_box()
    assert honeypot["x"] + honeypot["width"] <= 0  # off-screen, though present for software
    assert axe_violations() == []

    page.get_by_label("Your name").fill("Alex")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "contact-email"
    page.keyboard.type("alex@example.net")
    page.keyboard.press("Tab")
    page.keyboard.type("May we join?")
    page.keyboard.press("Tab")
    # The honeypot is skipped: the next stop is the button.
    assert page.evaluate("document.activeElement.textContent") == "Send message"
    time.sleep(3.1)  # the form refuses posts made faster than a person could write them
    page.keyboard.press("Enter")

    page.wait_for_url(f"**{partnership.get_absolute_url()}")
    assert "Your message has been sent" in page.get_by_role("status").inner_text()
    assert axe_violations() == []
    assert [m.to for m in mailoutbox] == [["hidden-lead@example.org"], ["alex@example.net"]]
