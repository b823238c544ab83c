"""A partnership as plain data, and back.

A snapshot is a JSON-ready dict of everything an editor can change: the partnership's own fields,
its activities and channels, its members, contacts and agreements. The editing form reads and
writes snapshots; an edit to a published partnership is kept as a snapshot in a `Revision` until it
is approved; approving writes it to the live rows with `apply_snapshot`. `diff` compares two
snapshots field by field for the moderation queue.
"""

from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime

from partnerships.models import (
    Activity,
    Agreement,
    AgreementKind,
    AgreementStatus,
    CommunicationChannel,
    Contact,
    Formality,
    Kind,
    MeetingFormat,
    Membership,
    Organisation,
    Partnership,
    Region,
    Role,
    Scope,
    Status,
)

# The partnership's own editable fields, with the labels shown in the moderation diff.
FIELDS = {
    "name": "Name",
    "kind": "Type",
    "summary": "Summary",
    "description": "Description",
    "aims": "Aims and objectives",
    "formality": "Formality",
    "status": "Status",
    "established_year": "Established",
    "scope": "Scope",
    "area_name": "Area",
    "region": "Region",
    "website": "Website",
    "mailing_list": "Mailing list",
    "meeting_frequency": "Meeting frequency",
    "meeting_format": "Meeting format",
}
CHOICES = {
    "kind": Kind,
    "formality": Formality,
    "status": Status,
    "scope": Scope,
    "meeting_format": MeetingFormat,
}
CONTACT_FIELDS = ["name", "job_title", "email", "phone", "is_lead", "consent_to_publish"]
AGREEMENT_FIELDS = [
    "kind",
    "title",
    "status",
    "signed_on",
    "review_due",
    "summary",
    "document",
    "is_public",
    "shareable_example",
]


def snapshot_of(partnership):
    """The live partnership as a snapshot."""
    fields = {name: getattr(partnership, name) for name in FIELDS if name != "region"}
    fields["region"] = partnership.region.slug if partnership.region_id else ""
    return {
        "fields": fields,
        "activities": sorted(partnership.activities.values_list("slug", flat=True)),
        "channels": sorted(partnership.channels.values_list("slug", flat=True)),
        "members": [
            {"organisation": m.organisation_id, "role": m.role, "joined_year": m.joined_year}
            for m in partnership.memberships.order_by("pk")
        ],
        "contacts": [
            {
                "id": c.pk,
                "organisation": c.organisation_id,
                **{name: getattr(c, name) for name in CONTACT_FIELDS},
                "consented_at": c.consented_at.isoformat() if c.consented_at else None,
            }
            for c in partnership.contacts.order_by("pk")
        ],
        "agreements": [
            {
                "id": a.pk,
                **{name: _plain(getattr(a, name)) for name in AGREEMENT_FIELDS},
                "parties": sorted(party.pk for party in a.parties.all()),
            }
            for a in partnership.agreements.prefetch_related("parties").order_by("pk")
        ],
    }


