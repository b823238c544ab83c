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
