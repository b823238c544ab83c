"""Asking the people behind each published entry to confirm it, and telling the curators when
nobody answers; reminding them of agreements due for review.

`send_due_reminders` runs once a day (the `send_reminders` task, queued by
`manage.py send_reminders`). For an entry not confirmed for `freshness.REMIND_AFTER` months:

- confirm-1: its editors (or, with none, its lead contact who agreed to be published) are asked
  to confirm, each with their own emailed confirmation link;
- confirm-2 two weeks later and confirm-3 two weeks after that, while nobody has answered;
- curators one week after the last one: the curators get a list of the entries nobody answered
  for. An entry with nobody to ask goes to the curators straight away.

A reminder belongs to a cycle: the confirmation it asks to renew (`last_verified_at`, or the
entry's creation if it was never confirmed), so each kind goes once per cycle (the unique
constraint on `Reminder` makes sure of it, even with two runs at once). Confirming the entry
starts a new cycle; confirming it or saving an edit answers the reminders
(`freshness.mark_answered`), and an answered cycle gets no more of them.

Agreements with a review date get one reminder (agreement-review) 30 days before it, to the same
people; with nobody to ask it is skipped (the public page says "review overdue" once it passes).

Candidates are found by indexed queries (`last_verified_at`, the reminders' unique index), never
by reading every entry; each due entry is then sent in its own transaction, its `Reminder` row
written with the send, so a failed send is tried again the next day."""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy

from partnerships import confirmation_links, emails, freshness, services
from partnerships.links import site_url
from partnerships.models import (
    Agreement,
    AgreementStatus,
    Partnership,
    PublicationState,
    Reminder,
    ReminderKind,
)

logger = logging.getLogger(__name__)

CURATORS_AFTER = timedelta(weeks=1)
AGREEMENT_NOTICE = timedelta(days=30)
BATCH = 500
# The curators' email names at most this many entries; the admin's Reminders list has them all.
CURATORS_LIST_LIMIT = 200

# The follow-ups: which kind, the reminder it follows, and how long after that one, so that with
# a daily run they go 2 and 4 weeks after the first, and the curators a week after the last.
FOLLOW_UPS = [
    (ReminderKind.CONFIRM_SECOND, ReminderKind.CONFIRM_FIRST, freshness.SECOND_REMINDER),
    (
        ReminderKind.CONFIRM_LAST,
        ReminderKind.CONFIRM_SECOND,
        freshness.LAST_REMINDER - freshness.SECOND_REMINDER,
    ),
    (ReminderKind.CURATORS, ReminderKind.CONFIRM_LAST, CURATORS_AFTER),
]
STEP_NUMBERS = {
    ReminderKind.CONFIRM_FIRST: 1,
    ReminderKind.CONFIRM_SECOND: 2,
    ReminderKind.CONFIRM_LAST: 3,
}
# Agreements past these need no review.
NO_REVIEW = [AgreementStatus.EXPIRED, AgreementStatus.SUPERSEDED]


@dataclass
class ForCurators:
    partnership: Partnership
    cycle: str
    nobody_to_ask: bool


def send_due_reminders(now=None):
    """Send every reminder due at `now` (default: now). Returns how many of each kind were
    sent, keyed by `ReminderKind` (kinds with none left out)."""
    now = now or timezone.now()
    sent = Counter()
    for_curators = []
    # The later steps first: one run never sends two steps of the same cycle.
    for kind, previous, gap in reversed(FOLLOW_UPS):
        for reminder in _follow_ups_due(previous, kind, now - gap):
            if kind == ReminderKind.CURATORS:
                for_curators.append(ForCurators(reminder.partnership, reminder.cycle, False))
            else:
                _ask(reminder.partnership, kind, reminder.cycle, now, sent, for_curators)
    for partnership in _batched(first_reminders_due(now)):
        cycle = cycle_of(partnership)
        _ask(partnership, ReminderKind.CONFIRM_FIRST, cycle, now, sent, for_curators)
    sent[ReminderKind.CURATORS] += _tell_curators(for_curators, now)
    for agreement in agreement_reviews_due(now):
        sent[ReminderKind.AGREEMENT_REVIEW] += _remind_of_review(agreement, now)
    return {kind: count for kind, count in sent.items() if count}


