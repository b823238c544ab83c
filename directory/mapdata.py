"""Server-side clustering for the map.

The browser asks for the visible box and zoom; the database adds up the matching partnerships in
small grid cells (about CELL_PIXELS square on screen) and this module groups those cells into
clusters the way Leaflet.markercluster groups markers: in order of size, each cell joins the nearest
cluster whose first cell lies within JOIN_PIXELS of it, or starts a cluster of its own. So a cluster
never holds entries more than 2 x RADIUS_PIXELS (160 px, markercluster's 80 px radius either side)
apart on screen, and a response holds at most `MAX_FEATURES` features however large the directory
is. Cells whose entries all share one point (several partnerships run from one hospital library,
say) come back as a single point listing them, never as a cluster that cannot be split by zooming
in. At the deepest zoom no distinct points are merged at all, since a cluster there could not be
opened.

Clusters are drawn where their entries are (their centre), so two could still be drawn on top of
each other; a last pass merges any two whose markers would touch, as long as the merged cluster
still spans at most 160 px, and otherwise draws both at their first cell, and repeats until no
markers touch. Cluster icons grow by digits and stop at CLUSTER_MAX_PIXELS, which is less than
JOIN_PIXELS, so two clusters drawn at their first cells never touch and merges cannot chain.

At national and regional zoom the cells are whole numbers of the fixed fine grid in
`partnerships.mapgrid`: the database adds up the fine cells in index order, without sorting the
rows, and the fine cells are merged into map cells here. Deeper in, the box holds few rows and the
database groups them straight into map cells.
"""

import math
import operator
from dataclasses import dataclass
from types import SimpleNamespace

from django.db.models import F, Q, Window
from django.db.models.functions import Floor, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from partnerships import freshness, mapsummary
from partnerships.languages import readers_name
from partnerships.mapgrid import CELLS_PER_DEGREE, FineCell

