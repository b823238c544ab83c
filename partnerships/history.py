"""The history of every partnership and organisation: each applied change is a numbered version
holding the whole entry as a snapshot (`partnerships.snapshots`, the format pending revisions use),
grouped in a `ChangeSet` that says who did it, when, what kind of change it was and why.

Writing it, from any write path (services, admin, commands):

    history.baseline(partnership)            # before writing, see below
    with history.change(ChangeKind.MERGE, user=curator, reason="Same network") as change_set:
        ...write...
        change_set.record(partnership)       # after the write: one version of each entry
        change_set.record(organisation)

or, for one entry, `history.record(entry, kind=..., user=..., reason=...)` after the write.

Entries that existed before history began have no version to go back to. `baseline(*entries)`,
called before writing, records the entry as it still is (kind "existing") when it has no
version yet, and costs one small query when it has; no data migration over every row is needed.

History is never rewritten: `restore(version)` and `undo(change_set)` write the old state to the
live rows and record it as a new version. Recording an entry whose state is the same as its
latest version records nothing, so saving without a change leaves no empty step.
"""

import json
from contextlib import contextmanager

from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext

from partnerships.models import (
    ChangeKind,
    ChangeSet,
    Organisation,
    Partnership,
    PublicationState,
    Version,
)
from partnerships.snapshots import (
    Labels,
    apply_organisation_snapshot,
    apply_snapshot,
    diff,
    diff_organisations,
    field_change,
    snapshot_of,
    snapshot_of_organisation,
)

# Writing -------------------------------------------------------------------------------------


@contextmanager
def change(kind, user=None, reason=""):
    """One action that changes entries, in one transaction: yields an unsaved `ChangeSet`; each
    `change_set.record(entry)` inside the block adds a version of that entry. The change set is
    saved with its first version, so a block that changes nothing leaves nothing behind."""
    change_set = ChangeSet(kind=kind, author=_author(user), reason=reason or "")
    with transaction.atomic():
        yield change_set


def record(entry, *, kind, user=None, reason=""):
    """Record one entry, after writing to it, as a version in a change set of its own. Returns
    the Version, or None when the entry is as its latest version already."""
    with change(kind, user, reason) as change_set:
        return change_set.record(entry)


def baseline(*entries):
    """Before writing to entries that may have no history yet: record each one that has no
    version as it is now (kind "existing"), so that there is always a version to go back to.
    Returns the ChangeSet of those baselines, or None when every entry had a version."""
    missing = [
        entry
        for entry in entries
        if entry is not None and entry.pk and not Version.objects.of(entry).exists()
    ]
    if not missing:
        return None
    with change(ChangeKind.EXISTING) as change_set:
        for entry in missing:
            change_set.record(entry)
    return change_set


def record_in(change_set, entry, *, restored_from=None, always=False):
    """`ChangeSet.record`: the entry as stored now becomes the next version, in `change_set`.
    Recording the same entry twice in one change set updates its version (one action, one
    version); an entry the same as its latest version is not recorded (returns None)."""
    with transaction.atomic():
        entry = _locked(entry)
        snapshot, lifecycle = state_of(entry)
        recorded = change_set.__dict__.setdefault("_recorded", {})
        key = (type(entry), entry.pk)
        version = recorded.get(key)
        if version is not None:
            version.snapshot = snapshot
            for name, value in lifecycle.items():
                setattr(version, name, value)
            version.restored_from = restored_from or version.restored_from
            version.save()
            return version
        latest = Version.objects.of(entry).newest_first().first()
        unchanged = latest is not None and latest.snapshot == snapshot
        if unchanged and _lifecycle(latest) == lifecycle and not always:
            return None
        if change_set.pk is None:
            change_set.save()
        version = Version.objects.create(
            change_set=change_set,
            number=latest.number + 1 if latest else 1,
            snapshot=snapshot,
            restored_from=restored_from,
            **{_entry_field(entry): entry},
            **lifecycle,
        )
        recorded[key] = version
        return version


