"""Requests to manage a partnership that has no editors (`ClaimRequest`): a signed-in person asks,
a curator approves (the person becomes an editor, recorded in the history) or refuses, and the
person is emailed either way."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from partnerships import emails, history
from partnerships.models import ChangeKind, ClaimRequest, ClaimState, Partnership


class ClaimRefused(Exception):
    """A request that cannot be made; the message says why, for the person."""


def is_claimable(partnership):
    """Whether anyone may ask to manage `partnership`: published, and nobody edits it."""
    return (
        Partnership.objects.published().filter(pk=partnership.pk).exists()
        and not partnership.editors.exists()
    )


def pending_claim(partnership, user):
    """`user`'s request to manage `partnership` that waits for a curator, or None."""
    if not user.is_authenticated:
        return None
    return ClaimRequest.objects.filter(
        partnership=partnership, user=user, state=ClaimState.PENDING
    ).first()


def request_claim(partnership, *, user, reason):
    """Record `user`'s request to manage `partnership`. Raises ClaimRefused when the partnership
    has editors (or is not published) or the person has asked already."""
    if not is_claimable(partnership):
        raise ClaimRefused(
            gettext(
                "This partnership already has editors, so it cannot be claimed. You can write to "
                "it through the contact form on its page."
            )
        )
    try:
        with transaction.atomic():
            return ClaimRequest.objects.create(partnership=partnership, user=user, reason=reason)
    except IntegrityError:
        # The constraint "one pending claim per person and partnership": a second tab or a
        # double click.
        raise ClaimRefused(
            gettext(
                "You have already asked to manage this partnership. A curator will email you "
                "when they have decided."
            )
        ) from None


def _decide(claim, *, curator, note, state):
    claim.state = state
    claim.decided_by = curator
    claim.decided_at = timezone.now()
    claim.note = note or ""
    claim.save(update_fields=["state", "decided_by", "decided_at", "note"])


@transaction.atomic
def approve_claim(claim, *, curator, note=""):
    """Make the person an editor of the partnership, recorded in its history as a change by the
    curator, and email them. Raises ValueError if the request was decided already."""
    claim = _locked(claim)
    partnership = claim.partnership
    history.baseline(partnership)
    partnership.editors.add(claim.user)
    _decide(claim, curator=curator, note=note, state=ClaimState.APPROVED)
    reason = f"{claim.user.email or claim.user} may now edit it."
    if note:
        reason = f"{reason} {note}"
    with history.change(ChangeKind.CLAIM, curator, reason) as change_set:
        change_set.record(partnership, always=True)
    _tell(claim, "claim_approved")
    return claim


@transaction.atomic
def refuse_claim(claim, *, curator, note):
    """Refuse the request with the curator's `note` and email the person. Raises ValueError if
    the request was decided already."""
    claim = _locked(claim)
    _decide(claim, curator=curator, note=note, state=ClaimState.REFUSED)
    _tell(claim, "claim_refused")
    return claim


def _locked(claim):
    """The request, locked, if it still waits for a decision (two curators may press at once)."""
    locked = (
        ClaimRequest.objects.select_for_update()
        .select_related("partnership", "user")
        .get(pk=claim.pk)
    )
    if locked.state != ClaimState.PENDING:
        raise ValueError(gettext("This request has been decided already."))
    return locked


def _tell(claim, template):
    context = {"claim": claim, "partnership": claim.partnership}
    recipients = [claim.user.email] if claim.user.is_active else []
    transaction.on_commit(lambda: emails.send(template, context, recipients))
