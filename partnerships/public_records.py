"""The public record: what may leave the server about a partnership, in one place.

Every download (CSV, GeoJSON, and the feeds built on them) reads partnerships through
`public_records()`. It drops contacts who have not agreed to be published, names only the lead
contact, and lists only public agreements.

With `detail=True` each record also carries what the Open Referral UK feed needs (`openreferral`
builds its records from these and from nothing else): the stored uuid, the full description and
aims, the choices' codes, the region's slug, each member organisation as a dict (uuid, name,
sector, role, town, region, country, point, website, identifiers), every published contact, and
the activities' and channels' slugs with their names. Still a fixed number of queries per chunk
(one more, for the identifiers); without it the records and queries are those of the exports.

It is built for the whole directory at once: it reads plain values in chunks of `CHUNK_SIZE`
partnerships, with a fixed number of queries per chunk and no model instances, so an export of
100,000 entries costs seconds and constant memory. Each record's page address is the reversed
URL of one partnership with the slug swapped in, not a `reverse()` per row.
"""

from collections import defaultdict
from types import SimpleNamespace

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone, translation

from .agreements import status_and_dates
from .identifiers import Scheme
from .languages import reading_welsh
from .models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Contact,
    Country,
    Formality,
    Kind,
    MeetingFormat,
    Membership,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    Region,
    Role,
    Scope,
    Sector,
    Status,
)

CHUNK_SIZE = 2500
SLUG_PLACEHOLDER = "slug-placeholder"

# The fields of a record, in the order of the CSV's columns.
FIELDS = [
    "name",
    "name_cy",
    "summary",
    "summary_cy",
    "url",
    "kind",
    "formality",
    "status",
    "scope",
    "area",
    "region",
    "members",
    "member_count",
    "activities",
    "channels",
    "meeting_frequency",
    "agreements",
    "website",
    "mailing_list",
    "lead_contact",
    "lead_contact_email",
    "lead_contact_phone",
    "latitude",
    "longitude",
    "last_confirmed",
]

_PARTNERSHIP_VALUES = [
    "pk",
    "name",
    "name_cy",
    "slug",
    "summary",
    "summary_cy",
    "kind",
    "formality",
    "status",
    "scope",
    "area_name",
    "region_id",
    "meeting_frequency",
    "website",
    "mailing_list",
    "latitude",
    "longitude",
    "last_verified_at",
]
# Read as well for a detailed record (`detail=True`).
_DETAIL_VALUES = [
    "uuid",
    "updated_at",
    "description",
    "description_cy",
    "aims",
    "aims_cy",
    "meeting_format",
]
_ORGANISATION_DETAIL_VALUES = [
    "pk",
    "name",
    "name_cy",
    "uuid",
    "slug",
    "sector",
    "town",
    "region_id",
    "country",
    "latitude",
    "longitude",
    "website",
]


_ROLE_RANK = {Role.LEAD: 0, Role.MEMBER: 1}
_LABELS_BY_LANGUAGE = {}


def choice_labels():
    """Choice labels by value, in the active language, as plain strings: looked up per row
    (cheaper than building an enum member, or turning a lazy label into text, each time)."""
    language = translation.get_language()
    found = _LABELS_BY_LANGUAGE.get(language)
    if found is None:

        def plain(choices):
            return {value: str(label) for value, label in choices.choices}

        found = _LABELS_BY_LANGUAGE[language] = SimpleNamespace(
            kind=plain(Kind),
            formality=plain(Formality),
            status=plain(Status),
            scope=plain(Scope),
            agreement_kinds=plain(AgreementKind),
            agreement_statuses=plain(AgreementStatus),
            countries=plain(Country),
            schemes=plain(Scheme),
            sectors=plain(Sector),
            roles=plain(Role),
            meeting_formats=plain(MeetingFormat),
        )
    return found


def _local(name, name_cy, welsh):
    """A name in the reader's language, given whether it is Welsh (`reading_welsh()`, asked
    once per chunk rather than per name)."""
    return name_cy if welsh and name_cy else name


def _region_names():
    """{region id: name in the active language}."""
    welsh = reading_welsh()
    return {
        pk: _local(name, name_cy, welsh)
        for pk, name, name_cy in Region.objects.values_list("pk", "name", "name_cy")
    }


