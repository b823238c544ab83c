"""Benchmark: importing a national list (`partnerships/imports.py`, as `manage.py import_directory`
and the curators' import screens run it): 10,000 organisations, then 2,000 partnerships naming
them.

Budget: every dry run at >= 1,000 rows/s, peak memory < 300 MB (Python's heap as tracemalloc
sees it during each step, and the whole process's resident peak), and a dry run's queries growing
with the number of chunks of rows (`imports.CHUNK`), not with the rows.

Migrates a throwaway database (SQLite in a temporary folder, or BENCH_DATABASE_URL if set) and
loads the GeoNames towns (`manage.py load_places`), then writes two CSV files as a curator would
get them: organisations in a few hundred real towns, of every sector, a fifth with an NHS ODS code,
most with an email and a website (with and without "https://"); partnerships in those towns, each
naming 2 to 6 members (by name, or by "ODS code: …"), a lead and two or three activities by name.
It times, each from the file's bytes: the dry run of the organisations, their import, the dry run
of the partnerships, their import. Rows/s is timed without tracemalloc (which slows Python); each
step's heap peak is measured by a second, traced run (the import's inside a transaction rolled
back). The process's resident peak (VmHWM, reset before each step) is taken from untraced runs;
it starts from what the process already holds (about 90 MB of Django, and memory kept from earlier
steps, which Python does not always give back), so it is an upper bound for the step. The queries
of a dry run are counted for a tenth of each file and for the whole file. Exits non-zero if a
budget is missed. The baseline is a dry run of the organisations matching each row with its
own queries (identifier, then name in its town), as a first version might, beside the engine's
dry run of the same file then (every row unchanged). It runs with settings.DEBUG turned off after
setup, as production does, so that Django does not keep the SQL of every query.

    .venv/bin/python bench/import.py
"""

import contextlib
import csv
import io
import math
import random
import re
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ORGANISATIONS = 10_000
PARTNERSHIPS = 2_000
TOWNS = 300
DRY_RUN_BUDGET_ROWS_PER_S = 1_000.0
MEMORY_BUDGET_MB = 300.0
WORDS = [
    "Central", "North", "South", "East", "West", "Community", "Family", "Wellbeing", "Youth",
    "Carers", "Learning", "Heritage", "Riverside", "Park", "Valley", "Millennium", "Station",
]  # fmt: skip
KINDS = {
    "NHS": ["NHS Foundation Trust", "Health Library", "Hospital Library", "Primary Care Network"],
    "Public library": ["Library", "Branch Library", "Library and Information Centre"],
    "Academic library": ["University Library", "Medical School Library"],
    "Further education college": ["College", "Sixth Form College"],
    "Local authority or public health": ["Council", "Public Health Team"],
    "Voluntary and community sector": ["Carers Centre", "Community Trust", "Mind"],
    "Patient and public voice": ["Healthwatch", "Patient Forum"],
    "Social care": ["Care Home", "Home Care Service"],
}
PARTNERSHIP_WORDS = ["Health Information", "Knowledge", "Library", "Health Literacy", "Reading"]
PARTNERSHIP_KINDS = ["Partnership", "Network", "Alliance", "Collaborative", "Forum"]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common  # noqa: E402

workdir = common.start("bench-import-")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from partnerships import imports, matching, spreadsheets  # noqa: E402
from partnerships.models import (  # noqa: E402
    Activity,
    ImportKind,
    ImportRun,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    Place,
)