# A response never holds more than 19 x 15 = 285 features, under the 300 the browser should ever
# have to draw: clusters' first cells are more than JOIN_PIXELS apart, and that distance grows for
# a box wider than GRID_COLUMNS or taller than GRID_ROWS times it (see `Viewport.join_pixels`).
GRID_COLUMNS = 18
GRID_ROWS = 14
MAX_FEATURES = (GRID_COLUMNS + 1) * (GRID_ROWS + 1)
# A cluster spans at most twice RADIUS_PIXELS on screen (boxes of up to 1080 x 840 px; larger
# boxes scale all three figures by the same factor to keep MAX_FEATURES).
RADIUS_PIXELS = 80
CELL_PIXELS = 20
JOIN_PIXELS = RADIUS_PIXELS - CELL_PIXELS
TILE_PIXELS = 256
# Requested boxes are widened to whole steps of this many pixels (whole cells, on the grid anchored
# at 0,0), so that maps panned or resized a little share one cached answer.
SNAP_PIXELS = 3 * CELL_PIXELS
MAX_ZOOM = 18
# Web Mercator stops here; a box reaching further north or south is drawn as if it stopped too.
MAX_LATITUDE = 85.0511
# What the map opens on when nothing is filtered, west, south, east, north: the UK from the Isles
# of Scilly and Northern Ireland's western edge to Lowestoft and Unst, Shetland's northern tip.
# Shetland is kept (it costs no zoom level on common screens, see README) so that no entry is
# out of view when the map opens.
UK_EXTENT = (-8.2, 49.8, 1.8, 60.9)
# A point lists at most this many partnerships by name; the count is always exact.
MAX_LISTED = 25
# Marker widths in pixels (see `marker_size`), and the space kept between two markers.
POINT_PIXELS = 28
CLUSTER_PIXELS = 32
CLUSTER_PIXELS_PER_DIGIT = 4
CLUSTER_MAX_PIXELS = 44
MARKER_GAP = 4
assert JOIN_PIXELS >= CLUSTER_MAX_PIXELS + MARKER_GAP, "first cells must never touch"


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
                gettext("bbox must be four numbers: west,south,east,north (longitude, latitude).")
            ) from None
        if not all(math.isfinite(v) for v in (west, south, east, north)):
            raise BadMapRequest(gettext("bbox must be finite numbers."))
        zoom_error = gettext("zoom must be a whole number from 0 to %(max)s.") % {"max": MAX_ZOOM}
        try:
            zoom = int(zoom if zoom not in (None, "") else 6)
        except ValueError:
            raise BadMapRequest(zoom_error, "zoom") from None
        if not 0 <= zoom <= MAX_ZOOM:
            raise BadMapRequest(zoom_error, "zoom")
        # Leaflet reports boxes wider than the world when zoomed far out; clamp to it.
        west, east = max(west, -180.0), min(east, 180.0)
        south, north = max(south, -90.0), min(north, 90.0)
        # A map with no size on screen yet (a hidden container) sends a box of no width or
        # height: that is a valid, empty view, not an error.
        if west > east or south > north:
            raise BadMapRequest(gettext("bbox must have west <= east and south <= north."))
        return cls(west, south, east, north, zoom)

    def snapped(self):
        """This box widened to whole steps of SNAP_PIXELS at its zoom (on a grid anchored at
        0,0), so that maps panned or resized a little ask for the same box and share one cached
        answer. A box of no width or height stays as it is: an empty view."""
        if self.west == self.east or self.south == self.north:
            return self
        step = SNAP_PIXELS * 360.0 / (TILE_PIXELS * 2**self.zoom)

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
    def scale(self):
        """The width of the world in screen pixels at this zoom."""
        return TILE_PIXELS * 2**self.zoom

    @property
    def join_pixels(self):
        """How far (in pixels, across and down) a cell may lie from a cluster's first cell to
        join it: JOIN_PIXELS, or more for a box so large that MAX_FEATURES clusters further
        apart than that could not cover it."""
        width, height = screen_span(self.west, self.south, self.east, self.north, self.zoom)
        # A hair larger, so that rounding can never let one more cluster in.
        return (
            max(JOIN_PIXELS, width / GRID_COLUMNS) * (1 + 1e-9),
            max(JOIN_PIXELS, height / GRID_ROWS) * (1 + 1e-9),
        )

    @property
    def cell_pixels(self):
        """The largest that the database's grid cells are drawn (across, down)."""
        return tuple(join * CELL_PIXELS / JOIN_PIXELS for join in self.join_pixels)

    @property
    def radius_pixels(self):
        """Half the most that a cluster's entries may span on screen (across, down)."""
        return tuple(map(operator.add, self.join_pixels, self.cell_pixels))

    @property
    def cell_degrees(self):
        """The database's grid cell, (longitude, latitude) in degrees, drawn at most
        `cell_pixels` wide and tall anywhere in the box: a degree of latitude is drawn taller the
        further it is from the equator, so its height is set where the box is furthest from it."""
        per_degree = self.scale / 360.0
        furthest = min(max(abs(self.south), abs(self.north)), MAX_LATITUDE)
        across, down = self.cell_pixels
        return across / per_degree, down / per_degree * math.cos(math.radians(furthest))

    @property
    def fine_cells_per_cell(self):
        """How many fine grid cells make a map cell (across, down), or None when a map cell is
        smaller than a fine cell."""
        across, down = (math.floor(size * CELLS_PER_DEGREE) for size in self.cell_degrees)
        return (across, down) if across >= 1 and down >= 1 else None


def mercator_y(latitude, zoom):
    """How far down the world a latitude is drawn, in Web Mercator pixels at `zoom`."""
    latitude = max(min(latitude, MAX_LATITUDE), -MAX_LATITUDE)
    sine = math.sin(math.radians(latitude))
    return (0.5 - math.log((1 + sine) / (1 - sine)) / (4 * math.pi)) * TILE_PIXELS * 2**zoom


