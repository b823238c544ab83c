"""The clustered map data behind the directory map: /map-data/?<filters>&bbox=...&zoom=N."""

import json
import math
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory import mapdata
from partnerships import services
from partnerships.models import Membership, Partnership, PublicationState, Role
from tests.factories import make_membership, make_organisation, make_partnership, make_region

pytestmark = pytest.mark.django_db

URL = reverse("directory:map_data")
# west, south, east, north
UK = (-8.5, 49.8, 2.0, 60.9)
WORLD = (-180, -90, 180, 90)
NORTH_WEST = (-3.7, 52.9, -1.9, 55.2)
MANCHESTER = (-2.45, 53.41, -2.04, 53.55)
# Where generated points lie: mainland Britain and Northern Ireland, with some sea.
SPREAD = ((50.0, 58.6), (-6.3, 1.7))
TRURO = (50.2632, -5.0510)
NORWICH = (52.6309, 1.2974)
BOLTON = (53.5780, -2.4290)
LEEDS = (53.7965, -1.5479)
SHETLAND = (60.1500, -1.1450)


def get(client, bbox=UK, zoom=6, headers=None, **filters):
    params = {"bbox": ",".join(map(str, bbox)), "zoom": zoom, **filters}
    return client.get(URL, params, headers=headers or {})


def features(response):
    assert response.status_code == 200, response.content
    return json.loads(response.content)["features"]


def total(response):
    return sum(feature["properties"]["count"] for feature in features(response))


def at(point, **overrides):
    latitude, longitude = point
    return make_partnership(latitude=latitude, longitude=longitude, **overrides)


def scatter(count, *, seed, spread=SPREAD, prefix="Scattered", **fields):
    """`count` published partnerships at seeded random points, in one insert (which, like any
    write, bumps the published-data version)."""
    rng = random.Random(seed)
    (south, north), (west, east) = spread
    services.published_data_changed()
    return Partnership.objects.bulk_create(
        Partnership(
            name=f"{prefix} {seed} {n}",
            slug=f"{prefix.lower()}-{seed}-{n}",
            summary="Generated for the map tests.",
            publication_state=PublicationState.PUBLISHED,
            latitude=rng.uniform(south, north),
            longitude=rng.uniform(west, east),
            **fields,
        )
        for n in range(count)
    )


def towns(count, *, seed, spread=SPREAD):
    """`count` published partnerships crowded around 60 seeded random towns, as real entries
    are, in one insert."""
    rng = random.Random(seed)
    (south, north), (west, east) = spread
    centres = [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(60)]
    spreads = [rng.uniform(0.02, 0.4) for _ in centres]
    placed = []
    for n in range(count):
        town = rng.randrange(len(centres))
        latitude, longitude = centres[town]
        placed.append(
            Partnership(
                name=f"Town {seed} {n}",
                slug=f"town-{seed}-{n}",
                summary="Generated for the map tests.",
                publication_state=PublicationState.PUBLISHED,
                latitude=rng.gauss(latitude, spreads[town]),
                longitude=rng.gauss(longitude, spreads[town] * 1.7),
            )
        )
    return Partnership.objects.bulk_create(placed)


def inside(bbox, partnership):
    west, south, east, north = bbox
    return west <= partnership.longitude <= east and south <= partnership.latitude <= north


def answered(bbox, zoom):
    """The box the server answers for: the requested box widened to the map's grid at that
    zoom, so that nearby maps share cached answers."""
    box = mapdata.Viewport(*bbox, zoom).snapped()
    return (box.west, box.south, box.east, box.north)


# What comes back -----------------------------------------------------------------------------


def test_it_serves_geojson_with_its_media_type(client):
    at(LEEDS)
    response = get(client)
    assert response["Content-Type"] == "application/geo+json"
    assert json.loads(response.content)["type"] == "FeatureCollection"


