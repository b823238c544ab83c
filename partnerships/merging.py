"""Merging two organisations, or two partnerships, that are one and the same.

The curator picks the record that survives and, field by field, which value it keeps. Everything
that hangs off the other record moves to the survivor, so nothing is lost:

- organisations: memberships, contacts (their organisation), agreement parties, identifiers
  (an ODS code, a charity number: each names one organisation, so they cannot already be the
  survivor's), and the organisation ids in every open revision's data (members, contacts,
  agreement parties);
- partnerships: memberships, contacts, agreements, activities, channels and editors, and the
  survivor's open revision is brought up to date with what moved in.

Where the survivor and the other were both in one place (two memberships of one partnership,
one organisation twice in a partnership, one party twice to an agreement) one is kept: the
membership with the stronger role (`models.stronger_role`: lead > member > associate) and the
earlier joining year.

The other record is never deleted. It keeps its row and its own values, marked merged
(`merged_into` the survivor, and for a partnership the publication state "merged"), so its old
address answers with a permanent redirect to the survivor forever, and a restore of its earlier
version (which clears `merged_into`) makes it a normal entry again.

Each merge runs in one transaction, is one change set in the history (a version of each record
and of every partnership it touched; `history.undo(result.change_set)` puts them all back), and
calls `services.published_data_changed()` once. Editors added to a surviving partnership stay on
it after an undo (editors are not part of an entry's snapshot).
"""

from dataclasses import asdict, dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerships import history, matching
from partnerships.models import (
    Agreement,
    ChangeKind,
    Contact,
    Membership,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    PublicationState,
    Revision,
    stronger_role,
)
from partnerships.services import published_data_changed
from partnerships.snapshots import AGREEMENT_FIELDS, CHOICES, CONTACT_FIELDS, FIELDS, _plain

# Which record a field's value comes from, as the merge form names them.
SURVIVOR, OTHER = "survivor", "other"

# Fields a curator chooses between, with the labels the merge form shows. "location" stands for
# the point on the map and how it was found, which go together.
LOCATION_FIELDS = [
    "latitude",
    "longitude",
    "location_precision",
    "location_source",
    "geocoded_at",
    "location_ambiguous",
    "geocode_failed_at",
    "geocode_error",
]
ORGANISATION_FIELDS = {
    "name": _("Name"),
    "sector": _("Sector"),
    "website": _("Website"),
    "address": _("Address"),
    "town": _("Town"),
    "postcode": _("Postcode"),
    "country": _("Country"),
    "region": _("Region"),
    "location": _("Place on the map"),
}
PARTNERSHIP_FIELDS = {**FIELDS, "location": _("Place on the map")}


class MergeRefused(ValueError):
    """A merge that cannot be done, with the reason in words for the curator."""


@dataclass(frozen=True)
class FieldChoice:
    """One field whose values differ, as the merge form shows it."""

    name: str
    label: str
    first_value: str
    second_value: str


@dataclass(frozen=True)
class Counts:
    """What hangs off a record. For an organisation: the partnerships it is a member of, the
    contacts working for it and the agreements it is a party to. For a partnership: its member
    organisations, contacts and agreements."""

    members: int
    contacts: int
    agreements: int


@dataclass
class MergeResult:
    """What a merge did: the counts before (of each record) and after (of the survivor), how
    many duplicates were folded into one, and every partnership whose members, contacts or
    agreements changed (for the history to record)."""

    survivor: object
    other: object
    before_survivor: Counts
    before_other: Counts
    after: Counts
    folded: int = 0
    partnerships: list = field(default_factory=list)
    revisions: int = 0
    # The merge's entry in the history: undoing it (`history.undo`) puts both records back.
    change_set: object = None

    def summary(self):
        """The counts as plain data (the result page carries them in its address)."""
        return {
            "before_survivor": asdict(self.before_survivor),
            "before_other": asdict(self.before_other),
            "after": asdict(self.after),
            "folded": self.folded,
            "revisions": self.revisions,
        }


# Reading two records ----------------------------------------------------------------------------


