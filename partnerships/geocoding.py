"""Turning addresses and place names into coordinates. The only module that imports geopy.

`geocode(entry)` tries, in order:

1. the online geocoder, when `settings.GEOCODER == "nominatim"`: the street address, then the
   postcode, then the town, most precise first, each answer cached in the database (GeocodeCache)
   so that no query is ever sent twice, and at most one request a second;
2. the offline gazetteer (the Place table): the town, with namesakes told apart by the entry's
   region, then its country; failing that, the post town of its UK postcode's area
   (`partnerships.postcodes`: "BL1 1AA" is in Bolton's area), a coarser point.

It never raises for a failed lookup and never writes to the entry: it returns a `GeocodeResult`
saying where, how precisely, from which source, and what went wrong on the way. `services.py`
records that on the entry. `online_geocoder()` is the one seam tests replace; nothing here
touches the network unless it returns a real geocoder.
"""

import threading
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from geopy.adapters import URLLibAdapter
from geopy.exc import (
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeopyError,
)
from geopy.geocoders import Nominatim

from partnerships.distance import haversine_km
from partnerships.models import (
    Country,
    GeocodeCache,
    LocationPrecision,
    LocationSource,
    Place,
    Region,
)
from partnerships.postcodes import place_of_postcode_area, postcode_area

# Namesakes further apart than this are different places, so choosing one of them is a guess.
AMBIGUOUS_KM = 25
# Nominatim's `place_rank` below this is bigger than a town: a county, a state or a country.
TOWN_RANK = 13
# Nominatim result types that are one building, i.e. a street address was found exactly.
BUILDING_TYPES = {"house", "building"}
NATIONS = {
    Country.ENGLAND: "England",
    Country.SCOTLAND: "Scotland",
    Country.WALES: "Wales",
    Country.NORTHERN_IRELAND: "Northern Ireland",
}


def normalise_place_name(name):
    """Lower-case ASCII form of a place name, for accent-blind prefix search: "Sutton-in-Ashfield"
    and "sutton in ashfield" both become "sutton in ashfield"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(ascii_name.lower().replace("-", " ").split())


# The offline gazetteer ---------------------------------------------------------------------


@dataclass(frozen=True)
class TownMatch:
    """The gazetteer's best town for a name. `ambiguous`: namesakes far from it were just as
    eligible, so it is a guess. `in_region`: the entry's region picked it."""

    place: Place | None = None
    ambiguous: bool = False
    in_region: bool = False


def match_town(name, *, country_code=None, region=None, nation=None):
    """The gazetteer town called `name`, as a TownMatch.

    Several towns share a name (Newport is in Wales, on the Isle of Wight and in Shropshire), so
    a town in `region` (a Region or its slug) wins, then one in `country_code` (ISO, e.g. "GB"),
    then one in `nation` (the admin area, e.g. "Wales"), then the most populous. The match is
    ambiguous when another town left after that narrowing lies more than AMBIGUOUS_KM away.
    """
    key = normalise_place_name(name or "")
    if not key:
        return TownMatch()
    region_slug = region.slug if isinstance(region, Region) else region
    country = country_code.upper() if country_code else None
    pool = list(Place.objects.filter(search_name=key).select_related("region"))
    in_region = False
    tests = [
        ("region", lambda p: p.region is not None and p.region.slug == region_slug, region_slug),
        ("country", lambda p: p.country_code == country, country),
        ("nation", lambda p: p.admin_area == nation, nation),
    ]
    for tier, test, wanted in tests:
        narrowed = [place for place in pool if test(place)] if wanted else []
        if narrowed:
            pool = narrowed
            in_region = in_region or tier == "region"
    if not pool:
        return TownMatch()
    # The most populous; the lowest geonameid is a stable choice between equals.
    place = max(pool, key=lambda p: (p.population, -p.geonameid))
    ambiguous = any(_km(place, other) > AMBIGUOUS_KM for other in pool)
    return TownMatch(place=place, ambiguous=ambiguous, in_region=in_region)


def find_town(name, *, country_code=None, region=None):
    """The gazetteer town called `name`, or None; see `match_town`."""
    return match_town(name, country_code=country_code, region=region).place


def _km(a, b):
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)


# What geocoding is asked and what it answers -----------------------------------------------


