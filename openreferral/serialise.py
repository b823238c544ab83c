"""Open Referral UK (HSDS 3.0 UK) records made from the directory's public record.

Everything here reads `partnerships.public_records` (with `detail=True`) or
`public_organisations`, never a model instance, so the feed can show nothing that the exports'
one public path does not let out. The mapping is the table in the README ("Open data"). Empty
values are left out of every record (never null, never ""), except where the schema requires a
field.

    for service in services(Partnership.objects.published().order_by("name")):
        ...                                   # a full service dict, in the queryset's order
"""

from django.utils.translation import gettext, pgettext

from partnerships.languages import reading_welsh
from partnerships.models import Role
from partnerships.public_records import (
    choice_labels,
    public_organisations,
    public_records,
    public_records_in_id_order,
)

from . import ids
from .taxonomy import LEAD_CONTACT, TermIndex

# A partnership's status as an HSDS service status.
SERVICE_STATUS = {
    "forming": "active",
    "active": "active",
    "dormant": "inactive",
    "closed": "defunct",
}
# org-id.guide codes of the identifier schemes that have one (https://org-id.guide).
ORG_ID_SCHEMES = {
    "charity-ew": "GB-CHC",
    "charity-sc": "GB-SC",
    "charity-ni": "GB-NIC",
    "company": "GB-COH",
    "ukprn": "GB-UKPRN",
}
# The languages a service's entry is written in (HSDS `language`: name and ISO 639-1 code).
LANGUAGES = {"en": "English", "cy": "Cymraeg"}
# The Welsh texts of a partnership: any of them means its entry is (also) in Welsh.
WELSH_FIELDS = ("name_cy", "summary_cy", "description_cy", "aims_cy")


def _label(kind, value):
    """A choice's label (`kind`: "sectors", "roles", "meeting_formats") as plain text in the
    active language, "" for no value."""
    return getattr(choice_labels(), kind).get(value, "")


def _in_language(record, field):
    """The record's `field` in the feed's language (the request's: /cy/ gives Welsh), falling
    back to the other language's text when it has none, as the pages do."""
    english, welsh = record[field], record.get(f"{field}_cy", "")
    if reading_welsh():
        return welsh or english
    return english or welsh


def without_empty(record):
    """`record` without the keys whose values are None, "" or an empty list."""
    return {key: value for key, value in record.items() if value not in (None, "", [], {})}


def _attributes(index, link_id, link_type, pairs):
    """HSDS attributes linking `link_id` to each (taxonomy key, code) the taxonomies know."""
    found = (index.attribute(link_id, link_type, key, code) for key, code in pairs if code)
    return [attribute for attribute in found if attribute is not None]


def description_of(record):
    """The service's description: summary, description, then the aims (see the README), in
    the feed's language where the entry has them in it."""
    parts = [_in_language(record, "summary"), _in_language(record, "description")]
    aims = _in_language(record, "aims")
    if aims:
        parts.append(
            pgettext("Open Referral service description", "Aims and objectives: %(aims)s")
            % {"aims": aims}
        )
    return "\n\n".join(part for part in parts if part)


def languages_of(record, service_id):
    """The languages the entry is written in: English, and Welsh when it has Welsh text."""
    codes = ["en"]
    if any(record.get(field) for field in WELSH_FIELDS):
        codes.append("cy")
    return [
        {
            "id": ids.derived("language", service_id, code),
            "service_id": service_id,
            "name": LANGUAGES[code],
            "code": code,
        }
        for code in codes
    ]


def sector_description(member):
    label = _label("sectors", member["sector"])
    return f"{label}, {member['town']}" if member["town"] else label


# Organizations ---------------------------------------------------------------------------------


def organization_identifiers(organisation):
    organization_id = ids.organization(organisation["uuid"])
    return [
        without_empty(
            {
                "id": ids.organization_identifier(scheme, value),
                "organization_id": organization_id,
                "identifier_scheme": ORG_ID_SCHEMES.get(scheme),
                "identifier_type": label,
                "identifier": value,
            }
        )
        for scheme, label, value in organisation["identifiers"]
    ]


def organization_list_item(organisation):
    """A member organisation in the list form (`organization_list.json`)."""
    return without_empty(
        {
            "id": ids.organization(organisation["uuid"]),
            "name": _in_language(organisation, "name"),
            "description": sector_description(organisation) or _in_language(organisation, "name"),
            "website": organisation["website"],
            "uri": organisation["url"],
        }
    )


