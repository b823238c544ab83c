"""The public form that passes a message to a partnership's lead contact."""

import re
import smtplib
import time

import pytest
from django.core import signing
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse

from directory.forms import TIMESTAMP_SALT, fill_token
from partnerships.models import PublicationState
from tests.factories import make_contact, make_partnership

pytestmark = pytest.mark.django_db


@pytest.fixture
def partnership():
    partnership = make_partnership(name="Bolton health libraries")
    make_contact(partnership, consent=False, is_lead=True, email="secret-lead@example.org")
    make_contact(partnership, consent=False, email="deputy@example.org")
    return partnership


def contact_url(partnership):
    return reverse("directory:contact", args=[partnership.slug])


def form_data(partnership, **overrides):
    """What a person who took ten seconds over the form posts."""
    return {
        "name": "Alex Librarian",
        "email": "alex@example.net",
        "message": "Could our library join your network?",
        "leave_empty": "",
        "started": fill_token(partnership.pk, issued_at=time.time() - 10),
        **overrides,
    }


def send(client, partnership, **overrides):
    return client.post(contact_url(partnership), form_data(partnership, **overrides))


def test_the_message_goes_to_the_lead_with_the_sender_in_reply_to(client, partnership, mailoutbox):
    response = send(client, partnership)

    assert response.status_code == 302
    message, copy = mailoutbox
    assert message.to == ["secret-lead@example.org"]
    assert message.reply_to == ["alex@example.net"]
    assert "Could our library join your network?" in message.body
    assert "Alex Librarian" in message.subject
    assert copy.to == ["alex@example.net"]
    assert "Could our library join your network?" in copy.body
    assert "secret-lead@example.org" not in copy.body


def test_success_returns_to_the_partnership_page_with_a_message(client, partnership, mailoutbox):
    response = client.post(contact_url(partnership), form_data(partnership), follow=True)

    # Adapted for issue 8, defect 8: the page now opens at the confirmation.
    assert response.redirect_chain == [(partnership.get_absolute_url() + "#contact-sent", 302)]
    assert "Your message has been sent to the partnership&#x27;s lead contact." in response.text
    assert "A copy has been sent to alex@example.net." in response.text


def test_without_a_lead_address_any_contact_with_an_address_gets_the_message(client, mailoutbox):
    partnership = make_partnership()
    make_contact(partnership, consent=False, is_lead=True, email="")
    make_contact(partnership, consent=False, email="first@example.org")
    make_contact(partnership, consent=True, email="second@example.org")

    send(client, partnership)

    assert sorted(mailoutbox[0].to) == ["first@example.org", "second@example.org"]


def test_the_contacts_address_is_never_in_the_page(client, partnership, mailoutbox, monkeypatch):
    pages = [client.get(partnership.get_absolute_url()).text]
    pages.append(client.post(contact_url(partnership), form_data(partnership), follow=True).text)
    pages.append(send(client, partnership, leave_empty="spam").text)

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPException("connection refused")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    pages.append(send(client, partnership).text)

    for page in pages:
        assert "secret-lead@example.org" not in page
        assert "deputy@example.org" not in page


def test_the_form_has_a_hidden_honeypot_and_no_inline_style(client, partnership):
    content = client.get(partnership.get_absolute_url()).text

    honeypot = re.search(r'<div class="honeypot" aria-hidden="true">(.*?)</div>', content, re.S)
    assert honeypot is not None
    assert "Leave this field empty" in honeypot.group(1)
    assert 'tabindex="-1"' in honeypot.group(1)
    assert "style=" not in content
    assert f'action="{contact_url(partnership)}#contact-form-heading"' in content


def test_a_filled_honeypot_is_refused_and_nothing_is_sent(client, partnership, mailoutbox):
    response = send(client, partnership, leave_empty="http://spam.example")

    assert response.status_code == 400
    assert "Your message has not been sent." in response.text
    assert "Your message looked automated" in response.text
    assert mailoutbox == []


def test_a_post_faster_than_a_person_can_type_is_refused(client, partnership, mailoutbox):
    response = send(client, partnership, started=fill_token(partnership.pk))

    assert response.status_code == 400
    assert "faster than a person can fill in the form" in response.text
    assert mailoutbox == []


