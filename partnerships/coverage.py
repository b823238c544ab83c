"""The gap map: which UK towns have no published partnership within 25 km, and what share of each
region's and nation's population lives within 25 km of one.

The towns are the gazetteer's (`Place`, GeoNames towns of 500 people or more, country "GB"). A
town is covered when a published, located partnership lies within `RADIUS_KM` of it (great-circle
distance, `partnerships.distance.haversine_km`).

The cost does not grow with the directory. The partnerships are not read one by one but through
the map summary's fine grid (`partnerships.mapsummary`): per fine cell (a fifth of a degree
square) the number of partnerships and their extent (south, north, west, east), a few thousand
rows at most however many partnerships there are. For each town, only the cells that overlap its
25 km bounding box are looked at, nearest first, and each is one of three kinds:

- certain: the extent's edges each hold a partnership (the extent is their minimum and maximum),
  so if both ends of one edge lie within 25 km, the whole edge does and the town is covered. (A
  cell whose whole extent lies within 25 km is such a cell; a cell of one point is decided
  exactly.) The town is settled at the first certain cell, usually its own.
- out of reach: the extent does not meet the town's bounding box, or its nearest point is
  further than 25 km (computed exactly for a latitude/longitude box). It cannot cover the town.
- ambiguous: anything else. Only these are read, and only the partnerships inside the cell's
  extent and the town's bounding box (the latitude/longitude index answers the boxes), and their
  exact distances decide.

The ambiguous reads are batched: one box per ambiguous cell (its extent cut down to the boxes of
the towns that need it), `BOXES_PER_QUERY` boxes to a query. The number of ambiguous cells is
bounded by the number of fine cells (bounded by geography, not by the directory), so the whole
computation takes 3 + ceil(ambiguous cells / BOXES_PER_QUERY) + ceil(cells read for the nearest
distances / BOXES_PER_QUERY) queries: a handful, the same at 5 partnerships as at 100,000. The
Python work is one pass over the towns (about 5,900) with a few cells each, and the rows read are
those of the ambiguous cells only.

The largest uncovered towns also get the exact distance to their nearest partnership, found the
same way: the cells are searched outwards, by latitude, until no unsearched cell can be nearer
than the best cell already known to hold a partnership, and only the candidate cells are read.

The names of regions and nations are lazy (`place_label`): one cached answer reads in English on
English pages and in Welsh on Welsh pages, while the towns are grouped and ordered by their
English names whatever the reader's language.

If the map summary is not of the current published-data version (a change whose refresh has not
run yet), the same fine cells are added up from the partnerships themselves in one query, as the
map does (`directory.mapdata`): slower, never stale.
"""

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext

from partnerships import mapsummary
from partnerships.distance import EARTH_RADIUS_KM, bounding_box, haversine_km
from partnerships.languages import localised_name
from partnerships.mapgrid import CELLS_PER_DEGREE, FineCell
from partnerships.models import Country, Partnership, Place

RADIUS_KM = 25.0
# How many of the largest uncovered towns the page lists (and the nearest distance is found for).
LARGEST_UNCOVERED = 50
# Boxes in one query's OR: well under SQLite's expression depth limit of 1,000.
BOXES_PER_QUERY = 200
# The gazetteer's country code for the UK.
UK = "GB"
UNKNOWN_REGION = "Region not known"
UNITED_KINGDOM = "United Kingdom"
# The gazetteer's nations (GeoNames' first-level areas of the UK), named as the directory names
# them, so that they read in the reader's language.
NATIONS = {
    "England": Country.ENGLAND,
    "Scotland": Country.SCOTLAND,
    "Wales": Country.WALES,
    "Northern Ireland": Country.NORTHERN_IRELAND,
}


def _place_label(name, name_cy=""):
    if name == UNKNOWN_REGION:
        return gettext("Region not known")
    if name == UNITED_KINGDOM:
        return gettext("United Kingdom")
    if not name_cy and name in NATIONS:
        return str(NATIONS[name].label)
    return localised_name(name, name_cy)


