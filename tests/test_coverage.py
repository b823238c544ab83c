"""The gap map: which UK towns have a published partnership within 25 km, the covered share of
each region's and nation's population, the page that lists the largest uncovered towns, and
"Start a partnership here" filling in the registration form."""

import math
import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode

from partnerships import coverage, mapsummary, services
from partnerships.distance import haversine_km
from partnerships.models import Partnership, PublicationState, Region
from tests.factories import make_partnership, make_place, make_user

pytestmark = pytest.mark.django_db

PAGE = reverse("directory:coverage")
NEW = reverse("editor:new")
KM_PER_DEGREE = 111.2
BOLTON = (53.578, -2.429)
# A point in the south-west corner of a fine grid cell, with the cell reaching 0.2 degrees north
# and east of it: the cell is [53.4, 53.6) x [-2.2, -2.0).
CELL_CORNER = (53.4, -2.2)


def north_of(point, km):
    latitude, longitude = point
    return latitude + km / KM_PER_DEGREE, longitude


def east_of(point, km):
    latitude, longitude = point
    return latitude, longitude + km / (KM_PER_DEGREE * math.cos(math.radians(latitude)))


def partnership_at(point, **overrides):
    latitude, longitude = point
    return make_partnership(latitude=latitude, longitude=longitude, **overrides)


def town_at(name, point, **overrides):
    latitude, longitude = point
    return make_place(name, latitude, longitude, **overrides)


def measured():
    """The coverage with the map summary refreshed, as the worker does after every change."""
    mapsummary.refresh()
    return coverage.measure(services.published_data_version())


def by_name(result):
    return {town.name: town for town in result.towns}


def text(response):
    return " ".join(response.content.decode().split())


def test_a_town_20_km_from_a_partnership_is_covered_and_one_30_km_away_is_not():
    partnership_at(BOLTON)
    town_at("Twenty", north_of(BOLTON, -20))
    town_at("Thirty", north_of(BOLTON, 30))
    town_at("Thirty east", east_of(BOLTON, 30))
    towns = by_name(measured())
    assert towns["Twenty"].covered
    assert not towns["Thirty"].covered
    assert not towns["Thirty east"].covered


def test_covered_towns_agree_with_measuring_every_distance():
    rng = random.Random(14)
    points = [(rng.uniform(52.5, 54.5), rng.uniform(-3.5, -1.0)) for _ in range(60)]
    for point in points:
        partnership_at(point)
    for n in range(150):
        town_at(f"Town {n}", (rng.uniform(52.0, 55.0), rng.uniform(-4.0, -0.5)))
    result = measured()
    assert result.from_summary
    for town in result.towns:
        nearest = min(haversine_km(town.latitude, town.longitude, *point) for point in points)
        assert town.covered == (nearest <= 25), (town.name, nearest)
        if town.nearest_km is not None:
            assert town.nearest_km == pytest.approx(nearest)
    assert 0 < sum(town.covered for town in result.towns) < 150


def test_a_cell_that_straddles_the_radius_is_decided_by_exact_distances():
    # Two partnerships in one fine cell north of the town: one 24 km away, one 27 km away and
    # 10 km east. Neither edge of their extent lies wholly within 25 km, and part of it does: the
    # cell is ambiguous and the partnerships' own distances decide.
    town = north_of(CELL_CORNER, -24 + 1)
    inside = north_of(town, 24)
    outside = east_of(north_of(town, 27), 10)
    partnership_at(inside)
    partnership_at(outside)
    town_at("Straddled", town)
    result = measured()
    assert result.ambiguous_cells == 1
    straddled = by_name(result)["Straddled"]
    assert straddled.covered
    assert straddled.nearest_km == pytest.approx(haversine_km(*town, *inside))


def test_a_straddling_cell_whose_partnerships_are_all_beyond_the_radius_does_not_cover():
    # The extent's nearest corner is 24.5 km away, but that corner holds no partnership: one is
    # 24.5 km north and 10 km east (26.5 km), the other 27 km due north.
    town = north_of(CELL_CORNER, -24.5 + 1)
    partnership_at(east_of(north_of(town, 24.5), 10))
    partnership_at(north_of(town, 27))
    town_at("Nearly", town)
    result = measured()
    assert result.ambiguous_cells == 1
    nearly = by_name(result)["Nearly"]
    assert not nearly.covered
    assert nearly.nearest_km == pytest.approx(26.5, abs=0.1)