def _location_text(entry):
    if not entry.is_located:
        return ""
    how = entry.get_location_precision_display() or "point"
    return f"{entry.latitude:.4f}, {entry.longitude:.4f} ({how.lower()})"


def _organisation_value(organisation, name):
    if name == "location":
        return _location_text(organisation)
    if name == "region":
        return organisation.region.name if organisation.region_id else ""
    if name in ("sector", "country"):
        return getattr(organisation, f"get_{name}_display")() if getattr(organisation, name) else ""
    return str(getattr(organisation, name) or "")


def _partnership_value(partnership, name):
    if name == "location":
        return _location_text(partnership)
    if name == "region":
        return partnership.region.name if partnership.region_id else ""
    value = getattr(partnership, name)
    if value in (None, ""):
        return ""
    if name in CHOICES:
        return getattr(partnership, f"get_{name}_display")()
    return str(value)


def differing_fields(first, second):
    """The fields whose values differ between two organisations or two partnerships, as
    FieldChoices in the form's order."""
    if isinstance(first, Organisation):
        labels, value = ORGANISATION_FIELDS, _organisation_value
    else:
        labels, value = PARTNERSHIP_FIELDS, _partnership_value
    choices = []
    for name, label in labels.items():
        first_value, second_value = value(first, name), value(second, name)
        if first_value != second_value:
            choices.append(FieldChoice(name, label, first_value, second_value))
    return choices


def organisation_counts(organisation):
    return Counts(
        members=organisation.memberships.count(),
        contacts=organisation.contacts.count(),
        agreements=organisation.agreements.count(),
    )


def partnership_counts(partnership):
    return Counts(
        members=partnership.memberships.count(),
        contacts=partnership.contacts.count(),
        agreements=partnership.agreements.count(),
    )


def expected_counts(first, second):
    """The survivor's counts after merging `first` and `second` (whichever survives): the
    union of members and of agreements, and every contact."""
    if isinstance(first, Organisation):
        ids = [first.pk, second.pk]
        members = Membership.objects.filter(organisation__in=ids)
        agreements = Agreement.objects.filter(parties__in=ids)
        return Counts(
            members=members.values("partnership").distinct().count(),
            contacts=Contact.objects.filter(organisation__in=ids).count(),
            agreements=agreements.values("pk").distinct().count(),
        )
    ids = [first.pk, second.pk]
    return Counts(
        members=Membership.objects.filter(partnership__in=ids)
        .values("organisation")
        .distinct()
        .count(),
        contacts=Contact.objects.filter(partnership__in=ids).count(),
        agreements=Agreement.objects.filter(partnership__in=ids).count(),
    )


@dataclass(frozen=True)
class Preview:
    """What merging two records would do, whichever survives: the fields that differ, the
    counts of each now and of the survivor after, and how many places hold both (kept once)."""

    fields: list
    first: Counts
    second: Counts
    after: Counts
    shared: int


def preview(first, second):
    """A Preview of merging `first` and `second` (two organisations or two partnerships)."""
    counts = organisation_counts if isinstance(first, Organisation) else partnership_counts
    before_first, before_second = counts(first), counts(second)
    after = expected_counts(first, second)
    total = [
        getattr(before_first, n) + getattr(before_second, n) for n in ("members", "agreements")
    ]
    shared = total[0] - after.members
    if isinstance(first, Organisation):
        shared += total[1] - after.agreements
    return Preview(differing_fields(first, second), before_first, before_second, after, shared)


def default_survivor(first, second, seen):
    """The record a merge keeps unless the curator says otherwise (`seen` is their Preview): a
    published partnership over an unpublished one, then the one with more members, then the
    older."""
    if isinstance(first, Partnership) and first.is_published != second.is_published:
        return first if first.is_published else second
    if seen.first.members != seen.second.members:
        return first if seen.first.members > seen.second.members else second
    return min(first, second, key=lambda entry: entry.pk)