def record_created(change_set, entries, snapshots=None):
    """Record entries just created in `change_set` (their first versions), in one insert: for
    writes that create many entries at once (an import). Each entry's region and identifiers
    should be loaded already, or they cost a query each; `snapshots` (one per entry, e.g. from
    `snapshots.snapshot_of_new`) saves reading partnerships back."""
    if not entries:
        return []
    if change_set.pk is None:
        change_set.save()
    recorded = change_set.__dict__.setdefault("_recorded", {})
    versions = []
    for index, entry in enumerate(entries):
        snapshot, lifecycle = state_of(entry, None if snapshots is None else snapshots[index])
        versions.append(
            Version(
                change_set=change_set,
                number=1,
                snapshot=snapshot,
                **{_entry_field(entry): entry},
                **lifecycle,
            )
        )
    Version.objects.bulk_create(versions)
    for entry, version in zip(entries, versions, strict=True):
        recorded[type(entry), entry.pk] = version
    return versions


def state_of(entry, snapshot=None):
    """The entry as a version holds it: its snapshot (as stored in JSON) and, for a
    partnership, the lifecycle fields beside it."""
    merged = {"merged_into": entry.merged_into_id, "merged_at": entry.merged_at}
    if isinstance(entry, Partnership):
        snapshot = snapshot if snapshot is not None else snapshot_of(entry)
        lifecycle = {
            "publication_state": entry.publication_state,
            "last_verified_at": entry.last_verified_at,
            **merged,
        }
    else:
        snapshot = snapshot_of_organisation(entry)
        lifecycle = {"publication_state": "", "last_verified_at": None, **merged}
    # Stored as JSON and compared with what JSON gives back, so write it as JSON would.
    return json.loads(json.dumps(snapshot, cls=DjangoJSONEncoder)), lifecycle


def _lifecycle(version):
    return {
        "publication_state": version.publication_state,
        "last_verified_at": version.last_verified_at,
        "merged_into": version.merged_into,
        "merged_at": version.merged_at,
    }


def _entry_field(entry):
    if isinstance(entry, Partnership):
        return "partnership"
    if isinstance(entry, Organisation):
        return "organisation"
    raise TypeError(f"No history is kept for {type(entry).__name__}.")


def _locked(entry):
    """The entry as stored, its row locked until the transaction ends, so that two changes to
    one entry take turns numbering their versions."""
    model = Partnership if _entry_field(entry) == "partnership" else Organisation
    return model.objects.select_for_update(of=("self",)).select_related("region").get(pk=entry.pk)


