"""Benchmark: the clustered map data (`/map-data/`) at 100,000 partnerships.

Budget: at national zoom at most 300 features; served from the cache (every request but the
first for a view until the published data changes) p50 <= 5 ms on SQLite and PostgreSQL; computed
cold (cache emptied before each request) from the map summary p50 <= 50 ms on SQLite and
PostgreSQL; at least 10x fewer bytes than sending every point. The "no summary" column is the same
cold request while the summary is out of date (between a change and the worker's refresh), when
the database adds up every partnership in the box: what every cold request cost before the summary.

Builds the same throwaway database as bench/near.py (SQLite in a temporary folder, or
BENCH_DATABASE_URL if set: 100,000 published partnerships spread over the UK), then requests
/map-data/ through Django's test client, so routing, middleware, the filter, the ETag, clustering
and JSON serialisation are all timed (everything but the network). The boxes are those a
1200 x 700 px map shows at national, regional and city zoom. The baseline is a naive endpoint
that sends every matching point in the box as its own GeoJSON feature (name and URL). Checks that
the clusters' counts add up to the points in the box the endpoint answers for (the requested box
widened to the map's grid), and that a repeat request with the ETag gets
304. Exits non-zero if the budget is missed.

    .venv/bin/python bench/map_data.py
"""

import json
import math
import statistics
import sys
from contextlib import contextmanager
from pathlib import Path

MAP_WIDTH, MAP_HEIGHT = 1200, 700
TILE_PIXELS = 256
MAP_RUNS = 30
BASELINE_RUNS = 3
BUDGET_FEATURES = 300
BUDGET_P50_MS = 50.0
BUDGET_CACHED_P50_MS = 5.0
BUDGET_BYTES_RATIO = 10.0
BUDGET = (
    f"Budget at national zoom: <= {BUDGET_FEATURES} features, cached p50 <= "
    f"{BUDGET_CACHED_P50_MS:.0f} ms, cold p50 <= {BUDGET_P50_MS:.0f} ms, "
    f">= {BUDGET_BYTES_RATIO:.0f}x fewer bytes than every point"
)
# (label, centre latitude, centre longitude, zoom, national?)
VIEWS = [
    ("UK", 54.6, -3.2, 5, True),
    ("UK", 54.6, -3.2, 6, True),
    ("North West", 54.0, -2.7, 8, False),
    ("Manchester", 53.48, -2.24, 12, False),
]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402

workdir = common.start("bench-map-data-")

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from directory import mapdata  # noqa: E402
from directory.filters import PartnershipFilter  # noqa: E402
from partnerships.models import MapSummary  # noqa: E402


def bbox(latitude, longitude, zoom):
    """The box a MAP_WIDTH x MAP_HEIGHT px Leaflet map centred on the point shows at `zoom`,
    rounded as the map script rounds it."""
    scale = TILE_PIXELS * 2**zoom
    x = (longitude + 180) / 360 * scale
    phi = math.radians(latitude)
    y = (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * scale

    def longitude_at(px):
        return px / scale * 360 - 180

    def latitude_at(py):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / scale))))

    box = (
        longitude_at(x - MAP_WIDTH / 2),
        latitude_at(y + MAP_HEIGHT / 2),
        longitude_at(x + MAP_WIDTH / 2),
        latitude_at(y - MAP_HEIGHT / 2),
    )
    return ",".join(f"{value:.5f}" for value in box)


def every_point(request):
    """The naive endpoint to compare with: the same filter and box, one feature per point."""
    search = PartnershipFilter(request.GET)
    assert search.is_valid(), search.errors
    # The box the endpoint answers for: the requested one widened to the map's grid.
    box = mapdata.Viewport.parse(request.GET["bbox"], request.GET["zoom"]).snapped()
    rows = (
        search.qs.located()
        .filter(latitude__range=(box.south, box.north), longitude__range=(box.west, box.east))
        .values_list("name", "slug", "latitude", "longitude")
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
            "properties": {
                "name": name,
                "url": reverse("directory:partnership", kwargs={"slug": slug}),
            },
        }
        for name, slug, latitude, longitude in rows
    ]
    collection = {"type": "FeatureCollection", "features": features}
    return HttpResponse(
        json.dumps(collection, separators=(",", ":")), content_type="application/geo+json"
    )


@contextmanager
def summary_out_of_date():
    """As between a change and the worker's refresh: the summary is of an older version."""
    summary = MapSummary.objects.get()
    MapSummary.objects.update(version=0)
    try:
        yield
    finally:
        MapSummary.objects.update(version=summary.version)


