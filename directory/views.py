"""Public pages. Every query here starts from `Partnership.objects.published()`, so nothing
unreviewed can reach the public."""

import hashlib
import json
import logging
from smtplib import SMTPException
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, Max, Min, OuterRef, Prefetch
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_safe

from partnerships.models import (
    Activity,
    Agreement,
    Contact,
    Organisation,
    Partnership,
    Place,
    Region,
)

from . import exports, mapdata, throttle
from .filters import PartnershipFilter
from .forms import ContactForm

logger = logging.getLogger(__name__)


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
    settings (read per request, so an empty MAP_TILE_URL shows the offline outline), and the
    extent to open on, [west, south, east, north]: the whole UK when nothing is filtered,
    otherwise the matching partnerships'."""
    if not any(value for name, value in parse_qsl(query) if name != "sort"):
        extent = dict(zip(("west", "south", "east", "north"), mapdata.UK_EXTENT, strict=True))
    else:
        extent = partnerships.located().aggregate(
            west=Min("longitude"),
            south=Min("latitude"),
            east=Max("longitude"),
            north=Max("latitude"),
        )
    return {
        "dataUrl": reverse("directory:map_data"),
        "query": query,
        "tileUrl": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "outlineUrl": static("directory/outline/uk-ireland.geojson"),
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
        return JsonResponse(
            {"errors": {error.field: [{"message": str(error), "code": "invalid"}]}}, status=400
        )
    # Every filter goes through `pk__in` subqueries, never a join, so clusters count each
    # partnership once and the database can use the map grid index.
    collection = {"type": "FeatureCollection", "features": mapdata.cluster(search.qs, viewport)}
    response = HttpResponse(
        json.dumps(collection, separators=(",", ":")), content_type="application/geo+json"
    )
    # The ETag is the body's own hash: it changes exactly when what this view shows changes
    # (published, unpublished, renamed, moved, members added), however the data was written,
    # and costs no query. A 304 saves the transfer and the redraw, not the clustering.
    response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    response["Cache-Control"] = "no-cache"
    patch_vary_headers(response, ["Accept-Encoding"])
    return get_conditional_response(request, etag=response["ETag"], response=response)


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


def _published_partnership(slug):
    """A published partnership with everything its page shows, in a constant number of
    queries, and whether the contact form can reach anyone (`has_contact_email`)."""
    return get_object_or_404(
        Partnership.objects.published()
        .with_members()
        .annotate(
            has_contact_email=Exists(
                Contact.objects.with_email().filter(partnership=OuterRef("pk"))
            )
        )
        .prefetch_related(
            "activities",
            "channels",
            Prefetch(
                "contacts",
                queryset=Contact.objects.public().select_related("organisation"),
                to_attr="public_contacts",
            ),
            Prefetch(
                "agreements",
                queryset=Agreement.objects.public().prefetch_related("parties"),
                to_attr="public_agreements",
            ),
        ),
        slug=slug,
    )


def _detail_page(request, partnership, contact_form, *, status=200):
    region = partnership.region
    trail = [(region.name, region.get_absolute_url())] if region else []
    return render(
        request,
        "directory/partnership_detail.html",
        {
            "partnership": partnership,
            "trail": trail,
            "map_config": _detail_map(partnership),
            "contact_form": contact_form,
        },
        status=status,
    )


def partnership_detail(request, slug):
    partnership = _published_partnership(slug)
    return _detail_page(request, partnership, ContactForm(partnership=partnership))


# The contact form's limits, per client address and per sender address.
CONTACT_LIMIT = 5
CONTACT_PERIOD = 60 * 60


@require_http_methods(["GET", "HEAD", "POST"])
def contact(request, slug):
    """Pass a visitor's message to a published partnership's lead contact by email, without
    showing the contact's address; the visitor's address goes in Reply-To and they get a copy.

    The per-client limit counts by REMOTE_ADDR, which must be the real client's address: behind a
    proxy, something trusted must set it from the proxy's X-Forwarded-For (see the README), or
    every visitor shares the proxy's count. Without any REMOTE_ADDR only the sender limit applies,
    rather than one count for everybody."""
    partnership = _published_partnership(slug)
    if request.method != "POST":
        return redirect(partnership.get_absolute_url() + "#contact-form-heading")
    form = ContactForm(request.POST, partnership=partnership)
    if not partnership.has_contact_email:
        # The page shows no form then; a hand-made post gets the same sentence.
        messages.error(request, "This partnership has no contact email address to write to.")
        return redirect(partnership.get_absolute_url())
    if not form.is_valid():
        form.prepare_retry()
        return _detail_page(request, partnership, form, status=400)
    # Both counters count every accepted form, so neither a new address nor a new sender
    # escapes the limit.
    client_address = request.META.get("REMOTE_ADDR", "")
    within_client_limit = not client_address or throttle.allow(
        f"contact:client:{client_address}", CONTACT_LIMIT, CONTACT_PERIOD
    )
    within_sender_limit = throttle.allow(
        f"contact:sender:{form.cleaned_data['email'].lower()}", CONTACT_LIMIT, CONTACT_PERIOD
    )
    if not (within_client_limit and within_sender_limit):
        form.add_error(
            None,
            f"Your message was not sent: we accept at most {CONTACT_LIMIT} messages an hour "
            "from one address. Please try again later.",
        )
        form.prepare_retry()
        return _detail_page(request, partnership, form, status=429)
    recipients = _message_recipients(partnership)
    try:
        copied = form.send(recipients)
    except (SMTPException, OSError):
        logger.exception("The contact form could not send a message for %s", partnership.slug)
        form.add_error(
            None,
            "Your message could not be sent because of a problem with our email service. "
            "What you wrote is kept below; please try again later.",
        )
        form.prepare_retry()
        return _detail_page(request, partnership, form, status=503)
    messages.success(request, "Your message has been sent to the partnership's lead contact.")
    if copied:
        messages.info(request, f"A copy has been sent to {form.cleaned_data['email']}.")
    else:
        messages.warning(request, "We could not send you a copy of your message.")
    return redirect(partnership.get_absolute_url())


def _message_recipients(partnership):
    """The lead contacts' addresses, or if no lead has one, every contact's address."""
    contacts = list(partnership.contacts.with_email())
    leads = [contact.email for contact in contacts if contact.is_lead]
    return leads or [contact.email for contact in contacts]


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
