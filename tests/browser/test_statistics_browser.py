"""The statistics page in Chromium: it renders its charts and tables with no console errors and no
requests to other hosts, passes axe-core, and a filtered address shows other figures."""

from partnerships.models import Activity, CommunicationChannel, Region, Sector
from tests.factories import make_agreement, make_membership, make_organisation, make_partnership


def make_directory():
    north_west = Region.objects.get(slug="north-west")
    wales = Region.objects.get(slug="wales")
    week = Activity.objects.get(slug="health-information-week")
    email = CommunicationChannel.objects.get(slug="email-or-mailing-list")
    for name, region, year in [
        ("Bolton Health Information Partnership", north_west, 2018),
        ("Wigan health libraries", north_west, 2020),
        ("Cardiff health information group", wales, 2015),
    ]:
        partnership = make_partnership(name=name, region=region, established_year=year)
        make_membership(partnership, make_organisation(sector=Sector.NHS))
        make_membership(partnership, make_organisation(sector=Sector.PUBLIC_LIBRARY))
        partnership.activities.set([week])
        partnership.channels.set([email])
        make_agreement(partnership)


def table_value(page, figure, label):
    row = page.locator(f"#figure-{figure} table tbody tr").filter(
        has=page.get_by_role("rowheader", name=label, exact=True)
    )
    return row.locator("td").first.inner_text()


def test_the_statistics_page_renders_its_charts_and_passes_axe(
    site, page, axe_violations, console_errors
):
    make_directory()

    site.open("/stats/")

    assert page.locator("h1").count() == 1
    assert page.locator("h1").inner_text() == "Statistics"
    assert page.locator("svg[role=img]").count() == 12
    assert page.get_by_role("img", name="Partnerships by region").is_visible()
    assert table_value(page, "regions", "North West") == "2"
    assert table_value(page, "regions", "Wales") == "1"
    assert axe_violations() == []
    assert console_errors == []


def test_the_header_link_and_a_filtered_address_show_changed_figures(
    site, page, axe_violations, console_errors
):
    make_directory()
    site.open("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Statistics").click()
    page.wait_for_url("**/stats/")
    assert "3 published partnerships" in page.locator(".stats-summary").inner_text()

    site.open("/stats/?region=wales")

    assert "1 published partnership" in page.locator(".stats-summary").inner_text()
    assert table_value(page, "regions", "North West") == "0"
    assert table_value(page, "nations", "Wales") == "1"
    assert page.get_by_role("link", name="Clear filters").is_visible()
    assert axe_violations() == []
    assert console_errors == []


def test_the_directory_results_lead_to_their_statistics(site, page, console_errors):
    make_directory()
    site.open("/?region=north-west")

    page.get_by_role("link", name="Statistics for these results").click()

    page.wait_for_url("**/stats/?region=north-west")
    assert table_value(page, "regions", "North West") == "2"
    assert table_value(page, "regions", "Wales") == "0"
    assert console_errors == []
