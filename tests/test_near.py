import math

import pytest

from partnerships.distance import EARTH_RADIUS_KM, bounding_box, haversine_km
from partnerships.models import Organisation, Partnership, PublicationState
from tests.factories import make_organisation, make_partnership

pytestmark = pytest.mark.django_db

LEEDS = (53.7965, -1.5479)
BRADFORD = (53.7939, -1.7521)
WAKEFIELD = (53.6833, -1.4977)
HARROGATE = (53.9921, -1.5418)
YORK = (53.9590, -1.0815)
BOLTON = (53.5780, -2.4290)
MANCHESTER = (53.4808, -2.2426)


def destination(start, bearing_degrees, km):
    """The point `km` from `start` along the great circle leaving it at `bearing_degrees`."""
    phi1, lambda1 = map(math.radians, start)
    theta, delta = math.radians(bearing_degrees), km / EARTH_RADIUS_KM
    phi2 = math.asin(
        math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    )
    lambda2 = lambda1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * math.sin(phi2),
    )
    longitude = (math.degrees(lambda2) + 540) % 360 - 180
    return math.degrees(phi2), longitude


def at(point, **overrides):
    latitude, longitude = point
    return make_partnership(latitude=latitude, longitude=longitude, **overrides)


def test_haversine_agrees_with_published_great_circle_distances():
    # Leeds to Bradford city centres, about 13.4 km as the crow flies.
    assert haversine_km(*LEEDS, *BRADFORD) == pytest.approx(13.4, rel=0.01)
    # Rosetta Code's haversine example, Nashville BNA to Los Angeles LAX: 2887.26 km.
    assert haversine_km(36.12, -86.67, 33.94, -118.40) == pytest.approx(2887.26, rel=0.01)
    # London to Paris, 343.5 km.
    assert haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.5, rel=0.01)


def test_haversine_is_zero_for_one_point_and_half_the_world_for_antipodes():
    assert haversine_km(*LEEDS, *LEEDS) == 0
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_KM)


def test_near_annotates_the_database_distance_within_one_percent_of_haversine():
    bradford = at(BRADFORD)
    manchester = at(MANCHESTER)

    from_leeds = Partnership.objects.near(*LEEDS, km=25).get()
    from_bolton = Partnership.objects.near(*BOLTON, km=25).get()

    assert from_leeds == bradford
    assert from_leeds.distance_km == pytest.approx(haversine_km(*LEEDS, *BRADFORD), rel=1e-9)
    assert from_leeds.distance_km == pytest.approx(13.4, rel=0.01)
    assert from_bolton == manchester
    assert from_bolton.distance_km == pytest.approx(haversine_km(*BOLTON, *MANCHESTER), rel=1e-9)


def test_near_puts_the_nearest_first_and_leaves_out_what_is_beyond_the_radius():
    harrogate = at(HARROGATE, name="Harrogate")
    bradford = at(BRADFORD, name="Bradford")
    at(YORK, name="York")
    wakefield = at(WAKEFIELD, name="Wakefield")

    found = list(Partnership.objects.near(*LEEDS, km=25))

    assert found == [wakefield, bradford, harrogate]
    distances = [partnership.distance_km for partnership in found]
    assert distances == sorted(distances)
    assert distances[-1] == pytest.approx(21.75, abs=0.05)


def test_a_point_just_inside_the_radius_is_found_and_one_just_outside_is_not():
    inside = at(destination(LEEDS, 90, 24.7))
    at(destination(LEEDS, 90, 25.3))

    assert list(Partnership.objects.near(*LEEDS, km=25)) == [inside]


@pytest.mark.parametrize(
    ("centre", "km"),
    [
        (LEEDS, 25),
        ((50.1, -5.5), 25),
        ((60.4, -1.2), 25),
        ((78.2, 15.6), 25),
        ((-45.9, 170.5), 25),
        # Wide circles far north, where the circle's widest longitude lies well poleward of its
        # centre: a box half-width of r / cos(latitude) would cut the inside points off.
        ((70.0, 20.0), 1000),
        ((-60.0, -60.0), 2000),
    ],
)
def test_the_bounding_box_never_drops_a_point_inside_the_circle_whatever_the_bearing(centre, km):
    bearings = range(0, 360, 5)
    for bearing in bearings:
        at(destination(centre, bearing, km * 0.9995), name=f"inside {bearing}")
        at(destination(centre, bearing, km * 1.0005), name=f"outside {bearing}")

    found = Partnership.objects.near(*centre, km=km).values_list("name", flat=True)

    assert sorted(found) == sorted(f"inside {bearing}" for bearing in bearings)


