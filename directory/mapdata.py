"""Server-side clustering for the map.

The browser asks for the visible box and zoom; the database groups the matching partnerships into a
grid of cells and returns one row per cell, so a response holds at most `MAX_FEATURES` features
however large the directory is. Cells whose entries all share one point (several partnerships run
from one hospital library, say) come back as a single point listing them, never as a cluster that
cannot be split by zooming in. At the deepest zoom no distinct points are merged at all, since a
cluster there could not be opened.

Grid cells are drawn where their entries are, not at the cells' centres, so entries either side of
a cell edge could be drawn on top of each other; a last pass merges any features whose markers
would touch on screen (except at the deepest zoom), so markers never overlap.

At national and regional zoom the cells are whole numbers of the fixed fine grid in
`partnerships.mapgrid`: the database adds up the fine cells in index order, without sorting the
rows, and the fine cells are merged into map cells here. Deeper in, the box holds few rows and the
database groups them straight into map cells.
"""

import math
import operator
from dataclasses import dataclass

from django.db.models import Count, F, Max, Min, Q, Sum, Window
from django.db.models.functions import Floor, RowNumber
from django.urls import reverse

from partnerships.mapgrid import CELLS_PER_DEGREE, FineCell

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
# Marker widths in pixels (see `marker_size`), and the space kept between two markers.
POINT_PIXELS = 28
CLUSTER_PIXELS = 36
CLUSTER_GROWTH = 16
MARKER_GAP = 4


class BadMapRequest(ValueError):
    """The bbox or zoom in a map-data request cannot be used; the message says why and `field`
    which parameter is wrong."""

    def __init__(self, message, field="bbox"):
        super().__init__(message)
        self.field = field


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
            raise BadMapRequest("zoom must be a whole number from 0 to 18.", "zoom") from None
        if not 0 <= zoom <= MAX_ZOOM:
            raise BadMapRequest("zoom must be a whole number from 0 to 18.", "zoom")
        # Leaflet reports boxes wider than the world when zoomed far out; clamp to it.
        west, east = max(west, -180.0), min(east, 180.0)
        south, north = max(south, -90.0), min(north, 90.0)
        # A map with no size on screen yet (a hidden container) sends a box of no width or
        # height: that is a valid, empty view, not an error.
        if west > east or south > north:
            raise BadMapRequest("bbox must have west <= east and south <= north.")
        return cls(west, south, east, north, zoom)

    def snapped(self):
        """This box widened to whole steps of CELL_PIXELS at its zoom (on a grid anchored at
        0,0), so that maps panned or resized a little ask for the same box and share one cached
        answer. A box of no width or height stays as it is: an empty view."""
        if self.west == self.east or self.south == self.north:
            return self
        step = CELL_PIXELS * 360.0 / (TILE_PIXELS * 2**self.zoom)

        def down(value, limit):
            return max(limit, round(math.floor(value / step) * step, 9))

        def up(value, limit):
            return min(limit, round(math.ceil(value / step) * step, 9))

        return Viewport(
            down(self.west, -180.0),
            down(self.south, -90.0),
            up(self.east, 180.0),
            up(self.north, 90.0),
            self.zoom,
        )

    @property
    def cell_size(self):
        """Grid cell size in degrees: about CELL_PIXELS at this zoom, and never so small that the
        box holds more than GRID_COLUMNS x GRID_ROWS cells."""
        at_zoom = CELL_PIXELS * 360.0 / (TILE_PIXELS * 2**self.zoom)
        size = max(
            at_zoom,
            (self.east - self.west) / GRID_COLUMNS,
            (self.north - self.south) / GRID_ROWS,
        )
        # A hair larger, so that rounding in the division can never add a column or row.
        size *= 1 + 1e-9
        if size * CELLS_PER_DEGREE >= 1:
            size = math.ceil(size * CELLS_PER_DEGREE) / CELLS_PER_DEGREE
        return size

    @property
    def fine_cells_per_cell(self):
        """How many fine grid cells make one side of a map cell, or None when a map cell is
        smaller than a fine cell."""
        fine = round(self.cell_size * CELLS_PER_DEGREE)
        return fine if fine >= 1 else None


