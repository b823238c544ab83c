"""What the benchmarks share: a throwaway database holding 100,000 published, located
partnerships spread over the UK, and the way they time and report.

A benchmark script puts the project on `sys.path`, calls `start()` before importing anything from
Django, and hands its `main()` to `run()`:

    workdir = common.start("bench-near-")
    ...
    if __name__ == "__main__":
        common.run(main, workdir)
"""

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROWS = 100_000
BATCH = 5_000
SEED = 20_260_101
# The generated partnerships lie uniformly in this box: mainland Britain and Northern Ireland,
# with some sea, which is harder on the map than real data (no empty moors to skip).
LATITUDES = (50.0, 58.6)
LONGITUDES = (-6.3, 1.7)


_throwaway_database = None


def _postgres(url, database, statement):
    """Run CREATE/DROP DATABASE on the server of `url`, from its maintenance database."""
    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(
        dbname="postgres",
        user=parts.username,
        password=parts.password,
        host=parts.hostname,
        port=parts.port or 5432,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'{statement} "{database}"')
    finally:
        connection.close()


def start(prefix):
    """Point Django at a throwaway database and set Django up: SQLite in a new temporary folder,
    or, with BENCH_DATABASE_URL (postgres://user@host:port/name), a new database made for this
    run beside `name` on that server and dropped by `run()` (so every script of `make bench`
    starts empty). Returns the folder, for `run()` to remove."""
    global _throwaway_database
    workdir = tempfile.TemporaryDirectory(prefix=prefix)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "true"
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        name = urlsplit(url).path.lstrip("/") or "bench"
        _throwaway_database = (url, f"{name}_{prefix.strip('-').replace('-', '_')}_{os.getpid()}")
        _postgres(url, _throwaway_database[1], "CREATE DATABASE")
        url = urlunsplit(urlsplit(url)._replace(path=f"/{_throwaway_database[1]}"))
    else:
        url = f"sqlite:///{Path(workdir.name) / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    return workdir


def load(purpose):
    """Migrate, then add ROWS published partnerships at seeded random points, the same ones on
    every run, and refresh the planner's statistics. Refuses a database that already has data."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from partnerships import services
    from partnerships.models import Partnership, PublicationState

    call_command("migrate", verbosity=0, interactive=False)
    if Partnership.objects.exists():
        sys.exit("The benchmark database already holds partnerships: give it a throwaway one.")
    started = time.perf_counter()
    rng = random.Random(SEED)
    with transaction.atomic():
        for first in range(0, ROWS, BATCH):
            Partnership.objects.bulk_create(
                Partnership(
                    name=f"Bench partnership {n}",
                    slug=f"bench-partnership-{n}",
                    summary=f"Generated for the {purpose} benchmark.",
                    publication_state=PublicationState.PUBLISHED,
                    latitude=rng.uniform(*LATITUDES),
                    longitude=rng.uniform(*LONGITUDES),
                )
                for n in range(first, min(first + BATCH, ROWS))
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"Loaded {Partnership.objects.count():,} partnerships into {connection.vendor} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    # As every write path does. With DEBUG on, tasks run at once, so this also builds the map
    # summary, as the worker would in production after each change.
    started = time.perf_counter()
    services.published_data_changed()
    print(
        f"Published-data version bumped and map summary rebuilt in "
        f"{time.perf_counter() - started:.2f} s (the worker's task after each change)"
    )


def timed(call, runs):
    """Milliseconds for each of `runs` calls after one untimed warm-up, and the last result."""
    result = call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def p95(values):
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def run(main, workdir):
    """Exit with `main()`'s status, closing the connection and removing the throwaway folder
    (and database)."""
    from django.db import connection

    try:
        print(
            "Machine load (1, 5, 15 min) at the start: {:.2f}, {:.2f}, {:.2f}".format(
                *os.getloadavg()
            )
        )
        status = main()
        print(
            "Machine load (1, 5, 15 min) at the end: {:.2f}, {:.2f}, {:.2f}".format(
                *os.getloadavg()
            )
        )
        sys.exit(status)
    finally:
        connection.close()
        workdir.cleanup()
        if _throwaway_database:
            _postgres(*_throwaway_database, "DROP DATABASE IF EXISTS")
