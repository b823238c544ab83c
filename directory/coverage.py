"""The gap map (`/stats/coverage/`): where UK towns have no published partnership within 25 km,
the share of each region's and nation's population that has one, and the largest uncovered towns
with a way to start a partnership there. The figures come from `partnerships.coverage`, computed
once per published-data version (the gazetteer's loading bumps it too) and served from the cache
after that. The cached figures hold no words of one language (names of regions and nations are
lazy); the links and the map's labels are made for each page, in its language, and the rendered
content is cached per language by the template."""

from django.conf import settings
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from partnerships import coverage, services

from . import caching


def _page(version):
    """What the page shows that is computed once per version: the figures without the per-town
    list."""
    measured = coverage.measure(version).without_towns()
    return {"coverage": measured, "radius_km": f"{measured.radius_km:g}"}


def _for_reader(page):
    """The cached figures with what depends on the page's language: the rows of the uncovered
    towns' table (their links are in the page's language) and the map's configuration."""
    measured = page["coverage"]
    new = reverse("editor:new")
    return {
        **page,
        "uncovered": [(town, _start_url(town, new)) for town in measured.largest_uncovered],
        "map_config": _map_config(measured, new) if measured.largest_uncovered else None,
    }


def _start_url(town, new):
    """Registration (`new`, its address) with the town (and so its region) filled in."""
    return f"{new}?{urlencode({'town': town.town_query})}"


def _map_config(measured, new):
    """What the gap map's script needs: tiles from settings and a circle per uncovered town
    listed on the page, with the address of "Start a partnership here"."""
    return {
        "tileUrl": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "outlineUrl": static("directory/outline/uk-ireland.geojson"),
        "towns": [
            {
                "name": town.name,
                "lat": town.latitude,
                "lon": town.longitude,
                "population": town.population,
                "label": gettext("%(region)s, population %(population)s")
                % {"region": town.region_name, "population": f"{town.population:,}"},
                "startUrl": _start_url(town, new),
            }
            for town in measured.largest_uncovered
        ],
    }


def cached_page(version):
    """The page's figures at `version`, computed once (usually ahead of visitors, by
    `directory.warming`). Towns and partnerships do not move with the calendar, so the answer
    is kept until the data changes. Its words are lazy, so English and Welsh pages share it."""
    return caching.cached(
        "coverage", version, [], lambda: _page(version), daily=False, per_language=False
    )


@require_safe
def coverage_page(request):
    version = services.published_data_version()
    context = _for_reader(cached_page(version))
    # Rendering the tables costs more than reading the cached figures: the page's content is
    # kept too, under the same version (its header still follows who is signed in).
    context["content_fragment"] = caching.version_key("coverage-page", version, daily=False)
    return render(request, "directory/coverage.html", context)
