"""The map summary: national views read a few thousand fine-grid cells instead of every
partnership, give the same answers as counting the partnerships themselves, and are never used
stale."""

import json

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships import mapsummary, services
from partnerships.models import MapGridCell, MapSummary, Partnership, PublicationState
from tests.factories import make_partnership
from tests.test_map_data import BOLTON, NORTH_WEST, SHETLAND, UK, at, features, get, scatter, towns

pytestmark = pytest.mark.django_db

PARTNERSHIP_TABLE = Partnership._meta.db_table


def rounded(response):
    """The features with coordinates rounded, since sums added in another order may differ in
    their last bits."""

    def tidy(value):
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, list):
            return [tidy(item) for item in value]
        if isinstance(value, dict):
            return {key: tidy(item) for key, item in value.items()}
        return value

    return sorted(
        (tidy(feature) for feature in features(response)),
        key=lambda f: json.dumps(f, sort_keys=True),
    )


def grouping_queries(client, **params):
    """The queries that add up partnerships into grid cells (rather than read summary cells)
    for a map request."""
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = get(client, **params)
    sql = [query["sql"] for query in captured.captured_queries]
    return response, [q for q in sql if "FLOOR(" in q.upper() and PARTNERSHIP_TABLE in q]


@pytest.mark.parametrize(
    ("bbox", "zoom"),
    [(UK, 5), (UK, 6), (NORTH_WEST, 7), ((-3.1, 53.2, -2.0, 54.0), 7)],
)
def test_the_summary_gives_the_same_clusters_as_counting_every_partnership(client, bbox, zoom):
    towns(400, seed=3)
    scatter(150, seed=4)
    live = get(client, bbox=bbox, zoom=zoom)
    mapsummary.refresh()
    cache.clear()
    from_summary = get(client, bbox=bbox, zoom=zoom)
    assert rounded(from_summary) == rounded(live)
    assert sum(f["properties"]["count"] for f in features(from_summary)) > 0


def test_a_fresh_summary_spares_the_national_map_from_adding_up_partnerships(client):
    towns(300, seed=5)
    live, before = grouping_queries(client, zoom=6)
    assert before, "without a summary the partnerships themselves are added up"
    mapsummary.refresh()
    response, after = grouping_queries(client, zoom=6)
    assert after == []
    counted = sum(f["properties"]["count"] for f in features(response))
    assert counted == sum(f["properties"]["count"] for f in features(live)) > 250


def test_a_box_cutting_through_summary_cells_adds_up_only_those_cells_afresh(client):
    towns(300, seed=6)
    mapsummary.refresh()
    response, cut = grouping_queries(client, bbox=NORTH_WEST, zoom=7)
    assert len(cut) == 1
    inside = Partnership.objects.filter(
        latitude__gte=NORTH_WEST[1],
        latitude__lte=NORTH_WEST[3],
        longitude__gte=NORTH_WEST[0],
        longitude__lte=NORTH_WEST[2],
    ).count()
    # The endpoint answers for the box widened to the map's grid, which holds at least these.
    assert sum(f["properties"]["count"] for f in features(response)) >= inside


def test_filtered_maps_never_read_the_summary(client):
    scatter(50, seed=9)
    shetland = at(SHETLAND, name="Shetland reading network")
    mapsummary.refresh()
    # Make the summary say something the partnerships do not, to see whether it is read.
    MapGridCell.objects.update(count=999_999)
    found = features(get(client, zoom=6, q="Shetland"))
    assert [f["properties"]["count"] for f in found] == [1]
    assert shetland.name in json.dumps(found)


def test_a_change_after_the_summary_was_built_shows_at_once(client):
    scatter(40, seed=10)
    mapsummary.refresh()
    assert sum(f["properties"]["count"] for f in features(get(client, zoom=6))) == 40
    at(SHETLAND, name="New in Shetland")  # bumps the published-data version
    assert sum(f["properties"]["count"] for f in features(get(client, zoom=6))) == 41
    mapsummary.refresh()
    cache.clear()
    assert sum(f["properties"]["count"] for f in features(get(client, zoom=6))) == 41


def test_a_stale_summary_is_never_read(client):
    scatter(30, seed=11)
    mapsummary.refresh()
    MapGridCell.objects.update(count=999_999)  # what a summary of old data might say
    services.published_data_changed()
    assert sum(f["properties"]["count"] for f in features(get(client, zoom=6))) == 30


def test_refreshing_twice_at_one_version_rebuilds_nothing():
    scatter(20, seed=12)
    version = mapsummary.refresh()
    with CaptureQueriesContext(connection) as captured:
        assert mapsummary.refresh() == version
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith(("INSERT", "DELETE", "UPDATE"))
    ]
    assert writes == []
    summary = MapSummary.objects.get()
    assert (summary.version, summary.published) == (version, 20)
    assert sum(MapGridCell.objects.values_list("count", flat=True)) == 20


def test_the_summary_counts_published_partnerships_without_a_location_but_maps_only_located():
    scatter(10, seed=13)
    make_partnership(name="Nowhere yet")  # published, no point
    make_partnership(
        name="A draft", publication_state=PublicationState.DRAFT, latitude=53.5, longitude=-2.4
    )
    mapsummary.refresh()
    assert MapSummary.objects.get().published == 11
    assert sum(MapGridCell.objects.values_list("count", flat=True)) == 10


def test_the_unfiltered_list_takes_its_count_from_a_fresh_summary(client):
    scatter(30, seed=14)
    make_partnership(name="Nowhere yet")
    mapsummary.refresh()
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("directory:home"))
    assert response.status_code == 200
    assert "31 partnerships" in response.content.decode()
    counts = [
        q["sql"]
        for q in captured.captured_queries
        if "COUNT(" in q["sql"].upper()
        and PARTNERSHIP_TABLE in q["sql"]
        and "GROUP BY" not in q["sql"]
    ]
    assert counts == []


def test_a_committed_change_queues_a_refresh_of_the_summary(
    django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    # Everything in the block commits together, as one request's writes would.
    with django_capture_on_commit_callbacks(execute=True):
        scatter(5, seed=15)
        services.publish_partnerships(
            Partnership.objects.filter(pk=at(BOLTON, publication_state=PublicationState.DRAFT).pk)
        )
    summary = MapSummary.objects.get()
    assert summary.version == services.published_data_version()
    assert summary.published == 6


def test_many_changes_in_one_transaction_queue_one_refresh(
    django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    default_task_backend.results = []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for _ in range(5):
            services.published_data_changed()
    names = [result.task.name for result in default_task_backend.results]
    assert names == ["refresh_map_summary"]