def organization(organisation, index, *, services=None):
    """A member organisation in full (`organization.json`), with `services` (list forms of its
    published partnerships) when given."""
    organization_id = ids.organization(organisation["uuid"])
    return without_empty(
        {
            **organization_list_item(organisation),
            "organization_identifiers": organization_identifiers(organisation),
            "attributes": _attributes(
                index, organization_id, "organization", [("sectors", organisation["sector"])]
            ),
            "services": services,
        }
    )


def _lead(record):
    return next((m for m in record["member_list"] if m["role"] == Role.LEAD), None)


def _partnership_as_organization(record):
    return without_empty(
        {
            "id": ids.partnership_as_organization(record["uuid"]),
            "name": _in_language(record, "name"),
            "description": _in_language(record, "summary") or _in_language(record, "name"),
            "website": record["website"],
            "uri": record["url"],
        }
    )


def service_organization(record, index, *, full=True):
    """Who provides the service: the lead member organisation, or the partnership itself."""
    lead = _lead(record)
    if lead is None:
        return _partnership_as_organization(record)
    return organization(lead, index) if full else organization_list_item(lead)


# Locations -------------------------------------------------------------------------------------


def _partnership_location(record):
    if record["latitude"] is None or record["longitude"] is None:
        return None
    return {
        "id": ids.partnership_location(record["uuid"]),
        "location_type": "physical",
        "name": record["area"] or _in_language(record, "name"),
        "description": gettext("Where the partnership is based"),
        "latitude": record["latitude"],
        "longitude": record["longitude"],
    }


def _member_location(member, index, *, full=True):
    location_id = ids.organisation_location(member["uuid"])
    first = member["identifiers"][0] if member["identifiers"] else None
    location = {
        "id": location_id,
        "location_type": "physical",
        "name": _in_language(member, "name"),
        "description": " · ".join(
            label
            for label in (_label("roles", member["role"]), _label("sectors", member["sector"]))
            if label
        ),
        "latitude": member["latitude"],
        "longitude": member["longitude"],
        "external_identifier": first[2] if first else None,
        "external_identifier_type": first[1] if first else None,
    }
    if full:
        if member["town"]:
            # Only the town is public: address_1 and postal_code are required, so empty.
            location["addresses"] = [
                {
                    "id": ids.address(location_id),
                    "location_id": location_id,
                    "address_1": "",
                    "city": member["town"],
                    "state_province": member["region"] or member["country_name"],
                    "postal_code": "",
                    "country": "GB",
                    "address_type": "physical",
                }
            ]
        location["attributes"] = _attributes(
            index,
            location_id,
            "location",
            [("membership-roles", member["role"]), ("sectors", member["sector"])],
        )
    return without_empty(location)


def service_at_locations(record, index, *, full=True):
    service_id = ids.service(record["uuid"])
    found = []
    own = _partnership_location(record)
    if own is not None:
        found.append((ids.service_at_location(record["uuid"]), without_empty(own)))
    found.extend(
        (
            ids.service_at_location(record["uuid"], member["uuid"]),
            _member_location(member, index, full=full),
        )
        for member in record["member_list"]
    )
    return [
        {
            "id": sal_id,
            "service_id": service_id,
            "location_id": location["id"],
            "location": location,
        }
        for sal_id, location in found
    ]


# Services --------------------------------------------------------------------------------------


def service_list_item(record, index):
    """A partnership in the list form (`service_list.json`): one-to-one fields and its
    organization in list form."""
    organization_record = service_organization(record, index, full=False)
    verified = record["last_verified_at"]
    return without_empty(
        {
            "id": ids.service(record["uuid"]),
            "organization_id": organization_record["id"],
            "name": _in_language(record, "name"),
            "description": description_of(record),
            "url": record["website"],
            "email": record["lead_contact_email"],
            "status": SERVICE_STATUS.get(record["codes"]["status"], "active"),
            "assured_date": verified.date().isoformat() if verified else None,
            "last_modified": record["updated_at"].isoformat() if record["updated_at"] else None,
            "organization": organization_record,
        }
    )


def _schedules(record, service_id):
    if not (record["meeting_frequency"] or record["meeting_format"]):
        return []
    return [
        without_empty(
            {
                "id": ids.schedule(service_id),
                "service_id": service_id,
                "description": record["meeting_frequency"],
                "attending_type": _label("meeting_formats", record["meeting_format"]),
            }
        )
    ]


