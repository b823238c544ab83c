"""Erasing a person's details everywhere the directory stores them.

A contact's name, email address and phone number are personal data. Deleting the contact is not
enough: copies live on in the history (every version's snapshot), in revisions (pending or
decided), in requests to join that the person sent, and may have been typed into free text: a
moderator's message, a reason for a change, a partnership's description or mailing list, the
admin's own log. `erase` deletes the person's
contacts and removes their details from all of these, and records the change as an "erasure" in
the history without keeping the erased values.

Who is "the person": the contacts chosen, and every other contact with the same email address
(the same person listed by several partnerships). Their names, emails and phones are the values
erased. In stored snapshots a contact entry that is theirs (same contact id or same email) is
removed whole, so restoring an old version never brings them back; anywhere else each value is
replaced by "[erased]". A different person who merely shares the name keeps their own entry.
User accounts are left alone: people delete their own account from "My account".
"""

import json
import re
from dataclasses import dataclass, field

from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from partnerships import history
from partnerships.models import (
    Agreement,
    ChangeKind,
    ChangeSet,
    Contact,
    JoinRequest,
    ModerationEvent,
    Partnership,
    Revision,
    Version,
)

ERASED = "[erased]"
# Shorter values are too likely to be part of other words to be replaced in free text.
MIN_TEXT_LENGTH = 3

# Live free text a person's details may have been typed into.
PARTNERSHIP_TEXT = [
    "summary",
    "summary_cy",
    "description",
    "description_cy",
    "aims",
    "aims_cy",
    "mailing_list",
    "meeting_frequency",
]
AGREEMENT_TEXT = ["title", "summary"]
# A request to join names the person who asked; a contact may have asked before being listed.
JOIN_REQUEST_TEXT = ["name", "email", "message", "reply"]


@dataclass
class Person:
    """The contacts to delete and the values to erase."""

    contacts: list
    ids: set = field(default_factory=set)
    emails: set = field(default_factory=set)
    names: set = field(default_factory=set)
    values: list = field(default_factory=list)  # every name, email and phone, longest first


def person_of(contacts):
    """The person behind `contacts`: those contacts and every other with one of their email
    addresses, with their names, emails and phones."""
    chosen = list(contacts)
    same = Q(pk__in=[contact.pk for contact in chosen])
    for email in {contact.email for contact in chosen if contact.email}:
        same |= Q(email__iexact=email)
    rows = list(Contact.objects.filter(same).select_related("partnership").order_by("pk"))
    values = {
        value.strip() for row in rows for value in (row.name, row.email, row.phone) if value.strip()
    }
    return Person(
        contacts=rows,
        ids={row.pk for row in rows},
        emails={row.email.lower() for row in rows if row.email},
        names={row.name.strip().lower() for row in rows if row.name.strip()},
        values=sorted(values, key=lambda value: (-len(value), value)),
    )


def where_stored(person):
    """Where copies of the person's details are, as (description, count) pairs, for the page
    that asks a curator to confirm."""
    return [
        ("contacts to delete", len(person.contacts)),
        ("versions in the history", _mentioning_json(Version, "snapshot", person).count()),
        ("revisions (pending or decided)", _mentioning_json(Revision, "data", person).count()),
        ("moderation messages", _mentioning(ModerationEvent, ["message"], person).count()),
        ("reasons given for changes", _mentioning(ChangeSet, ["reason"], person).count()),
        ("partnerships' own text", _mentioning(Partnership, PARTNERSHIP_TEXT, person).count()),
        ("agreements' text", _mentioning(Agreement, AGREEMENT_TEXT, person).count()),
        ("requests to join", _mentioning(JoinRequest, JOIN_REQUEST_TEXT, person).count()),
        (
            "admin log entries",
            _mentioning(LogEntry, ["object_repr", "change_message"], person).count(),
        ),
    ]


