"""Public pages. Every query here starts from `Partnership.objects.published()`, so nothing
unreviewed can reach the public."""

import hashlib
import json

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, Prefetch, Sum
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from partnerships.models import (
    Activity,
    Agreement,
    Contact,
    Organisation,
    Partnership,
    Place,
    Region,
)

from . import exports, mapdata
from .filters import PartnershipFilter


def _listing(partnerships):
    """The shape every public list of partnerships shares: region and member count, by name."""
    return partnerships.published().select_related("region").with_member_count().order_by("name")


def _paginate(request, queryset):
    return Paginator(queryset, settings.DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))


REFINEMENTS = [
    "region",
    "sector",
    "activity",
    "kind",
    "formality",
    "status",
    "scope",
    "agreement",
    "channel",
    "lat",
    "lon",
]


def _query_string(request):
    """The search part of the address, without the page number: shared by the list, the map
    data, the downloads and the embed code."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _map_config(query, partnerships, *, embedded=False):
    """What the map script needs, handed over with json_script: URLs reversed here, tiles from
    settings, and the extent of the matching partnerships to open on."""
    extent = partnerships.located().aggregate(
        west=Min("longitude"), south=Min("latitude"), east=Max("longitude"), north=Max("latitude")
    )
    return {
        "dataUrl": reverse("directory:map_data"),
        "query": query,
        "tileUrl": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "center": settings.LEAFLET_CONFIG["DEFAULT_CENTER"],
        "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
        "extent": (
            [extent["west"], extent["south"], extent["east"], extent["north"]]
            if extent["west"] is not None
            else None
        ),
        "embedded": embedded,
    }


def _search(request, template, *, embedded=False):
    """The directory search: the form, a page of results and the map, from one filter."""
    search = PartnershipFilter(request.GET)
    context = {"filter": search, "query": _query_string(request)}
    if search.is_valid():
        results = search.qs
        context.update(
            page=_paginate(request, results.select_related("region").with_member_count()),
            near_point=search.near_point,
            near_place=search.near_place,
            radius_km=search.radius_km,
            map_config=_map_config(context["query"], results, embedded=embedded),
        )
    context["refinements"] = [search.form[name] for name in REFINEMENTS]
    context["refinements_open"] = any(request.GET.get(name) for name in REFINEMENTS)
    return render(request, template, context)


def home(request):
    return _search(request, "directory/home.html")


# The one page other sites may show in a frame: the map and list, without the site's chrome.
@xframe_options_exempt
@csp_override({**settings.SECURE_CSP, "frame-ancestors": ["*"]})
def embed(request):
    return _search(request, "directory/embed.html", embedded=True)


def _invalid(search):
    return JsonResponse({"errors": search.form.errors.get_json_data()}, status=400)


@require_safe
def map_data(request):
    """Clustered GeoJSON for the visible part of the map, with the directory's filters."""
    search = PartnershipFilter(request.GET)
    if not search.is_valid():
        return _invalid(search)
    try:
        viewport = mapdata.Viewport.parse(request.GET.get("bbox"), request.GET.get("zoom"))
    except mapdata.BadMapRequest as error:
        return JsonResponse({"errors": {"bbox": [{"message": str(error)}]}}, status=400)
    # A subquery keeps the grouping right whatever joins the filters used.
    matching = Partnership.objects.filter(pk__in=search.qs.order_by().values("pk"))
    stamp = matching.with_member_count().aggregate(
        count=Count("id"), changed=Max("updated_at"), members=Sum("member_count")
    )
    etag = '"{}"'.format(
        hashlib.sha256(
            f"{request.GET.urlencode()}|{stamp['count']}|{stamp['changed']}|{stamp['members']}".encode()
        ).hexdigest()[:32]
    )
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    collection = {"type": "FeatureCollection", "features": mapdata.cluster(matching, viewport)}
    response = HttpResponse(
        json.dumps(collection, separators=(",", ":")), content_type="application/geo+json"
    )
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


@require_safe
def export_csv(request):
    search = PartnershipFilter(request.GET)
    if not search.is_valid():
        return _invalid(search)
    rows = exports.for_export(search.qs).iterator(chunk_size=500)
    response = StreamingHttpResponse(
        exports.csv_lines(rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="health-information-partnerships.csv"'
    return response


@require_safe
def export_geojson(request):
    search = PartnershipFilter(request.GET)
    if not search.is_valid():
        return _invalid(search)
    collection = exports.geojson(exports.for_export(search.qs).iterator(chunk_size=500))
    response = HttpResponse(
        json.dumps(collection, ensure_ascii=False), content_type="application/geo+json"
    )
    response["Content-Disposition"] = (
        'attachment; filename="health-information-partnerships.geojson"'
    )
    return response


def partnership_detail(request, slug):
    partnership = get_object_or_404(
        Partnership.objects.published()
        .with_members()
        .prefetch_related(
            "activities",
            "channels",
            Prefetch("contacts", queryset=Contact.objects.public(), to_attr="public_contacts"),
            Prefetch(
                "agreements",
                queryset=Agreement.objects.public().prefetch_related("parties"),
                to_attr="public_agreements",
            ),
        ),
        slug=slug,
    )
    region = partnership.region
    trail = [(region.name, region.get_absolute_url())] if region else []
    return render(
        request,
        "directory/partnership_detail.html",
        {"partnership": partnership, "trail": trail, "map_config": _detail_map(partnership)},
    )


def _detail_map(partnership):
    """The partnership's own point and its located member organisations, for the small map."""
    points = []
    if partnership.is_located:
        points.append(
            {
                "name": partnership.name,
                "label": partnership.area_name,
                "lat": partnership.latitude,
                "lon": partnership.longitude,
                "kind": "point",
            }
        )
    for membership in partnership.memberships.all():
        organisation = membership.organisation
        if organisation.is_located:
            points.append(
                {
                    "name": organisation.name,
                    "label": " · ".join(
                        [membership.get_role_display(), organisation.get_sector_display()]
                    ),
                    "url": organisation.get_absolute_url(),
                    "lat": organisation.latitude,
                    "lon": organisation.longitude,
                    "kind": "member",
                }
            )
    return {
        "tileUrl": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "points": points,
    }


def organisation_detail(request, slug):
    organisation = get_object_or_404(
        Organisation.objects.public().select_related("region"), slug=slug
    )
    page = _paginate(request, _listing(organisation.partnerships.all()))
    return render(
        request, "directory/organisation_detail.html", {"organisation": organisation, "page": page}
    )


def region_detail(request, slug):
    region = get_object_or_404(Region, slug=slug)
    partnerships = _listing(region.partnership_set.all())
    query = f"region={region.slug}"
    return render(
        request,
        "directory/region_detail.html",
        {
            "region": region,
            "page": _paginate(request, partnerships),
            "query": query,
            "map_config": _map_config(query, partnerships),
        },
    )


def activity_detail(request, slug):
    activity = get_object_or_404(Activity, slug=slug)
    page = _paginate(request, _listing(activity.partnerships.all()))
    return render(request, "directory/activity_detail.html", {"activity": activity, "page": page})


# The gazetteer changes only when `load_places` runs, so browsers and proxies may keep answers.
@require_safe
@cache_control(max_age=86400, public=True)
def places(request):
    """Town names for the search box's autocomplete, as JSON."""
    found = Place.objects.search(request.GET.get("q", ""))
    return JsonResponse({"places": [place.to_dict() for place in found]})
