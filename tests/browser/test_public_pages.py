from partnerships.models import Membership, Region, Role
from tests.factories import make_contact, make_organisation, make_partnership


def make_bolton():
    partnership = make_partnership(
        name="Bolton Health Information Partnership",
        members=0,
        region=Region.objects.get(slug="north-west"),
        area_name="Bolton",
    )
    for name, role in [
        ("Bolton NHS Foundation Trust", Role.LEAD),
        ("University of Bolton", Role.MEMBER),
        ("Bolton Libraries", Role.MEMBER),
    ]:
        Membership.objects.create(
            partnership=partnership, organisation=make_organisation(name=name), role=role
        )
    make_contact(partnership, name="Library team")
    return partnership


def test_a_visitor_follows_a_partnership_from_the_home_page_to_its_members(
    site, page, axe_violations, console_errors
):
    make_bolton()
    site.open("/")
    assert page.locator("h1").count() == 1
    assert axe_violations() == []

    page.get_by_role("link", name="Bolton Health Information Partnership").click()
    page.wait_for_url("**/partnerships/bolton-health-information-partnership/")
    members = page.get_by_role("table")
    assert "University of Bolton" in members.inner_text()
    assert "Bolton Libraries" in members.inner_text()
    assert page.locator("h1").inner_text() == "Bolton Health Information Partnership"
    assert axe_violations() == []
    assert console_errors == []


def test_the_skip_link_is_the_first_stop_for_keyboard_users(site, page, axe_violations):
    make_bolton()
    site.open("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    # Once shown, the skip link must not sit on top of the header links.
    assert axe_violations() == []
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_axe_reports_a_real_violation(site, page, axe_violations):
    """Guards the accessibility checks themselves: an unlabelled field must be reported."""
    site.open("/")
    page.evaluate("document.querySelector('main').appendChild(document.createElement('input'))")
    assert any(v.startswith("label:") for v in axe_violations())


def in_viewport(locator):
    return locator.evaluate(
        """(element) => {
            const box = element.getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
        }"""
    )


def test_after_sending_a_message_the_confirmation_is_in_view_and_focused(
    site, page, monkeypatch, axe_violations, console_errors
):
    monkeypatch.setattr("directory.forms.MIN_FILL_SECONDS", 0)
    partnership = make_bolton()
    for i in range(12):
        Membership.objects.create(
            partnership=partnership, organisation=make_organisation(name=f"Library {i}")
        )
    site.open(partnership.get_absolute_url())
    page.get_by_label("Your name").fill("Alex Librarian")
    page.get_by_label("Your email address").fill("alex@example.net")
    page.get_by_label("Your message").fill("Could our library join your network?")
    with page.expect_navigation():
        page.get_by_role("button", name="Send message").click()
    page.wait_for_load_state("load")

    confirmation = page.get_by_text("Your message has been sent")
    confirmation.wait_for()
    assert in_viewport(confirmation)
    assert page.evaluate("document.activeElement.id") == "contact-sent"
    assert axe_violations() == []
    assert console_errors == []