# A region's or nation's name (English, with its Welsh name if known) in the reader's language,
# decided when it is shown.
place_label = lazy(_place_label, str)


@dataclass(frozen=True)
class Town:
    name: str
    region: str
    nation: str
    population: int
    latitude: float
    longitude: float
    covered: bool
    # The exact distance in km to the nearest published partnership where it was computed (a
    # town decided on the ambiguous path, and the largest uncovered towns), otherwise None.
    nearest_km: float | None = None
    # What "Start a partnership here" sends as ?town=: the name, with the region after a comma
    # when several UK towns share the name ("Newport, Wales").
    town_query: str = ""
    # The region's Welsh name, where it has one.
    region_cy: str = ""

    @property
    def region_name(self):
        """The region's name in the reader's language (`region` is its English name)."""
        return _place_label(self.region, self.region_cy)

    @property
    def nation_name(self):
        """The nation's name in the reader's language (`nation` is the gazetteer's)."""
        return _place_label(self.nation)


@dataclass(frozen=True)
class Area:
    """A region or a nation: its towns' population and the part of it covered. `name` and
    `nation` are lazy: they read in the reader's language."""

    name: str
    nation: str
    towns: int
    covered_towns: int
    population: int
    covered_population: int

    @property
    def share(self):
        """The covered share of the population, 0 to 1, or None with no population."""
        return self.covered_population / self.population if self.population else None

    @property
    def share_text(self):
        """The share as a percentage to one decimal place ("87.3%"), or "no towns"."""
        share = self.share
        return gettext("no towns") if share is None else f"{share * 100:.1f}%"


@dataclass(frozen=True)
class Coverage:
    radius_km: float
    version: int
    towns_total: int
    partnerships_located: int
    regions: tuple
    nations: tuple
    total: Area
    largest_uncovered: tuple
    # How the answer was reached: cells of the fine grid read, ambiguous cells read exactly,
    # whether the map summary was current, and the queries this took.
    cells: int = 0
    ambiguous_cells: int = 0
    from_summary: bool = True
    queries: int = 0
    towns: tuple = field(default=(), repr=False)

    def without_towns(self):
        """The same answer without the per-town list: what a page needs, small to cache."""
        return replace(self, towns=())


def measure(version, *, radius_km=RADIUS_KM, largest=LARGEST_UNCOVERED):
    """The coverage of the UK gazetteer's towns by the published partnerships at `version` (the
    published-data version, for the map summary)."""
    # Two queries either way: the summary's version and its cells, or its version and the cells
    # added up from the partnerships.
    summary = mapsummary.cells_in(version, -90.0, -180.0, 90.0, 180.0)
    queries = 2
    from_summary = summary is not None
    if summary is None:
        summary = list(_cells_from_partnerships())
    cells = {
        (int(fine_y), int(fine_x)): (count, south, north, west, east)
        for fine_y, fine_x, count, _lat_sum, _lon_sum, south, north, west, east in summary
    }
    located = sum(cell[0] for cell in cells.values())
    rows, welsh_regions = [], {}
    for name, region, region_cy, nation, latitude, longitude, population in (
        Place.objects.filter(country_code=UK)
        .order_by("-population", "name", "pk")
        .values_list(
            "name",
            "region__name",
            "region__name_cy",
            "admin_area",
            "latitude",
            "longitude",
            "population",
        )
    ):
        rows.append((name, region, nation, latitude, longitude, population))
        if region_cy:
            welsh_regions[region] = region_cy
    queries += 1

    covered, nearest, ambiguous = _classify(rows, cells, radius_km)
    if ambiguous:
        queries += _decide_ambiguous(rows, cells, ambiguous, covered, nearest, radius_km)

    uncovered = [index for index, _row in enumerate(rows) if not covered[index]][:largest]
    if cells and uncovered:
        queries += _find_nearest(rows, cells, uncovered, nearest)

    shared_names = _shared_names(rows)
    towns = tuple(
        Town(
            name=name,
            region=region or UNKNOWN_REGION,
            nation=nation,
            population=population,
            latitude=latitude,
            longitude=longitude,
            covered=covered[index],
            nearest_km=nearest.get(index),
            town_query=f"{name}, {region}" if region and name in shared_names else name,
            region_cy=welsh_regions.get(region, ""),
        )
        for index, (name, region, nation, latitude, longitude, population) in enumerate(rows)
    )
    return Coverage(
        radius_km=radius_km,
        version=version,
        towns_total=len(towns),
        partnerships_located=located,
        regions=_areas(towns, lambda town: (town.nation, town.region), welsh_regions),
        nations=_areas(towns, lambda town: (town.nation, town.nation), {}),
        total=_total(towns),
        largest_uncovered=tuple(towns[index] for index in uncovered),
        cells=len(cells),
        ambiguous_cells=len({key for keys in ambiguous.values() for key in keys}),
        from_summary=from_summary,
        queries=queries,
        towns=towns,
    )