def _author(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# Restoring -----------------------------------------------------------------------------------


def restore(version, *, user, reason=""):
    """Make `version` the live entry again, at once, in one transaction: its snapshot and (for a
    partnership) its publication state, so an archived entry restored from a published version
    is public again. Recorded as a new version of kind "restore"; history is never rewritten.
    Returns the new Version, or None if the entry was already as `version` holds it."""
    from partnerships import services  # services records history through this module

    with change(ChangeKind.RESTORE, user, reason) as change_set:
        restored = _restore(change_set, version)
        services.published_data_changed()
    return restored


def undo(change_set, *, user, reason=""):
    """Undo one change set (a merge, an import, an approval…): every entry it wrote goes back
    to its version before that one, all in one new change set of kind "restore", which it
    returns. A partnership the change set created has no earlier version: it is archived. An
    organisation it created is left as it is (it may be named by other entries by now)."""
    from partnerships import services

    reason = reason or f"Undoes “{change_set.get_kind_display()}” of {_when(change_set)}."
    with change(ChangeKind.RESTORE, user, reason) as undoing:
        written_versions = change_set.versions.select_related("partnership", "organisation")
        for written in written_versions.order_by("pk"):
            entry = written.partnership or written.organisation
            previous = (
                Version.objects.of(entry).filter(number__lt=written.number).newest_first().first()
            )
            if previous is not None:
                _restore(undoing, previous)
            elif isinstance(entry, Partnership):
                entry = _locked(entry)
                entry.publication_state = PublicationState.ARCHIVED
                entry.save(update_fields=["publication_state", "updated_at"])
                undoing.record(entry)
        services.published_data_changed()
    return undoing


def _restore(change_set, version):
    from partnerships import services

    entry = _locked(version.partnership or version.organisation)
    # Merged away (or not) as it was then; a successor deleted since cannot be pointed at.
    merged_into = version.merged_into
    if merged_into is not None and not type(entry).objects.filter(pk=merged_into).exists():
        merged_into = None
    entry.merged_into_id = merged_into
    entry.merged_at = version.merged_at if merged_into is not None else None
    # Set before the snapshot's save, which writes them together: the database allows the state
    # "merged" only with a successor.
    if isinstance(entry, Partnership):
        state = version.publication_state or entry.publication_state
        if (state == PublicationState.MERGED) != (merged_into is not None):
            state = PublicationState.ARCHIVED
        entry.publication_state = state
        entry.last_verified_at = version.last_verified_at
        apply_snapshot(entry, version.snapshot)
        services.place_partnership(entry)
    else:
        apply_organisation_snapshot(entry, version.snapshot)
    return change_set.record(entry, restored_from=version)


def _when(change_set):
    return date_format(localtime(change_set.created_at), "j F Y, H:i")


# Reading -------------------------------------------------------------------------------------


def versions_of(entry):
    """The entry's versions, newest first, with who made each and why."""
    return (
        Version.objects.of(entry)
        .select_related("change_set__author", "restored_from")
        .newest_first()
    )


def with_changes(versions, older=None):
    """Each version of `versions` (one entry's, newest first) with what changed since the one
    before it, as (version, changes) pairs; `older` is the version before the last one given
    (None when the last is the first version, whose changes are then None). Names are read
    once for all of them, so a page of versions costs a fixed number of queries whatever its
    length."""
    versions = list(versions)
    chain = [*versions, older]
    labels = Labels([v.snapshot for v in chain if v is not None])
    return [
        (
            version,
            None if previous is None else changes_between(previous, version, labels=labels),
        )
        for version, previous in zip(versions, chain[1:], strict=True)
    ]


def changes_between(older, newer, *, labels=None):
    """What changed from version `older` (None: nothing before) to version `newer`, as
    `snapshots.Change` rows, including a change of publication state."""
    before = older.snapshot if older is not None else None
    if newer.partnership_id:
        rows = diff(before, newer.snapshot, labels=labels)
    else:
        rows = diff_organisations(before, newer.snapshot, labels=labels)
    was = older.get_publication_state_display() if older is not None else ""
    now = newer.get_publication_state_display()
    if newer.partnership_id and was != now:
        rows.insert(0, field_change(gettext("Publication"), was, now))
    merged_before = older.merged_into if older is not None else None
    if merged_before != newer.merged_into:
        rows.insert(
            0,
            field_change(
                gettext("Merged into"),
                _successor_name(newer, merged_before),
                _successor_name(newer, newer.merged_into),
            ),
        )
    return rows


def _successor_name(version, pk):
    """The name of the entry a version says it was merged into (one query, only for the rare
    version where that changed)."""
    if pk is None:
        return ""
    model = Partnership if version.partnership_id else Organisation
    name = model.objects.filter(pk=pk).values_list("name", flat=True).first()
    return name or gettext("(deleted entry)")


def timeline(versions, *, page, per_page=20):
    """One page of a history (`versions`, newest first, as `versions_of` gives them, perhaps
    filtered) and each of its versions with what changed since the one before it in
    `versions`: (page, [(version, changes), …]). A fixed number of queries for any page."""
    page = Paginator(versions, per_page).get_page(page)
    shown = list(page.object_list)
    older = versions.filter(number__lt=shown[-1].number).first() if shown else None
    return page, with_changes(shown, older)


def changes_to_restore(version):
    """What restoring `version` would change in the live entry, as `snapshots.Change` rows."""
    entry = version.partnership or version.organisation
    snapshot, lifecycle = state_of(entry)
    live = Version(
        partnership=version.partnership,
        organisation=version.organisation,
        snapshot=snapshot,
        **lifecycle,
    )
    return changes_between(live, version)
