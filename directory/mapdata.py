"""Server-side clustering for the map.

The browser asks for the visible box and zoom; the database groups the matching partnerships into a
grid of cells and returns one row per cell, so a response holds at most `MAX_FEATURES` features
however large the directory is. Cells whose entries all share one point (several partnerships run
from one hospital library, say) come back as a single point listing them, never as a cluster that
cannot be split by zooming in.
"""

import math
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Max, Min, Q
from django.db.models.functions import Floor
from django.urls import reverse

# A grid of at most 18 x 14 cells over the requested box: with the partial cells at its edges that
# is at most 19 x 15 = 285 features, under the 300 the browser should ever have to draw.
GRID_COLUMNS = 18
GRID_ROWS = 14
MAX_FEATURES = (GRID_COLUMNS + 1) * (GRID_ROWS + 1)
# Cells are about 60 screen pixels at the requested zoom, so clusters do not crowd each other.
CELL_PIXELS = 60
TILE_PIXELS = 256
MAX_ZOOM = 18
# A point lists at most this many partnerships by name; the count is always exact.
MAX_LISTED = 25


class BadMapRequest(ValueError):
    """The bbox or zoom in a map-data request cannot be used; the message says why."""


@dataclass(frozen=True)
class Viewport:
    west: float
    south: float
    east: float
    north: float
    zoom: int

    @classmethod
    def parse(cls, bbox, zoom):
        """A viewport from `bbox=west,south,east,north` and `zoom=N` query values."""
        try:
            west, south, east, north = (float(v) for v in (bbox or "").split(","))
        except ValueError:
            raise BadMapRequest(
                "bbox must be four numbers: west,south,east,north (longitude, latitude)."
            ) from None
        if not all(math.isfinite(v) for v in (west, south, east, north)):
            raise BadMapRequest("bbox must be finite numbers.")
        try:
            zoom = int(zoom if zoom not in (None, "") else 6)
        except ValueError:
            raise BadMapRequest("zoom must be a whole number from 0 to 18.") from None
        if not 0 <= zoom <= MAX_ZOOM:
            raise BadMapRequest("zoom must be a whole number from 0 to 18.")
        # Leaflet reports boxes wider than the world when zoomed far out; clamp to it.
        west, east = max(west, -180.0), min(east, 180.0)
        south, north = max(south, -90.0), min(north, 90.0)
        if west >= east or south >= north:
            raise BadMapRequest("bbox must have west < east and south < north.")
        return cls(west, south, east, north, zoom)

    @property
    def cell_size(self):
        """Grid cell size in degrees: about CELL_PIXELS at this zoom, and never so small that the
        box holds more than GRID_COLUMNS x GRID_ROWS cells."""
        at_zoom = CELL_PIXELS * 360.0 / (TILE_PIXELS * 2**self.zoom)
        return max(
            at_zoom,
            (self.east - self.west) / GRID_COLUMNS,
            (self.north - self.south) / GRID_ROWS,
        )


def cluster(partnerships, viewport):
    """GeoJSON features for the located `partnerships` inside `viewport`, clustered on a grid.

    Two queries whatever the size of the directory: one groups the rows into cells, one fetches
    the names of the entries in cells that are a single point.
    """
    size = viewport.cell_size
    inside = partnerships.located().filter(
        latitude__gte=viewport.south,
        latitude__lte=viewport.north,
        longitude__gte=viewport.west,
        longitude__lte=viewport.east,
    )
    # The grid is anchored at 0,0 rather than at the box, so clusters stay put while panning.
    cells = (
        inside.order_by()
        .annotate(
            cell_x=Floor(F("longitude") / size),
            cell_y=Floor(F("latitude") / size),
        )
        .values("cell_x", "cell_y")
        .annotate(
            count=Count("id"),
            latitude_mean=Avg("latitude"),
            longitude_mean=Avg("longitude"),
            south=Min("latitude"),
            north=Max("latitude"),
            west=Min("longitude"),
            east=Max("longitude"),
        )
    )
    cells = list(cells)
    for cell in cells:
        cell["is_point"] = cell["south"] == cell["north"] and cell["west"] == cell["east"]
    listed = _entries_at(inside, [cell for cell in cells if cell["is_point"]])
    return [
        _point_feature(cell, listed.get((cell["south"], cell["west"]), []))
        if cell["is_point"]
        else _cluster_feature(cell)
        for cell in cells
    ]


def _entries_at(partnerships, points):
    """The partnerships at each single-point cell, keyed by (latitude, longitude)."""
    if not points:
        return {}
    where = Q()
    for point in points:
        where |= Q(latitude=point["south"], longitude=point["west"])
    rows = (
        partnerships.filter(where)
        .with_member_count()
        .order_by("name")
        .values("name", "slug", "area_name", "member_count", "latitude", "longitude")
    )
    listed = {}
    for row in rows:
        entries = listed.setdefault((row["latitude"], row["longitude"]), [])
        if len(entries) < MAX_LISTED:
            entries.append(row)
    return listed


def _point_feature(cell, entries):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [cell["west"], cell["south"]]},
        "properties": {
            "cluster": False,
            "count": cell["count"],
            "partnerships": [
                {
                    "name": entry["name"],
                    "area": entry["area_name"],
                    "members": entry["member_count"],
                    "url": reverse("directory:partnership", kwargs={"slug": entry["slug"]}),
                }
                for entry in entries
            ],
        },
    }


def _cluster_feature(cell):
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [cell["longitude_mean"], cell["latitude_mean"]],
        },
        "properties": {
            "cluster": True,
            "count": cell["count"],
            "bounds": [cell["west"], cell["south"], cell["east"], cell["north"]],
        },
    }
