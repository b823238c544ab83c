"""Writes that touch several rows or models, called by views, admin and commands alike."""

from dataclasses import dataclass, replace
from enum import StrEnum

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from partnerships import geocoding
from partnerships.distance import haversine_km
from partnerships.geocoding import GeocodeResult
from partnerships.models import LocationPrecision, LocationSource, PublicationState, Role


def publish_partnerships(queryset):
    """Publish every partnership in `queryset` that is not published yet, stamping
    `last_verified_at` where it is still empty. Returns how many partnerships changed."""
    now = timezone.now()
    return queryset.exclude(publication_state=PublicationState.PUBLISHED).update(
        publication_state=PublicationState.PUBLISHED,
        last_verified_at=Coalesce(F("last_verified_at"), Value(now)),
        updated_at=now,
    )


def archive_partnerships(queryset):
    """Archive every partnership in `queryset` that is not archived yet. Returns how many
    partnerships changed."""
    return queryset.exclude(publication_state=PublicationState.ARCHIVED).update(
        publication_state=PublicationState.ARCHIVED, updated_at=timezone.now()
    )


# Locations -------------------------------------------------------------------------------------
#
# Geocoding runs only when one of these is called (admin action, `manage.py geocode`, load_demo),
# never from save() or signals. A failure never blocks anything: the entry keeps what it had and
# records when and why, for `manage.py geocode --failed` to retry. A location set by hand is
# never overwritten, whatever `force` says.

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


def location_of_members(partnership):
    """The lead member's location, or else the centre of the located members, as a
    GeocodeResult with source "members"."""
    members = [
        membership
        for membership in partnership.memberships.select_related("organisation")
        if membership.organisation.is_located
    ]
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
        )
    else:
        fields["geocode_failed_at"] = now
    if commit:
        hand_set = Q(location_precision=LocationPrecision.MANUAL) | Q(
            location_source=LocationSource.MANUAL
        )
        saved = type(entry)._default_manager.filter(pk=entry.pk).exclude(hand_set).update(**fields)
        if not saved:
            entry.refresh_from_db()
            return LocationOutcome(entry, Outcome.MANUAL)
    for field, value in fields.items():
        setattr(entry, field, value)
    return LocationOutcome(entry, Outcome.PLACED if result.found else Outcome.FAILED, result)
