"""Switching between English and Welsh in Chromium: the same search and map view, in Welsh, with
nothing English left in the interface and axe-core clean."""

import re

from tests.factories import make_partnership
from tests.welsh import english_left

VIEW = re.compile(r"#map=(\d+)/(-?[\d.]+)/(-?[\d.]+)$")


def map_view(page):
    page.wait_for_url(VIEW)
    zoom, latitude, longitude = VIEW.search(page.url).groups()
    return int(zoom), float(latitude), float(longitude)


def test_switching_language_keeps_the_search_and_the_map_view(
    site, page, axe_violations, console_errors
):
    make_partnership(
        name="Cardiff Health Libraries",
        name_cy="Llyfrgelloedd Iechyd Caerdydd",
        summary="Health libraries working together.",
        summary_cy="Llyfrgelloedd iechyd yn cydweithio.",
        area_name="Caerdydd",
        latitude=51.48,
        longitude=-3.18,
    )
    make_partnership(name="Bolton Health Libraries", latitude=53.58, longitude=-2.43)
    site.open("/?q=caerdydd#map=9/51.4800/-3.1800")
    before = map_view(page)
    assert before[0] == 9

    page.get_by_role("link", name="Cymraeg").click()
    page.wait_for_url(re.compile(r"/cy/\?q=caerdydd#map="))
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.locator("input[name=q]").first.input_value() == "caerdydd"
    after = map_view(page)
    assert after[0] == before[0]
    assert abs(after[1] - before[1]) < 0.01 and abs(after[2] - before[2]) < 0.01
    assert page.get_by_role("heading", level=1).count() == 1
    results = page.locator("main")
    assert "Llyfrgelloedd Iechyd Caerdydd" in results.inner_text()
    assert "Bolton Health Libraries" not in results.inner_text()
    # The map's own words come from the JavaScript catalogue.
    page.wait_for_function("document.getElementById('map-status')?.textContent.trim() !== ''")
    assert not english_left(page.content())
    assert axe_violations() == []

    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/\?q=caerdydd#map="))
    assert "/cy/" not in page.url
    assert page.locator("html").get_attribute("lang") == "en-gb"
    assert map_view(page)[0] == before[0]
    assert console_errors == []


def test_the_choice_is_remembered_for_english_addresses(site, page):
    partnership = make_partnership(name="Partneriaeth Iechyd Caerdydd")
    site.open("/")
    page.get_by_role("link", name="Cymraeg").click()
    page.wait_for_url(re.compile(r"/cy/(#map=.*)?$"))
    site.open(f"/partnerships/{partnership.slug}/")
    assert page.url.endswith(f"/cy/partnerships/{partnership.slug}/")
    assert page.locator("html").get_attribute("lang") == "cy"


def test_a_welsh_partnership_page_is_clean_for_axe(site, page, axe_violations, console_errors):
    partnership = make_partnership(
        members=2,
        name="Cardiff Health Libraries",
        name_cy="Llyfrgelloedd Iechyd Caerdydd",
        summary_cy="Llyfrgelloedd iechyd yn cydweithio.",
        description="Only in English for now.",
        latitude=51.48,
        longitude=-3.18,
    )
    site.open(f"/cy/partnerships/{partnership.slug}/")
    assert page.locator("[lang=en]").first.inner_text().strip() == "Only in English for now."
    assert axe_violations() == []
    assert console_errors == []