def cycle_of(partnership):
    """The confirmation a reminder asks to renew, as stored in `Reminder.cycle`."""
    return freshness.confirmed_at(partnership).isoformat()


def recipients_for(partnership):
    """Who is asked about an entry: its active editors with an email address or, with none,
    its lead contact who agreed to be published. Empty when there is nobody."""
    editors = sorted(
        {
            email.strip()
            for email in partnership.editors.filter(is_active=True).values_list("email", flat=True)
            if email and email.strip()
        }
    )
    if editors:
        return editors
    lead = partnership.contacts.public().with_email().filter(is_lead=True).first()
    return [lead.email] if lead else []


# Finding what is due (indexed queries) ---------------------------------------------------------


def first_reminders_due(now):
    """Published entries not confirmed for REMIND_AFTER months whose current cycle has no first
    reminder yet (nor a note to the curators, for an entry with nobody to ask). The date test
    is written on `last_verified_at` itself, so the database reads its index."""
    cutoff = freshness.months_before(now, freshness.REMIND_AFTER)
    asked = Reminder.objects.filter(
        partnership=OuterRef("pk"),
        kind__in=[ReminderKind.CONFIRM_FIRST, ReminderKind.CURATORS],
        sent_at__gte=OuterRef("confirmed_at"),
    )
    return freshness.confirmed_since(
        Partnership.objects.published().filter(
            Q(last_verified_at__lt=cutoff) | Q(last_verified_at__isnull=True, created_at__lt=cutoff)
        )
    ).filter(~Exists(asked))


def _follow_ups_due(previous, kind, sent_before):
    """Unanswered reminders of kind `previous`, sent before `sent_before` in their entry's
    current cycle, whose entry is still published and has no `kind` reminder in that cycle."""
    followed = Reminder.objects.filter(
        partnership=OuterRef("partnership"), kind=kind, cycle=OuterRef("cycle")
    )
    due = (
        Reminder.objects.filter(
            kind=previous,
            answered_at__isnull=True,
            sent_at__lte=sent_before,
            partnership__publication_state=PublicationState.PUBLISHED,
            sent_at__gte=Coalesce(F("partnership__last_verified_at"), F("partnership__created_at")),
        )
        .filter(~Exists(followed))
        .select_related("partnership")
        .order_by("pk")
    )
    return _batched(due)


def agreement_reviews_due(now):
    """Agreements of published entries whose review date is in the next 30 days (and not yet
    passed) that have not been reminded of that date."""
    today = timezone.localdate(now)
    candidates = list(
        Agreement.objects.filter(
            partnership__publication_state=PublicationState.PUBLISHED,
            review_due__gte=today,
            review_due__lte=today + AGREEMENT_NOTICE,
        )
        .exclude(status__in=NO_REVIEW)
        .select_related("partnership")
        .order_by("review_due", "pk")
    )
    reminded = set(
        Reminder.objects.filter(
            kind=ReminderKind.AGREEMENT_REVIEW, agreement__in=[a.pk for a in candidates]
        ).values_list("cycle", flat=True)
    )
    return [a for a in candidates if agreement_cycle(a) not in reminded]


def agreement_cycle(agreement):
    return f"{agreement.pk}:{agreement.review_due.isoformat()}"


def _batched(queryset):
    """The rows of `queryset` in pages by primary key, so a run over many entries holds one page
    at a time and never iterates a cursor while writing."""
    last = 0
    while True:
        page = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        yield from page
        if len(page) < BATCH:
            return
        last = page[-1].pk


# Sending ------------------------------------------------------------------------------------


def _ask(partnership, kind, cycle, now, sent, for_curators):
    """Ask the entry's people to confirm it (a `kind` reminder), or pass it to the curators
    when there is nobody to ask."""
    recipients = recipients_for(partnership)
    if not recipients:
        for_curators.append(ForCurators(partnership, cycle, True))
        return
    try:
        with transaction.atomic():
            Reminder.objects.create(
                partnership=partnership,
                kind=kind,
                cycle=cycle,
                recipients=recipients,
                sent_at=now,
            )
            for address in recipients:
                _send_confirmation_request(partnership, kind, address, now)
    except IntegrityError:
        return  # another run sent this one at the same moment
    except Exception:
        # One entry's failure (a refused address, a mail server hiccup) does not stop the rest;
        # nothing was recorded, so it is tried again tomorrow.
        logger.exception("Could not send the %s reminder for partnership %s", kind, partnership.pk)
        return
    sent[kind] += 1


