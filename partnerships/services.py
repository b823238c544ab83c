"""Writes that touch several rows or models, called by views, admin and commands alike."""

import time
from dataclasses import dataclass, replace
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from partnerships import emails, geocoding, history
from partnerships.distance import haversine_km
from partnerships.geocoding import GeocodeResult
from partnerships.models import (
    ChangeKind,
    DataVersion,
    Decision,
    LocationPrecision,
    LocationSource,
    ModerationEvent,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    PublicationState,
    Revision,
    RevisionState,
    Role,
)
from partnerships.snapshots import apply_snapshot, snapshot_of

# The published-data version -------------------------------------------------------------------
#
# Every write that can change what the public sees calls `published_data_changed()` in its own
# transaction, so the new number becomes visible together with the new rows. Caches of public
# answers are keyed by `published_data_version()`.


def published_data_version():
    """The current version of the published data (one indexed single-row read)."""
    return (
        DataVersion.objects.filter(pk=DataVersion.SINGLETON).values_list("value", flat=True).first()
        or 0
    )


def published_data_changed():
    """Bump the published-data version, so every cached public answer is computed afresh, and
    once the change commits, queue a refresh of the national map's summary (until it runs, the
    map computes from the partnerships themselves; see `partnerships.mapsummary`)."""
    bumped = DataVersion.objects.filter(pk=DataVersion.SINGLETON).update(
        value=F("value") + 1, changed_at=timezone.now()
    )
    if not bumped:  # the row is made by a migration; only a flushed database lacks it
        DataVersion.objects.bulk_create(
            [DataVersion(pk=DataVersion.SINGLETON, value=2)], ignore_conflicts=True
        )
    # Once per transaction, however many rows it changes (registering ten members places ten
    # entries). Robust: a refresh that cannot be queued costs the map its shortcut, not the change.
    connection = transaction.get_connection()
    queued = any(func is queue_map_summary_refresh for _, func, _ in connection.run_on_commit)
    if not (connection.in_atomic_block and queued):
        transaction.on_commit(queue_map_summary_refresh, robust=True)


def queue_map_summary_refresh():
    """Queue a rebuild of the national map's summary (a task, run by `manage.py db_worker`)."""
    from partnerships.tasks import refresh_map_summary

    refresh_map_summary.enqueue()


def publish_partnerships(queryset, *, user=None, reason=""):
    """Publish every partnership in `queryset` that is not published yet, stamping
    `last_verified_at` where it is still empty, as one change in the history by `user`.
    Entries merged into another are left alone. Returns how many partnerships changed."""
    now = timezone.now()
    return _change_publication(
        queryset.current().exclude(publication_state=PublicationState.PUBLISHED),
        ChangeKind.PUBLISH,
        user,
        reason,
        publication_state=PublicationState.PUBLISHED,
        last_verified_at=Coalesce(F("last_verified_at"), Value(now)),
        updated_at=now,
    )


def archive_partnerships(queryset, *, user=None, reason=""):
    """Archive every partnership in `queryset` that is not archived yet, as one change in the
    history by `user`. Archived entries leave every public page and can be brought back by
    restoring a version from their history. Entries merged into another are left alone.
    Returns how many partnerships changed."""
    return _change_publication(
        queryset.current().exclude(publication_state=PublicationState.ARCHIVED),
        ChangeKind.ARCHIVE,
        user,
        reason,
        publication_state=PublicationState.ARCHIVED,
        updated_at=timezone.now(),
    )


def _change_publication(queryset, kind, user, reason, **values):
    with transaction.atomic():
        # By id: the admin hands over a list's queryset, annotated with counts, which cannot
        # be locked or updated as it is.
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        entries = list(Partnership.objects.filter(pk__in=ids).order_by("pk"))
        history.baseline(*entries)
        changed = Partnership.objects.filter(pk__in=ids).update(**values)
        with history.change(kind, user, reason) as change_set:
            for entry in entries:
                change_set.record(entry)
        published_data_changed()
    return changed


# Locations -------------------------------------------------------------------------------------
#
# Geocoding runs only when one of these is called (admin action, `manage.py geocode`, load_demo,
# the background task `partnerships.tasks.refine_locations`), never from save() or signals.
# Saving a partnership in a request asks only the offline gazetteer (`place_partnership`). A
# failure never blocks anything: the entry keeps what it had and records when and why, for
# `manage.py geocode --failed` to retry. A location set by hand is never overwritten, whatever
# `force` says.

