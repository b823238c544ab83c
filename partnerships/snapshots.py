"""A partnership or an organisation as plain data, and back.

A partnership's snapshot is a JSON-ready dict of everything an editor can change: its own fields,
its activities and channels, its members, contacts and agreements. The editing form reads and
writes snapshots; an edit to a published partnership is kept as a snapshot in a `Revision` until it
is approved; approving writes it to the live rows with `apply_snapshot`. An organisation's snapshot
holds its own fields and its identifiers (`snapshot_of_organisation`,
`apply_organisation_snapshot`); its memberships belong to the partnerships' snapshots.

The history (`partnerships.history`) keeps every applied change as a snapshot in this same format,
so one `diff` describes a pending revision to a moderator and any step of an entry's history to a
curator: field by field, in words, with members, contacts and agreements matched item by item.
"""

from collections import namedtuple

from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from partnerships.identifiers import Scheme
from partnerships.languages import reading_welsh
from partnerships.models import (
    Activity,
    Agreement,
    AgreementKind,
    AgreementStatus,
    CommunicationChannel,
    Contact,
    Country,
    Formality,
    Kind,
    LocationPrecision,
    LocationSource,
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

# The partnership's own editable fields, with the labels shown in the moderation diff.
FIELDS = {
    "name": _("Name"),
    "name_cy": _("Name in Welsh"),
    "kind": _("Type"),
    "summary": _("Summary"),
    "summary_cy": _("Summary in Welsh"),
    "description": _("Description"),
    "description_cy": _("Description in Welsh"),
    "aims": _("Aims and objectives"),
    "aims_cy": _("Aims and objectives in Welsh"),
    "formality": _("Formality"),
    "status": _("Status"),
    "established_year": _("Established"),
    "scope": _("Scope"),
    "area_name": _("Area"),
    "region": _("Region"),
    "website": _("Website"),
    "mailing_list": _("Mailing list"),
    "meeting_frequency": _("Meeting frequency"),
    "meeting_format": _("Meeting format"),
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


def _own_fields(partnership):
    fields = {name: getattr(partnership, name) for name in FIELDS if name != "region"}
    fields["region"] = partnership.region.slug if partnership.region_id else ""
    return fields


def snapshot_of_new(partnership, *, activities, members, channels=(), contacts=()):
    """The snapshot of a partnership just created with only these activities and channels
    (slugs), members ((organisation id, role), in the order their rows were inserted) and
    contacts (saved Contact objects, in the order they were inserted) and no agreements: what
    `snapshot_of` would read back, without the reading (an import creates thousands at once)."""
    return {
        "fields": _own_fields(partnership),
        "activities": sorted(activities),
        "channels": sorted(channels),
        "members": [
            {"organisation": organisation, "role": role, "joined_year": None}
            for organisation, role in members
        ],
        "contacts": [_contact_snapshot(c) for c in contacts],
        "agreements": [],
    }


def _contact_snapshot(contact):
    return {
        "id": contact.pk,
        "organisation": contact.organisation_id,
        **{name: getattr(contact, name) for name in CONTACT_FIELDS},
        "consented_at": contact.consented_at.isoformat() if contact.consented_at else None,
    }


def snapshot_of(partnership):
    """The live partnership as a snapshot."""
    fields = _own_fields(partnership)
    return {
        "fields": fields,
        "activities": sorted(partnership.activities.values_list("slug", flat=True)),
        "channels": sorted(partnership.channels.values_list("slug", flat=True)),
        "members": [
            {"organisation": m.organisation_id, "role": m.role, "joined_year": m.joined_year}
            for m in partnership.memberships.order_by("pk")
        ],
        "contacts": [_contact_snapshot(c) for c in partnership.contacts.order_by("pk")],
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
    # An old snapshot may name an organisation deleted since; the contact is kept without it.
    named = {c.get("organisation") for c in contacts if c.get("organisation")}
    organisations = set(Organisation.objects.filter(pk__in=named).values_list("pk", flat=True))
    for item in contacts:
        contact = existing.get(item.get("id")) or Contact(partnership=partnership)
        for name in CONTACT_FIELDS:
            setattr(contact, name, item.get(name) or ("" if name not in _BOOLEANS else False))
        organisation_id = item.get("organisation")
        contact.organisation_id = organisation_id if organisation_id in organisations else None
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


# Organisations -----------------------------------------------------------------------------------

# An organisation's own fields, with the labels its diff shows. Its place on the map is part of it:
# a curator's correction of a location is a change worth keeping (and restoring).
ORGANISATION_FIELDS = {
    "name": _("Name"),
    "name_cy": _("Name in Welsh"),
    "sector": _("Sector"),
    "website": _("Website"),
    "email": _("Email"),
    "address": _("Address"),
    "town": _("Town"),
    "postcode": _("Postcode"),
    "country": _("Country"),
    "region": _("Region"),
    "latitude": _("Latitude"),
    "longitude": _("Longitude"),
    "location_precision": _("Location precision"),
    "location_source": _("Location source"),
}
ORGANISATION_CHOICES = {
    "sector": Sector,
    "country": Country,
    "location_precision": LocationPrecision,
    "location_source": LocationSource,
}


def snapshot_of_organisation(organisation):
    """The live organisation as a snapshot: its own fields and, when it has any, its
    identifiers (its memberships belong to the partnerships' snapshots).

    "identifiers" is left out when there are none, so the snapshot of an organisation without
    identifiers is exactly what it was before identifiers existed: versions recorded then
    still compare equal (no empty step in the history) and read as "no identifiers"."""
    fields = {name: getattr(organisation, name) for name in ORGANISATION_FIELDS if name != "region"}
    fields["region"] = organisation.region.slug if organisation.region_id else ""
    snapshot = {"fields": fields}
    identifiers = identifiers_of(organisation)
    if identifiers:
        snapshot["identifiers"] = identifiers
    return snapshot


def identifiers_of(organisation):
    """The organisation's identifiers as a snapshot holds them: sorted {scheme, scheme_name,
    value} dicts. Reads `organisation.identifiers.all()`, so a prefetch saves the query."""
    rows = [(i.scheme, i.scheme_name, i.value) for i in organisation.identifiers.all()]
    return [
        {"scheme": scheme, "scheme_name": scheme_name, "value": value}
        for scheme, scheme_name, value in sorted(rows)
    ]


def _identifier_key(item):
    return (item.get("scheme") or "", item.get("scheme_name") or "", item.get("value") or "")


def apply_organisation_snapshot(organisation, data):
    """Write an organisation's snapshot to its live row and its identifiers. A snapshot without
    "identifiers" means none (see `snapshot_of_organisation`). An identifier that another
    organisation holds by now stays with it: identifiers are unique, and a restore of one entry
    never takes from another (an undone merge gives the survivor's back first, see
    `history.undo`)."""
    fields = data["fields"]
    for name in ORGANISATION_FIELDS:
        if name == "region":
            slug = fields.get("region") or ""
            organisation.region = Region.objects.filter(slug=slug).first() if slug else None
        elif name in fields:
            value = fields[name]
            if value is None and name not in ("latitude", "longitude"):
                value = ""
            setattr(organisation, name, value)
    organisation.save()
    _apply_identifiers(organisation, data.get("identifiers") or [])
    organisation.partnerships.all().refresh_member_names()  # its name, as search finds them by
    return organisation


def _apply_identifiers(organisation, items):
    wanted = {_identifier_key(item) for item in items if item.get("scheme") and item.get("value")}
    held = {
        (row.scheme, row.scheme_name, row.value): row
        for row in OrganisationIdentifier.objects.filter(organisation=organisation)
    }
    for key, row in held.items():
        if key not in wanted:
            row.delete()
    for scheme, scheme_name, value in sorted(wanted - set(held)):
        taken = OrganisationIdentifier.objects.filter(
            scheme=scheme, scheme_name=scheme_name, value=value
        )
        if taken.exists():
            continue
        try:
            with transaction.atomic():
                OrganisationIdentifier.objects.create(
                    organisation=organisation, scheme=scheme, scheme_name=scheme_name, value=value
                )
        except IntegrityError:
            continue  # taken by another organisation a moment ago, or no longer a valid row


# Differences, in words ---------------------------------------------------------------------------


class Change(namedtuple("Change", ["label", "before", "after", "words"])):
    """One changed field (or list: members, contacts…) between two snapshots: its label, the
    whole value before and after as display text, and what changed as short phrases in words
    ("added Bolton Library (Member)", "changed from “Monthly” to “Quarterly”")."""

    __slots__ = ()


class Labels:
    """The display names of the slugs and ids that snapshots hold (regions, activities,
    channels, organisations), read once for any number of snapshots: one query per vocabulary,
    so a page of fifty diffs costs what one does."""

    def __init__(self, snapshots):
        regions, activities, channels, organisations = set(), set(), set(), set()
        for snapshot in snapshots:
            if not snapshot:
                continue
            region = (snapshot.get("fields") or {}).get("region")
            if region:
                regions.add(region)
            activities.update(snapshot.get("activities") or [])
            channels.update(snapshot.get("channels") or [])
            organisations.update(m["organisation"] for m in snapshot.get("members") or [])
            organisations.update(
                c["organisation"] for c in snapshot.get("contacts") or [] if c.get("organisation")
            )
            for agreement in snapshot.get("agreements") or []:
                organisations.update(agreement.get("parties") or [])
        self.regions = _names_of(Region, "slug", regions)
        self.activities = _names_of(Activity, "slug", activities)
        self.channels = _names_of(CommunicationChannel, "slug", channels)
        self.organisations = _names_of(Organisation, "pk", organisations)

    def organisation(self, pk):
        return self.organisations.get(pk) or gettext("(a deleted organisation)")


def _names_of(model, key, values):
    values = {value for value in values if isinstance(value, (str, int))}
    if not values:
        return {}
    welsh = reading_welsh()
    return {
        found: name_cy if welsh and name_cy else name
        for found, name, name_cy in model.objects.filter(**{f"{key}__in": values}).values_list(
            key, "name", "name_cy"
        )
    }


def diff(before, after, *, labels=None):
    """What changed between two partnership snapshots, as `Change` rows in a stable order: the
    partnership's own fields, then activities, channels, members, contacts and agreements.
    `before` may be None for a partnership that is entirely new. `labels` (a `Labels` for these
    and other snapshots) saves its queries when many diffs are made at once."""
    before = before or {}
    labels = labels or Labels([before, after])
    rows = _field_changes(
        FIELDS, CHOICES, before.get("fields") or {}, after.get("fields") or {}, labels
    )
    for key, label, compare in [
        ("activities", _("Activities"), _compare_names(lambda: labels.activities)),
        ("channels", _("Keeps in touch by"), _compare_names(lambda: labels.channels)),
        ("members", _("Members"), _compare_members),
        ("contacts", _("Contacts"), _compare_contacts),
        ("agreements", _("Agreements"), _compare_agreements),
    ]:
        change = compare(label, before.get(key) or [], after.get(key) or [], labels)
        if change is not None:
            rows.append(change)
    return rows


def diff_organisations(before, after, *, labels=None):
    """What changed between two organisation snapshots, as `Change` rows (see `diff`)."""
    before = before or {}
    labels = labels or Labels([before, after])
    rows = _field_changes(
        ORGANISATION_FIELDS,
        ORGANISATION_CHOICES,
        before.get("fields") or {},
        after.get("fields") or {},
        labels,
    )
    change = _compare_identifiers(
        _("Identifiers"), before.get("identifiers") or [], after.get("identifiers") or []
    )
    if change is not None:
        rows.append(change)
    return rows


def identifier_text(item):
    """An identifier of a snapshot in words: "NHS ODS code RMC"."""
    scheme = item.get("scheme") or ""
    if scheme == Scheme.OTHER:
        label = item.get("scheme_name") or gettext("Other")
    else:
        try:
            label = Scheme(scheme).label
        except ValueError:
            label = scheme
    return f"{label} {item.get('value') or ''}".strip()


def _compare_identifiers(label, old, new):
    """Identifiers are compared whole: a corrected number reads as one removed, one added."""
    return _compare_items(
        label,
        old,
        new,
        key=_identifier_key,
        describe=identifier_text,
        name_of=identifier_text,
        fields=[],
    )


def _field_changes(fields, choices, before, after, labels):
    rows = []
    for name, label in fields.items():
        old = _display(name, before.get(name), choices, labels)
        new = _display(name, after.get(name), choices, labels)
        if old != new:
            rows.append(field_change(label, old, new))
    return rows


def field_change(label, old, new):
    """A `Change` of one field from display text `old` to display text `new`."""
    return Change(label, old, new, [_changed_words(old, new)])


def _changed_words(old, new):
    if not old:
        return gettext("set to “%(new)s”") % {"new": new}
    if not new:
        return gettext("cleared (it was “%(old)s”)") % {"old": old}
    return gettext("changed from “%(old)s” to “%(new)s”") % {"old": old, "new": new}


def _added(description):
    return gettext("added %(item)s") % {"item": description}


def _removed(description):
    return gettext("removed %(item)s") % {"item": description}


def _display(name, value, choices, labels):
    if value in (None, ""):
        return ""
    if name in choices:
        try:
            return str(choices[name](value).label)
        except ValueError:
            return str(value)
    if name == "region":
        return labels.regions.get(value, str(value))
    return str(value)


def _compare_names(names):
    """Activities or channels: sets of slugs, described by name."""

    def compare(label, old, new, labels):
        lookup = names()
        old_names = sorted(lookup.get(slug, slug) for slug in old)
        new_names = sorted(lookup.get(slug, slug) for slug in new)
        added = [name for name in new_names if name not in old_names]
        removed = [name for name in old_names if name not in new_names]
        if not added and not removed:
            return None
        words = [_added(name) for name in added] + [_removed(name) for name in removed]
        return Change(label, "; ".join(old_names), "; ".join(new_names), words)

    return compare


def _compare_items(label, old, new, *, key, describe, name_of, fields):
    """Members, contacts or agreements, matched item by item on `key`: each item added or
    removed is named, and each item kept whose `fields` changed says which, from what to what.
    Items without a key (new in a proposed revision) count as added."""
    old_by_key = {key(item): item for item in old if key(item) is not None}
    new_by_key = {key(item): item for item in new if key(item) is not None}
    words = []
    for item in new:
        if key(item) is None or key(item) not in old_by_key:
            words.append(_added(describe(item)))
    for item in old:
        if key(item) is None or key(item) not in new_by_key:
            words.append(_removed(describe(item)))
    for item in new:
        previous = old_by_key.get(key(item))
        if previous is None:
            continue
        changed = []
        for field, field_label, show in fields:
            was, now = show(previous), show(item)
            if was != now:
                changed.append(
                    pgettext("a field and how it changed", "%(field)s %(change)s")
                    % {"field": field_label, "change": _changed_words(was, now)}
                )
            elif field == "document" and previous.get(field) != item.get(field):
                changed.append(gettext("document replaced by a new file"))
        if changed:
            words.append(f"{name_of(item)}: " + ", ".join(changed))
    if not words:
        return None
    before = "; ".join(sorted(describe(item) for item in old))
    after = "; ".join(sorted(describe(item) for item in new))
    return Change(label, before, after, words)


def _role(item):
    try:
        return str(Role(item.get("role")).label)
    except ValueError:
        return str(item.get("role") or "")


def _text(name):
    return lambda item: "" if item.get(name) in (None, "") else str(item.get(name))


def _document(agreement):
    return gettext("attached") if agreement.get("document") else ""


def _yes_no(name):
    return lambda item: gettext("yes") if item.get(name) else gettext("no")


def _compare_members(label, old, new, labels):
    def name_of(member):
        return labels.organisation(member["organisation"])

    def describe(member):
        if member.get("joined_year"):
            return gettext("%(name)s (%(role)s, joined %(year)s)") % {
                "name": name_of(member),
                "role": _role(member),
                "year": member["joined_year"],
            }
        return gettext("%(name)s (%(role)s)") % {"name": name_of(member), "role": _role(member)}

    return _compare_items(
        label,
        old,
        new,
        key=lambda member: member.get("organisation"),
        describe=describe,
        name_of=name_of,
        fields=[
            ("role", gettext("role"), _role),
            ("joined_year", gettext("year joined"), _text("joined_year")),
        ],
    )


def _compare_contacts(label, old, new, labels):
    def organisation(contact):
        pk = contact.get("organisation")
        return labels.organisation(pk) if pk else ""

    def describe(contact):
        details = [
            contact.get("job_title"),
            organisation(contact),
            contact.get("email") or gettext("no email"),
            contact.get("phone"),
            gettext("lead") if contact.get("is_lead") else "",
            gettext("published") if contact.get("consent_to_publish") else gettext("private"),
        ]
        return f"{contact.get('name')} ({', '.join(d for d in details if d)})"

    return _compare_items(
        label,
        old,
        new,
        key=lambda contact: contact.get("id"),
        describe=describe,
        name_of=lambda contact: contact.get("name") or gettext("A contact"),
        fields=[
            ("name", gettext("name"), _text("name")),
            ("job_title", gettext("job title"), _text("job_title")),
            ("organisation", gettext("organisation"), organisation),
            ("email", gettext("email"), _text("email")),
            ("phone", gettext("phone"), _text("phone")),
            ("is_lead", gettext("lead contact"), _yes_no("is_lead")),
            ("consent_to_publish", gettext("published"), _yes_no("consent_to_publish")),
        ],
    )


def _compare_agreements(label, old, new, labels):
    def kind(agreement):
        try:
            return str(AgreementKind(agreement.get("kind")).label)
        except ValueError:
            return str(agreement.get("kind") or "")

    def status(agreement):
        try:
            return str(AgreementStatus(agreement.get("status")).label).lower()
        except ValueError:
            return str(agreement.get("status") or "")

    def parties(agreement):
        return ", ".join(sorted(labels.organisation(pk) for pk in agreement.get("parties") or []))

    def describe(agreement):
        values = {
            "kind": kind(agreement),
            "title": agreement.get("title"),
            "status": status(agreement),
            "visibility": gettext("public") if agreement.get("is_public") else gettext("private"),
        }
        if agreement.get("document"):
            return gettext("%(kind)s: %(title)s (%(status)s, %(visibility)s, with document)") % (
                values
            )
        return gettext("%(kind)s: %(title)s (%(status)s, %(visibility)s)") % values

    return _compare_items(
        label,
        old,
        new,
        key=lambda agreement: agreement.get("id"),
        describe=describe,
        name_of=lambda agreement: f"“{agreement.get('title')}”",
        fields=[
            ("kind", gettext("type"), kind),
            ("title", gettext("title"), _text("title")),
            ("status", gettext("status"), status),
            ("signed_on", gettext("signed on"), _text("signed_on")),
            ("review_due", gettext("review due"), _text("review_due")),
            ("parties", gettext("parties"), parties),
            ("summary", gettext("summary"), _text("summary")),
            ("document", gettext("document"), _document),
            ("is_public", gettext("public"), _yes_no("is_public")),
            ("shareable_example", gettext("shareable as an example"), _yes_no("shareable_example")),
        ],
    )