def _send_confirmation_request(partnership, kind, address, now):
    token = confirmation_links.make_link(partnership, address, now=now)
    base = site_url()
    emails.send(
        "confirm_reminder",
        {
            "partnership": partnership,
            "name": name_in_email(partnership),
            "step": STEP_NUMBERS[kind],
            "last_confirmed": partnership.last_verified_at,
            "listed_on": partnership.created_at,
            "confirm_url": base + reverse("editor:confirm_link", kwargs={"token": token}),
            "edit_url": base + reverse("editor:edit", args=[partnership.pk]),
            "page_url": base + partnership.get_absolute_url(),
            "link_days": freshness.LINK_LIFETIME.days,
        },
        [address],
        base_url=base,
    )


def _tell_curators(entries, now):
    """One email to the curators listing the entries nobody answered for (or nobody can be asked
    about), each recorded as a curators reminder. Returns how many entries it listed."""
    if not entries:
        return 0
    curators = sorted({user.email for user in services.moderators() if user.email})
    if not curators:
        logger.warning(
            "%d entries need a curator, but no curator has an email address.", len(entries)
        )
        return 0
    listed = []
    try:
        with transaction.atomic():
            for entry in entries:
                try:
                    with transaction.atomic():
                        Reminder.objects.create(
                            partnership=entry.partnership,
                            kind=ReminderKind.CURATORS,
                            cycle=entry.cycle,
                            recipients=curators,
                            sent_at=now,
                        )
                except IntegrityError:
                    continue  # told already, by another run at the same moment
                listed.append(entry)
            if listed:
                _send_curators_list(listed, curators)
    except Exception:
        logger.exception("Could not tell the curators about %d entries", len(entries))
        return 0
    return len(listed)


def _send_curators_list(entries, curators):
    base = site_url()
    emails.send(
        "curators_reminder",
        {
            "entries": [
                {
                    "partnership": entry.partnership,
                    "name": name_in_email(entry.partnership),
                    "last_confirmed": entry.partnership.last_verified_at,
                    "listed_on": entry.partnership.created_at,
                    "nobody_to_ask": entry.nobody_to_ask,
                }
                for entry in entries[:CURATORS_LIST_LIMIT]
            ],
            "count": len(entries),
            "more": max(0, len(entries) - CURATORS_LIST_LIMIT),
            "curators_kind": ReminderKind.CURATORS.value,
        },
        curators,
        base_url=base,
    )


def _remind_of_review(agreement, now):
    """Remind the entry's people that `agreement` is due for review. Returns 1 if sent."""
    partnership = agreement.partnership
    recipients = recipients_for(partnership)
    if not recipients:
        return 0
    base = site_url()
    try:
        with transaction.atomic():
            Reminder.objects.create(
                partnership=partnership,
                agreement=agreement,
                kind=ReminderKind.AGREEMENT_REVIEW,
                cycle=agreement_cycle(agreement),
                recipients=recipients,
                sent_at=now,
            )
            emails.send(
                "agreement_review",
                {
                    "partnership": partnership,
                    "name": name_in_email(partnership),
                    "agreement": agreement,
                    "title": one_line(agreement.title),
                    "edit_url": base + reverse("editor:edit", args=[partnership.pk]),
                    "page_url": base + partnership.get_absolute_url(),
                },
                recipients,
                base_url=base,
            )
    except IntegrityError:
        return 0
    except Exception:
        logger.exception("Could not send the review reminder for agreement %s", agreement.pk)
        return 0
    return 1


def name_in_email(partnership):
    """The entry's name in the language the email is written in (it may be written in two),
    on one line: a lazy text, read as the template is rendered in each language."""
    return lazy(lambda: one_line(partnership.display_name), str)()


def one_line(text):
    """`text` with every run of whitespace (newlines included) made one space, for subjects and
    list lines: a name pasted with a line break must not end an email's subject early."""
    return " ".join(str(text).split())
