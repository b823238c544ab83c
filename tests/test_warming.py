"""The national statistics and the gap map are computed ahead of visitors, after the background
refresh of the map summary (`directory.warming`), and kept until the data changes."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from directory import caching
from partnerships import mapsummary, tasks
from partnerships.models import Region
from tests.factories import make_partnership, make_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory():
    region = Region.objects.get(slug="north-west")
    make_place(name="Bolton", latitude=53.58, longitude=-2.43, population=139_000, region=region)
    make_place(name="Carlisle", latitude=54.89, longitude=-2.93, population=75_000, region=region)
    for name in ("Bolton Network", "Wigan Network"):
        make_partnership(name=name, region=region, latitude=53.55, longitude=-2.6)
    cache.clear()


def queries_for(client, url):
    """The response and the queries it made that read partnerships (the page's search form
    reads the vocabularies, which do not grow with the directory)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, [
        query["sql"]
        for query in captured.captured_queries
        if "partnerships_partnership" in query["sql"] or "partnerships_place" in query["sql"]
    ]


def test_after_the_refresh_task_the_first_visit_reads_only_the_data_version(client, directory):
    tasks.refresh_map_summary.call()

    statistics_page, statistics_queries = queries_for(client, reverse("directory:stats"))
    coverage_page, coverage_queries = queries_for(client, reverse("directory:coverage"))

    assert statistics_queries == coverage_queries == []
    assert statistics_page.context["statistics"]["summary"].partnerships == 2
    # Carlisle is far from both partnerships; Bolton is about 11 km from them.
    assert [town.name for town, _ in coverage_page.context["uncovered"]] == ["Carlisle"]


def test_without_the_refresh_task_the_first_visit_computes_the_figures(client, directory):
    mapsummary.refresh()  # the summary alone, as a test or a command would: nothing warmed

    _, queries = queries_for(client, reverse("directory:stats"))

    assert len(queries) > 1


def test_a_failing_listener_does_not_fail_the_refresh(directory, caplog):
    def broken(sender, version, **kwargs):
        raise RuntimeError("cache server gone")

    mapsummary.refreshed.connect(broken)
    try:
        version = tasks.refresh_map_summary.call()
    finally:
        mapsummary.refreshed.disconnect(broken)

    assert version == mapsummary.MapSummary.objects.get().version
    assert "cache server gone" in caplog.text


def test_statistics_without_the_confirmed_filter_are_kept_across_days(monkeypatch):
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    keys = {}
    for day in (today, tomorrow):
        monkeypatch.setattr(timezone, "localdate", lambda day=day: day)
        keys[day] = (
            caching.version_key("statistics", 7, "", daily=False),
            caching.version_key("statistics", 7, "confirmed=true"),
        )

    assert keys[today][0] == keys[tomorrow][0]
    assert keys[today][1] != keys[tomorrow][1]