class PageAddress:
    """A partnership's page address from its slug, with `base` (e.g. "https://host") before it
    (or, with `url_name`, another public page named by a slug: an organisation's, a region's)."""

    def __init__(self, base="", url_name="directory:partnership"):
        prefix, _, suffix = reverse(url_name, kwargs={"slug": SLUG_PLACEHOLDER}).partition(
            SLUG_PLACEHOLDER
        )
        self.prefix = base.rstrip("/") + prefix
        self.suffix = suffix

    def __call__(self, slug):
        return f"{self.prefix}{slug}{self.suffix}"


def _in_chunk(model, field, ids):
    """`field IN (ids)` as a filter condition, with the ids passed straight to the database.
    The ids come from the database as integers; Django's own `__in` would prepare each value
    again through the field, which at 100,000 rows costs more than the queries themselves."""
    quote_name = connection.ops.quote_name
    column = f"{quote_name(model._meta.db_table)}.{quote_name(model._meta.get_field(field).column)}"
    placeholders = ", ".join(["%s"] * len(ids))
    # Only placeholders and quoted names from the model go into the SQL; the ids are parameters.
    return RawSQL(f"{column} IN ({placeholders})", ids, output_field=BooleanField())  # noqa: S611


def _names_by_partnership(through_model, target, ids, *, with_slugs=False):
    """{partnership id: [names in the target's own order, in the active language]} for an M2M
    through table, or with `with_slugs` [(slug, name), ...]."""
    names = defaultdict(list)
    welsh = reading_welsh()
    rows = (
        through_model.objects.filter(_in_chunk(through_model, "partnership", ids))
        .order_by(*[f"{target}__{field}" for field in _ordering(through_model, target)])
        .values_list("partnership_id", f"{target}__name", f"{target}__name_cy", f"{target}__slug")
    )
    for partnership_id, name, name_cy, slug in rows:
        name = _local(name, name_cy, welsh)
        names[partnership_id].append((slug, name) if with_slugs else name)
    return names


def _ordering(through_model, target):
    return through_model._meta.get_field(target).related_model._meta.ordering or ["name"]