def test_the_bounding_box_narrows_longitude_with_latitude():
    (lat_min, lat_max), [(lon_min, lon_max)] = bounding_box(*LEEDS, 25)
    degree_of_latitude_km = math.pi * EARTH_RADIUS_KM / 180

    assert lat_max - lat_min == pytest.approx(50 / degree_of_latitude_km)
    # At 53.8 degrees north a degree of longitude is about 59% of a degree of latitude.
    assert lon_max - lon_min == pytest.approx(
        (lat_max - lat_min) / math.cos(math.radians(LEEDS[0])), rel=0.001
    )


def test_a_circle_around_a_pole_takes_every_longitude():
    across_the_pole = at((89.9, 179.0))
    (_lat_min, lat_max), longitude_ranges = bounding_box(89.9, 0, 50)

    assert lat_max == 90
    assert longitude_ranges == []
    assert list(Partnership.objects.near(89.9, 0, km=50)) == [across_the_pole]


def test_a_circle_across_the_antimeridian_finds_points_on_both_sides():
    east = at((-17.8, 179.9))
    west = at((-17.8, -179.95))
    at((-17.8, 179.0))

    assert set(Partnership.objects.near(-17.8, -179.99, km=20)) == {east, west}


def test_near_leaves_out_entries_without_coordinates():
    located = at(LEEDS)
    make_partnership(latitude=None, longitude=None)

    assert list(Partnership.objects.near(*LEEDS, km=25)) == [located]


def test_near_combines_with_published():
    published = at(BRADFORD)
    at(BRADFORD, publication_state=PublicationState.DRAFT)

    assert list(Partnership.objects.published().near(*LEEDS, km=25)) == [published]
    assert Partnership.objects.near(*LEEDS, km=25).published().count() == 1
    assert Partnership.objects.near(*LEEDS, km=25).count() == 2


def test_entries_at_the_same_point_come_in_name_order():
    at(BOLTON, name="Bolton libraries")
    at(BOLTON, name="Bolton Health Information Partnership")

    names = Partnership.objects.near(*BOLTON, km=5).values_list("name", flat=True)

    assert list(names) == ["Bolton Health Information Partnership", "Bolton libraries"]


def test_organisations_can_be_found_near_a_point_too():
    bradford = make_organisation(latitude=BRADFORD[0], longitude=BRADFORD[1])
    make_organisation(latitude=YORK[0], longitude=YORK[1])

    found = list(Organisation.objects.near(*LEEDS, km=25))

    assert found == [bradford]
    assert found[0].distance_km == pytest.approx(13.4, rel=0.01)


def test_with_distance_measures_every_located_row_without_a_radius():
    at(BRADFORD, name="Bradford")
    at(YORK, name="York")

    distances = dict(
        Partnership.objects.located().with_distance(*LEEDS).values_list("name", "distance_km")
    )

    assert distances["York"] == pytest.approx(haversine_km(*LEEDS, *YORK), rel=1e-9)
    assert distances["Bradford"] == pytest.approx(haversine_km(*LEEDS, *BRADFORD), rel=1e-9)


def test_with_distance_has_no_distance_for_an_entry_without_coordinates():
    make_partnership(name="Nowhere yet", latitude=None, longitude=None)

    assert Partnership.objects.with_distance(*LEEDS).get().distance_km is None


def test_the_distance_to_the_far_side_of_the_earth_is_half_its_circumference():
    at((-53.7965, 178.4521))

    assert Partnership.objects.with_distance(*LEEDS).get().distance_km == pytest.approx(
        math.pi * EARTH_RADIUS_KM
    )


@pytest.mark.parametrize(
    ("latitude", "longitude", "km"),
    [
        (90.5, 0, 10),
        (-91, 0, 10),
        (53, 180.5, 10),
        (53, -181, 10),
        (53, -2, 0),
        (53, -2, -5),
        (float("nan"), -2, 10),
        (53, -2, float("inf")),
        ("north", -2, 10),
        (None, -2, 10),
    ],
)
def test_near_rejects_an_impossible_point_or_radius(latitude, longitude, km):
    with pytest.raises(ValueError):
        Partnership.objects.near(latitude, longitude, km)


def test_near_accepts_the_edges_of_the_map():
    assert list(Partnership.objects.near(90, 180, km=1)) == []
    assert list(Partnership.objects.near(-90, -180, km=1)) == []