def test_population_shares_by_region_and_nation_are_computed_as_by_hand():
    north_west = Region.objects.get(slug="north-west")
    scotland = Region.objects.get(slug="scotland")
    partnership_at(BOLTON)
    town_at("Near Bolton", north_of(BOLTON, 10), population=3000, region=north_west)
    town_at("Far from Bolton", north_of(BOLTON, 60), population=1000, region=north_west)
    town_at("Highland town", (57.0, -4.5), population=2000, region=scotland, admin_area="Scotland")
    result = measured()
    regions = {area.name: area for area in result.regions}
    nations = {area.name: area for area in result.nations}
    assert (regions["North West"].population, regions["North West"].covered_population) == (
        4000,
        3000,
    )
    assert regions["North West"].share_text == "75.0%"
    assert regions["Scotland"].share_text == "0.0%"
    assert nations["England"].share == 0.75
    assert nations["Scotland"].covered_population == 0
    assert (result.total.population, result.total.covered_population) == (6000, 3000)
    assert result.total.share_text == "50.0%"
    assert [town.name for town in result.largest_uncovered] == ["Highland town", "Far from Bolton"]


def test_unpublished_and_unlocated_partnerships_cover_no_town():
    for state in (
        PublicationState.DRAFT,
        PublicationState.PENDING,
        PublicationState.ARCHIVED,
    ):
        partnership_at(BOLTON, publication_state=state)
    make_partnership()  # published, but not on the map
    town_at("Bolton", BOLTON)
    result = measured()
    assert not by_name(result)["Bolton"].covered
    assert result.partnerships_located == 0


def test_an_out_of_date_summary_is_not_used_and_the_answer_is_current():
    town_at("Bolton", BOLTON)
    mapsummary.refresh()
    partnership_at(north_of(BOLTON, 5))  # bumps the version; the summary's refresh is queued
    result = coverage.measure(services.published_data_version())
    assert not result.from_summary
    assert by_name(result)["Bolton"].covered


def test_the_largest_uncovered_towns_get_the_distance_to_the_nearest_partnership():
    partnership_at(BOLTON)
    partnership_at(north_of(BOLTON, 200))
    town_at("Forty south", north_of(BOLTON, -40))
    town_at("Ninety north", north_of(BOLTON, 90))
    towns = by_name(measured())
    assert towns["Forty south"].nearest_km == pytest.approx(40, abs=0.05)
    assert towns["Ninety north"].nearest_km == pytest.approx(90, abs=0.05)


def scene(partnerships):
    """A gazetteer with covered, uncovered and straddled towns, and `partnerships` more
    partnerships scattered over the North West."""
    town = north_of((52.4, -1.0), -23)  # away from the scattered ones
    partnership_at(north_of(town, 24))
    partnership_at(east_of(north_of(town, 27), 10))
    town_at("Straddled", town)
    town_at("Lerwick", (60.155, -1.145), population=7000)
    rng = random.Random(5)
    for n in range(20):
        town_at(f"Town {n}", (rng.uniform(53.0, 54.5), rng.uniform(-3.2, -2.0)))
    services.published_data_changed()
    Partnership.objects.bulk_create(
        Partnership(
            name=f"Scattered {n}",
            slug=f"scattered-{n}",
            summary="Generated for the coverage tests.",
            publication_state=PublicationState.PUBLISHED,
            latitude=rng.uniform(53.0, 54.5),
            longitude=rng.uniform(-3.2, -2.0),
        )
        for n in range(partnerships)
    )
    mapsummary.refresh()


def queries_to_measure():
    version = services.published_data_version()
    with CaptureQueriesContext(connection) as captured:
        result = coverage.measure(version)
    assert result.ambiguous_cells >= 1 and result.largest_uncovered
    assert result.queries == len(captured.captured_queries)
    return len(captured.captured_queries)


def test_measuring_takes_as_many_queries_for_5_partnerships_as_for_50():
    scene(5)
    few = queries_to_measure()
    Partnership.objects.filter(name__startswith="Scattered").delete()
    scene(50)
    many = queries_to_measure()
    assert few == many == 5  # summary version and cells, towns, ambiguous cells, nearest