# Members all within this distance of their centre are "in one town".
ONE_TOWN_KM = 10


class Outcome(StrEnum):
    PLACED = "placed"
    FAILED = "failed"
    MANUAL = "kept: set by hand"
    LOCATED = "kept: already located"


@dataclass(frozen=True)
class LocationOutcome:
    """What locating one entry did. `result` is None when the entry was left alone."""

    entry: object
    outcome: Outcome
    result: GeocodeResult | None = None


def is_set_by_hand(entry):
    return (
        entry.location_precision == LocationPrecision.MANUAL
        or entry.location_source == LocationSource.MANUAL
    )


def geocode_organisation(organisation, *, force=False, commit=True, online=True):
    """Place `organisation` from its address, town and postcode. Entries already located are
    left alone unless `force` is set or their last attempt failed. `commit=False` works out the
    result without saving it; `online=False` asks only the offline gazetteer."""
    skipped = _skip(organisation, force)
    if skipped:
        return skipped
    result = geocoding.geocode(organisation, online=online)
    return _record(organisation, result, commit=commit)


def locate_partnership(partnership, *, force=False, commit=True, online=True):
    """Place `partnership`: at its own area (`area_name`) when that geocodes; otherwise at its
    lead member organisation; otherwise at the centre of its located members (source
    "members"). Run after its members are geocoded. Arguments as for `geocode_organisation`."""
    skipped = _skip(partnership, force)
    if skipped:
        return skipped
    problems = ()
    if partnership.area_name.strip():
        result = geocoding.geocode(partnership, online=online)
        if result.found:
            return _record(partnership, result, commit=commit)
        problems = result.problems
    result = location_of_members(partnership)
    return _record(
        partnership,
        replace(result, problems=problems + result.problems),
        commit=commit,
    )


def apply_location(entry, result):
    """Set a GeocodeResult's location (or its failure) on an entry not yet saved, for writes
    that save many entries at once (an import); `geocode_organisation` does this and saves."""
    now = timezone.now()
    entry.geocode_error = result.error[: type(entry)._meta.get_field("geocode_error").max_length]
    if result.found:
        entry.latitude, entry.longitude = result.latitude, result.longitude
        entry.location_precision, entry.location_source = result.precision, result.source
        entry.location_ambiguous = result.ambiguous
        entry.geocoded_at, entry.geocode_failed_at = now, None
    else:
        entry.geocode_failed_at = now
    return entry


def location_of_members(partnership, memberships=None):
    """The lead member's location, or else the centre of the located members, as a
    GeocodeResult with source "members". `memberships` (with their organisations) saves the
    query when the caller has them, e.g. for a partnership not saved yet."""
    if memberships is None:
        memberships = partnership.memberships.select_related("organisation")
    members = [membership for membership in memberships if membership.organisation.is_located]
    if not members:
        return GeocodeResult(problems=("no member organisation has a location",))
    leads = [membership for membership in members if membership.role == Role.LEAD]
    organisations = [m.organisation for m in (leads[:1] or members)]
    latitude = sum(o.latitude for o in organisations) / len(organisations)
    longitude = sum(o.longitude for o in organisations) / len(organisations)
    if len(organisations) == 1:
        # A point placed by hand is exact, but the partnership's own point is not by hand.
        precision = organisations[0].location_precision or LocationPrecision.TOWN
        if precision == LocationPrecision.MANUAL:
            precision = LocationPrecision.ADDRESS
    elif all(
        haversine_km(latitude, longitude, o.latitude, o.longitude) <= ONE_TOWN_KM
        for o in organisations
    ):
        precision = LocationPrecision.TOWN
    else:
        precision = LocationPrecision.REGION
    return GeocodeResult(
        latitude=latitude,
        longitude=longitude,
        precision=precision,
        source=LocationSource.MEMBERS,
        ambiguous=any(o.location_ambiguous for o in organisations),
    )


def _skip(entry, force):
    if is_set_by_hand(entry):
        return LocationOutcome(entry, Outcome.MANUAL)
    if entry.is_located and entry.geocode_failed_at is None and not force:
        return LocationOutcome(entry, Outcome.LOCATED)
    return None


