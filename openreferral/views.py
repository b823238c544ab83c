"""The Open Referral UK API: read-only, open (no key, any origin), JSON.

Every answer is built from published partnerships only, through `openreferral.serialise`, which
reads the one public record (`partnerships.public_records`). Each page costs a fixed number of
queries whatever its size; every answer carries an ETag and Last-Modified from the published-data
version, so a client that asks again gets a 304 until something public changes.

Bad parameters answer 400 with `{"errors": {name: [{"message", "code"}]}}`, never a 500. An id in
the path that names nothing (unknown, unpublished, or not a UUID at all) answers 404; an id in a
query parameter that is not a UUID, or names no taxonomy or term, answers 400. `per_page` above
MAX_PER_PAGE answers 400 (it is not clamped: a client asking for more should know it got less).
A page beyond the last is an empty page (`empty: true`).
"""

import json
import math
from datetime import datetime, time
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from directory import caching
from directory.filters import DEFAULT_RADIUS, PartnershipFilter
from partnerships import mapsummary
from partnerships.links import site_url
from partnerships.models import (
    Contact,
    DataVersion,
    Membership,
    Organisation,
    Partnership,
    Role,
)
from partnerships.postcodes import place_of_postcode_area, postcode_area
from partnerships.public_records import public_organisations, public_records

from . import ids, serialise
from .taxonomy import LEAD_CONTACT, TermIndex

HSDS_VERSION = "3.0"
PROFILE_URL = "https://openreferraluk.org"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
# The widest `proximity` (metres) accepted: the length of Great Britain and then some.
MAX_PROXIMITY_METRES = 1_000_000
OPENAPI_FILE = Path(__file__).resolve().parent / "openapi.json"
# The directory's own filters that also work here (see `directory.filters.PartnershipFilter`).
DIRECTORY_FILTERS = (
    "region",
    "activity",
    "sector",
    "kind",
    "formality",
    "status",
    "scope",
    "channel",
    "confirmed",
    "near",
    "lat",
    "lon",
    "radius",
)
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no", ""}


class BadRequest(Exception):
    def __init__(self, field, message, code="invalid"):
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


def _errors(field, message, code="invalid"):
    return {"errors": {field: [{"message": message, "code": code}]}}


def _open(response):
    response["Access-Control-Allow-Origin"] = "*"
    return response


def api_view(view):
    """GET and HEAD only, open to every origin, a BadRequest as a 400 JSON answer."""

    @require_safe
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except BadRequest as error:
            response = JsonResponse(_errors(error.field, error.message, error.code), status=400)
        return _open(response)

    return wrapped


def _not_found(kind):
    return JsonResponse(_errors("id", f"No published {kind} has this id.", "not_found"), status=404)


# Conditional requests --------------------------------------------------------------------------


def _request_parts(request):
    return [site_url(request), request.path, caching.normalised_query(request.GET, ignore=())]


def _validators(request):
    """(ETag, last-modified time) of this request's answer at the current published-data
    version: one query. The version is kept on the request for `cached_answer`."""
    version, changed_at = DataVersion.objects.filter(pk=DataVersion.SINGLETON).values_list(
        "value", "changed_at"
    ).first() or (0, None)
    request.published_version = version
    key = caching.version_key("openreferral", version, *_request_parts(request))
    return f'"{key.rsplit(":", 1)[1][:32]}"', changed_at


