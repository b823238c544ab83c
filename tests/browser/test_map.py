"""The directory map in Chromium: the view it opens on, and the offline outline drawn when there
are no tiles (none configured, or blocked by a firewall)."""

import math
import re

import pytest

from directory import mapdata
from tests.factories import make_partnership

# Points the opening view must show: Land's End, and Unst at the top of Shetland.
LANDS_END = (50.066, -5.714)
UNST = (60.80, -0.85)


def opening_view(page):
    """The map's zoom and the box it shows (west, south, east, north), from the #map= address
    the map writes once it has settled, and the size of its box on screen."""
    page.wait_for_url(re.compile(r"#map="))
    zoom, latitude, longitude = re.search(r"#map=(\d+)/(-?[\d.]+)/(-?[\d.]+)", page.url).groups()
    zoom = int(zoom)
    box = page.locator("#directory-map").bounding_box()
    scale = mapdata.TILE_PIXELS * 2**zoom
    x, y = mapdata.screen_position(float(longitude), float(latitude), zoom)

    def latitude_at(py):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / scale))))

    shown = (
        (x - box["width"] / 2) / scale * 360 - 180,
        latitude_at(y + box["height"] / 2),
        (x + box["width"] / 2) / scale * 360 - 180,
        latitude_at(y - box["height"] / 2),
    )
    return zoom, shown, box


def shows(shown, point):
    west, south, east, north = shown
    latitude, longitude = point
    return west <= longitude <= east and south <= latitude <= north


def fits(zoom, box, padding=30):
    """Whether the whole UK fits in the map's box at `zoom`, with the padding the map keeps."""
    width, height = mapdata.screen_span(*mapdata.UK_EXTENT, zoom)
    return width <= box["width"] - 2 * padding and height <= box["height"] - 2 * padding


def outline_paths(page):
    return page.locator("#directory-map .leaflet-overlay-pane svg path")


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (375, 667)])
def test_the_unfiltered_map_opens_on_the_whole_uk_as_large_as_it_fits(
    site, page, axe_violations, console_errors, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    make_partnership(name="Cornwall network", latitude=50.26, longitude=-5.05)
    site.open("/")
    zoom, shown, box = opening_view(page)
    assert shows(shown, LANDS_END) and shows(shown, UNST), (zoom, shown)
    assert fits(zoom, box) and not fits(zoom + 1, box), (zoom, box)
    assert axe_violations() == []
    assert console_errors == []


def test_an_address_with_a_view_wins_over_the_opening_view(site, page):
    site.open("/#map=9/53.5800/-2.4300")
    page.locator("#directory-map .leaflet-tile-loaded").first.wait_for(state="attached")
    assert re.search(r"#map=9/53\.58\d*/-2\.43", page.url), page.url


def test_without_a_tile_server_the_map_draws_the_offline_outline(
    site, page, settings, axe_violations, console_errors, tile_requests
):
    settings.MAP_TILE_URL = ""
    make_partnership(name="Cornwall network", latitude=50.26, longitude=-5.05)
    site.open("/")
    outline_paths(page).first.wait_for(state="attached")
    assert outline_paths(page).count() >= 2  # the land, and the border in Ireland
    assert "Natural Earth" in page.locator(".leaflet-control-attribution").inner_text()
    page.locator('.leaflet-marker-icon[title*="Cornwall network"]').wait_for()
    assert tile_requests == []
    assert axe_violations() == []
    assert console_errors == []


@pytest.mark.parametrize("refusal", ["404", "abort"])
def test_when_tiles_fail_to_load_the_map_draws_the_offline_outline(
    site, page, settings, axe_violations, console_errors, refusal
):
    # A hospital firewall: the configured tile server cannot be reached.
    tile_host = "/".join(settings.MAP_TILE_URL.split("/")[:3])
    page.route(
        f"{tile_host}/**",
        (lambda route: route.fulfill(status=404)) if refusal == "404" else (lambda r: r.abort()),
    )
    site.open("/")
    outline_paths(page).first.wait_for(state="attached")
    assert "Natural Earth" in page.locator(".leaflet-control-attribution").inner_text()
    assert axe_violations() == []
    # Chromium reports each refused tile; nothing else may go wrong.
    assert [e for e in console_errors if "Failed to load resource" not in e] == []


def test_with_tiles_the_outline_is_not_even_downloaded(site, page, tile_requests):
    outline_requests = []
    page.on(
        "request",
        lambda request: outline_requests.append(request.url) if "outline" in request.url else None,
    )
    site.open("/")
    page.locator("#directory-map .leaflet-tile-loaded").first.wait_for(state="attached")
    page.wait_for_load_state("networkidle")
    assert tile_requests
    assert outline_requests == []
    assert outline_paths(page).count() == 0