def plan(params):
    """The database's plan for the map's grouping query, in one line."""
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        Client(SERVER_NAME="localhost").get(reverse("directory:map_data"), params)
    sql = next(q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"])
    explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
    with connection.cursor() as cursor:
        cursor.execute(f"{explain} {sql}")
        steps = [str(row[-1]).strip() for row in cursor.fetchall()]
    if connection.vendor != "sqlite":
        steps = [step.split("  (cost")[0].lstrip("-> ") for step in steps if "(cost" in step]
    return "; ".join(steps)


def main():
    common.load("map data")
    client = Client(SERVER_NAME="localhost")
    factory = RequestFactory(SERVER_NAME="localhost")
    url = reverse("directory:map_data")
    national = {"bbox": bbox(*VIEWS[1][1:4]), "zoom": str(VIEWS[1][3])}
    with summary_out_of_date():
        print(f"Query plan at national zoom without the summary: {plan(national)}")
    print(f"Map {MAP_WIDTH} x {MAP_HEIGHT} px; /map-data/ through the test client, {MAP_RUNS} runs")
    print(
        f"{'view':<18} {'features':>8} {'bytes':>8} {'cold p50':>9} {'p95':>9} {'cached':>8}"
        f" {'no summary':>10}"
        f" | {'every point':>11} {'bytes':>10} {'p50':>10} | {'bytes':>7} {'time':>6}"
    )

    failures = []
    national_p50s = []
    for label, latitude, longitude, zoom, national in VIEWS:
        params = {"bbox": bbox(latitude, longitude, zoom), "zoom": str(zoom)}
        # Cold: the cache emptied before each request, so each one clusters. Cached: what every
        # request after the first gets until the published data changes.
        map_times, response = common.timed(
            lambda params=params: (cache.clear(), client.get(url, params))[1], MAP_RUNS
        )
        cached_times, _ = common.timed(lambda params=params: client.get(url, params), MAP_RUNS)
        with summary_out_of_date():
            live_times, live = common.timed(
                lambda params=params: (cache.clear(), client.get(url, params))[1], MAP_RUNS
            )
        base_times, baseline = common.timed(
            lambda params=params: every_point(factory.get(url, params)), BASELINE_RUNS
        )
        if response.status_code != 200:
            failures.append(f"{label} zoom {zoom}: status {response.status_code}")
            continue
        features = json.loads(response.content)["features"]
        points = len(json.loads(baseline.content)["features"])
        counted = sum(feature["properties"]["count"] for feature in features)
        map_p50, base_p50 = statistics.median(map_times), statistics.median(base_times)
        cached_p50 = statistics.median(cached_times)
        bytes_ratio = len(baseline.content) / len(response.content)
        print(
            f"{f'{label}, zoom {zoom}':<18} {len(features):>8,} {len(response.content):>8,}"
            f" {map_p50:>7.2f}ms {common.p95(map_times):>7.2f}ms {cached_p50:>6.2f}ms"
            f" {statistics.median(live_times):>8.2f}ms"
            f" | {points:>11,} {len(baseline.content):>10,} {base_p50:>8.1f}ms"
            f" | {bytes_ratio:>6.0f}x {base_p50 / map_p50:>5.0f}x"
        )
        if sum(f["properties"]["count"] for f in json.loads(live.content)["features"]) != counted:
            failures.append(f"{label} zoom {zoom}: the summary and the partnerships disagree")
        if counted != points:
            failures.append(f"{label} zoom {zoom}: counts add to {counted:,}, box holds {points:,}")
        if len(features) > min(BUDGET_FEATURES, mapdata.MAX_FEATURES):
            failures.append(f"{label} zoom {zoom}: {len(features)} features")
        if national:
            national_p50s.append(map_p50)
            if bytes_ratio < BUDGET_BYTES_RATIO:
                failures.append(f"{label} zoom {zoom}: only {bytes_ratio:.1f}x fewer bytes")
            if map_p50 > BUDGET_P50_MS:
                failures.append(f"{label} zoom {zoom}: cold p50 {map_p50:.2f} ms")
            if cached_p50 > BUDGET_CACHED_P50_MS:
                failures.append(f"{label} zoom {zoom}: cached p50 {cached_p50:.2f} ms")

    label, latitude, longitude, zoom, _ = VIEWS[1]
    params = {"bbox": bbox(latitude, longitude, zoom), "zoom": str(zoom)}
    etag = client.get(url, params)["ETag"]
    revalidate_times, revalidated = common.timed(
        lambda: client.get(url, params, headers={"if-none-match": etag}), MAP_RUNS
    )
    print(
        f"Revalidating {label}, zoom {zoom} with its ETag: status {revalidated.status_code}, "
        f"p50 {statistics.median(revalidate_times):.2f} ms"
    )
    if revalidated.status_code != 304:
        failures.append(f"a repeat request with the ETag got {revalidated.status_code}, not 304")

    print(f"National zoom p50: {', '.join(f'{p50:.2f} ms' for p50 in national_p50s)}")
    print(BUDGET)
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print("PASS: counts add up in every view, within budget")
    return 1 if failures else 0


if __name__ == "__main__":
    common.run(main, workdir)