def _plain(value):
    """A JSON-ready form of a model value (dates as ISO text, files as their storage name)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "name") and hasattr(value, "storage"):
        return value.name or ""
    return value


@transaction.atomic
def apply_snapshot(partnership, data):
    """Write a snapshot to the live rows: fields, activities, channels, and the members,
    contacts and agreements it lists (rows it no longer lists are removed)."""
    fields = data["fields"]
    for name in FIELDS:
        if name == "region":
            slug = fields.get("region") or ""
            partnership.region = Region.objects.filter(slug=slug).first() if slug else None
        elif name in fields:
            setattr(partnership, name, fields[name])
    partnership.save()
    partnership.activities.set(Activity.objects.filter(slug__in=data.get("activities", [])))
    partnership.channels.set(CommunicationChannel.objects.filter(slug__in=data.get("channels", [])))
    _apply_members(partnership, data.get("members", []))
    Partnership.objects.filter(pk=partnership.pk).refresh_member_names()
    _apply_contacts(partnership, data.get("contacts", []))
    _apply_agreements(partnership, data.get("agreements", []))
    return partnership


def _apply_members(partnership, members):
    wanted = {m["organisation"]: m for m in members}
    partnership.memberships.exclude(organisation_id__in=wanted).delete()
    existing = {m.organisation_id: m for m in partnership.memberships.all()}
    valid = set(Organisation.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    for organisation_id, member in wanted.items():
        if organisation_id not in valid:
            continue
        membership = existing.get(organisation_id) or Membership(
            partnership=partnership, organisation_id=organisation_id
        )
        membership.role = member.get("role") or Role.MEMBER
        membership.joined_year = member.get("joined_year")
        membership.save()


def _apply_contacts(partnership, contacts):
    keep = []
    existing = {c.pk: c for c in partnership.contacts.all()}
    for item in contacts:
        contact = existing.get(item.get("id")) or Contact(partnership=partnership)
        for name in CONTACT_FIELDS:
            setattr(contact, name, item.get(name) or ("" if name not in _BOOLEANS else False))
        contact.organisation_id = item.get("organisation") or None
        consented = item.get("consented_at")
        contact.consented_at = (
            (parse_datetime(consented) if isinstance(consented, str) else consented)
            if contact.consent_to_publish
            else None
        )
        contact.save()
        keep.append(contact.pk)
    partnership.contacts.exclude(pk__in=keep).delete()


_BOOLEANS = {"is_lead", "consent_to_publish", "is_public", "shareable_example"}


def _apply_agreements(partnership, agreements):
    keep = []
    existing = {a.pk: a for a in partnership.agreements.all()}
    for item in agreements:
        agreement = existing.get(item.get("id")) or Agreement(partnership=partnership)
        for name in AGREEMENT_FIELDS:
            value = item.get(name)
            if name in ("signed_on", "review_due"):
                value = parse_date(value) if isinstance(value, str) and value else None
            elif name == "document":
                value = value or ""
            elif name in _BOOLEANS:
                value = bool(value)
            else:
                value = value or ""
            setattr(agreement, name, value)
        agreement.save()
        agreement.parties.set(Organisation.objects.filter(pk__in=item.get("parties", [])))
        keep.append(agreement.pk)
    partnership.agreements.exclude(pk__in=keep).delete()


def diff(before, after):
    """What changed between two snapshots, as (label, before, after) rows of display text, in a
    stable order. `before` may be None for a partnership that is entirely new."""
    before = before or {"fields": {}}
    rows = []
    for name, label in FIELDS.items():
        old = _display(name, before["fields"].get(name))
        new = _display(name, after["fields"].get(name))
        if old != new:
            rows.append((label, old, new))
    for key, label, describe in [
        ("activities", "Activities", _names(Activity)),
        ("channels", "Keeps in touch by", _names(CommunicationChannel)),
        ("members", "Members", _describe_members),
        ("contacts", "Contacts", _describe_contacts),
        ("agreements", "Agreements", _describe_agreements),
    ]:
        old, new = describe(before.get(key) or []), describe(after.get(key) or [])
        if old != new:
            rows.append((label, old, new))
    return rows


def _display(name, value):
    if value in (None, ""):
        return ""
    if name in CHOICES:
        try:
            return CHOICES[name](value).label
        except ValueError:
            return str(value)
    if name == "region":
        region = Region.objects.filter(slug=value).first()
        return region.name if region else str(value)
    return str(value)


def _names(model):
    def describe(slugs):
        names = dict(model.objects.filter(slug__in=slugs).values_list("slug", "name"))
        return "; ".join(sorted(names.get(slug, slug) for slug in slugs))

    return describe


def _describe_members(members):
    names = dict(
        Organisation.objects.filter(pk__in=[m["organisation"] for m in members]).values_list(
            "pk", "name"
        )
    )
    return "; ".join(
        sorted(
            f"{names.get(m['organisation'], '(removed organisation)')} ({Role(m['role']).label})"
            for m in members
        )
    )


def _describe_contacts(contacts):
    ids = {c["organisation"] for c in contacts if c.get("organisation")}
    names = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    return "; ".join(
        sorted(
            f"{c.get('name')} <{c.get('email') or 'no email'}>"
            f"{', ' + names[c['organisation']] if c.get('organisation') in names else ''}"
            f"{' lead' if c.get('is_lead') else ''}"
            f"{' (published)' if c.get('consent_to_publish') else ' (private)'}"
            for c in contacts
        )
    )


def _describe_agreements(agreements):
    return "; ".join(
        sorted(
            f"{AgreementKind(a['kind']).label}: {a.get('title')} "
            f"({AgreementStatus(a['status']).label.lower()}, "
            f"{'public' if a.get('is_public') else 'private'}"
            f"{', with document' if a.get('document') else ''})"
            for a in agreements
        )
    )
