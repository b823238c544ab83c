"""Keeping entries current: when a published entry counts as confirmed, stale or in need of a
curator, and confirming one.

"Last confirmed" (`Partnership.last_verified_at`, HSDS `assured_date`) is separate from "last
edited" (`updated_at`): it moves only when someone says the entry is still right, an editor (from
"My partnerships" or an emailed link), a curator, or a moderator approving an edit.

The schedule, in calendar months since the last confirmation (or, for an entry never confirmed,
since it was created):

- REMIND_AFTER (11): the editors are asked to confirm; again 2 and 4 weeks later; then the
  curators are told (`Reminder`, sent by the scheduled job);
- STALE_AFTER (12): the entry is stale: a public notice says so and it sorts after current ones;
- ATTENTION_AFTER (18): curators are asked to decide (archive it, or confirm it themselves).

All of it takes `now`, so tests and the scheduled job can set the clock.
"""

import calendar
from datetime import timedelta

from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from partnerships import history, services
from partnerships.models import ChangeKind, Partnership, Reminder

REMIND_AFTER = 11
STALE_AFTER = 12
ATTENTION_AFTER = 18
SECOND_REMINDER = timedelta(weeks=2)
LAST_REMINDER = timedelta(weeks=4)
LINK_LIFETIME = timedelta(days=30)


def months_before(moment, months):
    """`moment` moved back by whole calendar months, the day clamped to the month's length
    (31 March less one month is 28 or 29 February)."""
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def confirmed_since(partnerships):
    """`partnerships` annotated with `confirmed_at`: the last confirmation, or for an entry never
    confirmed, its creation (the clock starts when it was listed)."""
    return partnerships.annotate(confirmed_at=Coalesce("last_verified_at", "created_at"))


def confirmed_within(partnerships, months, *, now=None):
    """The partnerships confirmed (or created, if never confirmed) in the last `months`."""
    cutoff = months_before(now or timezone.now(), months)
    return confirmed_since(partnerships).filter(confirmed_at__gte=cutoff)


def not_confirmed_within(partnerships, months, *, now=None):
    cutoff = months_before(now or timezone.now(), months)
    return confirmed_since(partnerships).filter(confirmed_at__lt=cutoff)


def confirmed_at(partnership):
    """The last confirmation, or the listing; None for a working copy that has neither (the
    editors' preview of an entry not saved yet)."""
    return partnership.last_verified_at or getattr(partnership, "created_at", None)


def is_stale(partnership, *, now=None):
    """Whether the public should be told the entry may be out of date (STALE_AFTER months)."""
    moment = confirmed_at(partnership)
    return moment is not None and moment < months_before(now or timezone.now(), STALE_AFTER)


def needs_attention(partnership, *, now=None):
    moment = confirmed_at(partnership)
    return moment is not None and moment < months_before(now or timezone.now(), ATTENTION_AFTER)


def mark_answered(partnership, *, when=None):
    """The reminders waiting for an answer about this entry are answered (it was confirmed or
    edited), which also ends the cycle: the next reminder waits for the next anniversary."""
    Reminder.objects.filter(partnership=partnership, answered_at__isnull=True).update(
        answered_at=when or timezone.now()
    )


@transaction.atomic
def confirm(partnership, *, user=None, via="", now=None):
    """Record that the published entry is still right: "last confirmed" becomes now, the
    history records who confirmed it (`user`, or for an emailed link the address in `via`), and
    waiting reminders count as answered. Returns the partnership."""
    now = now or timezone.now()
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    history.baseline(partnership)
    partnership.last_verified_at = now
    partnership.save(update_fields=["last_verified_at", "updated_at"])
    who = f" by {via}" if via else ""
    with history.change(ChangeKind.CONFIRMATION, user, f"Confirmed as still right{who}.") as change:
        change.record(partnership, always=True)
    mark_answered(partnership, when=now)
    services.published_data_changed()
    return partnership
