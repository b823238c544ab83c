"""Benchmark: the full CSV and GeoJSON downloads at 100,000 partnerships.

Budget: each full download in under 10 s, on SQLite and on PostgreSQL, with Python memory growth
under 50 MB while it streams; the file is complete (the CSV's trailer counts every row, the
GeoJSON parses and counts every feature).

Builds the benchmark database (SQLite in a temporary folder, or BENCH_DATABASE_URL if set), gives
every partnership two member organisations, an activity, a consented lead contact and a public
agreement, then downloads /export.csv and /export.geojson through Django's test client, reading
the stream to its end, so routing, the filter, the public record and the formatting are all timed
(everything but the network). Memory is the peak of Python's allocations (tracemalloc) over a
second download whose chunks are dropped as they arrive. The baseline is the first
implementation (model instances, prefetching and a `reverse()` per row) on a tenth of the rows,
scaled up. Exits non-zero if the budget is missed.

    .venv/bin/python bench/exports.py
"""

import csv
import io
import json
import sys
import time
import tracemalloc
from pathlib import Path

BUDGET_SECONDS = 10.0
BUDGET_MEMORY_MB = 50.0
BASELINE_SHARE = 10
BUDGET = (
    f"Budget: each full download < {BUDGET_SECONDS:.0f} s, "
    f"Python memory growth < {BUDGET_MEMORY_MB:.0f} MB, complete"
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402

workdir = common.start("bench-exports-")

from django.db import connection, transaction  # noqa: E402
from django.db.models import Prefetch  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from partnerships.models import (  # noqa: E402
    Activity,
    Agreement,
    AgreementKind,
    Contact,
    Membership,
    Organisation,
    Partnership,
    Role,
)


def add_details():
    """Two members, an activity, a consented lead contact and a public agreement for each
    partnership, so the download has every kind of related row to gather."""
    started = time.perf_counter()
    ids = list(Partnership.objects.order_by("pk").values_list("pk", flat=True))
    activity = Activity.objects.order_by("pk").first()
    now = timezone.now()
    with transaction.atomic():
        organisations = Organisation.objects.bulk_create(
            (
                Organisation(name=f"Bench organisation {n}", slug=f"bench-organisation-{n}")
                for n in range(len(ids) // 5)
            ),
            batch_size=common.BATCH,
        )
        for first in range(0, len(ids), common.BATCH):
            chunk = ids[first : first + common.BATCH]
            Membership.objects.bulk_create(
                Membership(
                    partnership_id=pk,
                    organisation=organisations[(i + offset * 7) % len(organisations)],
                    role=Role.LEAD if offset == 0 else Role.MEMBER,
                )
                for i, pk in enumerate(chunk, start=first)
                for offset in (0, 1)
            )
            Partnership.activities.through.objects.bulk_create(
                Partnership.activities.through(partnership_id=pk, activity=activity) for pk in chunk
            )
            Contact.objects.bulk_create(
                Contact(
                    partnership_id=pk,
                    name="Partnership lead",
                    email=f"lead{pk}@example.org",
                    is_lead=True,
                    consent_to_publish=True,
                    consented_at=now,
                )
                for pk in chunk
            )
            Agreement.objects.bulk_create(
                Agreement(
                    partnership_id=pk,
                    kind=AgreementKind.MOU,
                    title="Memorandum of understanding",
                    is_public=True,
                )
                for pk in chunk
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Added members, contacts and agreements in {time.perf_counter() - started:.1f} s")


def download(client, url):
    """Reads a streamed download to its end; returns (seconds, bytes)."""
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content)
    return time.perf_counter() - started, data


def drain(client, url):
    """Reads a streamed download to its end, keeping nothing, so that only the server's own
    memory is measured."""
    for _chunk in client.get(url).streaming_content:
        pass


def complete_csv(data):
    *rows, trailer = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    return len(rows) - 1, trailer == [f"# End of export: {len(rows) - 1} partnerships"]


def complete_geojson(data):
    document = json.loads(data)
    return len(document["features"]), document["numberReturned"] == len(document["features"])


def naive_seconds(rows):
    """The first implementation's cost for `rows` partnerships: instances, prefetching and a
    reverse() per row, written out as CSV."""
    queryset = (
        Partnership.objects.published()
        .select_related("region")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("organisation")),
            "activities",
            "channels",
            Prefetch(
                "contacts",
                queryset=Contact.objects.public().filter(is_lead=True),
                to_attr="leads",
            ),
            Prefetch("agreements", queryset=Agreement.objects.public(), to_attr="public"),
        )
        .order_by("name")[:rows]
    )
    started = time.perf_counter()
    writer = csv.writer(io.StringIO())
    for p in queryset.iterator(chunk_size=500):
        lead = next((c.to_public_dict() for c in p.leads), None)
        writer.writerow(
            [
                p.name,
                "http://localhost" + p.get_absolute_url(),
                p.get_kind_display(),
                p.region.name if p.region else "",
                "; ".join(m.organisation.name for m in p.memberships.all()),
                "; ".join(a.name for a in p.activities.all()),
                "; ".join(c.name for c in p.channels.all()),
                "; ".join(f"{a.get_kind_display()}: {a.title}" for a in p.public),
                lead["email"] if lead else "",
                p.latitude,
                p.longitude,
            ]
        )
    return time.perf_counter() - started


def main():
    common.load("exports")
    add_details()
    client = Client(SERVER_NAME="localhost")
    failures = []
    print(f"{'download':<16} {'rows':>8} {'MB':>7} {'seconds':>8} {'peak MB':>8} complete")
    for url, check in (("/export.csv", complete_csv), ("/export.geojson", complete_geojson)):
        seconds, data = download(client, url)
        rows, complete = check(data)
        tracemalloc.start()
        drain(client, url)
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        print(
            f"{url:<16} {rows:>8,} {len(data) / 1e6:>7.1f} {seconds:>8.2f} {peak_mb:>8.1f} "
            f"{'yes' if complete else 'NO'}"
        )
        if rows != common.ROWS or not complete:
            failures.append(f"{url}: {rows:,} rows, complete={complete}")
        if seconds > BUDGET_SECONDS:
            failures.append(f"{url}: {seconds:.2f} s")
        if peak_mb > BUDGET_MEMORY_MB:
            failures.append(f"{url}: {peak_mb:.1f} MB")
    rows = common.ROWS // BASELINE_SHARE
    naive = naive_seconds(rows)
    print(
        f"Baseline (instances, prefetch, reverse per row): {naive:.2f} s for {rows:,} rows, "
        f"about {naive * BASELINE_SHARE:.0f} s for {common.ROWS:,}"
    )
    print(BUDGET)
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print("PASS: both downloads complete, within budget")
    return 1 if failures else 0


if __name__ == "__main__":
    common.run(main, workdir)
