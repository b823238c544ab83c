"""Inviting co-editors by email with a signed link that expires after seven days."""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.core import signing
from django.urls import reverse

from editor import invitations
from tests.factories import make_partnership, make_user

pytestmark = pytest.mark.django_db


def verified_user(email):
    user = make_user(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def partnership():
    partnership = make_partnership(name="Bolton HIP")
    partnership.editors.add(verified_user("lead@example.org"))
    return partnership


def invite(client, partnership, email):
    client.force_login(partnership.editors.get(email="lead@example.org"))
    return client.post(
        reverse("editor:editors", args=[partnership.pk]), {"action": "invite", "email": email}
    )


def accept_path(message):
    return re.search(r"https?://[^/\s]+(/invitations/\S+/)", message.body).group(1)


def test_an_invitation_email_carries_a_link_that_adds_the_editor(client, partnership, mailoutbox):
    response = invite(client, partnership, "New.Editor@Example.org")
    assert response.status_code == 302
    message = mailoutbox[-1]
    assert message.to == ["new.editor@example.org"]
    # Nobody has chosen a language for the invited address: the email is in Welsh and English.
    assert message.subject.endswith(" / Invitation to edit Bolton HIP in the directory")
    assert "7 days" in message.body
    assert message.reply_to == ["lead@example.org"]
    path = accept_path(message)

    invited = verified_user("new.editor@example.org")
    client.force_login(invited)
    page = client.get(path)
    assert page.status_code == 200
    assert "Bolton HIP" in page.content.decode()
    assert not partnership.editors.filter(pk=invited.pk).exists()

    response = client.post(path)
    assert response.status_code == 302
    assert partnership.editors.filter(pk=invited.pk).exists()
    assert client.get(reverse("editor:edit", args=[partnership.pk])).status_code == 200


def test_the_editors_page_lists_the_editors_and_refuses_a_bad_address(client, partnership):
    response = invite(client, partnership, "not an address")
    page = response.content.decode()
    assert response.status_code == 400
    assert "lead@example.org" in page
    assert "There is a problem" in page and 'href="#id_email"' in page


def test_inviting_an_existing_editor_says_so(client, partnership, mailoutbox):
    response = invite(client, partnership, "LEAD@example.org")
    assert response.status_code == 400
    assert "already edits" in response.content.decode()
    assert mailoutbox == []


def test_accepting_needs_sign_in(client, partnership):
    path = reverse(
        "editor:accept_invitation", args=[invitations.make_token(partnership, "a@example.org")]
    )
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_invitation_for_another_address_is_refused(client, partnership):
    token = invitations.make_token(partnership, "invited@example.org")
    someone_else = verified_user("someone@example.org")
    client.force_login(someone_else)
    response = client.post(reverse("editor:accept_invitation", args=[token]))
    assert response.status_code == 400
    assert "This invitation was sent to invited@example.org" in response.content.decode()
    assert not partnership.editors.filter(pk=someone_else.pk).exists()


def test_an_unverified_address_cannot_accept(client, partnership):
    token = invitations.make_token(partnership, "invited@example.org")
    unverified = make_user(email="invited@example.org")
    EmailAddress.objects.create(user=unverified, email="invited@example.org", verified=False)
    client.force_login(unverified)
    assert client.post(reverse("editor:accept_invitation", args=[token])).status_code == 400
    assert not partnership.editors.filter(pk=unverified.pk).exists()


def test_a_tampered_invitation_is_refused(client, partnership):
    other = make_partnership(name="Someone else's")
    token = invitations.make_token(partnership, "invited@example.org")
    _payload, rest = token.split(":", 1)
    forged_payload = signing.dumps(
        {"p": other.pk, "e": "invited@example.org"}, salt="editor.invitation"
    ).split(":", 1)[0]
    invited = verified_user("invited@example.org")
    client.force_login(invited)
    for bad in [f"{forged_payload}:{rest}", token[:-2] + "xx", "nonsense"]:
        response = client.post(reverse("editor:accept_invitation", args=[bad]))
        assert response.status_code == 400
        assert "This invitation link is not valid" in response.content.decode()
    assert not invited.edited_partnerships.exists()


def test_an_expired_invitation_is_refused(client, partnership, monkeypatch):
    eight_days_ago = time.time() - 8 * 24 * 60 * 60
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: eight_days_ago)
        token = invitations.make_token(partnership, "invited@example.org")
    invited = verified_user("invited@example.org")
    client.force_login(invited)
    response = client.post(reverse("editor:accept_invitation", args=[token]))
    assert response.status_code == 400
    assert "This invitation has expired" in response.content.decode()
    assert not invited.edited_partnerships.exists()


def test_a_six_day_old_invitation_still_works(client, partnership, monkeypatch):
    six_days_ago = time.time() - 6 * 24 * 60 * 60
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: six_days_ago)
        token = invitations.make_token(partnership, "invited@example.org")
    invited = verified_user("invited@example.org")
    client.force_login(invited)
    client.post(reverse("editor:accept_invitation", args=[token]))
    assert invited.edited_partnerships.get() == partnership


def test_strangers_cannot_send_invitations(client, partnership, mailoutbox):
    client.force_login(make_user())
    response = client.post(
        reverse("editor:editors", args=[partnership.pk]),
        {"action": "invite", "email": "me@example.org"},
    )
    assert response.status_code == 404
    assert mailoutbox == []


# A signed-out invitee (issue 8, defect 18)


def test_a_signed_out_invitee_is_told_about_the_invitation_on_the_sign_in_page(client, partnership):
    path = reverse(
        "editor:accept_invitation",
        args=[invitations.make_token(partnership, "invited@example.org")],
    )
    response = client.get(path, follow=True)
    page = " ".join(response.content.decode().split())
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert "You have been invited to help edit “Bolton HIP”." in page
    assert "<strong>invited@example.org</strong>" in page

    # The sign-up page it links to says so too, and keeps the way back.
    signup = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', page).group(1)
    page = " ".join(client.get(signup.replace("&amp;", "&")).content.decode().split())
    assert "You have been invited to help edit “Bolton HIP”." in page
    assert 'name="next"' in page


def test_a_bad_or_unrelated_next_shows_no_invitation(client, partnership):
    for target in ["/invitations/forged/", "/my/partnerships/", "https://example.com/"]:
        page = client.get(reverse("account_login"), {"next": target}).content.decode()
        assert "You have been invited" not in page


def test_signing_up_from_an_invitation_leads_back_to_it(client, partnership, mailoutbox):
    path = reverse(
        "editor:accept_invitation",
        args=[invitations.make_token(partnership, "invited@example.org")],
    )
    password = "a-long-test-password-42"
    response = client.post(
        f"{reverse('account_signup')}?next={path}",
        {
            "email": "invited@example.org",
            "password1": password,
            "password2": password,
            "next": path,
        },
    )
    assert response.status_code == 302
    confirm = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mailoutbox[-1].body)
    response = client.post(confirm.group(1).rstrip("="))
    # Confirming the address leads to signing in, with the invitation still ahead.
    login = response["Location"]
    page = client.get(login).content.decode()
    assert "You have been invited to help edit “Bolton HIP”." in page
    response = client.post(login, {"login": "invited@example.org", "password": password})
    assert response["Location"] == path
    response = client.post(path)
    assert response.status_code == 302
    assert partnership.editors.filter(email="invited@example.org").exists()