def test_the_page_is_computed_once_per_version_and_then_costs_one_query(client):
    scene(5)
    with CaptureQueriesContext(connection) as first:
        assert client.get(PAGE).status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert client.get(PAGE).status_code == 200
    assert len(first.captured_queries) > 1
    assert len(again.captured_queries) == 1


def test_the_page_lists_the_largest_uncovered_towns_with_both_links(client):
    north_west = Region.objects.get(slug="north-west")
    partnership_at(BOLTON)
    town_at("Covered town", north_of(BOLTON, 10), population=90_000, region=north_west)
    town_at("Far town", north_of(BOLTON, -40), population=25_000, region=north_west)
    mapsummary.refresh()
    response = client.get(PAGE)
    page = text(response)
    assert response.status_code == 200
    assert page.count("<h1") == 1
    uncovered = page.split('id="uncovered-heading"')[1]
    assert "Far town" in uncovered and "Covered town" not in uncovered
    assert "25,000" in uncovered and "40 km" in uncovered
    assert f'href="{NEW}?{urlencode({"town": "Far town"})}"' in uncovered
    assert f'href="{reverse("toolkit:index")}"' in uncovered
    assert "Start a partnership here" in uncovered and "Read the toolkit" in uncovered
    assert "within 25 km" in page and "GeoNames" in page
    assert "78.3%" in page  # 90,000 of 115,000
    assert 'id="coverage-map-config"' in page


def test_the_page_says_when_the_gazetteer_is_not_loaded(client):
    partnership_at(BOLTON)
    page = text(client.get(PAGE))
    assert "gazetteer of towns is not loaded" in page
    assert "coverage-map" not in page


def test_the_page_says_when_no_partnership_is_on_the_map(client):
    town_at("Bolton", BOLTON, population=140_000)
    page = text(client.get(PAGE))
    assert "No published partnership has a location on the map yet" in page
    assert "0.0%" in page
    assert "Bolton" in page.split('id="uncovered-heading"')[1]
    assert "none yet" in page


def test_a_hostile_town_name_stays_text_on_the_page(client):
    town_at("<script>alert(1)</script>", BOLTON)
    page = client.get(PAGE).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_town_name_shared_by_two_towns_carries_its_region_in_the_link(client):
    wales = Region.objects.get(slug="wales")
    south_east = Region.objects.get(slug="south-east")
    town_at("Newport", (51.588, -2.998), region=wales, admin_area="Wales", population=145_000)
    town_at("Newport", (50.701, -1.289), region=south_east, population=25_000)
    page = client.get(PAGE).content.decode()
    assert f'href="{NEW}?{urlencode({"town": "Newport, Wales"})}"' in page
    assert f'href="{NEW}?{urlencode({"town": "Newport, South East"})}"' in page


# Registration with the town filled in ---------------------------------------------------------


@pytest.fixture
def user(client):
    user = make_user()
    client.force_login(user)
    return user


def field_value(page, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def selected_region(page):
    select = re.search(r'<select[^>]*name="region".*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return chosen.group(1) if chosen else ""


def test_start_a_partnership_here_fills_in_the_town_and_its_region(client, user):
    north_west = Region.objects.get(slug="north-west")
    town_at("Bolton", BOLTON, region=north_west)
    page = client.get(NEW, {"town": "bolton"}).content.decode()
    assert field_value(page, "area_name") == "Bolton"
    assert selected_region(page) == "north-west"


def test_a_region_after_the_town_name_picks_that_town(client, user):
    wales = Region.objects.get(slug="wales")
    south_east = Region.objects.get(slug="south-east")
    town_at("Newport", (51.588, -2.998), region=wales, admin_area="Wales", population=145_000)
    town_at("Newport", (50.701, -1.289), region=south_east, population=25_000)
    page = client.get(NEW, {"town": "Newport, South East"}).content.decode()
    assert field_value(page, "area_name") == "Newport"
    assert selected_region(page) == "south-east"


def test_an_unknown_town_is_filled_in_as_typed_without_a_region(client, user):
    town_at("Bolton", BOLTON, region=Region.objects.get(slug="north-west"))
    response = client.get(NEW, {"town": "Bol <b>"})
    page = response.content.decode()
    assert response.status_code == 200
    assert field_value(page, "area_name") == "Bol &lt;b&gt;"
    assert selected_region(page) == ""


def test_the_town_survives_signing_in(client):
    response = client.get(NEW, {"town": "Bolton"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?next={NEW}%3Ftown%3DBolton")
