"""Accounts (django-allauth): registering by email, confirming the address, signing in, password
reset, changing email, deleting an account, throttling, and the pages that carry them."""

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.shortcuts import resolve_url
from django.test import Client

from tests.factories import make_partnership, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-42"


def h1_count(response):
    return len(re.findall(rb"<h1[\s>]", response.content))


def link_in(message):
    """The path of the one link in an email (they point at the test server's host)."""
    urls = re.findall(r"https?://\S+", message.body)
    assert len(urls) == 1, message.body
    return urlsplit(urls[0]).path


def register(client, email, password=PASSWORD):
    return client.post(
        "/accounts/signup/", {"email": email, "password1": password, "password2": password}
    )


def sign_in(client, email, password=PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def after_sign_in():
    """Where signing in leads: the editor's own partnerships."""
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def signs_in(email, password=PASSWORD):
    """Whether a fresh browser can sign in with these credentials."""
    response = sign_in(Client(), email, password)
    return response.status_code == 302 and response["Location"] == after_sign_in()


def make_verified_user(email="lead@example.org", password=PASSWORD, **fields):
    user = make_user(email=email, password=password, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def test_registering_sends_a_link_that_confirms_the_address_and_allows_signing_in(client):
    response = register(client, "lead@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lead@example.org"]
    assert message.subject == "[Health Information Partnerships] Confirm your email address"

    confirm_page = client.get(link_in(message))
    assert b"lead@example.org" in confirm_page.content
    confirmed = client.post(link_in(message))
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(email="lead@example.org").verified

    signed_in = sign_in(Client(), "lead@example.org")
    assert signed_in.status_code == 302
    assert signed_in["Location"] == after_sign_in() == "/my/partnerships/"


def test_registering_with_a_taken_address_does_not_reveal_it_but_tells_the_owner(client):
    make_verified_user("lead@example.org")
    response = register(client, "lead@example.org", "another-long-password-99")
    assert response["Location"] == "/accounts/confirm-email/"  # as for a new address
    assert get_user_model().objects.filter(email="lead@example.org").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.endswith("Account already exists")
    assert link_in(mail.outbox[0]) == "/accounts/password/reset/"


def test_an_account_has_no_username_to_choose(client):
    form = client.get("/accounts/signup/").content.decode()
    assert 'name="email"' in form
    assert 'name="username"' not in form


def test_signing_in_before_confirming_is_refused(client):
    register(client, "lead@example.org")
    browser = Client()
    response = sign_in(browser, "lead@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert browser.get("/accounts/").status_code == 302  # still signed out
    # A new link is sent at most every three minutes, so sign-in attempts cannot flood a mailbox.
    assert len(mail.outbox) == 1


def test_a_confirmation_link_that_is_not_valid_says_so(client):
    response = client.get("/accounts/confirm-email/not-a-real-key/")
    assert h1_count(response) == 1
    assert b"This link has expired or is not valid" in response.content


def test_a_password_reset_email_lets_the_owner_choose_a_new_password(client):
    make_verified_user("lead@example.org")
    response = client.post("/accounts/password/reset/", {"email": "lead@example.org"})
    assert response["Location"] == "/accounts/password/reset/done/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.endswith("Reset your password")

    form_page = client.get(link_in(mail.outbox[0]), follow=True)
    assert b"Choose a new password" in form_page.content
    changed = client.post(
        form_page.redirect_chain[-1][0],
        {"password1": "a-brand-new-password-77", "password2": "a-brand-new-password-77"},
    )
    assert changed["Location"] == "/accounts/password/reset/key/done/"
    assert not signs_in("lead@example.org", PASSWORD)
    assert signs_in("lead@example.org", "a-brand-new-password-77")


def test_a_password_reset_link_works_only_once(client):
    make_verified_user("lead@example.org")
    client.post("/accounts/password/reset/", {"email": "lead@example.org"})
    form_url = client.get(link_in(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    new = {"password1": "a-brand-new-password-77", "password2": "a-brand-new-password-77"}
    client.post(form_url, new)
    again = Client().get(link_in(mail.outbox[0]), follow=True)
    assert b"Link not valid" in again.content


def test_a_password_reset_for_an_unknown_address_looks_the_same_to_the_asker(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response["Location"] == "/accounts/password/reset/done/"
    # The owner of the address is told there is no account; the page does not say so.
    assert len(mail.outbox) == 1
    assert "no account" in mail.outbox[0].body


def test_changing_email_asks_for_the_password_first_then_carries_on(client):
    client.force_login(make_verified_user("lead@example.org"))
    response = client.post("/accounts/email/", {"email": "new@example.org", "action_add": ""})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2Femail%2F"
    assert mail.outbox == []

    wrong = client.post(response["Location"], {"password": "not-my-password"})
    assert b'class="error-summary"' in wrong.content
    assert mail.outbox == []
    client.post(response["Location"], {"password": PASSWORD})
    assert [m.to for m in mail.outbox] == [["new@example.org"]]


def test_a_new_email_address_replaces_the_old_one_only_once_confirmed(client):
    user = make_verified_user("lead@example.org")
    client.force_login(user)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = client.post("/accounts/email/", {"email": "new@example.org", "action_add": ""})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new@example.org"]
    link = link_in(mail.outbox[-1])

    # Until the new address is confirmed, the old one is still the account's address.
    page = client.get("/accounts/email/").content.decode()
    assert "Waiting for confirmation" in page
    assert not signs_in("new@example.org")
    assert signs_in("lead@example.org")

    client.post(link)
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [
        "new@example.org"
    ]
    user.refresh_from_db()
    assert user.email == "new@example.org"
    assert signs_in("new@example.org")
    assert not signs_in("lead@example.org")
    # The old address is told about the change.
    assert any(m.to == ["lead@example.org"] and "changed" in m.body for m in mail.outbox)


def test_deleting_an_account_keeps_its_partnerships_and_their_co_editors(client):
    leaving = make_verified_user("leaving@example.org")
    staying = make_verified_user("staying@example.org")
    shared = make_partnership(name="Shared network")
    shared.editors.add(leaving, staying)
    solo = make_partnership(name="Solo network")
    solo.editors.add(leaving)
    client.force_login(leaving)

    response = client.post("/accounts/delete/", {"password": PASSWORD})

    assert response["Location"] == "/"
    assert not get_user_model().objects.filter(pk=leaving.pk).exists()
    assert not EmailAddress.objects.filter(email="leaving@example.org").exists()
    shared.refresh_from_db()
    solo.refresh_from_db()
    assert list(shared.editors.all()) == [staying]
    assert list(solo.editors.all()) == []
    assert client.get("/accounts/").status_code == 302  # signed out
    assert b"Your account has been deleted." in client.get("/").content


def test_deleting_an_account_needs_the_right_password(client):
    user = make_verified_user("lead@example.org")
    client.force_login(user)
    response = client.post("/accounts/delete/", {"password": "not-my-password"})
    assert response.status_code == 200
    assert b'class="error-summary"' in response.content
    assert get_user_model().objects.filter(pk=user.pk).exists()


def test_a_staff_account_cannot_be_deleted_from_the_site(client):
    curator = make_verified_user("curator@example.org", is_staff=True)
    client.force_login(curator)
    page = client.get("/accounts/delete/")
    assert b"ask another admin" in page.content
    assert b'name="password"' not in page.content
    client.post("/accounts/delete/", {"password": PASSWORD})
    assert get_user_model().objects.filter(pk=curator.pk).exists()


def test_account_pages_need_a_signed_in_user(client):
    for path in ("/accounts/", "/accounts/delete/", "/accounts/email/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_repeated_failed_sign_ins_lock_the_address_even_with_the_right_password(client):
    make_verified_user("lead@example.org")
    for _ in range(5):
        failed = sign_in(client, "lead@example.org", "a-wrong-guess")
        assert failed.status_code == 200
        assert b"The email address and/or password you specified are not correct." in (
            failed.content
        )

    refused = sign_in(client, "lead@example.org", PASSWORD)

    assert refused.status_code == 200
    assert b"Too many failed login attempts. Try again later." in refused.content
    assert b'class="error-summary"' in refused.content
    assert client.get("/accounts/").status_code == 302  # not signed in
    # Other addresses are not locked.
    make_verified_user("other@example.org")
    assert signs_in("other@example.org")


def test_a_successful_sign_in_does_not_reset_the_count_of_failures(client):
    make_verified_user("lead@example.org")
    for _ in range(4):
        sign_in(Client(), "lead@example.org", "a-wrong-guess")
    assert signs_in("lead@example.org")
    sign_in(Client(), "lead@example.org", "a-wrong-guess")
    assert b"Too many failed" in sign_in(Client(), "lead@example.org").content


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/confirm-email/",
        "/accounts/password/reset/",
        "/accounts/password/reset/done/",
        "/accounts/password/reset/key/done/",
        "/accounts/inactive/",
    ],
)
def test_every_public_account_page_has_one_heading_and_no_inline_code(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert h1_count(response) == 1
    assert_no_inline_script_or_style(response)


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/logout/",
        "/accounts/delete/",
        "/accounts/reauthenticate/",
    ],
)
def test_every_signed_in_account_page_has_one_heading_and_no_inline_code(client, path):
    make_verified_user("lead@example.org")
    sign_in(client, "lead@example.org")
    response = client.get(path)
    assert response.status_code == 200
    assert h1_count(response) == 1
    assert_no_inline_script_or_style(response)


def test_the_pages_reached_by_email_links_have_one_heading(client):
    make_verified_user("lead@example.org")
    register(client, "new@example.org")
    confirm = client.get(link_in(mail.outbox[-1]))
    client.post("/accounts/password/reset/", {"email": "lead@example.org"})
    reset = client.get(link_in(mail.outbox[-1]), follow=True)
    bad_reset = client.get("/accounts/password/reset/key/1-bad-token/")
    for response in (confirm, reset, bad_reset):
        assert response.status_code == 200
        assert h1_count(response) == 1
        assert_no_inline_script_or_style(response)


def assert_no_inline_script_or_style(response):
    content = response.content.decode()
    assert "<script" not in content
    assert "style=" not in content
    assert "<style" not in content


def test_form_errors_are_summarised_and_linked_to_their_fields(client):
    response = register(client, "not-an-email", "short")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in content
    assert 'href="#id_email"' in content
    assert 'aria-invalid="true"' in content
    assert re.search(r'<label for="id_email">', content)
    assert re.search(r'<label for="id_password1">', content)
    assert 'id="id_password1_helptext"' in content  # the password rules, linked to the field


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/accounts/login/", {"login": "lead@example.org", "password": PASSWORD}),
        (
            "/accounts/signup/",
            {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
        ),
    ],
)
def test_sign_in_and_register_refuse_a_post_without_the_csrf_token(path, data):
    make_verified_user("lead@example.org")
    response = Client(enforce_csrf_checks=True).post(path, data)
    assert response.status_code == 403
    assert not get_user_model().objects.filter(email="new@example.org").exists()


def test_signing_out_needs_a_post(client):
    make_verified_user("lead@example.org")
    sign_in(client, "lead@example.org")
    assert client.get("/accounts/logout/").status_code == 200
    assert client.get("/accounts/").status_code == 200  # a GET did not sign out
    client.post("/accounts/logout/")
    assert client.get("/accounts/").status_code == 302


def test_the_header_offers_sign_in_or_my_account_and_a_sign_out_form(client):
    signed_out = client.get("/").content.decode()
    assert 'href="/accounts/login/"' in signed_out
    assert 'href="/accounts/signup/"' in signed_out
    make_verified_user("lead@example.org")
    sign_in(client, "lead@example.org")
    signed_in = client.get("/").content.decode()
    assert 'href="/accounts/"' in signed_in
    assert re.search(r'<form[^>]*method="post" action="/accounts/logout/"', signed_in)
    assert 'href="/accounts/login/"' not in signed_in


def test_account_emails_are_plain_text_and_carry_no_html_from_the_requester(client):
    hostile_agent = '<a href="https://evil.example">Click</a><script>alert(1)</script>'
    browser = Client(HTTP_USER_AGENT=hostile_agent)
    register(browser, "lead@example.org")
    browser.post(link_in(mail.outbox[-1]))
    sign_in(browser, "lead@example.org")
    browser.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a-brand-new-password-77",
            "password2": "a-brand-new-password-77",
        },
    )
    browser.post("/accounts/password/reset/", {"email": '"<b>x</b>"@example.org'})

    prefix = "[Health Information Partnerships] "
    assert [(m.subject.removeprefix(prefix), m.to) for m in mail.outbox] == [
        ("Confirm your email address", ["lead@example.org"]),
        ("Your password has changed", ["lead@example.org"]),
        ("No account with this email address", ['"<b>x</b>"@example.org']),
    ]
    assert "Browser: Clickalert(1)" in mail.outbox[1].body
    for message in mail.outbox:
        assert message.content_subtype == "plain"
        assert message.alternatives == []
        assert message.from_email == "directory@localhost"
        assert "<" not in message.body and ">" not in message.body
        assert "&lt;" not in message.body and "&amp;" not in message.body


def test_a_superuser_signs_in_to_the_admin_by_username_and_to_the_site_by_email(client):
    get_user_model().objects.create_superuser(
        username="curator", email="curator@example.org", password=PASSWORD
    )
    admin = client.post("/admin/login/?next=/admin/", {"username": "curator", "password": PASSWORD})
    assert admin["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    # On the site, the address is confirmed once by email, like everybody's.
    site = Client()
    first = sign_in(site, "curator@example.org")
    assert first["Location"] == "/accounts/confirm-email/"
    site.post(link_in(mail.outbox[-1]))
    # A superuser may moderate, so lands on the queue (issue 8, defect 15; was after_sign_in()).
    assert sign_in(site, "curator@example.org")["Location"] == "/moderation/"


# Where signing in leads (issue 8, defects 15 and 19)


def make_curator(email="curator@example.org"):
    from django.contrib.auth.models import Permission

    user = make_verified_user(email=email, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="moderate_partnership"))
    return user


def test_a_signed_out_curator_is_sent_to_sign_in_and_back_to_the_moderation_page(client):
    make_curator()
    for path in ["/moderation/", "/moderation/12345/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={path}"

    response = client.post(
        "/accounts/login/?next=/moderation/",
        {"login": "curator@example.org", "password": PASSWORD, "next": "/moderation/"},
    )
    assert response["Location"] == "/moderation/"


def test_a_curator_lands_on_the_moderation_queue_and_an_editor_on_their_partnerships():
    make_curator()
    make_verified_user("lead@example.org")
    assert sign_in(Client(), "curator@example.org")["Location"] == "/moderation/"
    assert sign_in(Client(), "lead@example.org")["Location"] == "/my/partnerships/"


def test_an_unsafe_next_is_ignored_after_sign_in(client):
    make_verified_user("lead@example.org")
    response = client.post(
        "/accounts/login/",
        {"login": "lead@example.org", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/my/partnerships/"


def test_every_signed_in_area_sends_a_signed_out_visitor_to_sign_in(client):
    partnership = make_partnership()
    for path in [
        "/my/partnerships/",
        "/partnerships/new/",
        f"/partnerships/{partnership.pk}/edit/",
        f"/partnerships/{partnership.pk}/preview/",
        f"/partnerships/{partnership.pk}/editors/",
        "/moderation/",
        "/accounts/",
    ]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path


def test_the_sign_in_message_names_the_email_address_not_a_username(client):
    make_verified_user("lead@example.org", username="lead.audit")
    response = sign_in(client, "lead@example.org")
    page = client.get(response["Location"]).content.decode()
    assert "Signed in as lead@example.org." in page
    assert "lead.audit" not in page
