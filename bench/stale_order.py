"""Benchmark: the directory's default order with stale entries last, at 100,000 partnerships.

The default list order ("Nearest, best match or name") puts entries not confirmed for
`freshness.STALE_AFTER` months after the current ones. By name, the plain order is served by the
index (publication_state, name); the stale-last key is an expression no index holds, so the
database reads every match and sorts. This measures what that costs for a page of results (the
query the directory page runs for its list, with region and member count), cold in the
database's sense of "no LIMIT shortcut", for the first page, a deep page, a region and a town:

- "plain": the order before (name, or distance then name);
- "stale last": one query ordered by the stale key, then the same (what the downloads and API
  do);
- "two ranges": what the list does (`directory.filters.CurrentThenStale`): the current
  entries' range, then the stale ones', each in the plain order.

About one entry in seven is stale (confirmed 13 to 25 months ago), the rest within the year.
Figures only, no budget: the list's pages are cached per published-data version and day, so this
is what the first visitor of the day pays for a page.

    .venv/bin/python bench/stale_order.py
    BENCH_DATABASE_URL=postgres://USER@HOST:PORT/bench .venv/bin/python bench/stale_order.py
"""

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import common

workdir = common.start("bench-stale-")

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models.functions import Mod  # noqa: E402
from django.utils import timezone  # noqa: E402

from directory.filters import CurrentThenStale, current_first  # noqa: E402
from partnerships import freshness  # noqa: E402
from partnerships.models import Partnership, Region  # noqa: E402

RUNS = 15
STALE_SHARE = 7
LEEDS = (53.7997, -1.5492)


def age_entries():
    """Confirmation dates by id: of every STALE_SHARE * 4 entries, 4 stale (13 to 25 months
    ago), the rest spread over the year; and a region for one entry in ten. A few UPDATEs."""
    now = timezone.now()
    region = Region.objects.create(name="Bench region", slug="bench-region")
    every = STALE_SHARE * 4
    with transaction.atomic():
        rows = Partnership.objects.annotate(residue=Mod("pk", every))
        for residue in range(every):
            stale = residue >= every - 4
            months = 13 + (residue - every + 4) * 4 if stale else residue % 12
            rows.filter(residue=residue).update(
                last_verified_at=freshness.months_before(now, months)
            )
        Partnership.objects.annotate(residue=Mod("pk", 10)).filter(residue=0).update(region=region)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return region


def page(queryset, number):
    size = settings.DIRECTORY_PAGE_SIZE
    start = (number - 1) * size
    rows = queryset.select_related("region").with_member_count()[start : start + size]
    return lambda: [p.pk for p in rows._chain()]


def two_ranges(queryset, order, number):
    """The page as the list reads it (`CurrentThenStale`), the count of current entries
    included where the page needs it."""
    size = settings.DIRECTORY_PAGE_SIZE
    start = (number - 1) * size
    listed = queryset.select_related("region").with_member_count()
    return lambda: [p.pk for p in CurrentThenStale(listed, *order)[start : start + size]]


def plan(queryset):
    sql, params = queryset.select_related("region").with_member_count()[:20].query.sql_with_params()
    if connection.vendor == "sqlite":
        return ""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n    ".join(row[0] for row in cursor.fetchall())


def main():
    common.load("stale order")
    region = age_entries()
    published = Partnership.objects.published()
    cases = {
        "all, page 1": (published, ("name",), 1),
        "all, page 2000": (published, ("name",), 2000),
        "region, page 1": (published.filter(region=region), ("name",), 1),
        "near Leeds, page 1": (published.near(*LEEDS, 25), ("distance_km", "name"), 1),
    }
    print(f"{'list':<20} {'plain p50':>10} {'stale last p50':>15} {'two ranges p50':>15}")
    for label, (queryset, order, number) in cases.items():
        plain, _ = common.timed(page(queryset.order_by(*order), number), RUNS)
        last, _ = common.timed(page(current_first(queryset, *order), number), RUNS)
        ranges, _ = common.timed(two_ranges(queryset, order, number), RUNS)
        print(
            f"{label:<20} {statistics.median(plain):>8.2f}ms {statistics.median(last):>13.2f}ms"
            f" {statistics.median(ranges):>13.2f}ms"
        )
    print("Plan, all, page 1, plain:\n    " + plan(published.order_by("name")))
    print("Plan, all, page 1, stale last:\n    " + plan(current_first(published, "name")))
    return 0


if __name__ == "__main__":
    common.run(main, workdir)
