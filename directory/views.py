"""Public pages. Every query here starts from `Partnership.objects.published()`, so nothing
unreviewed can reach the public."""

import csv
import io
import json
import logging
from smtplib import SMTPException
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Exists, Max, Min, OuterRef, Q, Value, When
from django.http import Http404, HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_safe

from config.middleware import NUL_MESSAGE, has_nul
from partnerships import mapsummary, merging, services
from partnerships.links import site_url
from partnerships.models import (
    Activity,
    Contact,
    Organisation,
    Partnership,
    Place,
    PublicationState,
    Region,
)
from partnerships.search import MATCH_LIMIT

from . import caching, charts, exports, mapdata, nearby, statistics, throttle
from .filters import CurrentThenStale, PartnershipFilter, is_set
from .forms import ContactForm

logger = logging.getLogger(__name__)


def _listing(partnerships):
    """The shape every public list of partnerships shares: region and member count, by name,
    current entries before stale ones."""
    return CurrentThenStale(
        partnerships.published().select_related("region").with_member_count(), "name"
    )


class KnownCountPaginator(Paginator):
    """A paginator told its count, so it never runs its own COUNT(*). With `more`, there are
    more than `count` (a broad search, counted only so far), and it pages through `count`."""

    def __init__(self, object_list, per_page, *, count, more=False):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # fills Paginator.count's cached_property
        self.more = more
        if isinstance(object_list, CurrentThenStale):
            object_list.total = count  # so that a last page of current entries ends there


def _paginate(request, queryset, version=None, *, everything=False, count=None, more=False):
    """A page of `queryset`. Its length, a full count at national scale, is cached per request
    and published-data version; when `queryset` is `everything` published, the map summary
    knows it without a count when it is of this version; a caller that knows it passes
    `count` (and `more` if there are more than that)."""
    if count is None:
        if version is None:
            version = services.published_data_version()

        def counted():
            known = mapsummary.published_count(version) if everything else None
            return queryset.count() if known is None else known

        count = caching.cached(
            "count", version, [request.path, caching.normalised_query(request.GET)], counted
        )
    paginator = KnownCountPaginator(queryset, settings.DIRECTORY_PAGE_SIZE, count=count, more=more)
    return paginator.get_page(request.GET.get("page"))


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
    "confirmed",
]
# Coordinates are for addresses (links from elsewhere), not for typing: the form carries them
# along as hidden fields, and shows them only to report an error in them.
COORDINATES = ["lat", "lon"]