_SET_BY_HAND = Q(location_precision=LocationPrecision.MANUAL) | Q(
    location_source=LocationSource.MANUAL
)


def _record(entry, result, *, commit):
    """Store `result` on `entry`. A failure keeps the coordinates the entry had and records when
    and why. The update excludes locations set by hand, so one a curator sets while a long run
    is going still wins."""
    now = timezone.now()
    error_field = type(entry)._meta.get_field("geocode_error")
    fields = {"geocode_error": result.error[: error_field.max_length]}
    if result.found:
        fields.update(
            latitude=result.latitude,
            longitude=result.longitude,
            location_precision=result.precision,
            location_source=result.source,
            location_ambiguous=result.ambiguous,
            geocoded_at=now,
            geocode_failed_at=None,
            updated_at=now,  # update() skips auto_now, and the entry did change
        )
    else:
        fields["geocode_failed_at"] = now
    if commit:
        saved = (
            type(entry)._default_manager.filter(pk=entry.pk).exclude(_SET_BY_HAND).update(**fields)
        )
        if not saved:
            entry.refresh_from_db()
            return LocationOutcome(entry, Outcome.MANUAL)
        if result.found:
            published_data_changed()  # the entry (or a member's marker) moved on the map
    for field, value in fields.items():
        setattr(entry, field, value)
    return LocationOutcome(entry, Outcome.PLACED if result.found else Outcome.FAILED, result)


# Registration, editing and moderation -------------------------------------------------------
#
# A partnership that has never been published is edited in place: nobody but its editors and the
# moderators can see it. Once published, edits go into a Revision and the public keeps seeing the
# last approved version until a moderator approves the revision.


@transaction.atomic
def new_member_organisation(*, name, town, sector, identifier=None):
    """An organisation that a lead names on the registration form and the directory does not
    have yet, with the identifier they gave for it (a (scheme, value) pair, the value in its
    stored form), if any. An identifier that another organisation holds is left off: the form
    has already matched the row to any such organisation the lead may see, so the holder is one
    they may not (another lead's draft), and the page behaves as if it did not exist. When the
    curators merge the two, the identifier comes to the survivor."""
    organisation = Organisation.objects.create(name=name, town=town, sector=sector)
    if identifier:
        scheme, value = identifier
        if not OrganisationIdentifier.objects.filter(scheme=scheme, value=value).exists():
            try:
                with transaction.atomic():
                    organisation.identifiers.create(scheme=scheme, value=value)
            except IntegrityError:
                pass  # given to another organisation a moment ago: the same as above
    return organisation


@transaction.atomic
def create_partnership(*, data, user):
    """A new draft partnership from a snapshot, with `user` as its first editor."""
    partnership = Partnership(publication_state=PublicationState.DRAFT)
    partnership.name = data["fields"]["name"]
    partnership.summary = data["fields"].get("summary", "")
    partnership.save()
    partnership.editors.add(user)
    apply_snapshot(partnership, data)
    place_partnership(partnership)
    history.record(partnership, kind=ChangeKind.CREATED, user=user)
    return partnership


def open_revision(partnership):
    return partnership.revisions.open().first()


def working_copy(partnership):
    """What the editing form starts from: the open revision of a published partnership if there
    is one, otherwise the live rows."""
    revision = open_revision(partnership)
    return revision.data if revision else snapshot_of(partnership)


@transaction.atomic
def save_edit(partnership, *, data, user):
    """Save an editor's changes. Returns the Revision holding them for a published partnership,
    or None when they were written straight to an unpublished one.

    The partnership's row is locked first, so two editors saving at the same moment take turns
    (the second updates the revision the first made) instead of both creating one; on SQLite the
    IMMEDIATE write transaction already makes them take turns."""
    Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
    if partnership.publication_state != PublicationState.PUBLISHED:
        history.baseline(partnership)
        apply_snapshot(partnership, data)
        place_partnership(partnership)
        history.record(partnership, kind=ChangeKind.EDIT, user=user)
        return None
    revision = open_revision(partnership) or Revision(partnership=partnership)
    revision.data = data
    revision.author = user
    if revision.state == RevisionState.CHANGES_REQUESTED:
        revision.state = RevisionState.DRAFT
    revision.save()
    # An edit answers the reminders to confirm the entry: its editors are looking after it.
    _reminders_answered(partnership)
    return revision