def screen_position(longitude, latitude, zoom):
    """Where a point is drawn, in Web Mercator pixels at `zoom` (as Leaflet draws it)."""
    return (longitude + 180.0) / 360.0 * TILE_PIXELS * 2**zoom, mercator_y(latitude, zoom)


def screen_span(west, south, east, north, zoom):
    """How wide and how tall a box is drawn, in pixels at `zoom`."""
    scale = TILE_PIXELS * 2**zoom
    return (east - west) / 360.0 * scale, mercator_y(south, zoom) - mercator_y(north, zoom)


def cluster(partnerships, viewport, *, everything_at=None):
    """GeoJSON features for the located `partnerships` inside `viewport`, clustered on a grid.

    Two queries whatever the size of the directory (three at the deepest zoom): one groups the
    rows into cells, one fetches the names of the entries in cells that are a single point.
    `partnerships` must not be joined to a many-valued relation (filter through `pk__in`), or
    rows would be counted more than once.

    `everything_at` is the published-data version when `partnerships` is the whole published
    directory (nothing filtered): at national and regional zoom the fine cells then come from the
    map summary (`partnerships.mapsummary`) if it is of that version, which reads a few thousand
    summary rows instead of every partnership (two queries, plus one for any cell the box cuts
    through).
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
            fine_rows = None
            if everything_at is not None:
                fine_rows = _fine_rows_from_summary(inside, viewport, everything_at)
            if fine_rows is None:
                fine_rows = _fine_rows(inside, viewport)
            cells = _merge_fine_rows(fine_rows, viewport)
        else:
            cells = _cells(inside, viewport)
        cells = _separate(_group(cells, viewport), viewport)
    for cell in cells:
        cell["is_point"] = cell["south"] == cell["north"] and cell["west"] == cell["east"]
    listed = _entries_at(inside, [cell for cell in cells if cell["is_point"]])
    return [
        _point_feature(cell, listed.get((cell["south"], cell["west"]), []))
        if cell["is_point"]
        else _cluster_feature(cell)
        for cell in cells
    ]


_SUMMARY = mapsummary.AGGREGATES


# How two fine cells' figures (in _SUMMARY's order) combine into one map cell's.
_MERGES = [operator.add, operator.add, operator.add, min, max, min, max]


def _cells(inside, viewport):
    """One row per map cell, grouped by the database. The grid is anchored at 0,0 rather than
    at the box, so clusters stay put while panning."""
    across, down = viewport.cell_degrees
    return list(
        inside.order_by()
        .annotate(cell_x=Floor(F("longitude") / across), cell_y=Floor(F("latitude") / down))
        .values("cell_x", "cell_y")
        .annotate(**_SUMMARY)
    )


def _fine_rows(inside, viewport, *more):
    """The database's sums per fine grid cell of the partnerships inside the box, as
    (fine_y, fine_x, *figures) rows; `more` narrows them further (to some fine cells)."""
    return (
        inside.order_by()
        # Says again which fine rows the box covers, in the index's own terms, so that the
        # planner reads the (state, fine cell) index in order instead of sorting the rows.
        .annotate(fine_y=FineCell("latitude"), fine_x=FineCell("longitude"))
        .filter(
            *more,
            fine_y__gte=math.floor(viewport.south * CELLS_PER_DEGREE),
            fine_y__lte=math.floor(viewport.north * CELLS_PER_DEGREE),
        )
        .values("fine_y", "fine_x")
        .annotate(**_SUMMARY)
        .values_list("fine_y", "fine_x", *_SUMMARY)
    )


def _fine_rows_from_summary(inside, viewport, version):
    """The same rows as `_fine_rows` for the whole published directory, from the map summary:
    cells wholly inside the box as they are, cells the box cuts through (at most those on its
    edges) computed afresh from the partnerships in them. None if the summary is not of
    `version`."""
    summary = mapsummary.cells_in(
        version, viewport.south, viewport.west, viewport.north, viewport.east
    )
    if summary is None:
        return None
    rows, cut = [], []
    for fine_y, fine_x, count, *sums, south, north, west, east in summary:
        if (
            viewport.south <= south
            and north <= viewport.north
            and viewport.west <= west
            and east <= viewport.east
        ):
            rows.append((fine_y, fine_x, count, *sums, south, north, west, east))
        elif not (
            north < viewport.south
            or south > viewport.north
            or east < viewport.west
            or west > viewport.east
        ):
            cut.append(Q(fine_y=fine_y, fine_x=fine_x))
    if cut:
        rows.extend(_fine_rows(inside, viewport, Q(*cut, _connector=Q.OR)))
    return rows


def _merge_fine_rows(fine_rows, viewport):
    """One row per map cell, merged here from sums per fine grid cell."""
    across, down = viewport.fine_cells_per_cell
    cells = {}
    for fine_y, fine_x, *figures in fine_rows:
        key = (int(fine_x) // across, int(fine_y) // down)
        if key in cells:
            figures = [
                merge(a, b) for merge, a, b in zip(_MERGES, cells[key], figures, strict=True)
            ]
        cells[key] = figures
    return [dict(zip(_SUMMARY, figures, strict=True)) for figures in cells.values()]


def _centre(cell):
    return cell["longitude_sum"] / cell["count"], cell["latitude_sum"] / cell["count"]


def marker_size(count, is_point):
    """How wide the browser draws a marker, in pixels: `countIcon()` in
    static/directory/js/basemap.js, which must agree. Clusters grow by CLUSTER_PIXELS_PER_DIGIT
    a digit, up to CLUSTER_MAX_PIXELS."""
    if is_point:
        return POINT_PIXELS
    digits = len(str(max(count, 1)))
    return min(CLUSTER_MAX_PIXELS, CLUSTER_PIXELS + CLUSTER_PIXELS_PER_DIGIT * (digits - 1))


def _is_point(cell):
    return cell["south"] == cell["north"] and cell["west"] == cell["east"]


def _combine(cell, other):
    """`cell`'s figures with `other`'s added in: counts, sums and bounds combine exactly, so
    totals are unchanged and a cluster still zooms to all of its entries."""
    for merge, name in zip(_MERGES, _SUMMARY, strict=True):
        cell[name] = merge(cell[name], other[name])


def _group(cells, viewport):
    """The cells grouped into clusters as Leaflet.markercluster groups markers: the largest
    first, each joins the nearest cluster whose first cell lies within `join_pixels` across and
    down, or starts one. A cell spans at most `cell_pixels`, so a cluster's entries lie within
    `radius_pixels` of its first cell; and first cells are more than `join_pixels` apart."""
    zoom, (reach_x, reach_y) = viewport.zoom, viewport.join_pixels
    order = sorted(cells, key=lambda cell: (-cell["count"], *_centre(cell)[::-1]))
    clusters = []
    buckets = {}
    for cell in order:
        x, y = screen_position(*_centre(cell), zoom)
        column, row = int(x // reach_x), int(y // reach_y)
        nearest, nearest_distance = None, None
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for cluster in buckets.get((column + dx, row + dy), ()):
                    ax, ay = cluster["anchor"]
                    if abs(ax - x) <= reach_x and abs(ay - y) <= reach_y:
                        distance = math.hypot(ax - x, ay - y)
                        if nearest is None or distance < nearest_distance:
                            nearest, nearest_distance = cluster, distance
        if nearest is not None:
            _combine(nearest, cell)
        else:
            cluster = {name: cell[name] for name in _SUMMARY}
            cluster.update(anchor=(x, y), anchor_at=_centre(cell), drawn_at=None)
            clusters.append(cluster)
            buckets.setdefault((column, row), []).append(cluster)
    return clusters


def _drawn_at(cluster):
    """Where a cluster's marker is drawn (longitude, latitude): its entries' centre, or its first
    cell once that centre was found to touch a neighbour it could not merge with."""
    return cluster.get("drawn_at") or _centre(cluster)


def _separate(clusters, viewport):
    """The clusters, with no two markers touching (closer than half their widths added together,
    plus MARKER_GAP). Two that touch merge when the merged cluster still spans at most twice
    `radius_pixels`; otherwise both are drawn at their first cells, which are further apart than
    any two markers are wide. Passes repeat until nothing touches: each merges or moves at least
    one marker, and each looks only in neighbouring buckets, so a few hundred clusters take a
    millisecond or two."""
    zoom, (radius_x, radius_y) = viewport.zoom, viewport.radius_pixels
    reach = CLUSTER_MAX_PIXELS + MARKER_GAP  # the most that two markers can need
    while len(clusters) > 1:
        clusters.sort(key=lambda cluster: -cluster["count"])
        positions = [screen_position(*_drawn_at(cluster), zoom) for cluster in clusters]
        sizes = [marker_size(cluster["count"], _is_point(cluster)) for cluster in clusters]
        buckets = {}
        for index, (x, y) in enumerate(positions):
            buckets.setdefault((int(x // reach), int(y // reach)), []).append(index)
        touched = [False] * len(clusters)
        absorbed = [False] * len(clusters)
        for index, cluster in enumerate(clusters):
            if touched[index]:
                continue
            x, y = positions[index]
            column, row = int(x // reach), int(y // reach)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for other in buckets.get((column + dx, row + dy), ()):
                        if other <= index or touched[other] or touched[index]:
                            continue
                        ox, oy = positions[other]
                        if math.hypot(ox - x, oy - y) >= (sizes[index] + sizes[other]) / 2 + (
                            MARKER_GAP
                        ):
                            continue
                        merged = dict(cluster)
                        _combine(merged, clusters[other])
                        width, height = screen_span(
                            merged["west"], merged["south"], merged["east"], merged["north"], zoom
                        )
                        if width <= 2 * radius_x and height <= 2 * radius_y:
                            merged["drawn_at"] = None
                            clusters[index] = cluster = merged
                            absorbed[other] = True
                        elif cluster["drawn_at"] and clusters[other]["drawn_at"]:
                            continue  # cannot happen: first cells are never this close
                        else:
                            cluster["drawn_at"] = cluster["anchor_at"]
                            clusters[other]["drawn_at"] = clusters[other]["anchor_at"]
                        touched[index] = touched[other] = True
        if not any(touched):
            break
        clusters = [cluster for index, cluster in enumerate(clusters) if not absorbed[index]]
    return clusters


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
        .annotate(shown_name=readers_name())
        .annotate(
            place_rank=Window(
                RowNumber(),
                partition_by=[F("latitude"), F("longitude")],
                order_by=[F("shown_name").asc(), F("pk").asc()],
            )
        )
        .filter(place_rank__lte=MAX_LISTED)
        .with_member_count()
        .order_by("shown_name", "pk")
        .values(
            "shown_name",
            "slug",
            "area_name",
            "member_count",
            "latitude",
            "longitude",
            "last_verified_at",
            "created_at",
        )
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
                    "name": entry["shown_name"],
                    "area": entry["area_name"],
                    "members": entry["member_count"],
                    "url": reverse("directory:partnership", kwargs={"slug": entry["slug"]}),
                    **_confirmation(entry),
                }
                for entry in entries
            ],
        },
    }


def _confirmation(entry):
    """What a popup says about how current an entry is: "confirmed", the day it was last
    confirmed as text ("3 March 2025", None if never), and "stale" (not confirmed, or if never
    confirmed listed, for `freshness.STALE_AFTER` months)."""
    verified = entry["last_verified_at"]
    return {
        "confirmed": date_format(timezone.localtime(verified), "j F Y") if verified else None,
        "stale": freshness.is_stale(
            SimpleNamespace(last_verified_at=verified, created_at=entry["created_at"])
        ),
    }


def _cluster_feature(cell):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": list(_drawn_at(cell))},
        "properties": {
            "cluster": True,
            "count": cell["count"],
            "bounds": [cell["west"], cell["south"], cell["east"], cell["north"]],
        },
    }