def cluster(partnerships, viewport):
    """GeoJSON features for the located `partnerships` inside `viewport`, clustered on a grid.

    Two queries whatever the size of the directory (three at the deepest zoom): one groups the
    rows into cells, one fetches the names of the entries in cells that are a single point.
    `partnerships` must not be joined to a many-valued relation (filter through `pk__in`), or
    rows would be counted more than once.
    """
    inside = partnerships.located().filter(
        latitude__gte=viewport.south,
        latitude__lte=viewport.north,
        longitude__gte=viewport.west,
        longitude__lte=viewport.east,
    )
    cells = None
    if viewport.zoom == MAX_ZOOM:
        cells = _distinct_points(inside)
    if cells is None:
        if viewport.fine_cells_per_cell:
            cells = _cells_from_fine_grid(inside, viewport)
        else:
            cells = _cells(inside, viewport.cell_size)
        cells = _merge_crowded(cells, viewport.zoom)
    for cell in cells:
        cell["is_point"] = cell["south"] == cell["north"] and cell["west"] == cell["east"]
    listed = _entries_at(inside, [cell for cell in cells if cell["is_point"]])
    return [
        _point_feature(cell, listed.get((cell["south"], cell["west"]), []))
        if cell["is_point"]
        else _cluster_feature(cell)
        for cell in cells
    ]


_SUMMARY = {
    "count": Count("*"),
    "latitude_sum": Sum("latitude"),
    "longitude_sum": Sum("longitude"),
    "south": Min("latitude"),
    "north": Max("latitude"),
    "west": Min("longitude"),
    "east": Max("longitude"),
}


# How two fine cells' figures (in _SUMMARY's order) combine into one map cell's.
_MERGES = [operator.add, operator.add, operator.add, min, max, min, max]


def _cells(inside, size):
    """One row per map cell, grouped by the database. The grid is anchored at 0,0 rather than
    at the box, so clusters stay put while panning."""
    return list(
        inside.order_by()
        .annotate(cell_x=Floor(F("longitude") / size), cell_y=Floor(F("latitude") / size))
        .values("cell_x", "cell_y")
        .annotate(**_SUMMARY)
    )