def test_cluster_counts_add_up_to_every_partnership_in_the_box(client):
    scatter(300, seed=1)
    at(LEEDS)
    at(LEEDS)
    make_partnership(name="Not on the map yet")
    for zoom in (5, 6, 8, 12):
        assert total(get(client, zoom=zoom)) == 302
    assert total(get(client, bbox=NORTH_WEST, zoom=8)) == sum(
        inside(answered(NORTH_WEST, 8), p) for p in Partnership.objects.located()
    )


def test_cluster_counts_add_up_to_the_filtered_total(client):
    north_west = make_region()
    scatter(40, seed=2, region=north_west)
    scatter(60, seed=3)
    at(BOLTON, name="Bolton Health Libraries Network", region=north_west)
    nhs = make_organisation(name="Royal Bolton Hospital Library", sector="nhs")
    make_membership(at(LEEDS, name="Leeds network"), nhs)
    make_membership(at(TRURO, name="Cornwall network"))

    assert total(get(client, region=north_west.slug)) == 41
    assert total(get(client, q="Bolton")) == 2  # by name, and by a member's name
    assert total(get(client, sector="nhs")) == 1
    near_bolton = Partnership.objects.published().near(*BOLTON, km=100).count()
    assert 0 < near_bolton < 100
    assert total(get(client, lat=BOLTON[0], lon=BOLTON[1], radius=100)) == near_bolton
    assert total(get(client, q="no such words anywhere")) == 0


def test_no_response_holds_more_features_than_the_cap_at_any_zoom(client):
    assert mapdata.MAX_FEATURES <= 300
    points = scatter(5_000, seed=4)
    tiny = (-2.2430, 53.4800, -2.2420, 53.4805)
    for bbox in (UK, WORLD, NORTH_WEST, MANCHESTER, tiny):
        for zoom in range(mapdata.MAX_ZOOM + 1):
            expected = sum(inside(answered(bbox, zoom), point) for point in points)
            response = get(client, bbox=bbox, zoom=zoom)
            assert len(features(response)) <= mapdata.MAX_FEATURES, (bbox, zoom)
            assert total(response) == expected, (bbox, zoom)


def test_coordinates_are_in_geojson_order_longitude_first(client):
    at(TRURO, name="Truro")
    at(NORWICH, name="Norwich")
    by_name = {
        feature["properties"]["partnerships"][0]["name"]: feature["geometry"]["coordinates"]
        for feature in features(get(client, zoom=10))
    }
    longitude, latitude = by_name["Truro"]
    assert longitude < -4 and 49 < latitude < 51
    longitude, latitude = by_name["Norwich"]
    assert longitude > 1 and 52 < latitude < 53


def test_entries_at_one_point_come_back_as_one_feature_listing_them(client):
    at(BOLTON, name="Bolton Library Network", area_name="Bolton")
    at(BOLTON, name="Aspull and Bolton Readers", area_name="Bolton")
    at(BOLTON, name="Hospital library partnership", members=2)
    [feature] = features(get(client, zoom=5))
    properties = feature["properties"]
    assert properties["cluster"] is False
    assert properties["count"] == 3
    assert [p["name"] for p in properties["partnerships"]] == [
        "Aspull and Bolton Readers",
        "Bolton Library Network",
        "Hospital library partnership",
    ]
    assert [p["members"] for p in properties["partnerships"]] == [0, 0, 2]
    assert properties["partnerships"][0]["area"] == "Bolton"
    assert properties["partnerships"][0]["url"] == reverse(
        "directory:partnership", kwargs={"slug": "aspull-and-bolton-readers"}
    )
    assert feature["geometry"]["coordinates"] == [BOLTON[1], BOLTON[0]]


def test_a_crowded_point_lists_a_few_names_but_counts_them_all(client):
    scatter(mapdata.MAX_LISTED + 10, seed=5, spread=((BOLTON[0],) * 2, (BOLTON[1],) * 2))
    [feature] = features(get(client))
    assert feature["properties"]["count"] == mapdata.MAX_LISTED + 10
    assert len(feature["properties"]["partnerships"]) == mapdata.MAX_LISTED