@pytest.mark.parametrize(
    "started",
    ["", "not-a-signed-value", "another-partnership", "tampered"],
)
def test_a_missing_or_tampered_timestamp_is_refused(client, partnership, mailoutbox, started):
    old = time.time() - 10
    tokens = {
        "another-partnership": fill_token(partnership.pk + 1, issued_at=old),
        "tampered": fill_token(partnership.pk, issued_at=old)[:-2] + "xx",
    }

    response = send(client, partnership, started=tokens.get(started, started))

    assert response.status_code == 400
    assert "The form could not be checked." in response.text
    assert mailoutbox == []


def test_a_form_left_open_for_days_is_refused(client, partnership, mailoutbox):
    response = send(
        client, partnership, started=fill_token(partnership.pk, issued_at=time.time() - 3 * 86400)
    )

    assert response.status_code == 400
    assert "This form was opened too long ago." in response.text
    assert mailoutbox == []


def test_a_refused_form_comes_back_ready_to_send_again(client, partnership, mailoutbox):
    refused = send(client, partnership, started="tampered", leave_empty="autofilled")
    retry = refused.context["contact_form"].data

    assert retry["started"] != "tampered"
    assert retry["started"] in refused.text
    assert retry["leave_empty"] == ""
    assert "autofilled" not in refused.text
    assert signing.loads(retry["started"], salt=TIMESTAMP_SALT)["p"] == partnership.pk


def test_the_sixth_message_in_an_hour_from_one_address_is_refused(client, partnership, mailoutbox):
    for n in range(5):
        assert send(client, partnership, email=f"sender{n}@example.net").status_code == 302

    response = send(client, partnership, email="sender6@example.net")

    assert response.status_code == 429
    assert "we accept at most 5 messages an hour from one address" in response.text
    assert len(mailoutbox) == 10


def test_the_sixth_message_in_an_hour_from_one_sender_is_refused(partnership, mailoutbox):
    for n in range(5):
        client = Client(REMOTE_ADDR=f"192.0.2.{n + 1}")
        assert send(client, partnership).status_code == 302

    response = send(Client(REMOTE_ADDR="192.0.2.99"), partnership, email="ALEX@example.net")

    assert response.status_code == 429
    assert len(mailoutbox) == 10


def test_other_addresses_can_still_send_when_one_is_refused(partnership, mailoutbox):
    busy = Client(REMOTE_ADDR="192.0.2.1")
    for n in range(6):
        send(busy, partnership, email=f"sender{n}@example.net")

    response = send(Client(REMOTE_ADDR="192.0.2.2"), partnership, email="someone@example.net")

    assert response.status_code == 302


def test_without_a_client_address_only_the_sender_limit_applies(partnership, mailoutbox):
    # Not one shared count for every visitor when a misconfigured proxy hides their addresses.
    client = Client(REMOTE_ADDR="")
    for n in range(6):
        assert send(client, partnership, email=f"sender{n}@example.net").status_code == 302
    for _ in range(4):
        assert send(client, partnership, email="sender0@example.net").status_code == 302

    assert send(client, partnership, email="sender0@example.net").status_code == 429


def test_a_sending_failure_is_shown_plainly_and_keeps_what_was_typed(
    client, partnership, monkeypatch
):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPException("connection refused")

    monkeypatch.setattr(EmailMessage, "send", refuse)

    response = send(
        client, partnership, name="Sam O'Reader", message="A long message\nover two lines."
    )

    assert response.status_code == 503
    assert "Your message could not be sent" in response.text
    assert "A long message\nover two lines.</textarea>" in response.text
    assert 'value="Sam O&#x27;Reader"' in response.text
    assert 'value="alex@example.net"' in response.text


def test_a_failure_to_send_the_copy_still_reports_the_message_as_sent(
    client, partnership, mailoutbox, monkeypatch
):
    real_send = EmailMessage.send

    def refuse_the_copy(self, fail_silently=False):
        if self.to == ["alex@example.net"]:
            raise OSError("network unreachable")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", refuse_the_copy)

    response = client.post(contact_url(partnership), form_data(partnership), follow=True)

    assert [m.to for m in mailoutbox] == [["secret-lead@example.org"]]
    assert "Your message has been sent" in response.text
    assert "We could not send you a copy of your message." in response.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "Alex\nBcc: victim@example.org"),
        ("email", "not-an-address"),
        ("email", "alex@example.net\nBcc: victim@example.org"),
        ("message", ""),
        ("message", "x" * 5001),
    ],
)
def test_invalid_fields_are_refused(client, partnership, mailoutbox, field, value):
    response = send(client, partnership, **{field: value})

    assert response.status_code == 400
    assert 'class="error-message"' in response.text
    assert mailoutbox == []


