"""The ids of the Open Referral UK feed: stable UUIDs for every record it publishes.

A partnership (an HSDS service) and an organisation carry their own stored UUID
(`Partnership.uuid`, `Organisation.uuid`), made once and never changed, whatever happens to the
name or slug. Every other record of the feed is a part of one of those, so its id is derived from
its owner's id by a name-based UUID (RFC 4122 version 5) in this directory's namespace: the same
record gets the same id in every response and every download, and nothing more is stored.
"""

import uuid

# This directory's namespace for name-based ids. Never change it: every derived id would change.
NAMESPACE = uuid.UUID("5d0f6b8e-3c1a-4f7e-9b2d-8a4c6e1f2b3d")


def derived(*parts):
    """The id named by `parts` (owner ids, kinds, codes) in the directory's namespace."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts)))


def service(partnership_uuid):
    return str(partnership_uuid)


def organization(organisation_uuid):
    return str(organisation_uuid)


def partnership_as_organization(partnership_uuid):
    """The organization record of a partnership that has no lead member organisation."""
    return derived("partnership-organization", partnership_uuid)


def partnership_location(partnership_uuid):
    """The location of the partnership's own point (its area, or the middle of its members)."""
    return derived("location", "partnership", partnership_uuid)


def organisation_location(organisation_uuid):
    """The one location of a member organisation, shared by every partnership it belongs to."""
    return derived("location", "organisation", organisation_uuid)


def service_at_location(service_id, location_id):
    return derived("service-at-location", service_id, location_id)


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