def test_markers_are_never_drawn_on_top_of_each_other(client):
    points = scatter(3_000, seed=7)
    for bbox in (UK, NORTH_WEST, MANCHESTER):
        for zoom in range(4, mapdata.MAX_ZOOM):
            expected = sum(inside(answered(bbox, zoom), point) for point in points)
            response = get(client, bbox=bbox, zoom=zoom)
            assert total(response) == expected, (bbox, zoom)
            drawn = []
            for feature in features(response):
                lon, lat = feature["geometry"]["coordinates"]
                properties = feature["properties"]
                size = mapdata.marker_size(properties["count"], not properties["cluster"])
                drawn.append((*mapdata.screen_position(lon, lat, zoom), size))
            for i, (x, y, size) in enumerate(drawn):
                for ox, oy, other_size in drawn[i + 1 :]:
                    apart = (size + other_size) / 2 + mapdata.MARKER_GAP
                    assert math.hypot(x - ox, y - oy) >= apart, (bbox, zoom)


def box_around(latitude, longitude, zoom, width=1000, height=800):
    """The box a `width` x `height` px map centred on the point shows at `zoom` (Web Mercator,
    as Leaflet draws it), west, south, east, north."""
    scale = mapdata.TILE_PIXELS * 2**zoom
    x, y = mapdata.screen_position(longitude, latitude, zoom)

    def latitude_at(py):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / scale))))

    return (
        max(-180.0, (x - width / 2) / scale * 360 - 180),
        latitude_at(y + height / 2),
        min(180.0, (x + width / 2) / scale * 360 - 180),
        latitude_at(y - height / 2),
    )


def drawn_markers(response, zoom):
    """(x, y, width) of each marker as the map draws it (countIcon), in pixels at `zoom`."""
    drawn = []
    for feature in features(response):
        lon, lat = feature["geometry"]["coordinates"]
        properties = feature["properties"]
        size = mapdata.marker_size(properties["count"], not properties["cluster"])
        drawn.append((*mapdata.screen_position(lon, lat, zoom), size))
    return drawn


def widest_cluster(response, zoom):
    """How far apart, in pixels across or down, the entries of the widest cluster are drawn."""
    spans = [
        mapdata.screen_span(*feature["properties"]["bounds"], zoom)
        for feature in features(response)
        if feature["properties"]["cluster"]
    ]
    return max((max(span) for span in spans), default=0)


def touching(drawn):
    return [
        (i, j)
        for i, (x, y, size) in enumerate(drawn)
        for j, (ox, oy, other_size) in enumerate(drawn[i + 1 :], start=i + 1)
        if math.hypot(x - ox, y - oy) < (size + other_size) / 2 + mapdata.MARKER_GAP
    ]


def test_no_cluster_spans_more_than_160_px_and_no_markers_touch_at_any_zoom(client):
    # Leaflet.markercluster's default radius is 80 px either side of a cluster's first marker.
    points = scatter(1_000, seed=9) + towns(4_000, seed=10)
    places = {"UK": (54.5, -3.0), "Manchester": (53.48, -2.24), "London": (51.51, -0.13)}
    for place, centre in places.items():
        for zoom in range(0, mapdata.MAX_ZOOM + 1):
            bbox = box_around(*centre, zoom)
            response = get(client, bbox=bbox, zoom=zoom)
            assert total(response) == sum(
                inside(answered(bbox, zoom), point) for point in points
            ), (place, zoom)
            assert len(features(response)) <= mapdata.MAX_FEATURES
            assert widest_cluster(response, zoom) <= 160, (place, zoom)
            assert touching(drawn_markers(response, zoom)) == [], (place, zoom)