def _service_areas(record, service_id):
    areas = []
    if record["area"]:
        areas.append(
            {
                "id": ids.service_area(service_id, "area"),
                "service_id": service_id,
                "name": record["area"],
                "service_area": record["area"],
            }
        )
    if record["region_name"]:
        areas.append(
            without_empty(
                {
                    "id": ids.service_area(service_id, "region"),
                    "service_id": service_id,
                    "name": record["region_name"],
                    "uri": record["region_url"],
                }
            )
        )
    return areas


def _contacts(record, index, service_id):
    found = []
    for contact in record["contacts"]:
        contact_id = ids.contact(contact["pk"])
        found.append(
            without_empty(
                {
                    "id": contact_id,
                    "service_id": service_id,
                    "name": contact["name"],
                    "title": contact["job_title"],
                    "email": contact["email"],
                    "phones": [{"id": ids.phone(contact_id), "number": contact["phone"]}]
                    if contact["phone"]
                    else [],
                    "attributes": _attributes(
                        index,
                        contact_id,
                        "contact",
                        [("contact-roles", LEAD_CONTACT if contact["is_lead"] else "")],
                    ),
                }
            )
        )
    return found


def service(record, index):
    """A partnership as a full HSDS service (`service.json`)."""
    service_id = ids.service(record["uuid"])
    codes = record["codes"]
    return without_empty(
        {
            **service_list_item(record, index),
            "organization": service_organization(record, index, full=True),
            "schedules": _schedules(record, service_id),
            "service_areas": _service_areas(record, service_id),
            "service_at_locations": service_at_locations(record, index),
            "languages": languages_of(record, service_id),
            "contacts": _contacts(record, index, service_id),
            "attributes": _attributes(
                index,
                service_id,
                "service",
                [
                    ("partnership-types", codes["kind"]),
                    ("formality", codes["formality"]),
                    ("partnership-status", codes["status"]),
                    ("scope", codes["scope"]),
                    *(("activities", slug) for slug, _ in record["activity_list"]),
                    *(("channels", slug) for slug, _ in record["channel_list"]),
                ],
            ),
        }
    )


def minimal_service(record):
    """Only the id and the time of the last change (the `minimal` option)."""
    return without_empty(
        {
            "id": ids.service(record["uuid"]),
            "last_modified": record["updated_at"].isoformat() if record["updated_at"] else None,
        }
    )


def services(partnerships, *, base_url="", full=True, index=None, chunk_size=None):
    """The service dict of each partnership in `partnerships` (a queryset of published ones,
    ordered), in its order: full services, or the list form with `full=False`. Lazy, and read
    a chunk at a time, so the whole directory streams in flat memory."""
    index = index or TermIndex()
    options = {} if chunk_size is None else {"chunk_size": chunk_size}
    for record in public_records(partnerships, base_url=base_url, detail=True, **options):
        yield service(record, index) if full else service_list_item(record, index)


def every_service(partnerships, *, base_url="", chunk_size=None):
    """The full service of each partnership in `partnerships`, in the order of their ids, read
    by keyset chunks (`public_records_in_id_order`): the bulk feed, in memory that does not grow
    with the directory."""
    index = TermIndex()
    options = {} if chunk_size is None else {"chunk_size": chunk_size}
    records = public_records_in_id_order(partnerships, base_url=base_url, detail=True, **options)
    for record in records:
        yield service(record, index)


def service_at_location_list_items(record, index):
    """The service's service_at_locations in list form (`service_at_location_list.json`):
    each with its location (no addresses or attributes) and the service in list form."""
    listed_service = service_list_item(record, index)
    return [
        {**item, "service": listed_service}
        for item in service_at_locations(record, index, full=False)
    ]


def organizations(organisations, *, base_url="", index=None):
    """Each public organisation in `organisations` as a full organization record (without its
    services: see `organization`)."""
    index = index or TermIndex()
    for organisation in public_organisations(organisations, base_url=base_url):
        yield organization(organisation, index)


# Taxonomies ------------------------------------------------------------------------------------


def taxonomy(index, taxonomy_record):
    return without_empty(index.taxonomy_record(taxonomy_record))


def taxonomy_term(index, term):
    return without_empty(index.term_record(term))
