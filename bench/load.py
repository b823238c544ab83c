"""Load test: gunicorn with production settings against the benchmark database, 50 concurrent
clients, on loopback only.

Budget (on PostgreSQL, this 2-core machine): 0 errors in the mix; national /map-data/ >= 300
requests a second and / >= 100 requests a second when each is asked for alone.

Builds the benchmark database (SQLite in a temporary folder, or BENCH_DATABASE_URL if set:
100,000 published partnerships over the UK, plus a few gazetteer places), starts gunicorn on
127.0.0.1 with DEBUG off (WORKERS workers, as the README's deploy command), then:

1. the mix: 50 clients for LOAD_SECONDS (default 60) asking for national map data, zoomed map
   data, the directory page, a text search, a partnership's page and the town suggestions, each
   client a keep-alive connection sending its next request as soon as the last is answered;
2. throughput: 50 clients for THROUGHPUT_SECONDS (default 15) on national /map-data/ alone, then
   on / alone.

It prints requests a second, p50 and p99 latency and errors for each route (an error is a status
other than 200 or a broken connection). The load generator is plain asyncio on the same machine,
so it takes some of the CPU it measures: the figures are a floor. Every loop is bounded in time
and the script stops gunicorn itself.

    .venv/bin/python bench/load.py
    LOAD_SECONDS=10 THROUGHPUT_SECONDS=5 .venv/bin/python bench/load.py   # a quick look
"""

import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

CLIENTS = 50
WORKERS = int(os.environ.get("WORKERS", "4"))
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
THROUGHPUT_SECONDS = float(os.environ.get("THROUGHPUT_SECONDS", "15"))
HOST = "127.0.0.1"
BUDGET_NATIONAL_RPS = 300
BUDGET_HOME_RPS = 100
BUDGET = (
    f"Budget on PostgreSQL: 0 errors; national /map-data/ >= {BUDGET_NATIONAL_RPS} req/s and "
    f"/ >= {BUDGET_HOME_RPS} req/s alone"
)
NATIONAL = "/map-data/?bbox=-13.3,48.2,6.9,60.4&zoom=6"
ROUTES = {
    "national map data": [NATIONAL],
    "zoomed map data": [
        "/map-data/?bbox=-3.4,53.2,-1.9,53.8&zoom=10",
        "/map-data/?bbox=-0.6,51.3,0.3,51.7&zoom=11",
        "/map-data/?bbox=-4.5,55.7,-3.9,56.0&zoom=12",
    ],
    "directory page": ["/", "/?page=2", "/?region=north-west"],
    "text search": ["/?q=partnership+123", "/?q=benchmark", "/?q=bench+partnership+99"],
    "partnership page": [f"/partnerships/bench-partnership-{n}/" for n in (7, 4242, 77777)],
    "town suggestions": ["/places/?q=bol", "/places/?q=lee", "/places/?q=tru"],
}

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402

workdir = common.start("bench-load-")


def add_places():
    from partnerships.models import Place

    Place.objects.bulk_create(
        Place(
            geonameid=900_000 + n,
            name=name,
            search_name=name.lower(),
            country_code="GB",
            latitude=latitude,
            longitude=longitude,
            population=100_000,
        )
        for n, (name, latitude, longitude) in enumerate(
            [("Bolton", 53.578, -2.429), ("Leeds", 53.7965, -1.5479), ("Truro", 50.2632, -5.051)]
        )
    )


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(port):
    url = os.environ["DATABASE_URL"]  # the throwaway database that common.start() made
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "load-test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"http://{HOST}:{port}",
        "DATABASE_URL": url,
        "CONN_MAX_AGE": "60",
        "SECURE_SSL_REDIRECT": "false",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "LOG_LEVEL": "WARNING",
        # WhiteNoise warns that collectstatic has not run; the load test asks for no static file.
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(WORKERS),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=root,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                sys.exit(f"gunicorn exited with status {process.returncode}")
            time.sleep(0.2)
    stop(process)
    sys.exit("gunicorn did not start within 60 s")


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


async def read_response(reader):
    """(status, body length) of one HTTP/1.1 response: Content-Length or chunked."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
        return status, len(body), headers
    size = 0
    if headers.get("transfer-encoding") == "chunked":
        while (length := int((await reader.readline()).split(b";")[0], 16)) > 0:
            size += len(await reader.readexactly(length + 2)) - 2
        await reader.readline()
    return status, size, headers


async def client(port, pick, deadline, results, rng):
    """One keep-alive connection asking for `pick(rng)` until the deadline."""
    reader = writer = None
    while time.monotonic() < deadline:
        route, path = pick(rng)
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept-Encoding: identity\r\n\r\n".encode()
            )
            await writer.drain()
            status, _size, headers = await read_response(reader)
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader = writer = None
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            status = None
            if writer is not None:
                writer.close()
            reader = writer = None
        results[route].append((time.perf_counter() - started, status))
    if writer is not None:
        writer.close()


async def run_load(port, pick, seconds):
    results = defaultdict(list)
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(
        *(client(port, pick, deadline, results, random.Random(n)) for n in range(CLIENTS))
    )
    return results, time.monotonic() - started


def report(title, results, elapsed):
    print(f"\n{title} ({CLIENTS} clients, {elapsed:.0f} s)")
    print(f"{'route':<20} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    summary = {}
    for route, samples in sorted(results.items()):
        times = sorted(t * 1000 for t, _ in samples)
        errors = sum(1 for _, status in samples if status != 200)
        rate = len(samples) / elapsed
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(
            f"{route:<20} {len(samples):>9,} {rate:>8.1f} {statistics.median(times):>8.1f} "
            f"{p99:>8.1f} {errors:>7}"
        )
        summary[route] = (rate, errors)
    total = sum(len(samples) for samples in results.values())
    print(f"{'all':<20} {total:>9,} {total / elapsed:>8.1f}")
    return summary


def main():
    from django.db import connection

    common.load("load test")
    add_places()
    port = free_port()
    process = start_gunicorn(port)
    failures = []
    try:
        routes = list(ROUTES.items())

        def mix(rng):
            route, paths = rng.choice(routes)
            return route, rng.choice(paths)

        # Warm every worker's caches and connections first (not counted).
        asyncio.run(run_load(port, mix, 3))
        mixed = report("The mix", *asyncio.run(run_load(port, mix, LOAD_SECONDS)))
        for route, (_rate, errors) in mixed.items():
            if errors:
                failures.append(f"{route}: {errors} errors in the mix")
        for route, path, budget in (
            ("national map data", NATIONAL, BUDGET_NATIONAL_RPS),
            ("directory page", "/", BUDGET_HOME_RPS),
        ):
            alone = report(
                f"{route} alone",
                *asyncio.run(
                    run_load(port, lambda rng, r=route, p=path: (r, p), THROUGHPUT_SECONDS)
                ),
            )
            rate, errors = alone[route]
            if errors:
                failures.append(f"{route} alone: {errors} errors")
            if connection.vendor != "sqlite" and rate < budget:
                failures.append(f"{route} alone: {rate:.0f} req/s < {budget}")
    finally:
        stop(process)
    print(f"\nDatabase: {connection.vendor}; gunicorn workers: {WORKERS}; load: {os.getloadavg()}")
    print(BUDGET)
    if connection.vendor == "sqlite":
        print("(The throughput budget is set for PostgreSQL; on SQLite only errors are enforced.)")
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print("PASS: no errors, within budget")
    return 1 if failures else 0


if __name__ == "__main__":
    common.run(main, workdir)