def _query_string(request):
    """The search part of the address, without the page number: shared by the list, the map
    data, the downloads and the embed code."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _extent(partnerships):
    return partnerships.located().aggregate(
        west=Min("longitude"), south=Min("latitude"), east=Max("longitude"), north=Max("latitude")
    )


def _map_config(query, partnerships, *, embedded=False, version=None, extent=None):
    """What the map script needs, handed over with json_script: URLs reversed here, tiles from
    settings (read per request, so an empty MAP_TILE_URL shows the offline outline), and the
    extent to open on, [west, south, east, north]: the whole UK when nothing is filtered,
    otherwise the matching partnerships' (a full scan of the matches, so cached per query and
    published-data version), unless the caller knows it (`extent`)."""
    if not any(value for name, value in parse_qsl(query) if name != "sort"):
        extent = dict(zip(("west", "south", "east", "north"), mapdata.UK_EXTENT, strict=True))
    elif extent is None:
        if version is None:
            version = services.published_data_version()
        extent = caching.cached(
            "extent",
            version,
            [caching.normalised_query(QueryDict(query))],
            lambda: _extent(partnerships),
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


def _without_empty_fields(request):
    """The address without the fields left empty, or None if none is. A search form sends
    every field (about a dozen empty ones); the search form's script leaves them out and this
    tidies the address when it cannot run."""
    if all(value for _, values in request.GET.lists() for value in values):
        return None
    query = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        query.setlist(name, [value for value in values if value])
    tidy = query.urlencode()
    return f"{request.path}?{tidy}" if tidy else request.path


def _search(request, template, *, embedded=False):
    """The directory search: the form, a page of results and the map, from one filter."""
    tidy_address = _without_empty_fields(request)
    if tidy_address:
        return redirect(tidy_address)
    search = PartnershipFilter(request.GET)
    version = services.published_data_version()
    filters = caching.normalised_query(request.GET)
    context = {
        "filter": search,
        "query": _query_string(request),
        # The search form and the page of results are rendered once per published-data version,
        # request and language (the form's choices are vocabulary rows, which bump the version
        # too): at national scale rendering them costs more than the queries behind them.
        "form_fragment": caching.version_key("search-form", version, request.path, filters),
        "results_fragment": caching.version_key(
            "results",
            version,
            request.get_host(),
            request.path,
            caching.normalised_query(request.GET, ignore=()),
        ),
    }
    if search.is_valid():
        results = listed = search.qs
        count = extent = None
        if search.narrows():
            # The count and the map's extent each read every match: one pass for both, and no
            # further than MATCH_LIMIT for a search with words (a broad one says "more than").
            # The count also says whether there are few enough to list best match first.
            limit = MATCH_LIMIT if search.words else None
            count, extent = caching.cached(
                "count-and-extent",
                version,
                [filters],
                lambda: results.count_and_extent(limit),
            )
            listed = search.listed(results, count)
        more = bool(search.words) and count is not None and count > MATCH_LIMIT
        context.update(
            page=_paginate(
                request,
                search.pages(listed.select_related("region").with_member_count()),
                version,
                everything=not search.narrows(),
                count=min(count, MATCH_LIMIT) if more else count,
                more=more,
            ),
            near_point=search.near_point,
            near_place=search.near_place,
            radius_km=search.radius_km,
            too_many_to_rank=search.too_many_to_rank,
            match_limit=MATCH_LIMIT,
            map_config=_map_config(
                context["query"], results, embedded=embedded, version=version, extent=extent
            ),
        )
        if not embedded:
            context["print_url"] = _print_url(context["query"])
    context["refinements"] = [search.form[name] for name in REFINEMENTS]
    context["coordinates"] = [search.form[name] for name in COORDINATES]
    context["refinements_open"] = any(request.GET.get(name) for name in REFINEMENTS)
    return render(request, template, context)


def home(request):
    return _search(request, "directory/home.html")


# The one page other sites may show in a frame: the map and list, without the site's chrome.
@xframe_options_exempt
@csp_override({**settings.SECURE_CSP, "frame-ancestors": ["*"]})
def embed(request):
    return _search(request, "directory/embed.html", embedded=True)


# The print page lists every match up to this many; a search with more is asked to narrow.
PRINT_LIMIT = 500


def _print_url(query):
    return reverse("directory:print") + (f"?{query}" if query else "")


@require_safe
def print_list(request):
    """Every partnership a search matches (up to PRINT_LIMIT) on one page, for printing: a
    printed page of the paginated list would silently stop at one page. Links are full
    addresses, since a printout's reader cannot follow a relative one."""
    tidy_address = _without_empty_fields(request)
    if tidy_address:
        return redirect(tidy_address)
    search = PartnershipFilter(request.GET)
    query = _query_string(request)
    context = {"filter": search, "query": query, "limit": PRINT_LIMIT}
    if not search.is_valid():
        return render(request, "directory/print.html", context, status=400)
    results = search.qs.select_related("region").with_member_count()
    total = results.count()
    partnerships = list(search.pages(search.listed(results, total), total=total)[:PRINT_LIMIT])
    for partnership in partnerships:
        partnership.full_url = request.build_absolute_uri(partnership.get_absolute_url())
    context.update(
        partnerships=partnerships,
        total=total,
        too_many_to_rank=search.too_many_to_rank,
        match_limit=MATCH_LIMIT,
        near_place=search.near_place,
        near_point=search.near_point,
        radius_km=search.radius_km,
        search_url=reverse("directory:home") + (f"?{query}" if query else ""),
    )
    return render(request, "directory/print.html", context)


def _invalid(search):
    return JsonResponse({"errors": search.form.errors.get_json_data()}, status=400)