def _chunk_records(ids, page_address, regions, detail=None):
    """The records of the partnerships `ids`, in that order: seven queries whatever their
    number (eight with `detail`, a `_Detail`)."""
    rows = {
        row[0]: row
        for row in Partnership.objects.filter(_in_chunk(Partnership, "id", ids))
        .order_by()
        .values_list(*_PARTNERSHIP_VALUES, *(_DETAIL_VALUES if detail else ()))
    }
    # Memberships, then their organisations' names by id, in the database's order of names:
    # joined (or ordered by name) in one query, the planner reads every organisation per chunk.
    memberships = list(
        Membership.objects.filter(_in_chunk(Membership, "partnership", ids))
        .order_by()
        .values_list("partnership_id", "role", "organisation_id")
    )
    organisation_ids = list({organisation_id for *_, organisation_id in memberships})
    organisations = (
        list(
            Organisation.objects.filter(_in_chunk(Organisation, "id", organisation_ids))
            .order_by("name", "pk")
            .values_list(*(_ORGANISATION_DETAIL_VALUES if detail else ("pk", "name", "name_cy")))
        )
        if organisation_ids
        else []
    )
    welsh = reading_welsh()
    labels = choice_labels()
    place = {row[0]: index for index, row in enumerate(organisations)}
    names = {row[0]: _local(row[1], row[2], welsh) for row in organisations}
    members = defaultdict(list)
    member_details = defaultdict(list)
    if detail:
        organisation_details = detail.organisations(organisations)
    # Leads first, then members, then associates (`Membership.Meta.ordering`), each by name.
    for partnership_id, role, organisation_id in sorted(
        memberships, key=lambda m: (m[0], _ROLE_RANK.get(m[1], 2), place[m[2]])
    ):
        members[partnership_id].append(names[organisation_id])
        if detail:
            member_details[partnership_id].append(
                {**organisation_details[organisation_id], "role": role}
            )
    activities = _names_by_partnership(
        Partnership.activities.through, "activity", ids, with_slugs=bool(detail)
    )
    channels = _names_by_partnership(
        Partnership.channels.through, "communicationchannel", ids, with_slugs=bool(detail)
    )
    leads = {}
    contacts = defaultdict(list)
    if detail:
        # Every published contact, the lead first (`Contact.Meta.ordering`).
        for partnership_id, pk, name, job_title, email, phone, is_lead in (
            Contact.objects.public()
            .filter(_in_chunk(Contact, "partnership", ids))
            .order_by("partnership_id", *Contact._meta.ordering, "pk")
            .values_list("partnership_id", "pk", "name", "job_title", "email", "phone", "is_lead")
        ):
            contacts[partnership_id].append(
                {
                    "pk": pk,
                    "name": name,
                    "job_title": job_title,
                    "email": email,
                    "phone": phone,
                    "is_lead": is_lead,
                }
            )
            if is_lead:
                leads.setdefault(partnership_id, (name, email, phone))
    else:
        for partnership_id, name, email, phone in (
            Contact.objects.public()
            .filter(_in_chunk(Contact, "partnership", ids), is_lead=True)
            .order_by("partnership_id", *Contact._meta.ordering)
            .values_list("partnership_id", "name", "email", "phone")
        ):
            leads.setdefault(partnership_id, (name, email, phone))
    agreements = defaultdict(list)
    today = timezone.localdate()
    for partnership_id, kind, title, status, signed_on, review_due in (
        Agreement.objects.public()
        .filter(_in_chunk(Agreement, "partnership", ids))
        .order_by("partnership_id", *Agreement._meta.ordering)
        .values_list("partnership_id", "kind", "title", "status", "signed_on", "review_due")
    ):
        text = f"{labels.agreement_kinds.get(kind, kind)}: {title}"
        if signed_on or review_due:
            dates = SimpleNamespace(
                get_status_display=labels.agreement_statuses.get(status, status),
                signed_on=signed_on,
                review_due=review_due,
            )
            text += f" ({status_and_dates(dates, today=today)})"
        agreements[partnership_id].append(text)

    for pk in ids:
        row = rows.get(pk)
        if row is None:  # deleted since the ids were read
            continue
        (
            _pk,
            name,
            name_cy,
            slug,
            summary,
            summary_cy,
            kind,
            formality,
            status,
            scope,
            area_name,
            region_id,
            meeting_frequency,
            website,
            mailing_list,
            latitude,
            longitude,
            verified,
            *details,
        ) = row
        lead_name, lead_email, lead_phone = leads.get(pk, ("", "", ""))
        record = {
            "id": pk,
            "name": name,
            "name_cy": name_cy,
            "summary": summary,
            "summary_cy": summary_cy,
            "url": page_address(slug),
            "kind": labels.kind.get(kind, ""),
            "formality": labels.formality.get(formality, ""),
            "status": labels.status.get(status, ""),
            "scope": labels.scope.get(scope, ""),
            "area": area_name,
            "region": regions.get(region_id, ""),
            "members": "; ".join(members[pk]),
            "member_count": len(members[pk]),
            "activities": "; ".join(name for _, name in activities[pk])
            if detail
            else "; ".join(activities[pk]),
            "channels": "; ".join(name for _, name in channels[pk])
            if detail
            else "; ".join(channels[pk]),
            "meeting_frequency": meeting_frequency,
            "agreements": "; ".join(agreements[pk]),
            "website": website,
            "mailing_list": mailing_list,
            "lead_contact": lead_name,
            "lead_contact_email": lead_email,
            "lead_contact_phone": lead_phone,
            "latitude": latitude,
            "longitude": longitude,
            "last_confirmed": verified.date().isoformat() if verified else "",
        }
        if detail:
            (
                uuid,
                updated_at,
                description,
                description_cy,
                aims,
                aims_cy,
                meeting_format,
            ) = details
            region_slug, region_name, _country = detail.regions.get(region_id, ("", "", ""))
            record.update(
                {
                    "uuid": uuid,
                    "slug": slug,
                    "updated_at": updated_at,
                    "last_verified_at": verified,
                    "description": description,
                    "description_cy": description_cy,
                    "aims": aims,
                    "aims_cy": aims_cy,
                    "meeting_format": meeting_format,
                    "codes": {
                        "kind": kind,
                        "formality": formality,
                        "status": status,
                        "scope": scope,
                    },
                    "region_slug": region_slug,
                    "region_name": region_name,
                    "region_url": detail.region_address(region_slug) if region_slug else "",
                    "member_list": member_details[pk],
                    "contacts": contacts[pk],
                    "activity_list": activities[pk],
                    "channel_list": channels[pk],
                }
            )
        yield record


