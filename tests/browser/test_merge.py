"""A curator merges two organisations from the possible duplicates page, in real Chromium:
every page on the way is accessible, and the old address ends at the survivor."""

from partnerships import matching
from partnerships.models import Membership, Organisation, Role
from tests.factories import make_organisation, make_partnership


def test_a_curator_merges_two_organisations_from_the_duplicates_page(
    site, page, curator, axe_violations, console_errors
):
    short = make_organisation(name="Bolton NHS FT", town="Bolton", sector="nhs")
    full = make_organisation(
        name="Bolton NHS Foundation Trust",
        town="Bolton",
        sector="nhs",
        website="https://www.boltonft.nhs.uk/",
    )
    week = make_partnership(name="Bolton Health Information Week")
    Membership.objects.create(partnership=week, organisation=short, role=Role.LEAD)
    network = make_partnership(name="Bolton Health Information Partnership")
    Membership.objects.create(partnership=network, organisation=full, role=Role.LEAD)
    Membership.objects.create(partnership=network, organisation=short, role=Role.MEMBER)
    matching.refresh_duplicate_candidates()

    site.open("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Duplicates").click()
    page.wait_for_url("**/moderation/duplicates/")
    assert page.locator("h1").inner_text() == "Possible duplicates"
    assert "Names match after normalising: “bolton”" in page.locator("main").inner_text()
    assert axe_violations() == []

    page.get_by_role("link", name="Merge Bolton NHS FT and Bolton NHS Foundation Trust").click()
    page.wait_for_url("**/merge/")
    assert page.locator("h1").inner_text() == "Merge two organisations"
    assert axe_violations() == []
    page.get_by_label("Keep “Bolton NHS Foundation Trust, Bolton”").check()
    page.get_by_role("group", name="Name").get_by_label("Bolton NHS Foundation Trust").check()
    page.get_by_role("group", name="Website").get_by_label("https://www.boltonft.nhs.uk/").check()
    page.get_by_role("button", name="Check the merge").click()

    assert page.locator("h1").inner_text() == "Check the merge"
    counts = page.get_by_role("table", name="Counts before and after the merge").inner_text()
    assert "Partnerships it is a member of\t2\t1\t2" in counts
    assert axe_violations() == []
    page.get_by_role(
        "button", name="Merge “Bolton NHS FT” into “Bolton NHS Foundation Trust”"
    ).click()

    page.wait_for_url("**/merged/?result=*")
    assert "is merged into" in page.locator("h1").inner_text()
    assert axe_violations() == []
    assert Organisation.objects.get(pk=short.pk).merged_into_id == full.pk
    assert network.memberships.get().role == Role.LEAD

    site.open(short.get_absolute_url())
    assert page.url == site.url + full.get_absolute_url()
    assert page.locator("h1").inner_text() == "Bolton NHS Foundation Trust"
    assert console_errors == []