def cached_answer(view):
    """The view's 200 JSON answer kept in the cache under the published-data version and the
    request (as the map data is, see `directory.caching`): asked again before anything public
    changes, it costs a cache read; after a change the version differs and it is computed
    afresh. Errors and streamed answers are never kept."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        key = caching.version_key(
            "openreferral-answer", request.published_version, *_request_parts(request)
        )
        body = cache.get(key)
        if body is not None:
            return HttpResponse(body, content_type="application/json")
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            cache.set(key, response.content, caching.TIMEOUT)
        return response

    return wrapped


# Parameters that do not change which services match.
_NOT_FILTERS = ("page", "per_page", "minimal", "full", "format")


def _count(request, queryset, *, everything=False):
    """How many the request's filters match: counted once per published-data version and
    filters (not per page). With `everything` (no filter: every published partnership), the
    national map's summary knows the number when it is of this version, and nothing is counted."""
    version = request.published_version

    def counted():
        known = mapsummary.published_count(version) if everything else None
        return queryset.count() if known is None else known

    parts = [request.path, caching.normalised_query(request.GET, ignore=_NOT_FILTERS)]
    return caching.cached("openreferral-count", version, parts, counted)


def conditional(view):
    """Answer 304 when the client's copy (If-None-Match / If-Modified-Since) is current; else
    the view's answer with its ETag and Last-Modified."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        etag, changed_at = _validators(request)
        last_modified = changed_at.timestamp() if changed_at else None
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        response = not_modified or view(request, *args, **kwargs)
        if response.status_code in (200, 304):
            response["ETag"] = etag
            if last_modified is not None:
                response["Last-Modified"] = http_date(last_modified)
            response["Cache-Control"] = "no-cache"
        return response

    return wrapped


# Parameters ------------------------------------------------------------------------------------


def _whole_number(params, name, default):
    text = params.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise BadRequest(name, f"{name} must be a whole number.") from None


def _paging(params):
    page = _whole_number(params, "page", 1)
    if page < 1:
        raise BadRequest("page", "page must be 1 or more.")
    per_page = _whole_number(params, "per_page", DEFAULT_PER_PAGE)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest("per_page", f"per_page must be between 1 and {MAX_PER_PAGE}.")
    return page, per_page


def _flag(params, name):
    text = params.get(name, "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise BadRequest(name, f"{name} must be true or false.")


def _uuid(params, name):
    text = params.get(name, "").strip()
    if not text:
        return None
    parsed = ids.parse(text)
    if parsed is None:
        raise BadRequest(name, f"{name} must be a UUID.")
    return parsed


def _moment(params, name):
    """An ISO 8601 date-time (a time without an offset is in the directory's time zone) or a
    date (its start)."""
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = datetime.combine(day, time.min) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest(
            name, f"{name} must be an ISO 8601 date-time or date, e.g. 2026-01-31T09:00:00Z."
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _page(total, page, per_page, contents):
    total_pages = max(1, math.ceil(total / per_page))
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def _term_filter(queryset, taxonomy_key, code):
    """Partnerships with the term (taxonomy key, code), or any term of the taxonomy when
    `code` is None."""
    any_term = code is None
    if taxonomy_key == "activities":
        through = Partnership.activities.through.objects.all()
        if not any_term:
            through = through.filter(activity__slug=code)
        return queryset.filter(pk__in=through.values("partnership_id"))
    if taxonomy_key == "channels":
        through = Partnership.channels.through.objects.all()
        if not any_term:
            through = through.filter(communicationchannel__slug=code)
        return queryset.filter(pk__in=through.values("partnership_id"))
    field = {
        "partnership-types": "kind",
        "formality": "formality",
        "partnership-status": "status",
        "scope": "scope",
    }.get(taxonomy_key)
    if field:
        return queryset if any_term else queryset.filter(**{field: code})
    if taxonomy_key in ("sectors", "membership-roles"):
        members = Membership.objects.all()
        if not any_term:
            condition = "organisation__sector" if taxonomy_key == "sectors" else "role"
            members = members.filter(**{condition: code})
        return queryset.filter(pk__in=members.values("partnership_id"))
    if taxonomy_key == "contact-roles" and (any_term or code == LEAD_CONTACT):
        leads = Contact.objects.public().filter(is_lead=True)
        return queryset.filter(pk__in=leads.values("partnership_id"))
    return queryset.none()


def matching_partnerships(params, index):
    """The published partnerships the request's filters select, in the directory's order (with
    the id last, so that pages never overlap), through the directory's own PartnershipFilter
    for what it knows (search, region, activity, near...) and the Open Referral filters on top.
    Returns (queryset, filter)."""
    data = QueryDict(mutable=True)
    for name in DIRECTORY_FILTERS:
        for value in params.getlist(name):
            data.appendlist(name, value)
    if params.get("search", "").strip():
        data["q"] = params["search"]
    search = PartnershipFilter(data)
    if not search.is_valid():
        errors = search.form.errors.get_json_data()
        if "q" in errors:
            errors["search"] = errors.pop("q")
        raise _FilterErrors(errors)
    queryset = search.qs
    # The directory's order without its "current entries first" (a machine reads every page and
    # gets `assured_date` with each service; a sort on staleness could not use an index), then
    # the id, so that pages never overlap.
    order = [*(search.order or queryset.query.order_by), "pk"]

    term_id = _uuid(params, "taxonomy_term_id")
    if term_id:
        term = index.term_by_id.get(term_id)
        if term is None:
            raise BadRequest("taxonomy_term_id", "No taxonomy term has this id.", "not_found")
        queryset = _term_filter(queryset, term.taxonomy_key, term.code)
    taxonomy_id = _uuid(params, "taxonomy_id")
    if taxonomy_id:
        taxonomy = index.taxonomy_by_id.get(taxonomy_id)
        if taxonomy is None:
            raise BadRequest("taxonomy_id", "No taxonomy has this id.", "not_found")
        queryset = _term_filter(queryset, taxonomy.key, None)
    organization_id = _uuid(params, "organization_id")
    if organization_id:
        # The partnerships the organisation belongs to, or the partnership without a lead that
        # is its own organization (`ids.partnership_as_organization`).
        members = Membership.objects.filter(organisation__uuid=organization_id)
        leads = Membership.objects.filter(role=Role.LEAD).values("partnership_id")
        queryset = queryset.filter(
            Q(pk__in=members.values("partnership_id"))
            | (Q(uuid=organization_id) & ~Q(pk__in=leads))
        )
    modified_after = _moment(params, "modified_after")
    if modified_after:
        queryset = queryset.filter(updated_at__gte=modified_after)
    return queryset.order_by(*order), search


class _FilterErrors(BadRequest):
    def __init__(self, errors):
        super().__init__("", "")
        self.errors = errors


def _filter_errors_view(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _FilterErrors as error:
            return JsonResponse({"errors": error.errors}, status=400)

    return wrapped


def api(view):
    return api_view(_filter_errors_view(conditional(cached_answer(view))))


# Views -----------------------------------------------------------------------------------------


@api
def root(request):
    return JsonResponse(
        {
            "version": HSDS_VERSION,
            "profile": PROFILE_URL,
            "openapi_url": request.build_absolute_uri(reverse("openreferral:openapi")),
        }
    )


@api
def service_list(request):
    page, per_page = _paging(request.GET)
    minimal = _flag(request.GET, "minimal")
    full = _flag(request.GET, "full")
    index = TermIndex()
    partnerships, _search = matching_partnerships(request.GET, index)
    output = request.GET.get("format", "").strip().lower()
    if output == "ndjson":
        # The standard's `format=ndjson`: every matching service in full, one a line, unpaged.
        lines = (
            "\n".join(json.dumps(item, separators=(",", ":")) for item in batch) + "\n"
            for batch in _batched(
                serialise.services(partnerships, base_url=site_url(request), index=index)
            )
        )
        return StreamingHttpResponse(lines, content_type="application/x-ndjson")
    if output not in ("", "json"):
        raise BadRequest("format", "format must be json or ndjson.")
    everything = not caching.normalised_query(request.GET, ignore=_NOT_FILTERS)
    total = _count(request, partnerships, everything=everything)
    start = (page - 1) * per_page
    contents = []
    if start < total:
        records = public_records(
            partnerships[start : start + per_page], base_url=site_url(request), detail=True
        )
        for record in records:
            if minimal:
                contents.append(serialise.minimal_service(record))
            elif full:
                contents.append(serialise.service(record, index))
            else:
                contents.append(serialise.service_list_item(record, index))
    return JsonResponse(_page(total, page, per_page, contents))


def _published_by_uuid(uuid):
    return Partnership.objects.published().filter(uuid=uuid)


def _one_service(request, partnerships, kind="service"):
    found = list(serialise.services(partnerships, base_url=site_url(request)))
    if not found:
        return _not_found(kind)
    return JsonResponse(found[0])


@api
def service_detail(request, id):
    uuid = ids.parse(id)
    if uuid is None:
        return _not_found("service")
    return _one_service(request, _published_by_uuid(uuid))


def _proximity_centre(params):
    """(latitude, longitude, km) of an Open Referral proximity search, or None: a UK
    `postcode` (placed offline at its area's post town, so coarse) or the directory's `lat` and
    `lon`, within `proximity` metres (DEFAULT_RADIUS km when not given)."""
    postcode = params.get("postcode", "").strip()
    proximity = params.get("proximity", "").strip()
    if not postcode:
        return None
    area = postcode_area(postcode)
    if area is None:
        raise BadRequest("postcode", "postcode must be a UK postcode, e.g. BL1 1AA.")
    place = place_of_postcode_area(area)
    if place is None:
        raise BadRequest("postcode", "This postcode's area cannot be placed.", "not_found")
    km = DEFAULT_RADIUS
    if proximity:
        try:
            metres = float(proximity)
        except ValueError:
            metres = -1
        if not 0 < metres <= MAX_PROXIMITY_METRES or math.isnan(metres):
            raise BadRequest(
                "proximity",
                f"proximity must be metres, more than 0 and at most {MAX_PROXIMITY_METRES}.",
            )
        km = metres / 1000
    return place.latitude, place.longitude, km


def service_at_location_rows(params, index):
    """The service_at_locations the request selects, as a "sequence" the page slices: first
    each matching partnership's own point (located ones), then each membership of a matching
    partnership. Near a postcode, the points and member organisations within the distance
    (by `near()`). Returns (points queryset, memberships queryset)."""
    partnerships, _search = matching_partnerships(params, index)
    centre = _proximity_centre(params)
    points = partnerships.located()
    members = Membership.objects.filter(partnership__in=partnerships.order_by().values("pk"))
    if centre:
        latitude, longitude, km = centre
        try:
            points = points.near(latitude, longitude, km).order_by("distance_km", "name", "pk")
            nearby = Organisation.objects.near(latitude, longitude, km).values("pk")
        except ValueError as error:
            raise BadRequest("proximity", str(error)) from None
        members = members.filter(organisation__in=nearby)
    members = members.order_by("partnership__name", "partnership_id", "role", "organisation__name")
    return points, members


@api
def service_at_location_list(request):
    page, per_page = _paging(request.GET)
    index = TermIndex()
    points, members = service_at_location_rows(request.GET, index)
    point_count = _count(request, points)
    member_count = caching.cached(
        "openreferral-member-count",
        request.published_version,
        [request.path, caching.normalised_query(request.GET, ignore=("page", "per_page"))],
        members.count,
    )
    total = point_count + member_count
    start, end = (page - 1) * per_page, page * per_page
    base_url = site_url(request)
    contents = []
    if start < point_count:
        for record in public_records(
            points[start : min(end, point_count)], base_url=base_url, detail=True
        ):
            item = serialise.service_at_location_list_items(record, index)[0]
            contents.append(item)
    if end > point_count and start < total:
        wanted = list(
            members[max(0, start - point_count) : end - point_count].values_list(
                "partnership_id", "organisation__uuid"
            )
        )
        records = {
            record["id"]: record
            for record in public_records(
                Partnership.objects.filter(pk__in={pk for pk, _ in wanted}),
                base_url=base_url,
                detail=True,
            )
        }
        for partnership_id, organisation_uuid in wanted:
            record = records[partnership_id]
            location_id = ids.organisation_location(organisation_uuid)
            contents.extend(
                item
                for item in serialise.service_at_location_list_items(record, index)
                if item["location_id"] == location_id
            )
    return JsonResponse(_page(total, page, per_page, contents))


def _owner_of_service_at_location(sal_id):
    """The pk of the published partnership that the service_at_location id belongs to, or None:
    the id names its partnership by an index range (`ids.service_at_location`), then the point
    or the member it is at is checked among that partnership's few memberships. Two queries."""
    bounds = ids.partnership_range_of_service_at_location(sal_id)
    if bounds is None:
        return None
    candidates = Partnership.objects.published().filter(uuid__gte=bounds[0], uuid__lte=bounds[1])
    for pk, uuid, latitude in candidates.values_list("pk", "uuid", "latitude"):
        if latitude is not None and ids.service_at_location(uuid) == sal_id:
            return pk
        members = Membership.objects.filter(partnership_id=pk).values_list(
            "organisation__uuid", flat=True
        )
        if any(ids.service_at_location(uuid, member) == sal_id for member in members):
            return pk
    return None


@api
def service_at_location_detail(request, id):
    """The full service that the service_at_location belongs to (as the standard's OpenAPI
    document says)."""
    sal_id = ids.parse(id)
    owner = _owner_of_service_at_location(sal_id) if sal_id else None
    if owner is None:
        return _not_found("service_at_location")
    return _one_service(request, Partnership.objects.published().filter(pk=owner))


@api
def organization_list(request):
    page, per_page = _paging(request.GET)
    full = _flag(request.GET, "full")
    organisations = Organisation.objects.public().order_by("name", "pk")
    total = _count(request, organisations)
    start = (page - 1) * per_page
    contents = []
    if start < total:
        index = TermIndex() if full else None
        for organisation in public_organisations(
            organisations[start : start + per_page], base_url=site_url(request)
        ):
            contents.append(
                serialise.organization(organisation, index)
                if full
                else serialise.organization_list_item(organisation)
            )
    return JsonResponse(_page(total, page, per_page, contents))


@api
def organization_detail(request, id):
    uuid = ids.parse(id)
    organisations = Organisation.objects.public().filter(uuid=uuid) if uuid else None
    base_url = site_url(request)
    found = list(public_organisations(organisations, base_url=base_url)) if uuid else []
    if not found:
        return _partnership_as_organization(request, uuid)
    index = TermIndex()
    partnerships = (
        Partnership.objects.published()
        .filter(pk__in=Membership.objects.filter(organisation__uuid=uuid).values("partnership"))
        .order_by("name", "pk")
    )
    services = list(serialise.services(partnerships, base_url=base_url, full=False, index=index))
    return JsonResponse(serialise.organization(found[0], index, services=services))


def _partnership_as_organization(request, uuid):
    """A published partnership without a lead member, as the organization that provides it
    (`ids.partnership_as_organization`), with its one service; else 404."""
    leads = Membership.objects.filter(role=Role.LEAD).values("partnership_id")
    partnerships = (
        _published_by_uuid(uuid).exclude(pk__in=leads) if uuid else Partnership.objects.none()
    )
    index = TermIndex()
    found = list(serialise.services(partnerships, base_url=site_url(request), index=index))
    if not found:
        return _not_found("organization")
    organization = found[0]["organization"]
    list_form = serialise.service_list_item
    records = public_records(partnerships, base_url=site_url(request), detail=True)
    organization["services"] = [list_form(record, index) for record in records]
    return JsonResponse(organization)


def _listed(request, items):
    page, per_page = _paging(request.GET)
    start = (page - 1) * per_page
    return JsonResponse(_page(len(items), page, per_page, items[start : start + per_page]))


@api
def taxonomy_list(request):
    index = TermIndex()
    return _listed(request, [serialise.taxonomy(index, t) for t in index.taxonomies])


@api
def taxonomy_detail(request, id):
    index = TermIndex()
    taxonomy = index.taxonomy_by_id.get(ids.parse(id) or "")
    if taxonomy is None:
        return _not_found("taxonomy")
    return JsonResponse(serialise.taxonomy(index, taxonomy))


@api
def taxonomy_term_list(request):
    index = TermIndex()
    terms = index.terms()
    taxonomy_id = _uuid(request.GET, "taxonomy_id")
    if taxonomy_id:
        taxonomy = index.taxonomy_by_id.get(taxonomy_id)
        if taxonomy is None:
            raise BadRequest("taxonomy_id", "No taxonomy has this id.", "not_found")
        terms = taxonomy.terms
    return _listed(request, [serialise.taxonomy_term(index, term) for term in terms])


@api
def taxonomy_term_detail(request, id):
    index = TermIndex()
    term = index.term_by_id.get(ids.parse(id) or "")
    if term is None:
        return _not_found("taxonomy_term")
    return JsonResponse(serialise.taxonomy_term(index, term))


@api_view
def openapi(request):
    """The OpenAPI document of this API (adapted from the Open Referral UK one, CC BY-SA 4.0),
    with this server's address."""
    document = json.loads(OPENAPI_FILE.read_text())
    document["servers"] = [
        {"url": request.build_absolute_uri(reverse("openreferral:root")).rstrip("/")}
    ]
    return JsonResponse(document)


# Bulk feeds ------------------------------------------------------------------------------------


def _published_in_order():
    # In the order of the ids (the order they were added), which the feed reads by keyset.
    return Partnership.objects.published()


# Services a yield: fewer, larger writes to the connection.
_BATCH = 100


def _batched(items):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _json_lines(partnerships, base_url):
    """Each full service as compact JSON, in lists of `_BATCH`."""
    for batch in _batched(serialise.every_service(partnerships, base_url=base_url)):
        yield [json.dumps(item, separators=(",", ":")) for item in batch]


def _json_array(partnerships, base_url):
    """The full services as one JSON array, a service a line, streamed."""
    yield "["
    separator = "\n"
    for batch in _json_lines(partnerships, base_url):
        yield separator + ",\n".join(batch)
        separator = ",\n"
    yield "\n]\n"


def _ndjson(partnerships, base_url):
    for batch in _json_lines(partnerships, base_url):
        yield "\n".join(batch) + "\n"


def _bulk(request, lines, content_type, filename):
    response = StreamingHttpResponse(
        lines(_published_in_order(), site_url(request)), content_type=content_type
    )
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@api_view
@conditional
def services_json(request):
    """Every published partnership as a full service, in one JSON array."""
    return _bulk(request, _json_array, "application/json", "services.json")


@api_view
@conditional
def services_ndjson(request):
    """Every published partnership as a full service, one JSON object a line."""
    return _bulk(request, _ndjson, "application/x-ndjson", "services.ndjson")


@require_safe
def about(request):
    # The API answers in one language, at its English addresses, whatever the page's language.
    site = site_url(request)
    with translation.override(settings.LANGUAGE_CODE):
        base = site + reverse("openreferral:root")
        openapi_url = site + reverse("openreferral:openapi")
        downloads = {
            "services_json": site + reverse("openreferral:services_json"),
            "services_ndjson": site + reverse("openreferral:services_ndjson"),
        }
    return render(
        request,
        "openreferral/about.html",
        {
            "api_base": base,
            "openapi_url": openapi_url,
            **downloads,
            "per_page_limit": MAX_PER_PAGE,
            "licence_name": settings.OPEN_DATA_LICENCE_NAME,
            "licence_url": settings.OPEN_DATA_LICENCE_URL,
        },
    )