def _cells_from_partnerships():
    """The map summary's rows, added up from the published partnerships (one query)."""
    return (
        Partnership.objects.published()
        .located()
        .order_by()
        .annotate(fine_y=FineCell("latitude"), fine_x=FineCell("longitude"))
        .values("fine_y", "fine_x")
        .annotate(**mapsummary.AGGREGATES)
        .values_list("fine_y", "fine_x", *mapsummary.FIGURES)
    )


# Deciding each town -------------------------------------------------------------------------


def _fine(value):
    return math.floor(value * CELLS_PER_DEGREE)


def _town_box(latitude, longitude, km):
    """The town's bounding box as (south, north, [(west, east), ...])."""
    (south, north), longitudes = bounding_box(latitude, longitude, km)
    return south, north, longitudes or [(-180.0, 180.0)]


def _cell_keys(latitude, longitude, km):
    """The fine cells that overlap the town's bounding box, the town's own cell first (the one
    most likely to settle it)."""
    south, north, longitudes = _town_box(latitude, longitude, km)
    home = (_fine(latitude), _fine(longitude))
    keys = [home]
    for fine_y in range(_fine(south), _fine(north) + 1):
        for west, east in longitudes:
            keys.extend(
                (fine_y, fine_x)
                for fine_x in range(_fine(west), _fine(east) + 1)
                if (fine_y, fine_x) != home
            )
    return keys, (south, north, longitudes)


def _meets(extent, box):
    _count, south, north, west, east = extent
    box_south, box_north, longitudes = box
    return (
        south <= box_north
        and north >= box_south
        and any(west <= box_east and east >= box_west for box_west, box_east in longitudes)
    )


def _certain_km(latitude, longitude, extent):
    """The most a partnership of the cell can be from the town, knowing only that each edge of
    the extent holds one: the least, over the four edges, of the further of its two ends (along
    a parallel or a meridian the distance is largest at an end)."""
    _count, south, north, west, east = extent
    south_west = haversine_km(latitude, longitude, south, west)
    if south == north and west == east:
        return south_west
    south_east = haversine_km(latitude, longitude, south, east)
    north_west = haversine_km(latitude, longitude, north, west)
    north_east = haversine_km(latitude, longitude, north, east)
    return min(
        max(south_west, south_east),
        max(north_west, north_east),
        max(south_west, north_west),
        max(south_east, north_east),
    )


def _nearest_km(latitude, longitude, extent):
    """The exact distance from the town to the nearest point of the extent (a latitude /
    longitude box): 0 inside it, otherwise on an edge. Along a parallel the nearest point is at
    the nearest longitude; along a meridian (a great circle) at latitude
    atan(tan(latitude) / cos(difference in longitude)), kept within the edge."""
    _count, south, north, west, east = extent
    if south <= latitude <= north and west <= longitude <= east:
        return 0.0
    nearest_longitude = min(max(longitude, west), east)
    distances = [
        haversine_km(latitude, longitude, south, nearest_longitude),
        haversine_km(latitude, longitude, north, nearest_longitude),
    ]
    for edge in (west, east):
        spread = math.cos(math.radians(edge - longitude))
        if spread > 0:
            foot = math.degrees(math.atan(math.tan(math.radians(latitude)) / spread))
        else:
            foot = north if latitude >= 0 else south
        distances.append(haversine_km(latitude, longitude, min(max(foot, south), north), edge))
    return min(distances)


