"""The ids of the Open Referral UK feed: stable UUIDs for every record it publishes.

A partnership (an HSDS service) and an organisation carry their own stored UUID
(`Partnership.uuid`, `Organisation.uuid`), made once and never changed, whatever happens to the
name or slug. Every other record of the feed is a part of one of those, so its id is derived from
its owner's id by a name-based UUID (RFC 4122 version 5) in this directory's namespace: the same
record gets the same id in every response and every download, and nothing more is stored.
"""

import hashlib
import uuid

# This directory's namespace for name-based ids. Never change it: every derived id would change.
NAMESPACE = uuid.UUID("5d0f6b8e-3c1a-4f7e-9b2d-8a4c6e1f2b3d")


_NAMESPACE_BYTES = NAMESPACE.bytes


def derived(*parts):
    """The id named by `parts` (owner ids, kinds, codes) in the directory's namespace: exactly
    `str(uuid.uuid5(NAMESPACE, "part:part:..."))`, computed without building UUID objects (a
    full service has some sixty of these, and the bulk feed 100,000 services)."""
    name = ":".join([str(part) for part in parts]).encode()
    raw = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def service(partnership_uuid):
    return str(partnership_uuid)


def organization(organisation_uuid):
    return str(organisation_uuid)


def partnership_as_organization(partnership_uuid):
    """The organization record of a partnership that has no lead member organisation: the
    partnership's own id. Ids are unique within each kind of record, and no organisation shares
    a partnership's random UUID, so `/organizations/{id}` finds the partnership by it."""
    return str(partnership_uuid)


def partnership_location(partnership_uuid):
    """The location of the partnership's own point (its area, or the middle of its members)."""
    return derived("location", "partnership", partnership_uuid)


def organisation_location(organisation_uuid):
    """The one location of a member organisation, shared by every partnership it belongs to."""
    return derived("location", "organisation", organisation_uuid)


# A service_at_location id is made from the first halves of its partnership's and organisation's
# ids (all version 4 UUIDs), marked as a version 8 UUID (RFC 9562, "custom"), so that the id alone
# finds its partnership by an index range and its member among a few memberships: no table of
# ids and nothing held in memory. The partnership's own point has an empty organisation half.
_POINT = bytes(8)


def service_at_location(partnership_uuid, organisation_uuid=None):
    """The id of a partnership at its own point (no organisation) or at a member's location."""
    first = uuid.UUID(str(partnership_uuid)).bytes[:8]
    second = uuid.UUID(str(organisation_uuid)).bytes[:8] if organisation_uuid else _POINT
    raw = bytearray(first + second)
    raw[6] = (raw[6] & 0x0F) | 0x80  # version 8
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC variant
    return str(uuid.UUID(bytes=bytes(raw)))


def partnership_range_of_service_at_location(text):
    """(lowest, highest) partnership UUID that the service_at_location id `text` can belong to,
    or None when `text` is not such an id."""
    try:
        value = uuid.UUID(str(text))
    except (TypeError, ValueError, AttributeError):
        return None
    if value.version != 8:
        return None
    first = bytearray(value.bytes[:8])
    first[6] = (first[6] & 0x0F) | 0x40  # partnerships' ids are version 4
    return (
        uuid.UUID(bytes=bytes(first) + bytes(8)),
        uuid.UUID(bytes=bytes(first) + b"\xff" * 8),
    )


def address(location_id):
    return derived("address", location_id)


def service_area(service_id, kind):
    """`kind` is "area" (the place it serves) or "region"."""
    return derived("service-area", service_id, kind)


def schedule(service_id):
    return derived("schedule", service_id)


def contact(contact_pk):
    return derived("contact", contact_pk)


def phone(contact_id):
    return derived("phone", contact_id)


def organization_identifier(scheme, value):
    """Identifiers are unique within their scheme, so the pair names one."""
    return derived("organization-identifier", scheme, value)


def taxonomy(key):
    return derived("taxonomy", key)


def taxonomy_term(taxonomy_key, code):
    return derived("taxonomy-term", taxonomy_key, code)


def attribute(link_id, term_id):
    return derived("attribute", link_id, term_id)


def parse(text):
    """`text` as a canonical UUID string, or None when it is not a UUID."""
    try:
        return str(uuid.UUID(str(text)))
    except (TypeError, ValueError, AttributeError):
        return None