def test_crowded_markers_cannot_merge_in_a_chain_across_the_country(client):
    # Entries every kilometre or so from Cornwall to Caithness: each marker touches the next,
    # so merging whatever touches, again and again, would make one cluster of them all.
    Partnership.objects.bulk_create(
        Partnership(
            name=f"Along the line {n}",
            slug=f"along-the-line-{n}",
            publication_state=PublicationState.PUBLISHED,
            latitude=50.2 + 8.3 * n / 1000,
            longitude=-5.0 + 2.0 * n / 1000,
        )
        for n in range(1000)
    )
    for zoom in (5, 6, 7, 8):
        response = get(client, bbox=box_around(54.5, -3.0, zoom), zoom=zoom)
        assert len(features(response)) > 1
        assert widest_cluster(response, zoom) <= 160, zoom
        assert touching(drawn_markers(response, zoom)) == [], zoom


def test_cluster_icons_grow_by_digits_and_stop_growing():
    sizes = [mapdata.marker_size(count, False) for count in (2, 9, 10, 99, 100, 1_000, 100_000)]
    assert sizes == [32, 32, 36, 36, 40, 44, 44]
    assert mapdata.marker_size(1, True) == mapdata.marker_size(500, True) == 28
    # Two clusters' first cells are further apart than any two markers need.
    assert max(sizes) + mapdata.MARKER_GAP <= mapdata.JOIN_PIXELS


def test_neighbours_either_side_of_a_cell_edge_become_one_cluster(client):
    # The UK at zoom 6 has cells 0.4 degrees wide from 0,0 (about 20 px), so longitude -2.8 is a
    # cell edge; these two entries are 330 m apart across it, so the grid puts them in different
    # cells. (Cells were 1.4 degrees before clusters were limited to 160 px, issue 9.)
    assert mapdata.Viewport(*UK, 6).fine_cells_per_cell[0] == 2
    west = at((53.5, -2.8025), name="West of the edge")
    east = at((53.5, -2.7975), name="East of the edge")
    [merged] = features(get(client, zoom=6))
    assert merged["properties"]["cluster"] is True
    assert merged["properties"]["count"] == 2
    assert merged["properties"]["bounds"] == [
        west.longitude,
        west.latitude,
        east.longitude,
        east.latitude,
    ]


def test_at_the_deepest_zoom_points_a_few_metres_apart_stay_apart(client):
    # Two libraries across a street, about 15 m apart, and a map 1200 x 700 px at zoom 18.
    at((53.57800, -2.42900), name="West side")
    at((53.57800, -2.42878), name="East side")
    street = (-2.4321, 53.5771, -2.4259, 53.5789)
    deepest = features(get(client, bbox=street, zoom=mapdata.MAX_ZOOM))
    assert len(deepest) == 2
    assert all(feature["properties"]["cluster"] is False for feature in deepest)
    # One zoom level out they are one cluster, which the map can still open by zooming in.
    [merged] = features(get(client, bbox=street, zoom=mapdata.MAX_ZOOM - 3))
    assert merged["properties"]["cluster"] is True


def test_only_published_partnerships_are_counted_or_listed(client):
    published = at(LEEDS, name="Published network")
    for state in PublicationState:
        if state != PublicationState.PUBLISHED:
            # A merged entry always names the one it was merged into.
            merged = {"merged_into": published} if state == PublicationState.MERGED else {}
            at(LEEDS, name=f"Secret {state}", publication_state=state, **merged)
    [feature] = features(get(client))
    assert feature["properties"]["count"] == 1
    assert [p["name"] for p in feature["properties"]["partnerships"]] == ["Published network"]