def _lower_bound_km(latitude, longitude, extent):
    """A cheap lower bound of the distance from the town to the extent, without a haversine:
    the latitude gap, and the longitude gap at the highest latitude of the two (the haversine's
    longitude term is at least cos^2 of that latitude times sin^2 of half the gap)."""
    _count, south, north, west, east = extent
    latitude_gap = max(south - latitude, latitude - north, 0.0)
    longitude_gap = max(west - longitude, longitude - east, 0.0)
    highest = max(abs(latitude), abs(south), abs(north))
    across = math.sin(math.radians(longitude_gap) / 2) * math.cos(math.radians(highest))
    return EARTH_RADIUS_KM * max(
        math.radians(latitude_gap), 2 * math.asin(min(1.0, max(across, 0.0)))
    )


def _classify(rows, cells, radius_km):
    """Each town covered for certain or not, the exact nearest distance where a cell of one
    point settled it, and for the towns still undecided the ambiguous cells to read."""
    covered = [False] * len(rows)
    nearest = {}
    ambiguous = {}
    if not cells:
        return covered, nearest, ambiguous
    for index, (_name, _region, _nation, latitude, longitude, _population) in enumerate(rows):
        keys, box = _cell_keys(latitude, longitude, radius_km)
        undecided = []
        for key in keys:
            extent = cells.get(key)
            if extent is None or not _meets(extent, box):
                continue
            if _certain_km(latitude, longitude, extent) <= radius_km:
                covered[index] = True
                break
            if _nearest_km(latitude, longitude, extent) <= radius_km:
                undecided.append(key)
        if undecided and not covered[index]:
            ambiguous[index] = undecided
    return covered, nearest, ambiguous


def _boxes(needs, cells):
    """One box per cell: its extent cut down to the union of the boxes that need it."""
    for key, (south, north, west, east) in needs.items():
        _count, cell_south, cell_north, cell_west, cell_east = cells[key]
        yield (
            key,
            (
                max(south, cell_south),
                min(north, cell_north),
                max(west, cell_west),
                min(east, cell_east),
            ),
        )


def _read_points(boxes):
    """The published, located partnerships inside the boxes, as (latitude, longitude) lists per
    fine cell, and the number of queries it took (BOXES_PER_QUERY boxes to one)."""
    points = defaultdict(list)
    boxes = list(boxes)
    queries = 0
    for start in range(0, len(boxes), BOXES_PER_QUERY):
        where = Q(
            *(
                Q(latitude__range=(south, north), longitude__range=(west, east))
                for _key, (south, north, west, east) in boxes[start : start + BOXES_PER_QUERY]
            ),
            _connector=Q.OR,
        )
        found = Partnership.objects.published().filter(where).values_list("latitude", "longitude")
        for latitude, longitude in found.order_by():
            points[(_fine(latitude), _fine(longitude))].append((latitude, longitude))
        queries += 1
    return points, queries


def _widen(needs, key, box):
    south, north, west, east = box
    if key in needs:
        old_south, old_north, old_west, old_east = needs[key]
        south, north = min(south, old_south), max(north, old_north)
        west, east = min(west, old_west), max(east, old_east)
    needs[key] = (south, north, west, east)