def _cells_from_fine_grid(inside, viewport):
    """One row per map cell, merged here from the database's sums per fine grid cell."""
    fine_rows = (
        inside.order_by()
        # Says again which fine rows the box covers, in the index's own terms, so that the
        # planner reads the (state, fine cell) index in order instead of sorting the rows.
        .annotate(fine_y=FineCell("latitude"), fine_x=FineCell("longitude"))
        .filter(
            fine_y__gte=math.floor(viewport.south * CELLS_PER_DEGREE),
            fine_y__lte=math.floor(viewport.north * CELLS_PER_DEGREE),
        )
        .values("fine_y", "fine_x")
        .annotate(**_SUMMARY)
        .values_list("fine_y", "fine_x", *_SUMMARY)
    )
    per_cell = viewport.fine_cells_per_cell
    cells = {}
    for fine_y, fine_x, *figures in fine_rows:
        key = (int(fine_x) // per_cell, int(fine_y) // per_cell)
        if key in cells:
            figures = [
                merge(a, b) for merge, a, b in zip(_MERGES, cells[key], figures, strict=True)
            ]
        cells[key] = figures
    return [dict(zip(_SUMMARY, figures, strict=True)) for figures in cells.values()]


def _screen_position(cell, zoom):
    """Where a cell's marker is drawn (its entries' centre), in Web Mercator pixels at `zoom`."""
    longitude = cell["longitude_sum"] / cell["count"]
    latitude = max(min(cell["latitude_sum"] / cell["count"], 85.0511), -85.0511)
    scale = TILE_PIXELS * 2**zoom
    x = (longitude + 180.0) / 360.0 * scale
    sine = math.sin(math.radians(latitude))
    y = (0.5 - math.log((1 + sine) / (1 - sine)) / (4 * math.pi)) * scale
    return x, y


def marker_size(count, is_point):
    """How wide the browser draws a marker, in pixels: `countIcon()` in
    static/directory/js/basemap.js, which must agree."""
    if is_point:
        return POINT_PIXELS
    return CLUSTER_PIXELS + min(CLUSTER_GROWTH, math.floor(math.log10(count) * 6))


def _marker_size_of(cell):
    return marker_size(
        cell["count"], cell["south"] == cell["north"] and cell["west"] == cell["east"]
    )


def _merge_crowded(cells, zoom):
    """The cells, with any two whose markers would touch (closer than half their widths added
    together, plus MARKER_GAP) merged into one. Counts, sums and bounds combine exactly, so
    totals are unchanged and a merged cluster still zooms to all of its entries. Larger cells
    absorb smaller ones; passes repeat until nothing moves (merging shifts a centre), and each
    looks only in neighbouring buckets, so a few hundred cells take a millisecond or two."""
    while len(cells) > 1:
        merged = _merge_pass(cells, zoom)
        if len(merged) == len(cells):
            return merged
        cells = merged
    return cells


def _merge_pass(cells, zoom):
    reach = CLUSTER_PIXELS + CLUSTER_GROWTH + MARKER_GAP  # the most that two markers can need
    order = sorted(cells, key=lambda cell: -cell["count"])
    positions = [_screen_position(cell, zoom) for cell in order]
    sizes = [_marker_size_of(cell) for cell in order]
    buckets = {}
    for index, (x, y) in enumerate(positions):
        buckets.setdefault((int(x // reach), int(y // reach)), []).append(index)
    absorbed = [False] * len(order)
    merged = []
    for index, cell in enumerate(order):
        if absorbed[index]:
            continue
        x, y = positions[index]
        figures = [cell[name] for name in _SUMMARY]
        column, row = int(x // reach), int(y // reach)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for other in buckets.get((column + dx, row + dy), ()):
                    if other <= index or absorbed[other]:
                        continue
                    ox, oy = positions[other]
                    apart = (sizes[index] + sizes[other]) / 2 + MARKER_GAP
                    if math.hypot(ox - x, oy - y) < apart:
                        absorbed[other] = True
                        figures = [
                            merge(a, order[other][name])
                            for merge, a, name in zip(_MERGES, figures, _SUMMARY, strict=True)
                        ]
        merged.append(dict(zip(_SUMMARY, figures, strict=True)))
    return merged


def _distinct_points(inside):
    """One row per distinct point, or None if the box holds more than MAX_FEATURES of them."""
    points = list(
        inside.order_by()
        .values(at_latitude=F("latitude"), at_longitude=F("longitude"))
        .annotate(**_SUMMARY)[: MAX_FEATURES + 1]
    )
    return points if len(points) <= MAX_FEATURES else None


def _entries_at(partnerships, points):
    """The first MAX_LISTED partnerships by name at each single-point cell, keyed by (latitude,
    longitude). Many entries can share a point (all those placed at a region's centre, say), so
    the database numbers them and returns only those listed."""
    if not points:
        return {}
    where = Q()
    for point in points:
        where |= Q(latitude=point["south"], longitude=point["west"])
    rows = (
        partnerships.filter(where)
        .annotate(
            place_rank=Window(
                RowNumber(),
                partition_by=[F("latitude"), F("longitude")],
                order_by=[F("name").asc(), F("pk").asc()],
            )
        )
        .filter(place_rank__lte=MAX_LISTED)
        .with_member_count()
        .order_by("name", "pk")
        .values("name", "slug", "area_name", "member_count", "latitude", "longitude")
    )
    listed = {}
    for row in rows:
        listed.setdefault((row["latitude"], row["longitude"]), []).append(row)
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
            "coordinates": [
                cell["longitude_sum"] / cell["count"],
                cell["latitude_sum"] / cell["count"],
            ],
        },
        "properties": {
            "cluster": True,
            "count": cell["count"],
            "bounds": [cell["west"], cell["south"], cell["east"], cell["north"]],
        },
    }