def erase(contacts, *, user):
    """Delete the person's contacts and erase their details from every stored copy, in one
    transaction; one "erasure" change set (with no trace of the values) records every
    partnership that changed. Returns that ChangeSet (None if nothing changed)."""
    from partnerships import services  # services records history through the history module

    person = person_of(contacts)
    if not person.values and not person.contacts:
        return None
    with transaction.atomic():
        changed = {row.partnership_id for row in person.contacts}
        texts = list(_mentioning(Partnership, PARTNERSHIP_TEXT, person))
        agreements = list(_mentioning(Agreement, AGREEMENT_TEXT, person))
        changed |= {p.pk for p in texts} | {a.partnership_id for a in agreements}
        partnerships = list(Partnership.objects.filter(pk__in=changed).order_by("pk"))
        history.baseline(*partnerships)  # scrubbed below with every other version

        Contact.objects.filter(pk__in=person.ids).delete()
        for partnership in texts:
            _scrub_fields(partnership, PARTNERSHIP_TEXT, person)
        for agreement in agreements:
            _scrub_fields(agreement, AGREEMENT_TEXT, person)

        with history.change(ChangeKind.ERASURE, user) as change_set:
            for partnership in partnerships:
                change_set.record(partnership)

        for version in _mentioning_json(Version, "snapshot", person):
            version.snapshot = _scrub_data(version.snapshot, person)
            version.save(update_fields=["snapshot"])
        for revision in _mentioning_json(Revision, "data", person):
            revision.data = _scrub_data(revision.data, person)
            revision.save(update_fields=["data"])
        for join_request in _mentioning(JoinRequest, JOIN_REQUEST_TEXT, person):
            _scrub_fields(join_request, JOIN_REQUEST_TEXT, person)
        for event in _mentioning(ModerationEvent, ["message"], person):
            _scrub_fields(event, ["message"], person)
        for reasoned in _mentioning(ChangeSet, ["reason"], person):
            _scrub_fields(reasoned, ["reason"], person)
        for entry in _mentioning(LogEntry, ["object_repr", "change_message"], person):
            _scrub_fields(entry, ["object_repr", "change_message"], person)
        services.published_data_changed()
    return change_set if change_set.pk else None


def _text_forms(person, min_length=1):
    """Each value as typed, and as it appears inside stored JSON text (escaped)."""
    forms = set()
    for value in person.values:
        if len(value) < min_length:
            continue
        forms.add(value)
        forms.add(json.dumps(value)[1:-1])
    return forms


def _mentioning(model, fields, person):
    """Rows of `model` with one of the person's values in one of `fields`."""
    condition = Q()
    for value in _text_forms(person, MIN_TEXT_LENGTH):
        for name in fields:
            condition |= Q(**{f"{name}__icontains": value})
    return model.objects.filter(condition).order_by("pk") if condition else model.objects.none()


def _mentioning_json(model, field_name, person):
    """Rows of `model` whose JSON `field_name` holds one of the person's values or one of their
    contact ids: searched as text by the database, then cleaned in Python."""
    condition = Q()
    for value in _text_forms(person):
        condition |= Q(stored_text__icontains=value)
    if not condition:
        return model.objects.none()
    return model.objects.annotate(stored_text=Cast(field_name, TextField())).filter(condition)


def _scrub_fields(row, fields, person):
    for name in fields:
        setattr(row, name, _scrub_text(getattr(row, name), person))
    row.save(update_fields=fields)


def _scrub_text(text, person):
    """`text` with each value replaced, as typed or as escaped inside JSON held in a text
    column (the admin's log keeps its messages so: "Zo\\u00eb")."""
    if not isinstance(text, str) or not text:
        return text
    for form in sorted(_text_forms(person, MIN_TEXT_LENGTH), key=len, reverse=True):
        text = re.sub(re.escape(form), ERASED, text, flags=re.IGNORECASE)
    return text


def _is_theirs(contact, person):
    return isinstance(contact, dict) and (
        contact.get("id") in person.ids
        or (str(contact.get("email") or "").lower() in person.emails)
    )


def _scrub_data(data, person):
    """A snapshot (or any stored JSON) without the person: their contact entries removed, and
    their values replaced in every other string, except a namesake contact's own name."""
    if isinstance(data, dict):
        cleaned = {}
        for key, value in data.items():
            if key == "contacts" and isinstance(value, list):
                cleaned[key] = [
                    _scrub_contact(contact, person)
                    for contact in value
                    if not _is_theirs(contact, person)
                ]
            else:
                cleaned[key] = _scrub_data(value, person)
        return cleaned
    if isinstance(data, list):
        return [_scrub_data(item, person) for item in data]
    return _scrub_text(data, person)


def _scrub_contact(contact, person):
    if not isinstance(contact, dict):
        return _scrub_data(contact, person)
    return {
        key: value
        if key == "name" and str(value).strip().lower() in person.names
        else _scrub_data(value, person)
        for key, value in contact.items()
    }