def test_popup_data_is_plain_text_even_when_a_name_is_hostile(client):
    hostile = '<img src=x onerror="alert(1)"> & </script><script>alert(2)</script>'
    at(LEEDS, name=hostile, area_name="<b>Leeds</b>")
    response = get(client)
    [feature] = features(response)
    assert feature["properties"]["partnerships"][0]["name"] == hostile
    assert feature["properties"]["partnerships"][0]["area"] == "<b>Leeds</b>"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_cluster_gives_bounds_that_hold_exactly_its_points(client):
    points = scatter(400, seed=6, spread=((53.3, 53.7), (-2.7, -2.0)))
    clusters = [
        f for f in features(get(client, bbox=NORTH_WEST, zoom=9)) if f["properties"]["cluster"]
    ]
    assert clusters
    for cluster in clusters:
        west, south, east, north = cluster["properties"]["bounds"]
        assert west < east and south < north
        within = [p for p in points if inside((west, south, east, north), p)]
        # Clusters group entries by distance, as Leaflet.markercluster does (issue 9), no longer
        # by grid cell, so a neighbour's entries may lie inside a cluster's box too: its own all
        # do, and the box is exactly theirs, with an entry on each edge.
        assert len(within) >= cluster["properties"]["count"]
        assert {west, east} <= {p.longitude for p in within}
        assert {south, north} <= {p.latitude for p in within}
        longitude, latitude = cluster["geometry"]["coordinates"]
        assert west <= longitude <= east and south <= latitude <= north


# Queries -------------------------------------------------------------------------------------


def queries(client, **params):
    with CaptureQueriesContext(connection) as captured:
        assert get(client, **params).status_code == 200
    return len(captured)


@pytest.mark.parametrize(("zoom", "expected"), [(6, 4), (12, 3)])
def test_the_number_of_queries_does_not_grow_with_the_directory(client, zoom, expected):
    region = make_region()
    # A point on its own in every case, so that names are always fetched.
    at(SHETLAND, name="Shetland network", region=region)
    scatter(2, seed=7, region=region)
    few = {
        "plain": queries(client, zoom=zoom),
        "filtered": queries(client, zoom=zoom, region=region.slug, q="network scattered"),
    }
    scatter(200, seed=8, region=region)
    many = {
        "plain": queries(client, zoom=zoom),
        "filtered": queries(client, zoom=zoom, region=region.slug, q="network scattered"),
    }
    assert few == many
    # The published-data version, whether the map summary is of it (only at national and
    # regional zoom, with nothing filtered), the cells, then the names at single points.
    assert few["plain"] == expected


# ETag ------------------------------------------------------------------------------------------


def etag(client, **params):
    response = get(client, **params)
    assert response.status_code == 200
    return response["ETag"]


