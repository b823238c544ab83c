"""A summary of the published directory on the fine map grid, so that the national map and the
unfiltered list cost the same at 100 partnerships as at 100,000.

`MapGridCell` holds, for each fine grid cell (`partnerships.mapgrid`, a fifth of a degree square)
with published, located partnerships in it, their count, the sums of their coordinates and their
extent: a few thousand rows at most, bounded by geography rather than by the size of the
directory. `MapSummary` says which published-data version the cells were built from and how many
partnerships were published then.

Every write path calls `services.published_data_changed()`, which queues `refresh()` (the task
`partnerships.tasks.refresh_map_summary`) to run once the write commits. Readers use the summary
only while its version is the current one; between a change and the refresh they compute from the
partnerships themselves, as they would without a summary. So the summary is never read stale, and
a missed or failed refresh costs speed, never correctness.

When the refresh task has brought the summary up to date it sends `refreshed`, so that the web
layer can compute its costliest national answers (`directory.warming`) before the first visitor
asks for them.
"""

import math

from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.dispatch import Signal
from django.utils import timezone

from partnerships.mapgrid import CELLS_PER_DEGREE, FineCell
from partnerships.models import MapGridCell, MapSummary, Partnership

# What each fine cell holds, in the order the map's clustering reads it (`directory.mapdata`).
AGGREGATES = {
    "count": Count("*"),
    "latitude_sum": Sum("latitude"),
    "longitude_sum": Sum("longitude"),
    "south": Min("latitude"),
    "north": Max("latitude"),
    "west": Min("longitude"),
    "east": Max("longitude"),
}
FIGURES = tuple(AGGREGATES)

# Sent by the refresh task (not by `refresh()` itself) with `version`, once the summary reflects it.
refreshed = Signal()


def refresh():
    """Rebuild the summary from the published partnerships, unless it is already of the current
    version. Returns the version it now reflects.

    Refreshes are serialised on the summary's row. The version is read before the partnerships
    are, so a change committed in between leaves the summary marked older than what it holds:
    unused until the next refresh, never used while wrong."""
    from partnerships.services import published_data_version

    with transaction.atomic():
        summary = MapSummary.objects.select_for_update().filter(pk=MapSummary.SINGLETON).first()
        if summary is None:  # made by a migration; only a flushed database lacks it
            summary, _ = MapSummary.objects.get_or_create(pk=MapSummary.SINGLETON)
        version = published_data_version()
        if summary.built_at is not None and summary.version == version:
            return version
        published = Partnership.objects.published()
        rows = (
            published.located()
            .order_by()
            .annotate(fine_y=FineCell("latitude"), fine_x=FineCell("longitude"))
            .values("fine_y", "fine_x")
            .annotate(**AGGREGATES)
        )
        cells = [
            MapGridCell(
                fine_y=int(row["fine_y"]),
                fine_x=int(row["fine_x"]),
                **{name: row[name] for name in FIGURES},
            )
            for row in rows
        ]
        MapGridCell.objects.all().delete()
        MapGridCell.objects.bulk_create(cells, batch_size=500)
        summary.version = version
        summary.published = published.count()
        summary.built_at = timezone.now()
        summary.save()
    return version


def published_count(version):
    """How many partnerships are published, if the summary is of `version`; else None."""
    return (
        MapSummary.objects.filter(pk=MapSummary.SINGLETON, version=version, built_at__isnull=False)
        .values_list("published", flat=True)
        .first()
    )


def cells_in(version, south, west, north, east):
    """The fine cells of the summary that overlap the box, as (fine_y, fine_x, *FIGURES) tuples,
    if the summary is of `version`; else None. Two queries."""
    if published_count(version) is None:
        return None
    return list(
        MapGridCell.objects.filter(
            fine_y__gte=math.floor(south * CELLS_PER_DEGREE),
            fine_y__lte=math.floor(north * CELLS_PER_DEGREE),
            fine_x__gte=math.floor(west * CELLS_PER_DEGREE),
            fine_x__lte=math.floor(east * CELLS_PER_DEGREE),
        )
        .order_by()
        .values_list("fine_y", "fine_x", *FIGURES)
    )
