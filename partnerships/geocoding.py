"""Turning place names into coordinates. The only module that talks to a geocoder; for now the
offline gazetteer (the Place table)."""

import unicodedata

from partnerships.models import Place, Region


def normalise_place_name(name):
    """Lower-case ASCII form of a place name, for accent-blind prefix search: "Sutton-in-Ashfield"
    and "sutton in ashfield" both become "sutton in ashfield"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(ascii_name.lower().replace("-", " ").split())


def find_town(name, *, country_code=None, region=None):
    """The gazetteer town called `name`, or None.

    Several towns share a name (Newport is in Wales, on the Isle of Wight and in Shropshire), so a
    town in `region` (a Region or its slug) wins, then one in `country_code` (ISO, e.g. "GB"),
    then the most populous.
    """
    key = normalise_place_name(name or "")
    if not key:
        return None
    region_slug = region.slug if isinstance(region, Region) else region
    country = country_code.upper() if country_code else None
    candidates = Place.objects.filter(search_name=key).select_related("region")

    def preference(place):
        in_region = region_slug is not None and place.region is not None
        return (
            in_region and place.region.slug == region_slug,
            country is not None and place.country_code == country,
            place.population,
            -place.geonameid,  # a stable choice between equals
        )

    return max(candidates, key=preference, default=None)
