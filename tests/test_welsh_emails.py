"""Emails in the recipient's language (partnerships/emails.py): a person who last used the site in
Welsh gets Welsh, in English gets English, and an address nobody chose a language for gets both,
each with links to the pages in its own language."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Profile
from partnerships import emails, reminders
from tests.factories import make_partnership, make_user

pytestmark = pytest.mark.django_db

SITE = "https://directory.example.org"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def partnership():
    return make_partnership(name="Bolton health libraries", name_cy="Llyfrgelloedd iechyd Bolton")


def reader(email, language):
    user = make_user(email=email)
    Profile.remember_language(user, language)
    return user


def approve_email(partnership, to):
    context = {"partnership": partnership, "is_edit": False, "message": ""}
    return emails.send("approved", context, to)


def links_in(text):
    return re.findall(rf"{re.escape(SITE)}(/\S*)", text)


def test_a_person_who_chose_welsh_gets_the_email_in_welsh_with_welsh_links(partnership, mailoutbox):
    reader("gwen@example.org", "cy")

    approve_email(partnership, ["gwen@example.org"])

    [message] = mailoutbox
    assert message.to == ["gwen@example.org"]
    assert message.subject == "Mae Llyfrgelloedd iechyd Bolton yn y cyfeiriadur erbyn hyn"
    assert "Mae cymedrolwr wedi cymeradwyo" in message.body
    assert "A moderator" not in message.body
    assert "Bolton health libraries" not in message.subject + message.body
    assert links_in(message.body) == [f"/cy/partnerships/{partnership.slug}/"]


def test_a_person_who_chose_english_gets_the_email_in_english_only(partnership, mailoutbox):
    reader("ann@example.org", "en-gb")

    approve_email(partnership, ["Ann@Example.org"])

    [message] = mailoutbox
    assert message.subject == "Bolton health libraries is now in the directory"
    assert "A moderator has approved" in message.body
    assert "cymedrolwr" not in message.body
    assert links_in(message.body) == [partnership.get_absolute_url()]
    assert not partnership.get_absolute_url().startswith("/cy/")


def test_an_address_without_a_chosen_language_gets_both_welsh_and_english(partnership, mailoutbox):
    approve_email(partnership, ["contact@example.org"])

    [message] = mailoutbox
    assert message.subject == (
        "Mae Llyfrgelloedd iechyd Bolton yn y cyfeiriadur erbyn hyn"
        " / Bolton health libraries is now in the directory"
    )
    # Sent outside a Welsh page: English first, with a word that the Welsh follows.
    english_at = message.body.index("A moderator has approved")
    welsh_at = message.body.index("Mae cymedrolwr wedi cymeradwyo")
    assert message.body.startswith("(Cymraeg isod)")
    assert english_at < welsh_at
    english_part, welsh_part = message.body[:welsh_at], message.body[welsh_at:]
    assert links_in(english_part) == [partnership.get_absolute_url()]
    assert links_in(welsh_part) == [f"/cy/partnerships/{partnership.slug}/"]


def test_a_user_who_never_chose_a_language_also_gets_both(partnership, mailoutbox):
    make_user(email="new@example.org")

    approve_email(partnership, ["new@example.org"])

    [message] = mailoutbox
    assert " / " in message.subject
    assert "A moderator has approved" in message.body
    assert "Mae cymedrolwr wedi cymeradwyo" in message.body


def test_sent_from_a_welsh_page_the_welsh_comes_first(partnership, mailoutbox):
    with translation.override("cy"):
        approve_email(partnership, ["contact@example.org"])

    [message] = mailoutbox
    assert message.body.startswith("(English below)")
    assert message.body.index("Mae cymedrolwr") < message.body.index("A moderator")


def test_recipients_in_different_languages_each_get_their_own_message(partnership, mailoutbox):
    reader("gwen@example.org", "cy")
    reader("ann@example.org", "en-gb")

    sent = approve_email(partnership, ["gwen@example.org", "ann@example.org", "x@example.org"])

    assert sent == 3
    by_address = {message.to[0]: message for message in mailoutbox}
    assert by_address["gwen@example.org"].subject.startswith("Mae Llyfrgelloedd")
    assert by_address["ann@example.org"].subject.startswith("Bolton health libraries")
    assert " / " in by_address["x@example.org"].subject


def test_an_inactive_account_does_not_choose_the_language_of_its_address(partnership, mailoutbox):
    user = reader("gone@example.org", "cy")
    user.is_active = False
    user.save()

    approve_email(partnership, ["gone@example.org"])

    assert " / " in mailoutbox[0].subject


def test_a_link_made_before_the_language_was_known_points_to_each_languages_page(mailoutbox):
    partnership = make_partnership(name="Bolton")
    accept = SITE + reverse("editor:accept_invitation", kwargs={"token": "abc"})

    emails.send(
        "invitation",
        {"partnership": partnership, "inviter": None, "accept_url": accept, "expiry_days": 7},
        ["invited@example.org"],
    )

    [message] = mailoutbox
    assert links_in(message.body) == ["/invitations/abc/", "/cy/invitations/abc/"]
    assert "Mae golygydd wedi eich gwahodd" in message.body
    assert "Mae'r ddolen yn gweithio am 7 diwrnod." in message.body


def test_a_welsh_editor_is_reminded_in_welsh_with_welsh_dates_and_links(mailoutbox):
    import datetime

    confirmed = datetime.datetime(2025, 1, 10, 9, 0, tzinfo=datetime.UTC)
    partnership = make_partnership(
        name="Cardiff health libraries",
        name_cy="Llyfrgelloedd iechyd Caerdydd",
        last_verified_at=confirmed,
    )
    partnership.editors.add(reader("gwen@example.org", "cy"))

    reminders.send_due_reminders(now=datetime.datetime(2025, 12, 10, 10, 0, tzinfo=datetime.UTC))

    [message] = mailoutbox
    assert message.subject == 'Ydy "Llyfrgelloedd iechyd Caerdydd" yn dal yn gywir?'
    assert "Cafodd ei chadarnhau ddiwethaf ar 10 Ionawr 2025." in message.body
    links = links_in(message.body)
    assert links and all(link.startswith("/cy/") for link in links)


def test_an_emailed_link_that_cannot_be_used_says_why_in_the_pages_language():
    from partnerships import confirmation_links

    with translation.override("cy"), pytest.raises(confirmation_links.LinkRefused) as refused:
        confirmation_links.read_link("not-a-token")

    assert refused.value.message.startswith("Nid yw'r ddolen gadarnhau hon yn ddilys.")
    with translation.override("cy"):
        assert str(confirmation_links.ASK_AGAIN).startswith("I gadarnhau'r cofnod nawr")