def test_a_message_of_5000_characters_is_accepted(client, partnership, mailoutbox):
    assert send(client, partnership, message="x" * 5000).status_code == 302


def test_the_form_needs_a_csrf_token(partnership, mailoutbox):
    client = Client(enforce_csrf_checks=True)

    response = send(client, partnership)

    assert response.status_code == 403
    assert mailoutbox == []


@pytest.mark.parametrize(
    "state",
    [PublicationState.DRAFT, PublicationState.PENDING, PublicationState.ARCHIVED],
)
def test_unpublished_partnerships_cannot_be_contacted(client, mailoutbox, state):
    partnership = make_partnership(publication_state=state)
    make_contact(partnership, is_lead=True)

    assert send(client, partnership).status_code == 404
    assert client.get(contact_url(partnership)).status_code == 404
    assert mailoutbox == []


def test_without_any_contact_address_the_form_is_replaced_by_a_sentence(client, mailoutbox):
    partnership = make_partnership()
    make_contact(partnership, email="")

    content = client.get(partnership.get_absolute_url()).text
    response = send(client, partnership)

    assert "this partnership has not given a contact email address" in content
    assert contact_url(partnership) not in content
    assert response.status_code == 302
    assert mailoutbox == []


def test_opening_the_contact_address_goes_to_the_form_on_the_page(client, partnership):
    response = client.get(contact_url(partnership))

    assert response.status_code == 302
    assert response["Location"] == partnership.get_absolute_url() + "#contact-form-heading"


def test_after_sending_the_page_opens_at_a_confirmation_in_the_contact_section(
    client, partnership, mailoutbox
):
    response = send(client, partnership)
    assert response["Location"] == partnership.get_absolute_url() + "#contact-sent"

    content = client.get(response["Location"]).text
    contact_section = content[content.index('id="contact-heading"') :]
    confirmation = re.search(
        r'<div id="contact-sent" class="confirmation" role="status" tabindex="-1"[^>]*>(.*?)</div>',
        contact_section,
        re.S,
    )
    assert confirmation, "the confirmation should be in the contact section"
    assert "Your message has been sent" in confirmation[1]
    assert "A copy has been sent to alex@example.net." in confirmation[1]
    assert content.count("Your message has been sent") == 1


def test_messages_not_about_a_sent_message_stay_at_the_top_of_the_page(client, mailoutbox):
    partnership = make_partnership()
    make_contact(partnership, email="")

    content = client.post(contact_url(partnership), form_data(partnership), follow=True).text

    top = re.search(r'<ul class="messages">(.*?)</ul>', content, re.S)
    assert "has no contact email address to write to" in top[1]
    assert 'id="contact-sent"' not in content


def page_with_contact(consent, **fields):
    partnership = make_partnership()
    make_contact(partnership, consent=consent, is_lead=True, email="lead@example.org", **fields)
    return partnership


def test_a_published_lead_address_is_not_described_as_hidden(client, mailoutbox):
    partnership = page_with_contact(consent=True)

    content = client.get(partnership.get_absolute_url()).text
    send(client, partnership)

    assert 'href="mailto:lead@example.org"' in content
    assert "We do not show you their email address" not in content
    assert "their email address is shown above" in content
    [message, _copy] = mailoutbox
    assert "did not show your email address" not in message.body
    assert "Your email address is published on the partnership's page" in message.body


def test_an_unpublished_lead_address_is_described_as_hidden(client, mailoutbox):
    partnership = page_with_contact(consent=False)

    content = client.get(partnership.get_absolute_url()).text
    send(client, partnership)

    assert "lead@example.org" not in content
    assert "We do not show you their email address" in content
    [message, _copy] = mailoutbox
    assert "The directory did not show your email address to the sender" in message.body
    assert "is published" not in message.body


def test_when_only_some_recipients_are_published_the_page_and_email_say_so(client, mailoutbox):
    partnership = make_partnership()
    make_contact(partnership, consent=False, email="first@example.org")
    make_contact(partnership, consent=True, email="second@example.org")

    content = client.get(partnership.get_absolute_url()).text
    send(client, partnership)

    assert "We do not show you their email address" not in content
    assert "Not every address it goes to is shown" in content
    [message, _copy] = mailoutbox
    assert "did not show your email address" not in message.body
    assert "only the addresses of contacts who agreed to be published" in message.body