@dataclass(frozen=True)
class Address:
    """The address fields geocoding reads. A partnership's area name stands for the town."""

    street: str = ""
    town: str = ""
    postcode: str = ""
    country: str = ""  # a Country value, or "" when unknown
    region: Region | None = None

    @classmethod
    def of(cls, entry):
        """The address of an Organisation or a Partnership."""
        region = entry.region
        if hasattr(entry, "area_name"):
            return cls(
                town=entry.area_name.strip(),
                country=region.country if region else "",
                region=region,
            )
        return cls(
            street=entry.address.strip(),
            town=entry.town.strip(),
            postcode=entry.postcode.strip().upper(),
            country=entry.country,
            region=region,
        )

    @property
    def country_code(self):
        if not self.country:
            return None
        return "IE" if self.country == Country.IRELAND else "GB"

    @property
    def country_name(self):
        if not self.country:
            return ""
        return "Ireland" if self.country == Country.IRELAND else "United Kingdom"

    def online_queries(self):
        """(rung, text) pairs to send, most precise first: the street address, the postcode, the
        town."""
        rungs = []
        if self.street:
            rungs.append(("address", [self.street, self.town, self.postcode]))
        if self.postcode:
            rungs.append(("postcode", [self.postcode]))
        if self.town:
            rungs.append(("town", [self.town]))
        queries, seen = [], set()
        for rung, parts in rungs:
            text = ", ".join(part for part in [*parts, self.country_name] if part)
            if text not in seen:
                seen.add(text)
                queries.append((rung, text))
        return queries


@dataclass(frozen=True)
class GeocodeResult:
    """Where an entry is, or why that could not be found.

    `problems` explains failures and fallbacks ("Nominatim timed out", "no match for 'Atlantis'
    in the gazetteer"); a found result can carry some too, e.g. when Nominatim failed and the
    gazetteer placed the entry instead. `online_failed` says the online geocoder itself failed
    (as opposed to finding nothing)."""

    latitude: float | None = None
    longitude: float | None = None
    precision: str = ""
    source: str = ""
    ambiguous: bool = False
    problems: tuple[str, ...] = ()
    online_failed: bool = False

    @property
    def found(self):
        return self.latitude is not None and self.longitude is not None

    @property
    def error(self):
        return "; ".join(self.problems)


def geocode(entry, *, online=True):
    """Where an Organisation or Partnership is, from its address fields; see the module
    docstring. `online=False` asks only the offline gazetteer (e.g. for a dry run)."""
    return geocode_address(Address.of(entry), online=online)


def geocode_address(address, *, online=True):
    """Where `address` (an Address) is, as a GeocodeResult."""
    if not (address.street or address.town or address.postcode):
        return GeocodeResult(problems=("no town or postcode to look up",))
    town = match_town(
        address.town,
        country_code=address.country_code,
        region=address.region,
        nation=NATIONS.get(address.country),
    )
    problems, online_failed = [], False
    geocoder = online_geocoder() if online else None
    if geocoder is not None:
        for rung, text in address.online_queries():
            try:
                answer = _ask(geocoder, text)
            except GeopyError as error:
                # The service is failing; the next rung would fail too. Use the gazetteer.
                problems.append(describe_failure(error))
                online_failed = True
                break
            if not answer.matched:
                continue
            if rung == "town" and _contradicts_region(answer, town):
                problems.append(
                    f"Nominatim's {address.town!r} is not the one in {address.region}; "
                    "used the gazetteer's"
                )
                break
            return GeocodeResult(
                latitude=answer.latitude,
                longitude=answer.longitude,
                precision=_online_precision(answer, rung, address),
                source=LocationSource.NOMINATIM,
                ambiguous=rung == "town" and town.ambiguous,
            )
    if town.place is not None:
        return GeocodeResult(
            latitude=town.place.latitude,
            longitude=town.place.longitude,
            precision=LocationPrecision.TOWN,
            source=LocationSource.GAZETTEER,
            ambiguous=town.ambiguous,
            problems=tuple(problems),
            online_failed=online_failed,
        )
    asked = geocoder is not None and not online_failed
    where = " online or in the gazetteer" if asked else " in the gazetteer"
    if address.town:
        problems.append(f"no match for {address.town!r}{where}")
    area = _postcode_area_of(address)
    area_place = place_of_postcode_area(area)
    if area_place is not None:
        problems.append(f"placed by postcode area {area} ({area_place.name})")
        return GeocodeResult(
            latitude=area_place.latitude,
            longitude=area_place.longitude,
            precision=LocationPrecision.POSTCODE_AREA,
            source=LocationSource.GAZETTEER,
            problems=tuple(problems),
            online_failed=online_failed,
        )
    if not address.town:
        problems.append(f"no match for {address.postcode or address.street!r}{where}")
    return GeocodeResult(problems=tuple(problems), online_failed=online_failed)


def _postcode_area_of(address):
    """The UK postcode area of the address's postcode, or None. An Irish Eircode can look like
    a UK outward code ("N91"), so an address in Ireland has none."""
    if address.country == Country.IRELAND:
        return None
    return postcode_area(address.postcode)