class _Detail:
    """What a detailed record needs besides its chunk: the regions, the organisations' page
    addresses, and their identifiers (one query per chunk)."""

    def __init__(self, base_url):
        welsh = reading_welsh()
        self.regions = {
            pk: (slug, _local(name, name_cy, welsh), country)
            for pk, slug, name, name_cy, country in Region.objects.values_list(
                "pk", "slug", "name", "name_cy", "country"
            )
        }
        self.region_address = PageAddress(base_url, "directory:region")
        self.organisation_address = PageAddress(base_url, "directory:organisation")

    def organisations(self, rows):
        """{organisation id: public details} for rows of `_ORGANISATION_DETAIL_VALUES`."""
        return organisation_details(
            rows, self.regions, self.organisation_address, _identifiers([row[0] for row in rows])
        )


def _identifiers(organisation_ids):
    """{organisation id: [(scheme, label, value), ...]}, in the identifiers' own order."""
    found = defaultdict(list)
    if not organisation_ids:
        return found
    schemes = choice_labels().schemes
    for organisation_id, scheme, scheme_name, value in (
        OrganisationIdentifier.objects.filter(
            _in_chunk(OrganisationIdentifier, "organisation", organisation_ids)
        )
        .order_by("organisation_id", *OrganisationIdentifier._meta.ordering)
        .values_list("organisation_id", "scheme", "scheme_name", "value")
    ):
        label = scheme_name if scheme == Scheme.OTHER else schemes.get(scheme, scheme)
        found[organisation_id].append((scheme, label, value))
    return found


def organisation_details(rows, regions, organisation_address, identifiers):
    """{organisation id: dict} of what the public pages show of each organisation."""
    details = {}
    countries = choice_labels().countries
    for (
        pk,
        name,
        name_cy,
        uuid,
        slug,
        sector,
        town,
        region_id,
        country,
        latitude,
        longitude,
        website,
    ) in rows:
        _slug, region_name, _country = regions.get(region_id, ("", "", ""))
        details[pk] = {
            "id": pk,
            "uuid": uuid,
            "name": name,
            "name_cy": name_cy,
            "url": organisation_address(slug),
            "sector": sector,
            "town": town,
            "region": region_name,
            "country": country,
            "country_name": countries.get(country, ""),
            "latitude": latitude,
            "longitude": longitude,
            "website": website,
            "identifiers": identifiers.get(pk, []),
        }
    return details


def public_records(partnerships, *, base_url="", chunk_size=CHUNK_SIZE, detail=False):
    """The public record of each partnership in `partnerships` (a filtered, ordered queryset), in
    its order, as dicts with the keys of `FIELDS` plus "id" (and with `detail`, those of the Open
    Referral feed: see the module's docstring). Lazy: reads the matching ids in one query when
    first iterated, then `chunk_size` partnerships at a time."""
    page_address = PageAddress(base_url)
    regions = _region_names()
    details = _Detail(base_url) if detail else None
    # The ids, in the queryset's order, are a few megabytes even for the whole directory; holding
    # them keeps the order (name, distance) without a cursor left open across the chunks.
    ids = list(partnerships.values_list("pk", flat=True))
    for first in range(0, len(ids), chunk_size):
        yield from _chunk_records(ids[first : first + chunk_size], page_address, regions, details)


def public_records_in_id_order(partnerships, *, base_url="", chunk_size=CHUNK_SIZE, detail=False):
    """`public_records` of `partnerships` (a filtered queryset) in the order of their ids, for a
    download of the whole directory: each chunk's ids are read after the last one's (keyset
    paging), so nothing grows with the number of partnerships, not even the list of ids."""
    page_address = PageAddress(base_url)
    regions = _region_names()
    details = _Detail(base_url) if detail else None
    partnerships = partnerships.order_by("pk")
    last = None
    while True:
        chunk = partnerships if last is None else partnerships.filter(pk__gt=last)
        ids = list(chunk.values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return
        yield from _chunk_records(ids, page_address, regions, details)
        last = ids[-1]


def public_organisations(organisations, *, base_url="", chunk_size=CHUNK_SIZE):
    """What the public pages show of each organisation in `organisations` (a queryset of
    `Organisation.objects.public()`, ordered), in its order, as the dicts of a detailed record's
    members (without a role). Lazy, like `public_records`: three queries a chunk."""
    detail = _Detail(base_url)
    ids = list(organisations.values_list("pk", flat=True))
    for first in range(0, len(ids), chunk_size):
        chunk = ids[first : first + chunk_size]
        rows = list(
            Organisation.objects.filter(_in_chunk(Organisation, "id", chunk))
            .order_by()
            .values_list(*_ORGANISATION_DETAIL_VALUES)
        )
        found = detail.organisations(rows)
        for pk in chunk:
            if pk in found:
                yield found[pk]