def _reminders_answered(partnership):
    from partnerships import freshness  # freshness imports this module

    freshness.mark_answered(partnership)


@transaction.atomic
def submit_for_review(partnership, *, user):
    """Send a draft (or a published partnership's open revision) to the moderators."""
    revision = None
    if partnership.publication_state == PublicationState.PUBLISHED:
        revision = open_revision(partnership)
        if revision is None:
            raise ValueError(gettext("There are no changes to submit."))
        revision.state = RevisionState.PENDING
        revision.submitted_at = timezone.now()
        revision.save()
    elif partnership.publication_state == PublicationState.ARCHIVED:
        raise ValueError(gettext("An archived partnership cannot be submitted."))
    elif partnership.publication_state == PublicationState.MERGED:
        raise ValueError(gettext("A partnership merged into another cannot be submitted."))
    else:
        partnership.publication_state = PublicationState.PENDING
        partnership.save(update_fields=["publication_state", "updated_at"])
    ModerationEvent.objects.create(
        partnership=partnership, revision=revision, decision=Decision.SUBMITTED, actor=user
    )
    transaction.on_commit(
        lambda: emails.send(
            "submitted",
            {"partnership": partnership, "is_edit": revision is not None, "author": user},
            [m.email for m in moderators()],
        )
    )
    return revision


def moderators():
    """The curators: active users who may review and publish partnerships (superusers, or the
    permission given directly or through a group). They are emailed about submissions and
    about entries nobody confirms."""
    return (
        get_user_model()
        .objects.filter(
            Q(is_superuser=True)
            | Q(user_permissions__codename="moderate_partnership")
            | Q(groups__permissions__codename="moderate_partnership"),
            is_active=True,
        )
        .distinct()
    )