def csv_file(headers, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def towns():
    """TOWNS real towns of England from the gazetteer (distinct names, biggest first, so every
    one is placed by name), with their region's name."""
    seen, found = set(), []
    for name, region in (
        Place.objects.filter(country_code="GB", admin_area="England", region__isnull=False)
        .order_by("-population")
        .values_list("name", "region__name")
    ):
        if name not in seen:
            seen.add(name)
            found.append((name, region))
        if len(found) == TOWNS:
            break
    return found


def organisations_file(rng, places):
    """The organisations' CSV, and for each its (name, ODS code or "", town)."""
    rows, listed = [], []
    for n in range(ORGANISATIONS):
        town, region = places[n % len(places)]
        sector = rng.choice(list(KINDS))
        name = f"{town} {rng.choice(WORDS)} {rng.choice(KINDS[sector])} {n}"
        ods = f"R{n:05d}" if sector == "NHS" or rng.random() < 0.1 else ""
        slug = re.sub(r"[^a-z0-9]+", "", name.lower())[:30]
        website = rng.choice(["", f"www.{slug}.org.uk", f"https://{slug}.nhs.uk/about"])
        email = "" if rng.random() < 0.2 else f"info@{slug}.org.uk"
        if rng.random() < 0.05:
            name = name.upper()  # written in capitals, as some lists are
        rows.append([name, sector, town, region, email, website, ods])
        listed.append((name, ods, town))
    headers = ["Organisation name", "Sector", "Town", "Region", "E-mail", "Website", "ODS code"]
    return csv_file(headers, rows), listed


def partnerships_file(rng, listed, activity_names):
    """The partnerships' CSV: each names 2 to 6 members of one town (by ODS code when it has
    one, half the time, else by name) and one of them as its lead."""
    by_town = {}
    for name, ods, town in listed:
        by_town.setdefault(town, []).append((name, ods))
    town_names = sorted(by_town)
    rows = []
    for n in range(PARTNERSHIPS):
        town = town_names[n % len(town_names)]
        members = rng.sample(by_town[town], rng.randint(2, 6))
        named = [
            f"ODS code: {ods}" if ods and rng.random() < 0.5 else name for name, ods in members
        ]
        name = f"{town} {rng.choice(PARTNERSHIP_WORDS)} {rng.choice(PARTNERSHIP_KINDS)} {n}"
        rows.append(
            [
                name,
                f"Libraries and health services of {town} working together.",
                town,
                "; ".join(named),
                named[0],
                "; ".join(rng.sample(activity_names, rng.randint(2, 3))),
                rng.choice(["Active", "Forming"]),
            ]
        )
    headers = ["Partnership name", "Summary", "Area", "Members", "Lead", "Activities", "Status"]
    return csv_file(headers, rows)


def first_rows(data, count):
    lines = data.decode("utf-8").splitlines(keepends=True)
    return "".join(lines[: count + 1]).encode("utf-8")


def dry_run(kind, data):
    """What `import_directory --dry-run` does: read, guess the columns, check every row."""
    table = spreadsheets.read_table(data, "bench.csv")
    mapping = imports.guess_mapping(kind, table.headers)
    return imports.Importer(kind, table, mapping, source="Bench list").dry_run()


def apply(kind, data):
    """What `import_directory` does: keep the file as an ImportRun and import it."""
    run = imports.start_run(kind=kind, file_name="bench.csv", data=data, source="Bench list")
    return imports.apply_run(run, user=None)


class RolledBack(Exception):
    pass


def apply_rolled_back(kind, data):
    try:
        with transaction.atomic():
            report = apply(kind, data)
            raise RolledBack
    except RolledBack:
        return report


def counted_queries(call):
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        result = call()
    return len(queries), result


def traced_peak_mb(call):
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def resident_mb():
    """The process's resident peak (VmHWM) since the last `reset_resident_peak()`, in MB."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux: the peak of the whole run
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    return int(kilobytes) / 1024


def reset_resident_peak():
    with contextlib.suppress(OSError):  # Linux: VmHWM starts again from the current size
        Path("/proc/self/clear_refs").write_text("5")


def import_memory(kind, data):
    """(resident peak, heap peak) in MB of importing `data`, each from an import rolled back:
    the first untraced, since memory that tracemalloc took stays with the process."""
    reset_resident_peak()
    apply_rolled_back(kind, data)
    resident = resident_mb()
    return resident, traced_peak_mb(lambda: apply_rolled_back(kind, data))


def step(label, call, rows):
    """Run `call` once, timed; returns (rows/s, resident peak MB, report)."""
    reset_resident_peak()
    started = time.perf_counter()
    report = call()
    seconds = time.perf_counter() - started
    resident = resident_mb()
    counts = report.counts
    print(
        f"{label}: {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s "
        f"({counts['created']:,} new, {counts['updated']:,} updated, "
        f"{counts['unchanged']:,} unchanged, {counts['skipped']:,} skipped, "
        f"{counts['errors']:,} errors, {counts['not_placed']:,} not placed); "
        f"resident peak {resident:.0f} MB"
    )
    for message in report.error_messages()[:3]:
        print(f"    {message}")
    return rows / seconds, resident, report


def naive_dry_run(data):
    """The baseline: the same reading and cleaning, then each row matched with its own queries
    (its identifiers, then its normalised name in its town), as a first version might."""
    table = spreadsheets.read_table(data, "bench.csv")
    kind = ImportKind.ORGANISATIONS
    importer = imports.Importer(
        kind, table, imports.guess_mapping(kind, table.headers), source="Bench list"
    )
    found = 0
    for row in importer.rows():
        match = None
        for scheme, _scheme_name, value in row.identifiers:
            match = OrganisationIdentifier.objects.filter(scheme=scheme, value=value).first()
        if match is None:
            match = (
                Organisation.objects.current()
                .filter(match_name=matching.organisation_key(row.name), town=row.values["town"])
                .first()
            )
        found += match is not None
    return found


def query_scaling(label, kind, data, rows):
    """Queries of a dry run of a tenth of the file and of all of it; True when they grow no
    faster than the number of chunks."""
    small_rows = rows // 10
    small, _ = counted_queries(lambda: dry_run(kind, first_rows(data, small_rows)))
    large, _ = counted_queries(lambda: dry_run(kind, data))
    small_chunks = math.ceil(small_rows / imports.CHUNK)
    large_chunks = math.ceil(rows / imports.CHUNK)
    per_chunk = small / small_chunks
    ok = large <= per_chunk * large_chunks
    print(
        f"{label} dry run queries: {small} for {small_rows:,} rows ({small_chunks} chunks), "
        f"{large} for {rows:,} rows ({large_chunks} chunks): {large / rows:.4f} per row, "
        f"{large / large_chunks:.1f} per chunk (budget <= {per_chunk:.1f} per chunk) "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return ok


def main():
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    # In a process of its own: reading GeoNames takes a few hundred MB that are not the import's.
    subprocess.run(
        [sys.executable, "manage.py", "load_places", "--verbosity", "0"],
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
    )
    places = towns()
    print(
        f"Migrated {connection.vendor} and loaded {Place.objects.count():,} gazetteer towns in "
        f"{time.perf_counter() - started:.1f} s; {len(places)} towns used; process resident "
        f"peak {resident_mb():.0f} MB"
    )
    rng = random.Random(common.SEED)
    organisations, listed = organisations_file(rng, places)
    activity_names = list(Activity.objects.values_list("name", flat=True))
    partnerships = partnerships_file(rng, listed, activity_names)
    print(
        f"Files: {ORGANISATIONS:,} organisations ({len(organisations) / 1024:,.0f} KB), "
        f"{PARTNERSHIPS:,} partnerships ({len(partnerships) / 1024:,.0f} KB)"
    )

    results = []  # (label, rows/s, heap peak MB, resident peak MB, rows/s budgeted)
    # As in production: with DEBUG on (which the benchmark settings need) Django would keep the
    # SQL of every query, bulk inserts and all, and count it as the import's memory.
    settings.DEBUG = False
    scaling_ok = query_scaling(
        "Organisations", ImportKind.ORGANISATIONS, organisations, ORGANISATIONS
    )

    orgs = ImportKind.ORGANISATIONS
    speed, resident, report = step(
        "Dry run organisations", lambda: dry_run(orgs, organisations), ORGANISATIONS
    )
    peak = traced_peak_mb(lambda: dry_run(orgs, organisations))
    results.append(("Dry run organisations", speed, peak, resident, True))
    assert report.counts["errors"] == 0, report.error_messages()[:5]

    resident, peak = import_memory(orgs, organisations)
    assert not Organisation.objects.exists()
    speed, _resident, report = step(
        "Import organisations", lambda: apply(orgs, organisations), ORGANISATIONS
    )
    results.append(("Import organisations", speed, peak, resident, False))

    parts = ImportKind.PARTNERSHIPS
    scaling_ok &= query_scaling("Partnerships", parts, partnerships, PARTNERSHIPS)
    speed, resident, report = step(
        "Dry run partnerships", lambda: dry_run(parts, partnerships), PARTNERSHIPS
    )
    peak = traced_peak_mb(lambda: dry_run(parts, partnerships))
    results.append(("Dry run partnerships", speed, peak, resident, True))
    assert report.counts["errors"] == 0, report.error_messages()[:5]

    resident, peak = import_memory(parts, partnerships)
    assert not Partnership.objects.exists()
    speed, _resident, report = step(
        "Import partnerships", lambda: apply(parts, partnerships), PARTNERSHIPS
    )
    results.append(("Import partnerships", speed, peak, resident, False))
    speed, resident, report = step(
        "Dry run organisations again", lambda: dry_run(orgs, organisations), ORGANISATIONS
    )
    results.append(("Dry run organisations again", speed, 0.0, resident, True))
    started = time.perf_counter()
    queries, found = counted_queries(lambda: naive_dry_run(organisations))
    seconds = time.perf_counter() - started
    print(
        f"Baseline, a dry run matching each organisation with its own queries (after the import, "
        f"so every row is found: {found:,}): {ORGANISATIONS / seconds:,.0f} rows/s, "
        f"{queries / ORGANISATIONS:.2f} queries per row"
    )
    print(
        f"Directory now: {Organisation.objects.count():,} organisations, "
        f"{Partnership.objects.count():,} partnerships, {ImportRun.objects.count()} import runs"
    )

    print(
        f"Budget: dry runs >= {DRY_RUN_BUDGET_ROWS_PER_S:,.0f} rows/s, peak memory < "
        f"{MEMORY_BUDGET_MB:.0f} MB (Python heap per step; whole process resident)"
    )
    ok = scaling_ok
    for label, speed, peak, resident, budgeted in results:
        speed_ok = not budgeted or speed >= DRY_RUN_BUDGET_ROWS_PER_S
        memory_ok = peak < MEMORY_BUDGET_MB and resident < MEMORY_BUDGET_MB
        ok &= speed_ok and memory_ok
        print(
            f"  {label}: {speed:,.0f} rows/s"
            + (f" {'PASS' if speed_ok else 'FAIL'}" if budgeted else " (no budget)")
            + (f", heap peak {peak:.0f} MB" if peak else "")
            + f", resident peak {resident:.0f} MB "
            + ("PASS" if memory_ok else "FAIL")
        )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    common.run(main, workdir)
