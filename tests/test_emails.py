"""Every email the directory sends: plain text from templates/emails/, the first line the subject.
User text is written into them as it is (plain text needs no HTML escaping), so each test puts
markup in the user's text and expects it back literally, and a subject on one line."""

import pytest
from django.urls import reverse

from partnerships import emails
from tests.factories import make_partnership, make_user

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def partnership():
    return make_partnership(name=f"Bolton {SCRIPT} network")


def english(subject):
    """The English half of a subject in both languages ("Welsh / English"): the address these
    tests write to belongs to nobody who chose a language."""
    return subject.rpartition(" / ")[2]


def sent(mailoutbox, template, context, to=("someone@example.org",), **kwargs):
    assert emails.send(template, context, list(to), **kwargs) == 1
    [message] = mailoutbox
    assert "\n" not in message.subject
    assert "\r" not in message.subject
    assert message.subject.strip() == message.subject
    assert "&lt;" not in message.subject + message.body
    assert "&#x27;" not in message.body
    return message


@pytest.mark.parametrize("is_edit", [False, True])
def test_submitted_tells_moderators_where_to_review(mailoutbox, partnership, settings, is_edit):
    author = make_user(email="lead@example.org")

    message = sent(
        mailoutbox,
        "submitted",
        {"partnership": partnership, "is_edit": is_edit, "author": author},
    )

    assert SCRIPT in message.subject
    assert SCRIPT in message.body
    assert english(message.subject).startswith(
        "Changes to review:" if is_edit else "New partnership"
    )
    assert "Submitted by: lead@example.org" in message.body
    review = reverse("curation:review", args=[partnership.pk])
    assert f"{settings.SITE_URL}{review}" in message.body


@pytest.mark.parametrize("is_edit", [False, True])
def test_approved_says_what_is_published_and_passes_on_the_note(
    mailoutbox, partnership, settings, is_edit
):
    message = sent(
        mailoutbox,
        "approved",
        {"partnership": partnership, "is_edit": is_edit, "message": f"Well done {SCRIPT}"},
    )

    assert SCRIPT in message.subject
    assert f"Well done {SCRIPT}" in message.body
    assert f"{settings.SITE_URL}{partnership.get_absolute_url()}" in message.body
    if is_edit:
        assert english(message.subject) == f"Your changes to {partnership.name} are published"
    else:
        assert english(message.subject) == f"{partnership.name} is now in the directory"


def test_approved_without_a_note_has_no_empty_note(mailoutbox, partnership):
    message = sent(
        mailoutbox, "approved", {"partnership": partnership, "is_edit": False, "message": ""}
    )

    assert "Their note" not in message.body


@pytest.mark.parametrize("is_edit", [False, True])
def test_changes_requested_passes_on_the_request_and_links_to_the_editor(
    mailoutbox, partnership, settings, is_edit
):
    message = sent(
        mailoutbox,
        "changes_requested",
        {"partnership": partnership, "is_edit": is_edit, "message": f"Please fix {SCRIPT}"},
    )

    assert english(message.subject) == f"Changes requested: {partnership.name}"
    assert f"Please fix {SCRIPT}" in message.body
    assert f"{settings.SITE_URL}{reverse('editor:edit', args=[partnership.pk])}" in message.body
    assert ("before they can be published" if is_edit else "before it can be published") in (
        message.body
    )


@pytest.mark.parametrize("is_edit", [False, True])
def test_rejected_gives_the_reason_and_what_happens_next(mailoutbox, partnership, is_edit):
    message = sent(
        mailoutbox,
        "rejected",
        {"partnership": partnership, "is_edit": is_edit, "message": f"Spam {SCRIPT}"},
    )

    assert english(message.subject) == f"Not published: {partnership.name}"
    assert f"Spam {SCRIPT}" in message.body
    if is_edit:
        assert "The published entry is unchanged." in message.body
    else:
        assert "The entry has been archived." in message.body


def contact_context(partnership):
    return {
        "partnership": partnership,
        "sender_name": f"Alex {SCRIPT}",
        "sender_email": "alex@example.net",
        "message": f"Hello {SCRIPT}\nSecond line & more",
    }


def test_contact_message_carries_the_message_and_says_how_to_reply(
    mailoutbox, partnership, settings
):
    message = sent(
        mailoutbox,
        "contact_message",
        contact_context(partnership),
        to=["lead@example.org"],
        reply_to="alex@example.net",
    )

    assert english(message.subject) == f"Message from Alex {SCRIPT} about {partnership.name}"
    assert f"Hello {SCRIPT}\nSecond line & more" in message.body
    assert message.reply_to == ["alex@example.net"]
    assert "your reply goes to alex@example.net" in message.body
    assert f"{settings.SITE_URL}{partnership.get_absolute_url()}" in message.body


def test_contact_copy_repeats_the_message_without_the_contacts_address(mailoutbox, partnership):
    message = sent(mailoutbox, "contact_copy", contact_context(partnership), to=["alex@ex.net"])

    assert english(message.subject) == f"Your message to {partnership.name}"
    assert f"Hello {SCRIPT}\nSecond line & more" in message.body
    assert f"sent as Alex {SCRIPT}" in message.body
    assert "lead@example.org" not in message.body


def test_invitation_names_the_inviter_and_the_link(mailoutbox, partnership):
    inviter = make_user(email="inviter@example.org")

    message = sent(
        mailoutbox,
        "invitation",
        {
            "partnership": partnership,
            "inviter": inviter,
            "accept_url": "https://directory.example/invitations/abc/",
            "expiry_days": 14,
        },
    )

    assert english(message.subject) == f"Invitation to edit {partnership.name} in the directory"
    assert SCRIPT in message.body
    assert "inviter@example.org has invited you" in message.body
    assert "https://directory.example/invitations/abc/" in message.body
    assert "14 days" in message.body


def test_a_line_break_forged_into_a_name_cannot_add_a_header(mailoutbox):
    # Browsers drop line breaks from one-line inputs, but a forged request can send them.
    forged = make_partnership(name="Bolton\r\nBcc: victim@example.org\nSubject: Win")
    message = sent(mailoutbox, "submitted", {"partnership": forged, "is_edit": False})
    assert english(message.subject) == "New partnership to review: Bolton"
    assert message.bcc == []
    assert message.recipients() == ["someone@example.org"]
    headers = message.message()
    assert headers["Bcc"] is None
    assert headers.get_all("Subject") == [message.subject]
