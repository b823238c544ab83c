"""An editor confirms their entry from the emailed link, in real Chromium, without signing in:
the page shows the entry, opening it confirms nothing, the button does; both pages pass the
accessibility checks."""

import datetime
import re

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from partnerships import freshness, reminders
from partnerships.models import ConfirmationLink, Partnership
from tests.factories import make_contact, make_moderator, make_partnership, make_user


def test_an_editor_confirms_their_entry_from_the_emailed_link(
    site, page, axe_violations, console_errors
):
    partnership = make_partnership(
        members=2,
        name="Bolton <b>health</b> libraries",
        last_verified_at=freshness.months_before(timezone.now(), 11) - datetime.timedelta(days=1),
    )
    make_contact(partnership, name="Ann Lead", is_lead=True)
    partnership.editors.add(make_user(email="ann@example.org"))
    make_moderator(email="curator@example.org")
    mail.outbox.clear()

    reminders.send_due_reminders()

    [message] = mail.outbox
    link = re.search(r"https?://\S+(/confirm/[^/\s]+/)", message.body).group(1)
    site.open(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Is “Bolton <b>health</b> libraries” still right?"
    )
    expect(page.get_by_text("Ann Lead")).to_be_visible()
    assert axe_violations() == []
    assert ConfirmationLink.objects.get().used_at is None

    page.get_by_role("button", name="Yes, this is still right").first.click()

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert axe_violations() == []
    assert console_errors == []
    partnership = Partnership.objects.get(pk=partnership.pk)
    assert timezone.now() - partnership.last_verified_at < datetime.timedelta(minutes=5)
    assert ConfirmationLink.objects.get().used_at is not None

    page.get_by_role("link", name="See its public page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bolton <b>health</b> libraries")