@require_safe
def map_data(request):
    """Clustered GeoJSON for the visible part of the map, with the directory's filters.

    The answer depends only on the filters, the zoom, the box and the published data, so it is
    computed once per published-data version and served from the cache after that. The box is
    widened to the map's grid at this zoom first, so maps panned a little share answers. The ETag
    is the same key (not a hash of the body, whose float sums differ between identical runs on
    PostgreSQL), so a revalidation costs one version lookup and no clustering."""
    search = PartnershipFilter(request.GET)
    if not search.is_valid():
        return _invalid(search)
    try:
        viewport = mapdata.Viewport.parse(request.GET.get("bbox"), request.GET.get("zoom"))
    except mapdata.BadMapRequest as error:
        return JsonResponse(
            {"errors": {error.field: [{"message": str(error), "code": "invalid"}]}}, status=400
        )
    viewport = viewport.snapped()
    version = services.published_data_version()
    # The popups' names and dates are in the page's language: like every cached answer, each
    # language has its own (caching.version_key), and so its own ETag.
    parts = [caching.normalised_query(request.GET, ignore=("bbox", "zoom", "page")), viewport]
    etag = f'"{caching.version_key("map", version, *parts).rsplit(":", 1)[1][:32]}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        not_modified["ETag"] = etag
        not_modified["Cache-Control"] = "no-cache"
        return not_modified

    def clustered():
        # Every filter goes through `pk__in` subqueries, never a join, so clusters count each
        # partnership once and the database can use the map grid index.
        # With nothing filtered, national views read the map summary instead of every row.
        everything_at = None if search.narrows() else version
        features = mapdata.cluster(search.qs, viewport, everything_at=everything_at)
        collection = {"type": "FeatureCollection", "features": features}
        return json.dumps(collection, separators=(",", ":"))

    body = caching.cached("map", version, parts, clustered)
    response = HttpResponse(body, content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _download(request, chunks, content_type, filename):
    """A streamed download of the matching partnerships, or 400 with the filter's errors."""
    search = PartnershipFilter(request.GET)
    if not search.is_valid():
        return _invalid(search)
    # The body is written after this view returns, so the address is taken now.
    response = StreamingHttpResponse(
        chunks(search.qs, base_url=site_url(request)), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def export_csv(request):
    return _download(
        request,
        exports.csv_lines,
        "text/csv; charset=utf-8",
        "health-information-partnerships.csv",
    )


@require_safe
def export_geojson(request):
    return _download(
        request,
        exports.geojson_chunks,
        "application/geo+json",
        "health-information-partnerships.geojson",
    )


def _message_recipients():
    """The contacts a message from the contact form goes to: the lead contacts with an address,
    or if no lead has one, every contact with an address. The one definition behind both the
    sending and what the page and the email say about whose address is published."""
    with_email = Contact.objects.with_email()
    leads_with_email = with_email.filter(partnership=OuterRef("partnership"), is_lead=True)
    return with_email.filter(Q(is_lead=True) | ~Exists(leads_with_email))


def _published_partnership(slug):
    """A published partnership with everything its page shows, in a constant number of
    queries; whether the contact form can reach anyone (`has_contact_email`), whether anybody
    edits it (`has_editors`), and whether the
    addresses it writes to are published on the page (`recipients_published`: all, some or
    none)."""
    recipients = _message_recipients().filter(partnership=OuterRef("pk"))
    return get_object_or_404(
        Partnership.objects.published()
        .with_members()
        .annotate(
            has_contact_email=Exists(recipients),
            # Whether to offer "Ask to manage it" (directory/includes/entry_feedback.html).
            has_editors=Exists(
                Partnership.editors.through.objects.filter(partnership=OuterRef("pk"))
            ),
            recipients_published=Case(
                When(~Exists(recipients.public()), then=Value("none")),
                When(~Exists(recipients.exclude(consent_to_publish=True)), then=Value("all")),
                default=Value("some"),
            ),
        )
        .with_public_contacts_and_agreements()
        .prefetch_related("activities", "channels"),
        slug=slug,
    )


def _detail_page(request, partnership, contact_form, *, status=200):
    region = partnership.region
    trail = [(region.display_name, region.get_absolute_url())] if region else []
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
    try:
        partnership = _published_partnership(slug)
    except Http404:
        return _no_longer_listed(request, Partnership, slug)
    return _detail_page(request, partnership, ContactForm(partnership=partnership))


def _no_longer_listed(request, model, slug):
    """What an address of an entry that is not listed answers. An entry merged into another
    redirects, permanently, to the one it was merged into (following merges of merges), when
    that one is public. A partnership that was published and then archived (closed) keeps a
    page saying so, with its name and dates only, and status 410 Gone, so people following an
    old link learn what happened while search engines drop it. Anything else (a draft, an entry
    waiting for review, a rejected submission) is a 404, as if it never existed."""
    entry = model.objects.filter(slug=slug).select_related("region").first()
    if entry is None:
        raise Http404
    if entry.merged_into_id is not None:
        final = merging.successor(entry)
        public = Organisation.objects.public() if model is Organisation else _public_partnerships()
        if final.merged_into_id is None and public.filter(pk=final.pk).exists():
            return redirect(final.get_absolute_url(), permanent=True)
        raise Http404
    if model is Partnership and Partnership.objects.closed().filter(pk=entry.pk).exists():
        region = entry.region
        return render(
            request,
            "directory/partnership_closed.html",
            {
                "partnership": entry,
                "trail": [(region.display_name, region.get_absolute_url())] if region else [],
            },
            status=410,
        )
    raise Http404


def _public_partnerships():
    """Partnerships that have a public page: the published ones and the closed ones."""
    return Partnership.objects.filter(
        Q(publication_state=PublicationState.PUBLISHED)
        | Q(publication_state=PublicationState.ARCHIVED, last_verified_at__isnull=False)
    )


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
        messages.error(
            request, gettext("This partnership has no contact email address to write to.")
        )
        return redirect(partnership.get_absolute_url())
    if not form.is_valid():
        form.prepare_retry()
        return _detail_page(request, partnership, form, status=400)
    if not throttle.allow_public_form(
        request, "contact", form.cleaned_data["email"], CONTACT_LIMIT, CONTACT_PERIOD
    ):
        form.add_error(
            None,
            gettext(
                "Your message was not sent: we accept at most %(limit)s messages an hour "
                "from one address. Please try again later."
            )
            % {"limit": CONTACT_LIMIT},
        )
        form.prepare_retry()
        return _detail_page(request, partnership, form, status=429)
    recipients = _message_recipients().filter(partnership=partnership)
    try:
        copied = form.send(
            list(recipients.values_list("email", flat=True)),
            recipients_published=partnership.recipients_published,
        )
    except (SMTPException, OSError):
        logger.exception("The contact form could not send a message for %s", partnership.slug)
        form.add_error(
            None,
            gettext(
                "Your message could not be sent because of a problem with our email service. "
                "What you wrote is kept below; please try again later."
            ),
        )
        form.prepare_retry()
        return _detail_page(request, partnership, form, status=503)
    # Shown in the contact section, where the person who pressed "Send" is looking (the
    # `in_section` filter), and the page opens there.
    messages.success(
        request, gettext("Your message has been sent to the partnership's lead contact."), "contact"
    )
    if copied:
        messages.info(
            request,
            gettext("A copy has been sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            "contact",
        )
    else:
        messages.warning(
            request, gettext("We could not send you a copy of your message."), "contact"
        )
    return redirect(partnership.get_absolute_url() + "#contact-sent")


def _detail_map(partnership):
    """The partnership's own point and its located member organisations, for the small map."""
    points = []
    if partnership.is_located:
        points.append(
            {
                "name": partnership.display_name,
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
                    "name": organisation.display_name,
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
    organisation = (
        Organisation.objects.public()
        .select_related("region")
        .prefetch_related("identifiers")
        .filter(slug=slug)
        .first()
    )
    if organisation is None:
        return _no_longer_listed(request, Organisation, slug)
    page = _paginate(request, _listing(organisation.partnerships.all()))
    context = {"organisation": organisation, "page": page}
    if organisation.is_located:
        context["neighbours"] = nearby.neighbours_of(organisation)
        context["sector_links"] = nearby.sector_links(organisation)
        context["neighbours_km"] = nearby.NEIGHBOURS_KM
        context["near_text"] = nearby.near_text(organisation)
    return render(request, "directory/organisation_detail.html", context)


def region_detail(request, slug):
    region = get_object_or_404(Region, slug=slug)
    partnerships = region.partnership_set.published()
    query = f"region={region.slug}"
    version = services.published_data_version()
    return render(
        request,
        "directory/region_detail.html",
        {
            "region": region,
            "page": _paginate(request, _listing(partnerships), version),
            "query": query,
            "map_config": _map_config(query, partnerships, version=version),
            "print_url": _print_url(query),
        },
    )


def activity_detail(request, slug):
    activity = get_object_or_404(Activity, slug=slug)
    page = _paginate(request, _listing(activity.partnerships.all()))
    return render(
        request,
        "directory/activity_detail.html",
        {"activity": activity, "page": page, "print_url": _print_url(f"activity={activity.slug}")},
    )


def _applied_filters(search):
    """What a valid search narrows by, as (label, value) pairs to show: "Region: North West"."""
    data = search.form.cleaned_data
    applied = []
    for name, value in data.items():
        if name in ("sort", "radius", "lat", "lon") or not is_set(value):
            continue
        field = search.form.fields[name]
        if name == "near":
            value = gettext("%(place)s (within %(km)s km)") % {
                "place": value,
                "km": search.radius_km,
            }
        elif hasattr(field, "queryset") and not hasattr(value, "pk"):
            value = ", ".join(str(item) for item in value)
        elif getattr(field, "choices", None) and not hasattr(value, "pk"):
            value = dict(field.choices).get(value, value)
        elif value is True:
            value = gettext("Yes")
        applied.append((str(field.label or name.capitalize()), str(value)))
    if search.near_point and not data.get("near"):
        latitude, longitude = search.near_point
        applied.append(
            (
                gettext("Near"),
                gettext("%(place)s (within %(km)s km)")
                % {"place": f"{latitude}, {longitude}", "km": search.radius_km},
            )
        )
    return applied


@require_safe
def statistics_page(request):
    """Figures about the partnerships a directory search matches (all of them without one):
    each a chart, a table and a CSV download, from the same numbers."""
    tidy_address = _without_empty_fields(request)
    if tidy_address:
        return redirect(tidy_address)
    search = PartnershipFilter(request.GET)
    version = services.published_data_version()
    query = _query_string(request)
    context = {
        "filter": search,
        "query": query,
        "directory_url": reverse("directory:home") + (f"?{query}" if query else ""),
        "form_fragment": caching.version_key(
            "search-form", version, request.path, caching.normalised_query(request.GET)
        ),
        "refinements": [search.form[name] for name in REFINEMENTS],
        "coordinates": [search.form[name] for name in COORDINATES],
        "refinements_open": any(request.GET.get(name) for name in REFINEMENTS),
    }
    if search.is_valid():
        csv_query = f"?{query}" if query else ""

        def figures():
            found = statistics.cached_statistics(request.GET, search, version)
            return {
                "summary": found.summary,
                "figures": [
                    {
                        "figure": figure,
                        "chart": charts.chart(figure),
                        "csv_url": reverse("directory:stats_csv", args=[figure.slug]) + csv_query,
                    }
                    for figure in found.figures
                ],
            }

        context.update(
            applied_filters=_applied_filters(search),
            # Read only when the page's figures are not in the fragment cache: drawing twelve
            # charts and tables costs more than the rest of a cached page.
            statistics=SimpleLazyObject(figures),
            # Its links carry the whole search, the order of the results included.
            figures_fragment=caching.version_key(
                "statistics-figures",
                version,
                caching.normalised_query(request.GET),
                daily=statistics.depends_on_the_day(request.GET),
            ),
        )
    return render(request, "directory/statistics.html", context)


@require_safe
def statistics_csv(request, figure):
    """One figure of the statistics page as CSV: its table's heading row, then its rows."""
    if figure not in statistics.FIGURES:
        raise Http404
    search = PartnershipFilter(request.GET)
    if not search.is_valid():
        return _invalid(search)
    found = statistics.cached_statistics(
        request.GET, search, services.published_data_version()
    ).figure(figure)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([exports.neutralise(heading) for heading in found.headings])
    for row in found.rows:
        writer.writerow([exports.neutralise(cell) for cell in row])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="partnership-statistics-{figure}.csv"'
    return response


# Browsers and feed readers ask for /favicon.ico whatever the page links; the file itself is a
# static file (hashed and cached for a year in production), so this only points at it.
@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    return redirect(static("directory/img/favicon.ico"))


# The gazetteer changes only when `load_places` runs, so browsers and proxies may keep answers.
@require_safe
@cache_control(max_age=86400, public=True)
def places(request):
    """Town names for the search box's autocomplete, as JSON."""
    text = request.GET.get("q", "")
    if has_nul(request.GET):
        # PostgreSQL refuses NUL in a query; the middleware also answers 400 before this view.
        return JsonResponse(
            {"errors": {"q": [{"message": NUL_MESSAGE, "code": "null_characters_not_allowed"}]}},
            status=400,
        )
    found = Place.objects.search(text)
    return JsonResponse({"places": [place.to_dict() for place in found]})
