"""The gap map in Chromium: the largest uncovered towns on the map and in the table, with no
console errors, no requests to other hosts (tiles come from the stub tile server) and no axe-core
violations; a town's circle opens a popup with "Start a partnership here"."""

from tests.factories import make_partnership, make_place

BOLTON = (53.578, -2.429)


def test_the_coverage_page_draws_the_uncovered_towns_on_the_map_and_lists_them(
    site, page, axe_violations, console_errors, tile_requests
):
    make_partnership(name="Bolton network", latitude=BOLTON[0], longitude=BOLTON[1])
    make_place("Bolton", *BOLTON, population=140_000)
    make_place("Truro", 50.263, -5.051, population=18_000)
    make_place("Lerwick", 60.155, -1.145, population=7_000)
    make_place("<b>Bold</b> town", 57.48, -4.22, population=5_000)
    site.open("/stats/coverage/")
    circles = page.locator("#coverage-map path.coverage-town")
    circles.first.wait_for()
    assert circles.count() == 3  # Bolton is covered
    page.locator("#coverage-map .leaflet-tile-loaded").first.wait_for(state="attached")
    assert tile_requests

    rows = page.locator("table.coverage-towns tbody tr")
    assert rows.count() == 3
    assert rows.first.locator("th").inner_text() == "Truro"
    assert rows.first.get_by_role("link", name="Truro: Start a partnership here").count() == 1
    assert rows.first.get_by_role("link", name="Truro: Read the toolkit").count() == 1

    # Circles are drawn largest town first: Truro's popup offers to start a partnership there.
    circles.nth(0).click()
    popup = page.locator(".leaflet-popup-content")
    popup.get_by_text("Truro").wait_for()
    start = popup.get_by_role("link", name="Start a partnership here")
    assert start.get_attribute("href") == "/partnerships/new/?town=Truro"

    # A hostile name stays text in the popup.
    circles.nth(2).click()
    popup.get_by_text("<b>Bold</b> town").wait_for()
    assert popup.locator("b").count() == 0

    # Judged with the popup open, once it has faded in (half-faded text has too little contrast).
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    assert axe_violations() == []
    assert console_errors == []