def awaiting_review():
    """Partnerships waiting for a moderator: new ones pending review, and published ones with a
    pending revision, the longest-waiting first. Each carries `submitted_at`, when it was last
    submitted (an edit leaves the live row's `updated_at` alone, so that cannot order them)."""
    pending_revisions = Revision.objects.pending().values("partnership_id")
    last_submitted = (
        ModerationEvent.objects.filter(partnership=OuterRef("pk"), decision=Decision.SUBMITTED)
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    return (
        Partnership.objects.filter(
            Q(publication_state=PublicationState.PENDING) | Q(pk__in=pending_revisions)
        )
        .select_related("region")
        .annotate(submitted_at=Subquery(last_submitted))
        .order_by(F("submitted_at").asc(nulls_first=True), "updated_at", "pk")
    )


@transaction.atomic
def approve(partnership, *, moderator, message=""):
    """Publish a pending partnership, or apply its pending revision to the live rows: one
    version in the history, by the moderator, with their note as its reason."""
    revision = partnership.revisions.pending().first()
    if revision is None and partnership.publication_state != PublicationState.PENDING:
        raise ValueError(gettext("Only a partnership pending review can be approved."))
    history.baseline(partnership)
    if revision is not None:
        apply_snapshot(partnership, revision.data)
        revision.state = RevisionState.APPROVED
        revision.save()
    partnership.publication_state = PublicationState.PUBLISHED
    partnership.last_verified_at = timezone.now()
    partnership.save()
    place_partnership(partnership)
    history.record(partnership, kind=ChangeKind.APPROVAL, user=moderator, reason=message)
    _reminders_answered(partnership)  # confirmed, as `last_verified_at` above says
    published_data_changed()
    _decide(partnership, revision, Decision.APPROVED, moderator, message, "approved")


@transaction.atomic
def request_changes(partnership, *, moderator, message):
    """Send a pending partnership or revision back to its editors with `message`."""
    revision = partnership.revisions.pending().first()
    if revision is not None:
        revision.state = RevisionState.CHANGES_REQUESTED
        revision.save()
    elif partnership.publication_state == PublicationState.PENDING:
        partnership.publication_state = PublicationState.CHANGES_REQUESTED
        partnership.save(update_fields=["publication_state", "updated_at"])
    else:
        raise ValueError(gettext("Only a partnership pending review can be sent back."))
    _decide(
        partnership, revision, Decision.CHANGES_REQUESTED, moderator, message, "changes_requested"
    )


@transaction.atomic
def reject(partnership, *, moderator, reason):
    """Reject a pending submission: a new partnership is archived; a revision of a published one
    is dropped and the published version stays."""
    revision = partnership.revisions.pending().first()
    if revision is not None:
        revision.state = RevisionState.REJECTED
        revision.save()
    elif partnership.publication_state == PublicationState.PENDING:
        history.baseline(partnership)
        partnership.publication_state = PublicationState.ARCHIVED
        partnership.save(update_fields=["publication_state", "updated_at"])
        history.record(
            partnership, kind=ChangeKind.ARCHIVE, user=moderator, reason=f"Rejected: {reason}"
        )
    else:
        raise ValueError(gettext("Only a partnership pending review can be rejected."))
    _decide(partnership, revision, Decision.REJECTED, moderator, reason, "rejected")


def _decide(partnership, revision, decision, moderator, message, template):
    ModerationEvent.objects.create(
        partnership=partnership,
        revision=revision,
        decision=decision,
        actor=moderator,
        message=message,
    )
    editors = [user.email for user in partnership.editors.filter(is_active=True)]
    context = {"partnership": partnership, "message": message, "is_edit": revision is not None}
    transaction.on_commit(lambda: emails.send(template, context, editors))


def place_partnership(partnership):
    """Place the partnership's member organisations that have no location yet, then the
    partnership itself, from the offline gazetteer only: saving never waits on the network. When
    the online geocoder is on, `partnerships.tasks.refine_locations` is queued to ask it in the
    background once the transaction has committed. A failure is recorded, never raised."""
    for membership in partnership.memberships.select_related("organisation"):
        organisation = membership.organisation
        if not organisation.is_located and organisation.town:
            geocode_organisation(organisation, online=False)
    locate_partnership(partnership, online=False)
    if settings.GEOCODER != "offline":
        from partnerships.tasks import refine_locations  # the tasks module imports this one

        partnership_id = partnership.pk
        transaction.on_commit(lambda: refine_locations.enqueue(partnership_id))


def needs_online_refinement(entry):
    """Whether the online geocoder may still improve where `entry` is: it was not set by hand,
    and it was not placed online already (unless that attempt is flagged for a retry). A point
    an imported list or feed gave is kept too: it says more than a town's centre."""
    if is_set_by_hand(entry) or entry.location_source == LocationSource.IMPORTED:
        return False
    return entry.location_source != LocationSource.NOMINATIM or entry.geocode_failed_at is not None


def refine_online(partnership, *, seconds=None):
    """Ask the online geocoder where the partnership's members and then the partnership are,
    improving on the gazetteer's town-level points that `place_partnership` recorded. Run by a
    background task, never in a request.

    The whole run stops asking after `seconds` (default settings.GEOCODE_TASK_SECONDS); entries
    not reached by then, and entries the gazetteer placed because the online geocoder failed,
    keep their point but are flagged (`geocode_failed_at`, `geocode_error`) for
    `manage.py geocode --failed` to retry. Locations set by hand are never touched. Returns the
    LocationOutcome of each entry considered."""
    seconds = settings.GEOCODE_TASK_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + seconds
    organisations = [
        membership.organisation
        for membership in partnership.memberships.select_related("organisation__region")
        if membership.organisation.town or membership.organisation.postcode
    ]
    work = [(organisation, geocode_organisation) for organisation in organisations]
    work.append((partnership, locate_partnership))
    outcomes = []
    for entry, locate in work:
        entry.refresh_from_db()
        if not needs_online_refinement(entry):
            continue
        if time.monotonic() >= deadline:
            reason = f"the online geocoder was not asked within {seconds} s; retry later"
            outcomes.append(_record(entry, GeocodeResult(problems=(reason,)), commit=True))
            continue
        outcome = locate(entry, force=True, online=True)
        if outcome.outcome == Outcome.PLACED and outcome.result.online_failed:
            _flag_for_retry(entry, outcome.result.error)
        outcomes.append(outcome)
    return outcomes


def _flag_for_retry(entry, reason):
    """Keep `entry` where it is, but list it for `manage.py geocode --failed`."""
    now = timezone.now()
    error_field = type(entry)._meta.get_field("geocode_error")
    fields = {"geocode_failed_at": now, "geocode_error": reason[: error_field.max_length]}
    type(entry)._default_manager.filter(pk=entry.pk).exclude(_SET_BY_HAND).update(**fields)
    for field, value in fields.items():
        setattr(entry, field, value)