def problems(survivor, other):
    """Why `other` cannot be merged into `survivor`, in words (empty if it can)."""
    found = []
    if survivor.pk == other.pk:
        found.append(gettext("An entry cannot be merged with itself."))
    for entry in (survivor, other):
        if entry.merged_into_id is not None:
            found.append(
                gettext("“%(name)s” has already been merged into another entry.")
                % {"name": entry.name}
            )
    if isinstance(survivor, Partnership):
        if other.is_published and not survivor.is_published:
            found.append(
                gettext(
                    "“%(other)s” is published and “%(survivor)s” is not: keep the published "
                    "one, so the merge neither hides a public entry nor publishes an unreviewed "
                    "one (its values can still be chosen field by field)."
                )
                % {"other": other.name, "survivor": survivor.name}
            )
        if other.revisions.open().exists():
            found.append(
                gettext(
                    "The editors of “%(name)s” have changes that are not yet published. Keep "
                    "it as the surviving entry, or approve or reject its changes first."
                )
                % {"name": other.name}
            )
    return found


# Organisations ----------------------------------------------------------------------------------


def _lock(model, survivor, other):
    """Both rows, locked and read afresh, in id order (so two merges cannot deadlock)."""
    rows = model.objects.select_for_update().filter(pk__in=[survivor.pk, other.pk]).order_by("pk")
    found = {row.pk: row for row in rows}
    if len(found) < len({survivor.pk, other.pk}):
        raise MergeRefused(gettext("One of the two entries no longer exists."))
    return found[survivor.pk], found[other.pk]


