"""Emailed links that confirm one published entry without signing in.

A link is a `ConfirmationLink` row (to whom it was sent, when it expires, when it was used) and
a token signed with the site's key, for this purpose only, that names the row and the
partnership. The signature proves the directory made the token and nobody altered it; the row
decides whether it still works: it confirms only its own entry, once, for
`freshness.LINK_LIFETIME` (30 days).

Opening a link (GET) never confirms: mail servers fetch links to scan them. Only the "Yes, this
is still right" button (POST) calls `use_link`."""

from enum import StrEnum

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from partnerships import freshness
from partnerships.models import ConfirmationLink

_SALT = "partnerships.confirmation-link"
ASK_AGAIN = _(
    "To confirm the entry now, sign in and use “Confirm it is still right” on My partnerships; "
    "the next reminder will also bring a new link."
)


class Refusal(StrEnum):
    INVALID = "invalid"
    OTHER_ENTRY = "other-entry"
    EXPIRED = "expired"
    USED = "used"
    NOT_LISTED = "not-listed"


# Gone for good (410) rather than a bad request (400).
GONE = {Refusal.EXPIRED, Refusal.USED, Refusal.NOT_LISTED}


class LinkRefused(Exception):
    """A link that cannot be used, with why (`reason`) in words for the person who opened it
    (`message`)."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.message = message


def make_link(partnership, email, *, now=None):
    """A new link confirming `partnership`, recorded as sent to `email`; returns its token (for
    the URL `editor:confirm_link`)."""
    now = now or timezone.now()
    link = ConfirmationLink.objects.create(
        partnership=partnership,
        sent_to=email,
        created_at=now,
        expires_at=now + freshness.LINK_LIFETIME,
    )
    return signing.dumps({"l": link.pk, "p": partnership.pk}, salt=_SALT)


def read_link(token, *, now=None):
    """The `ConfirmationLink` a token stands for, if it can still confirm its entry. Raises
    `LinkRefused` for a token not made here or altered, one whose row is gone, an expired or
    used link, or an entry no longer listed."""
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        data = None
    link = None
    if isinstance(data, dict) and isinstance(data.get("l"), int) and isinstance(data.get("p"), int):
        link = (
            ConfirmationLink.objects.select_related("partnership")
            .filter(pk=data["l"], partnership_id=data["p"])
            .first()
        )
    if link is None:
        raise LinkRefused(
            Refusal.INVALID,
            gettext(
                "This confirmation link is not valid. Check that you copied the whole link from "
                "the email."
            ),
        )
    if link.used_at is not None:
        raise LinkRefused(Refusal.USED, _already_used(link))
    if link.expires_at <= now:
        days = freshness.LINK_LIFETIME.days
        raise LinkRefused(
            Refusal.EXPIRED,
            ngettext(
                "This confirmation link expired on %(date)s: links work for %(days)s day.",
                "This confirmation link expired on %(date)s: links work for %(days)s days.",
                days,
            )
            % {"date": _day(link.expires_at), "days": days},
        )
    if not link.partnership.is_published:
        raise LinkRefused(
            Refusal.NOT_LISTED,
            gettext(
                "This entry is no longer listed in the directory, so there is nothing to confirm."
            ),
        )
    return link


@transaction.atomic
def use_link(token, partnership, *, now=None):
    """Confirm `partnership` with an emailed link: the link must be for this entry, unused and
    unexpired (see `read_link`). Marks the link used and confirms the entry as said by the
    address it was sent to. Returns the link; raises `LinkRefused`."""
    now = now or timezone.now()
    link = read_link(token, now=now)
    if link.partnership_id != partnership.pk:
        raise LinkRefused(
            Refusal.OTHER_ENTRY,
            gettext("This confirmation link is for another entry, so it cannot confirm this one."),
        )
    # Whoever marks it used first wins: a double click (or two at once) confirms only once.
    claimed = ConfirmationLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
    if not claimed:
        link.refresh_from_db(fields=["used_at"])
        raise LinkRefused(Refusal.USED, _already_used(link))
    link.used_at = now
    freshness.confirm(partnership, via=link.sent_to, now=now)
    return link


def _already_used(link):
    return gettext("This confirmation link was already used on %(date)s. Each link works once.") % {
        "date": _day(link.used_at)
    }


def _day(moment):
    return format_date(timezone.localtime(moment), "j F Y")