def _decide_ambiguous(rows, cells, ambiguous, covered, nearest, radius_km):
    """Settle the undecided towns by exact distances to the partnerships of their ambiguous
    cells. No certain cell reached them, so every partnership within the radius lies in one of
    those cells, and the nearest found within it is the town's nearest. Returns the queries."""
    needs = {}
    for index, keys in ambiguous.items():
        latitude, longitude = rows[index][3], rows[index][4]
        south, north, longitudes = _town_box(latitude, longitude, radius_km)
        for key in keys:
            for west, east in longitudes:
                _widen(needs, key, (south, north, west, east))
    points, queries = _read_points(_boxes(needs, cells))
    for index, keys in ambiguous.items():
        latitude, longitude = rows[index][3], rows[index][4]
        distances = [
            haversine_km(latitude, longitude, *point) for key in keys for point in points[key]
        ]
        closest = min(distances, default=None)
        if closest is not None and closest <= radius_km:
            covered[index] = True
            nearest[index] = closest
    return queries


def _find_nearest(rows, cells, indexes, nearest):
    """The exact distance to the nearest partnership for the towns at `indexes` (uncovered ones,
    so it is beyond the radius). Cells are searched row by row outwards in latitude; a row whose
    latitude alone puts it further than the best cell's certain distance ends the search, and
    only the cells that could be nearer than that are read. Returns the queries."""
    by_row = defaultdict(list)
    for key in cells:
        by_row[key[0]].append(key)
    row_keys = sorted(by_row)
    km_per_degree = math.radians(1) * EARTH_RADIUS_KM
    candidates = {}
    needs = {}
    for index in indexes:
        latitude, longitude = rows[index][3], rows[index][4]
        home = _fine(latitude)
        below = bisect.bisect_right(row_keys, home) - 1
        above = below + 1
        best, found = math.inf, []
        while below >= 0 or above < len(row_keys):
            gap_below = (
                (latitude - (row_keys[below] + 1) / CELLS_PER_DEGREE) if below >= 0 else math.inf
            )
            gap_above = (
                (row_keys[above] / CELLS_PER_DEGREE - latitude)
                if above < len(row_keys)
                else math.inf
            )
            if min(max(gap_below, 0.0), max(gap_above, 0.0)) * km_per_degree > best:
                break
            if gap_below <= gap_above:
                row, below = row_keys[below], below - 1
            else:
                row, above = row_keys[above], above + 1
            for key in by_row[row]:
                extent = cells[key]
                if _lower_bound_km(latitude, longitude, extent) > best:
                    continue
                lowest = _nearest_km(latitude, longitude, extent)
                if lowest <= best:
                    best = min(best, _certain_km(latitude, longitude, extent))
                    found.append((lowest, key))
        candidates[index] = keys = [key for lowest, key in found if lowest <= best]
        south, north, longitudes = _town_box(latitude, longitude, best)
        for key in keys:
            for west, east in longitudes:
                _widen(needs, key, (south, north, west, east))
    points, queries = _read_points(_boxes(needs, cells))
    for index, keys in candidates.items():
        latitude, longitude = rows[index][3], rows[index][4]
        nearest[index] = min(
            (haversine_km(latitude, longitude, *point) for key in keys for point in points[key]),
            default=None,
        )
    return queries


# Adding up ------------------------------------------------------------------------------------


def _shared_names(rows):
    seen, shared = set(), set()
    for name, *_rest in rows:
        (shared if name in seen else seen).add(name)
    return shared


def _areas(towns, key, welsh_names):
    """One Area per key (nation, name), ordered by nation then name (in English)."""
    groups = defaultdict(list)
    for town in towns:
        groups[key(town)].append(town)
    return tuple(
        _area(name, nation, members, name_cy=welsh_names.get(name, ""))
        for (nation, name), members in sorted(groups.items())
    )


def _area(name, nation, towns, *, name_cy=""):
    return Area(
        name=place_label(name, name_cy),
        nation=place_label(nation),
        towns=len(towns),
        covered_towns=sum(town.covered for town in towns),
        population=sum(town.population for town in towns),
        covered_population=sum(town.population for town in towns if town.covered),
    )


def _total(towns):
    return _area(UNITED_KINGDOM, "", towns)
