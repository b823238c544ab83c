"""Distances on the Earth: "partnerships within 25 km of Bolton".

A query first keeps the rows inside a bounding box around the circle, which the (latitude,
longitude) index answers cheaply, then computes the exact great-circle distance in the database for
those few rows only. The distance is the haversine formula written with `ATan2` and `Sqrt` rather
than the spherical law of cosines: `ACos` of a value that rounds past 1.0 raises "input is out of
range" on PostgreSQL, and the haversine form is also accurate for points a few metres apart. Plain
latitude / longitude columns and Django's own math functions, so it works the same on SQLite and
PostgreSQL without GeoDjango.
"""

import math
import operator
from functools import reduce

from django.db import connections, models
from django.db.models import F, FloatField, Func, Q, Value
from django.db.models.functions import ATan2, Cos, Greatest, Power, Radians, Sin, Sqrt

# The mean Earth radius (IUGG), the usual choice for a spherical Earth.
EARTH_RADIUS_KM = 6371.0088

# Widens the box by about a millimetre so that rounding can never drop a point that lies on the
# circle itself; the exact distance test decides.
_BOX_MARGIN_RADIANS = 1e-10


def haversine_km(lat1, lon1, lat2, lon2):
    """The great-circle distance in km between two points given in decimal degrees, computed in
    Python with the same formula as the database expression."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    a = min(a, 1.0)
    return 2 * EARTH_RADIUS_KM * math.atan2(math.sqrt(a), math.sqrt(1 - a))


def _number(name, value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}.") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {value!r}.")
    return number


def validate_point(latitude, longitude):
    """The point as two floats, or ValueError if it is not a point on the Earth."""
    latitude = _number("latitude", latitude)
    longitude = _number("longitude", longitude)
    if not -90 <= latitude <= 90:
        raise ValueError(f"latitude must be between -90 and 90, not {latitude}.")
    if not -180 <= longitude <= 180:
        raise ValueError(f"longitude must be between -180 and 180, not {longitude}.")
    return latitude, longitude


def validate_km(km):
    km = _number("km", km)
    if km <= 0:
        raise ValueError(f"km must be greater than 0, not {km}.")
    return km


def bounding_box(latitude, longitude, km):
    """The smallest latitude / longitude box around the circle of radius `km`.

    Returns `(latitude_range, longitude_ranges)`: one (min, max) pair for latitude, and zero,
    one or two pairs for longitude (none: every longitude, because the circle reaches a pole;
    two: the circle crosses the antimeridian). A degree of longitude shrinks with cos(latitude),
    and the circle's widest point in longitude is not on its own parallel but closer to the pole,
    so the half-width is asin(sin(r) / cos(latitude)), not r / cos(latitude).
    """
    latitude, longitude = validate_point(latitude, longitude)
    r = validate_km(km) / EARTH_RADIUS_KM + _BOX_MARGIN_RADIANS
    dlat = math.degrees(r)
    lat_min, lat_max = latitude - dlat, latitude + dlat
    if lat_min <= -90 or lat_max >= 90:
        return (max(lat_min, -90.0), min(lat_max, 90.0)), []
    dlon = math.degrees(math.asin(min(1.0, math.sin(r) / math.cos(math.radians(latitude)))))
    if dlon >= 180:
        return (lat_min, lat_max), []
    lon_min, lon_max = longitude - dlon, longitude + dlon
    if lon_min < -180:
        return (lat_min, lat_max), [(lon_min + 360, 180.0), (-180.0, lon_max)]
    if lon_max > 180:
        return (lat_min, lat_max), [(lon_min, 180.0), (-180.0, lon_max - 360)]
    return (lat_min, lat_max), [(lon_min, lon_max)]


def distance_km_from(latitude, longitude, latitude_field="latitude", longitude_field="longitude"):
    """A database expression for the great-circle distance in km from the point to each row."""
    latitude, longitude = validate_point(latitude, longitude)

    def constant(value):
        return Value(value, output_field=FloatField())

    row_phi = Radians(F(latitude_field))
    half_dphi = (row_phi - constant(math.radians(latitude))) / constant(2.0)
    half_dlambda = (Radians(F(longitude_field)) - constant(math.radians(longitude))) / constant(2.0)
    cos_phis = constant(math.cos(math.radians(latitude))) * Cos(row_phi)
    a = Power(Sin(half_dphi), 2) + cos_phis * Power(Sin(half_dlambda), 2)
    # Rounding can take `a` a hair past 1 for antipodal points, and Sqrt(1 - a) would then fail.
    # Clamping 1 - a keeps a row without coordinates at NULL on both databases (PostgreSQL's
    # LEAST(NULL, 1) would be 1, i.e. half the world away).
    complement = Greatest(constant(1.0) - a, constant(0.0))
    return constant(2 * EARTH_RADIUS_KM) * ATan2(Sqrt(a), Sqrt(complement))


def near(queryset, latitude, longitude, km):
    """The rows of `queryset` within `km` of the point, nearest first, with `distance_km`."""
    (lat_min, lat_max), longitude_ranges = bounding_box(latitude, longitude, km)
    box = Q(latitude__range=(lat_min, lat_max))
    if connections[queryset.db].vendor == "sqlite":
        # SQLite's planner (without STAT4) rates a range on a longitude-only index as good as
        # the state + latitude range of a composite one, and picks the former, which then reads
        # every row of a north-south strip of the country. "+longitude" is the same value but
        # not an indexed column, so the box's latitude range leads and the longitude is checked
        # on each row it finds.
        queryset = queryset.alias(
            box_longitude=Func(
                F("longitude"), template="+%(expressions)s", output_field=FloatField()
            )
        )
        longitude_field = "box_longitude"
    else:
        longitude_field = "longitude"
    if longitude_ranges:
        box &= reduce(
            operator.or_,
            (Q(**{f"{longitude_field}__range": bounds}) for bounds in longitude_ranges),
        )
    ordering = [*queryset.model._meta.ordering, "pk"]
    return (
        queryset.filter(box)
        .annotate(distance_km=distance_km_from(latitude, longitude))
        .filter(distance_km__lte=validate_km(km))
        .order_by("distance_km", *ordering)
    )


class NearQuerySet(models.QuerySet):
    """Distance queries for models with `latitude` and `longitude` fields."""

    def near(self, latitude, longitude, km):
        """Rows within `km` of the point, nearest first, annotated with `distance_km`. Rows
        without coordinates are left out. ValueError for an impossible point or radius."""
        return near(self, latitude, longitude, km)

    def with_distance(self, latitude, longitude):
        """Every row annotated with `distance_km` from the point, with no radius (a full scan)."""
        return self.annotate(distance_km=distance_km_from(latitude, longitude))