def _contradicts_region(answer, town):
    """Nominatim ignores the entry's region, so its "Richmond" may be the wrong one: it is, when
    the region picked a gazetteer town far from Nominatim's."""
    if not (town.in_region and town.place):
        return False
    place = town.place
    distance = haversine_km(answer.latitude, answer.longitude, place.latitude, place.longitude)
    return distance > AMBIGUOUS_KM


def _online_precision(answer, rung, address):
    if rung == "address" and (
        answer.result_class == "building" or answer.result_type in BUILDING_TYPES
    ):
        return LocationPrecision.ADDRESS
    if rung in ("address", "postcode") and address.postcode:
        return LocationPrecision.POSTCODE
    if answer.place_rank is not None and answer.place_rank < TOWN_RANK:
        return LocationPrecision.REGION
    return LocationPrecision.TOWN


def describe_failure(error):
    """A short reason for a geopy failure, for curators and the retry command's summary."""
    if isinstance(error, GeocoderRateLimited):
        wait = f" (retry after {error.retry_after} s)" if error.retry_after else ""
        return f"Nominatim rate limit reached{wait}"
    if isinstance(error, GeocoderTimedOut):
        return "Nominatim timed out"
    if isinstance(error, GeocoderUnavailable):
        return "Nominatim unavailable"
    if isinstance(error, GeocoderServiceError):
        return f"Nominatim service error: {error}"
    return f"geocoder error: {error}"


# The online geocoder -------------------------------------------------------------------------


class RateLimiter:
    """Spaces calls at least `interval` seconds apart (Nominatim's policy: one request a second).

    Per process and thread-safe; geocoding runs from commands and admin actions, not from many
    web workers at once. `clock` and `sleep` are injectable so that tests never really sleep."""

    def __init__(self, interval=1.0, *, clock=time.monotonic, sleep=time.sleep):
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._last = None
        self._lock = threading.Lock()

    def wait(self):
        """Return when the next call may go, sleeping if the last one was too recent."""
        with self._lock:
            now = self.clock()
            if self._last is not None:
                delay = self._last + self.interval - now
                if delay > 0:
                    self.sleep(delay)
                    now = max(self.clock(), self._last + self.interval)
            self._last = now


nominatim_rate_limit = RateLimiter(1.0)


class NominatimGeocoder:
    """geopy's Nominatim as configured in settings, asked for one result in the gazetteer's
    countries."""

    def __init__(self, *, user_agent, timeout, countries):
        self.client = Nominatim(
            user_agent=user_agent, timeout=timeout, adapter_factory=URLLibAdapter
        )
        self.countries = [code.lower() for code in countries]

    def geocode(self, query):
        return self.client.geocode(query, exactly_one=True, country_codes=self.countries)


def online_geocoder():
    """The online geocoder to ask first, or None when only the offline gazetteer is enabled.

    The one seam tests replace. What it returns needs only `.geocode(query)`, returning None or
    an object with `latitude`, `longitude` and Nominatim's `raw` dict, and raising geopy errors."""
    if settings.GEOCODER != "nominatim":
        return None
    return _nominatim(
        settings.NOMINATIM_USER_AGENT,
        settings.NOMINATIM_TIMEOUT,
        tuple(settings.GAZETTEER_COUNTRIES),
    )


@lru_cache(maxsize=1)
def _nominatim(user_agent, timeout, countries):
    return NominatimGeocoder(user_agent=user_agent, timeout=timeout, countries=countries)


def cache_key(text):
    """Queries that differ only in case and spacing are one query."""
    return " ".join(text.split()).casefold()[: GeocodeCache._meta.get_field("query").max_length]


def _ask(geocoder, text):
    """The cached answer to `text`, asking the geocoder (rate-limited) only the first time. A
    geopy error propagates and is not cached, so a later run asks again."""
    key = cache_key(text)
    cached = GeocodeCache.objects.filter(query=key).first()
    if cached is not None:
        return cached
    nominatim_rate_limit.wait()
    location = geocoder.geocode(text)
    raw = (getattr(location, "raw", None) or {}) if location is not None else {}
    rank = raw.get("place_rank")
    answer, _ = GeocodeCache.objects.update_or_create(
        query=key,
        defaults={
            "latitude": location.latitude if location is not None else None,
            "longitude": location.longitude if location is not None else None,
            "result_class": str(raw.get("class") or raw.get("category") or "")[:50],
            "result_type": str(raw.get("type") or "")[:50],
            "place_rank": int(rank) if str(rank).isdigit() else None,
            "display_name": str(raw.get("display_name") or "")[:500],
        },
    )
    return answer