def _take_choices(survivor, other, choices, labels):
    """Copy into `survivor` the values the curator chose from `other`."""
    unknown = set(choices) - set(labels)
    if unknown:
        raise MergeRefused(
            gettext("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    for name, source in choices.items():
        if source not in (SURVIVOR, OTHER):
            raise MergeRefused(
                gettext("Choose which value of %(field)s to keep.") % {"field": labels[name]}
            )
        if source == SURVIVOR:
            continue
        if name == "location":
            attributes = LOCATION_FIELDS
        else:
            attributes = ["region_id" if name == "region" else name]
        for attribute in attributes:
            setattr(survivor, attribute, getattr(other, attribute))


def _fold_membership(kept, duplicate):
    """Keep one membership of two of the same pair: the stronger role, the earlier year."""
    kept.role = stronger_role(kept.role, duplicate.role)
    years = [year for year in (kept.joined_year, duplicate.joined_year) if year]
    kept.joined_year = min(years) if years else None
    duplicate.delete()
    kept.save(update_fields=["role", "joined_year"])


def _fold_members(members):
    """One entry per organisation in a snapshot's member list, with the stronger role and the
    earlier year, in the order they came."""
    folded = {}
    for member in members:
        kept = folded.get(member["organisation"])
        if kept is None:
            folded[member["organisation"]] = dict(member)
            continue
        kept["role"] = stronger_role(kept.get("role") or "member", member.get("role") or "member")
        years = [y for y in (kept.get("joined_year"), member.get("joined_year")) if y]
        kept["joined_year"] = min(years) if years else None
    return list(folded.values())


def _rewrite_revision(data, old, new):
    """Revision data with organisation `old` replaced by `new`; True if anything changed."""
    changed = False
    members = data.get("members") or []
    if any(m.get("organisation") == old for m in members):
        for member in members:
            if member.get("organisation") == old:
                member["organisation"] = new
        data["members"] = _fold_members(members)
        changed = True
    for contact in data.get("contacts") or []:
        if contact.get("organisation") == old:
            contact["organisation"] = new
            changed = True
    for agreement in data.get("agreements") or []:
        parties = agreement.get("parties") or []
        if old in parties:
            agreement["parties"] = sorted({new if p == old else p for p in parties})
            changed = True
    return changed


def partnerships_naming(organisation):
    """The partnerships whose snapshot names `organisation`: as a member, as a contact's
    employer or as a party to an agreement. A merge of the organisation changes each of them."""
    return (
        Partnership.objects.filter(
            Q(memberships__organisation=organisation)
            | Q(contacts__organisation=organisation)
            | Q(agreements__parties=organisation)
        )
        .distinct()
        .order_by("pk")
    )


def merge_organisations(*, survivor, other, choices, user, reason=""):
    """Merge organisation `other` into `survivor`; returns a MergeResult.

    `choices` maps each field of ORGANISATION_FIELDS the curator decided on to SURVIVOR or
    OTHER (fields left out keep the survivor's value). `user` and `reason` are for the history
    record of the merge. Raises MergeRefused, changing nothing, if the two cannot be merged."""
    with history.change(ChangeKind.MERGE, user=user, reason=reason) as change_set:
        survivor, other = _lock(Organisation, survivor, other)
        refused = problems(survivor, other)
        if refused:
            raise MergeRefused(" ".join(refused))
        result = MergeResult(
            survivor=survivor,
            other=other,
            before_survivor=organisation_counts(survivor),
            before_other=organisation_counts(other),
            after=Counts(0, 0, 0),
            partnerships=list(partnerships_naming(other)),
        )
        # Before writing: entries with no version yet get one, so the merge can be undone.
        history.baseline(survivor, other, *result.partnerships)
        _take_choices(survivor, other, choices, ORGANISATION_FIELDS)
        survivor.save()

        theirs = {m.partnership_id: m for m in survivor.memberships.all()}
        for membership in other.memberships.all():
            kept = theirs.get(membership.partnership_id)
            if kept is None:
                membership.organisation = survivor
                membership.save(update_fields=["organisation"])
            else:
                _fold_membership(kept, membership)
                result.folded += 1

        Contact.objects.filter(organisation=other).update(organisation=survivor)
        # Unique across the directory, so none of them is the survivor's already.
        OrganisationIdentifier.objects.filter(organisation=other).update(organisation=survivor)

        Party = Agreement.parties.through
        for party in Party.objects.filter(organisation=other):
            if Party.objects.filter(agreement=party.agreement_id, organisation=survivor).exists():
                party.delete()
                result.folded += 1
            else:
                party.organisation = survivor
                party.save()

        for revision in Revision.objects.open().select_for_update():
            if _rewrite_revision(revision.data, other.pk, survivor.pk):
                revision.save(update_fields=["data", "updated_at"])
                result.revisions += 1

        other.merged_into = survivor
        other.merged_at = timezone.now()
        other.save(update_fields=["merged_into", "merged_at", "updated_at"])
        matching.forget_pairs_with(other)
        # Its memberships are the survivor's now, under the survivor's (perhaps new) name.
        survivor.partnerships.all().refresh_member_names()

        result.after = organisation_counts(survivor)
        # One version on each side, even where only what points at it changed.
        for entry in (survivor, other, *result.partnerships):
            change_set.record(entry, always=entry in (survivor, other))
        result.change_set = change_set
        published_data_changed()
    return result


# Partnerships -----------------------------------------------------------------------------------


def _contact_data(contact):
    return {
        "id": contact.pk,
        "organisation": contact.organisation_id,
        **{name: getattr(contact, name) for name in CONTACT_FIELDS},
        "consented_at": contact.consented_at.isoformat() if contact.consented_at else None,
    }


def _agreement_data(agreement):
    return {
        "id": agreement.pk,
        **{name: _plain(getattr(agreement, name)) for name in AGREEMENT_FIELDS},
        "parties": sorted(party.pk for party in agreement.parties.all()),
    }


def _snapshot_value(partnership, name):
    """A field as a snapshot holds it (the region by slug)."""
    if name == "region":
        return partnership.region.slug if partnership.region_id else ""
    return _plain(getattr(partnership, name))


def _rebase_revision(revision, survivor, old_fields, moved):
    """Bring the survivor's open revision up to date with the merge, so that approving it later
    keeps what moved in: the moved members, contacts and agreements are added to it, the new
    activities and channels too, and each field the curator took from the other entry replaces
    the revision's value where the revision had left that field as it was."""
    data = revision.data
    for name, before in old_fields.items():
        if data["fields"].get(name) == before:
            data["fields"][name] = _snapshot_value(survivor, name)
    data["members"] = _fold_members(
        [
            *(data.get("members") or []),
            *(
                {"organisation": m.organisation_id, "role": m.role, "joined_year": m.joined_year}
                for m in moved["members"]
            ),
        ]
    )
    data["contacts"] = [*(data.get("contacts") or []), *map(_contact_data, moved["contacts"])]
    data["agreements"] = [
        *(data.get("agreements") or []),
        *map(_agreement_data, moved["agreements"]),
    ]
    for key in ("activities", "channels"):
        data[key] = sorted({*(data.get(key) or []), *moved[key]})
    revision.save(update_fields=["data", "updated_at"])


def merge_partnerships(*, survivor, other, choices, user, reason=""):
    """Merge partnership `other` into `survivor`; returns a MergeResult.

    `choices` maps each field of PARTNERSHIP_FIELDS the curator decided on to SURVIVOR or OTHER
    (fields left out keep the survivor's value). Members, contacts, agreements, activities,
    channels and editors of `other` join the survivor; `other` keeps its row and editors,
    marked merged. `user` and `reason` are for the history record of the merge. Raises
    MergeRefused, changing nothing, if the two cannot be merged."""
    with history.change(ChangeKind.MERGE, user=user, reason=reason) as change_set:
        survivor, other = _lock(Partnership, survivor, other)
        refused = problems(survivor, other)
        if refused:
            raise MergeRefused(" ".join(refused))
        result = MergeResult(
            survivor=survivor,
            other=other,
            before_survivor=partnership_counts(survivor),
            before_other=partnership_counts(other),
            after=Counts(0, 0, 0),
            partnerships=[survivor, other],
        )
        history.baseline(survivor, other)  # before writing, so the merge can be undone
        taken = [name for name, source in choices.items() if source == OTHER]
        old_fields = {name: _snapshot_value(survivor, name) for name in taken if name in FIELDS}
        _take_choices(survivor, other, choices, PARTNERSHIP_FIELDS)
        if other.last_verified_at and (
            survivor.last_verified_at is None or other.last_verified_at > survivor.last_verified_at
        ):
            survivor.last_verified_at = other.last_verified_at
        survivor.save()

        moved = {
            "members": [],
            "contacts": list(other.contacts.all()),
            "agreements": list(other.agreements.prefetch_related("parties")),
            "activities": set(other.activities.values_list("slug", flat=True)),
            "channels": set(other.channels.values_list("slug", flat=True)),
        }
        theirs = {m.organisation_id: m for m in survivor.memberships.all()}
        for membership in other.memberships.all():
            kept = theirs.get(membership.organisation_id)
            if kept is None:
                membership.partnership = survivor
                membership.save(update_fields=["partnership"])
            else:
                _fold_membership(kept, membership)
                result.folded += 1
            moved["members"].append(kept or membership)
        other.contacts.update(partnership=survivor)
        other.agreements.update(partnership=survivor)
        survivor.activities.add(*other.activities.all())
        survivor.channels.add(*other.channels.all())
        survivor.editors.add(*other.editors.all())

        revision = survivor.revisions.open().select_for_update().first()
        if revision is not None:
            _rebase_revision(revision, survivor, old_fields, moved)
            result.revisions = 1

        other.publication_state = PublicationState.MERGED
        other.merged_into = survivor
        other.merged_at = timezone.now()
        other.save(update_fields=["publication_state", "merged_into", "merged_at", "updated_at"])
        matching.forget_pairs_with(other)
        Partnership.objects.filter(pk__in=[survivor.pk, other.pk]).refresh_member_names()

        result.after = partnership_counts(survivor)
        change_set.record(survivor, always=True)
        change_set.record(other, always=True)
        result.change_set = change_set
        published_data_changed()
    return result


def successor(entry, *, limit=20):
    """The entry that `entry` was merged into, following merges of merges to the last one (at
    most `limit` steps), or `entry` itself if it was never merged."""
    model = type(entry)
    for _step in range(limit):
        if entry.merged_into_id is None:
            return entry
        entry = model.objects.filter(pk=entry.merged_into_id).first() or entry
    return entry