def test_a_repeat_request_with_the_etag_is_not_modified(client):
    at(LEEDS)
    tag = etag(client)
    assert tag.startswith('"') and tag.endswith('"')
    response = get(client, headers={"if-none-match": tag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == tag
    assert get(client, headers={"if-none-match": '"something else"'}).status_code == 200


def test_the_etag_changes_when_what_the_map_shows_changes(client):
    leeds = at(LEEDS, name="Leeds network")
    draft = at(BOLTON, name="Bolton network", publication_state=PublicationState.DRAFT)
    # At zoom 10 both are points whose names and member counts the map shows.
    seen = [etag(client, zoom=10)]

    services.publish_partnerships(Partnership.objects.filter(pk=draft.pk))
    seen.append(etag(client, zoom=10))

    # Each write path bumps the published-data version (tests/test_published_data_cache.py
    # checks what each one shows); raw writes stand in for the admin here.
    leeds.name = "Leeds and Wakefield network"
    leeds.save()
    services.published_data_changed()
    seen.append(etag(client, zoom=10))

    Membership.objects.create(partnership=leeds, organisation=make_organisation(), role=Role.LEAD)
    seen.append(etag(client, zoom=10))

    services.archive_partnerships(Partnership.objects.filter(pk=draft.pk))
    seen.append(etag(client, zoom=10))

    assert len(set(seen)) == len(seen)


def test_the_etag_differs_between_views_of_the_same_data(client):
    at(LEEDS)
    at(TRURO)
    assert etag(client) != etag(client, bbox=NORTH_WEST)
    assert etag(client) != etag(client, q="nothing matches this")


# Bad requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"zoom": 6}, "bbox"),
        ({"bbox": "", "zoom": 6}, "bbox"),
        ({"bbox": "-3,53,-2", "zoom": 6}, "bbox"),
        ({"bbox": "-3,53,-2,54,1", "zoom": 6}, "bbox"),
        ({"bbox": "west,south,east,north", "zoom": 6}, "bbox"),
        ({"bbox": "-2,53,-3,54", "zoom": 6}, "bbox"),
        ({"bbox": "-3,54,-2,53", "zoom": 6}, "bbox"),
        ({"bbox": "nan,53,-2,54", "zoom": 6}, "bbox"),
        ({"bbox": "-inf,53,inf,54", "zoom": 6}, "bbox"),
        ({"bbox": "-3,53,-2,1e999", "zoom": 6}, "bbox"),
        ({"bbox": "-3,53,-2,54", "zoom": 99}, "zoom"),
        ({"bbox": "-3,53,-2,54", "zoom": -1}, "zoom"),
        ({"bbox": "-3,53,-2,54", "zoom": "abc"}, "zoom"),
        ({"bbox": "-3,53,-2,54", "zoom": "6.5"}, "zoom"),
    ],
)
def test_a_bad_box_or_zoom_is_a_400_that_says_what_is_wrong(client, params, field):
    at(LEEDS)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    [error] = response.json()["errors"][field]
    assert error["message"]


def test_a_bad_filter_is_a_400_too(client):
    response = get(client, region="no-such-region")
    assert response.status_code == 400
    assert "region" in response.json()["errors"]


def test_a_box_of_no_size_is_an_empty_view_not_an_error(client):
    # Leaflet sends one when the map's container has no size yet (hidden, or not laid out).
    at(LEEDS)
    west, south = LEEDS[1] + 0.5, LEEDS[0] + 0.5
    assert features(get(client, bbox=(west, south, west, south), zoom=6)) == []
    assert features(get(client, bbox=(-3, 53.5, 0, 53.5), zoom=6)) == []


def test_a_box_wider_than_the_world_is_clamped_to_it(client):
    at(LEEDS)
    assert total(get(client, bbox=(-540, -100, 540, 100), zoom=0)) == 1


# The view the map opens on -------------------------------------------------------------------


def test_the_unfiltered_map_opens_on_the_whole_uk_whatever_the_entries(client):
    at(LEEDS, name="Leeds network")
    config = client.get("/").context["map_config"]
    assert config["extent"] == list(mapdata.UK_EXTENT)
    west, south, east, north = mapdata.UK_EXTENT
    for latitude, longitude in (TRURO, NORWICH, SHETLAND, (54.6, -7.9)):  # and Fermanagh
        assert west <= longitude <= east and south <= latitude <= north
    assert client.get("/?sort=name&q=", follow=True).context["map_config"]["extent"] == list(
        mapdata.UK_EXTENT
    )


def test_a_filtered_map_opens_on_the_extent_of_its_results(client):
    at(LEEDS, name="Leeds network")
    at(TRURO, name="Truro network")
    at(NORWICH, name="Norwich library")
    config = client.get("/", {"q": "network"}).context["map_config"]
    assert config["extent"] == [TRURO[1], TRURO[0], LEEDS[1], LEEDS[0]]
    assert client.get("/", {"q": "nothing like this"}).context["map_config"]["extent"] is None


def test_the_map_is_told_where_the_offline_outline_is(client, settings):
    settings.MAP_TILE_URL = ""
    config = client.get("/").context["map_config"]
    assert config["tileUrl"] == ""
    assert config["outlineUrl"].endswith("directory/outline/uk-ireland.geojson")
