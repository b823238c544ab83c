import re
from urllib.parse import urlsplit

from django.core import mail
from playwright.sync_api import expect

PASSWORD = "a-long-test-password-42"


def link_in(message):
    """The path of the one link in an email. The tests run with DEBUG off, so links say https;
    the test server speaks plain HTTP, so only the path is followed."""
    (url,) = re.findall(r"https?://\S+", message.body)
    return urlsplit(url).path


def test_a_lead_registers_confirms_their_address_and_signs_in(
    site, page, axe_violations, console_errors
):
    site.open("/")
    page.get_by_role("link", name="Register").click()
    page.wait_for_url("**/accounts/signup/")
    assert page.locator("h1").inner_text() == "Register"
    assert axe_violations() == []

    page.get_by_label("Email").fill("lead@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/accounts/confirm-email/")
    assert page.locator("h1").inner_text() == "Check your email"
    assert axe_violations() == []

    assert len(mail.outbox) == 1
    site.open(link_in(mail.outbox[0]))
    assert page.locator("h1").inner_text() == "Confirm your email address"
    assert "lead@example.org" in page.locator("main").inner_text()
    assert axe_violations() == []
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/login/")

    assert page.locator("h1").inner_text() == "Sign in"
    assert axe_violations() == []
    page.get_by_label("Email").fill("lead@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/my/partnerships/")
    expect(page.get_by_role("link", name="My account")).to_be_visible()
    assert console_errors == []


def test_a_failed_sign_in_is_summarised_and_the_summary_is_accessible(site, page, axe_violations):
    site.open("/accounts/login/")
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("a-wrong-guess")
    page.get_by_role("button", name="Sign in").click()
    summary = page.get_by_role("alert")
    assert "not correct" in summary.inner_text()
    assert axe_violations() == []


def test_a_signed_in_user_reaches_their_account_pages_and_signs_out_from_the_header(
    site, page, axe_violations, django_user_model
):
    from allauth.account.models import EmailAddress

    user = django_user_model.objects.create_user(
        username="lead", email="lead@example.org", password=PASSWORD
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    site.open("/accounts/login/")
    page.get_by_label("Email").fill("lead@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/my/partnerships/")

    page.get_by_role("link", name="My account").click()
    page.wait_for_url("**/accounts/")
    assert axe_violations() == []
    page.get_by_role("link", name="Delete your account").click()
    page.wait_for_url("**/accounts/delete/")
    assert axe_violations() == []
    page.get_by_role("button", name="Delete my account").click()  # no password given
    assert "This field is required" in page.get_by_role("alert").inner_text()
    assert axe_violations() == []

    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
