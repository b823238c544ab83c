"""Requests to join a partnership (`JoinRequest`): a visitor asks, on behalf of their
organisation, from the partnership's public page; the partnership's editors (or, when it has none,
the curators) are emailed; an editor accepts or declines from "My partnerships", and the person is
emailed the outcome.

Accepting adds the organisation as a member through the normal edit path: the working copy gets
the new member (`services.working_copy` / `services.save_edit`), and for a published partnership
the change is submitted for review (`services.submit_for_review`), so a curator approves it before
the public page changes, like any other edit."""

import copy

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from partnerships import emails, services
from partnerships.matching import organisation_key
from partnerships.models import (
    JoinRequest,
    JoinRequestState,
    Organisation,
    Partnership,
    PublicationState,
    Role,
)


class JoinRefused(Exception):
    """A request that cannot be made or decided; the message says why, for the person."""


def matching_organisation(name, town=""):
    """The public organisation whose normalised name (`match_name`) is exactly that of `name`,
    or None. When several share the name, the one in `town` is meant; if that does not settle it,
    none is (the editor names the right one when they accept)."""
    key = organisation_key(name)
    if not key:
        return None
    found = list(Organisation.objects.public().filter(match_name=key).order_by("pk")[:20])
    if len(found) > 1 and town:
        found = [o for o in found if o.town.strip().casefold() == town.strip().casefold()]
    return found[0] if len(found) == 1 else None


def editor_addresses(partnership):
    """The active editors' addresses: who hears of a request to join `partnership`."""
    addresses = partnership.editors.filter(is_active=True).values_list("email", flat=True)
    return sorted({address for address in addresses if address})


def is_member(partnership, organisation):
    return (
        organisation is not None
        and partnership.memberships.filter(organisation=organisation).exists()
    )


def _asked_already(partnership, organisation_name, email):
    """Whether `email` has a request for this organisation (by normalised name) waiting."""
    key = organisation_key(organisation_name)
    waiting = JoinRequest.objects.filter(
        partnership=partnership, state=JoinRequestState.PENDING, email__iexact=email
    ).values_list("organisation_name", flat=True)
    return any(organisation_key(name) == key for name in waiting)


@transaction.atomic
def request_to_join(
    partnership, *, organisation_name, sector, town="", name, email, message="", user=None
):
    """Record a request for `organisation_name` to join the published `partnership` and email
    its editors (the curators when it has none) once it is saved. Returns the JoinRequest.
    Raises JoinRefused when the partnership is not published, the organisation, as the
    directory knows it, is a member already, or the same person has asked for it already."""
    if not Partnership.objects.published().filter(pk=partnership.pk).exists():
        raise JoinRefused(gettext("Only a published partnership can be asked to join."))
    organisation = matching_organisation(organisation_name, town)
    if is_member(partnership, organisation):
        raise JoinRefused(
            gettext("%(organisation)s is already a member of %(partnership)s.")
            % {"organisation": organisation.display_name, "partnership": partnership.display_name}
        )
    if _asked_already(partnership, organisation_name, email):
        raise JoinRefused(
            gettext(
                "You have already asked for %(organisation)s to join %(partnership)s. The "
                "partnership will reply to you by email."
            )
            % {"organisation": organisation_name, "partnership": partnership.display_name}
        )
    join_request = JoinRequest.objects.create(
        partnership=partnership,
        organisation_name=organisation_name,
        organisation=organisation,
        sector=sector,
        town=town or "",
        name=name,
        email=email,
        message=message or "",
        user=user if user is not None and user.is_authenticated else None,
    )
    recipients = editor_addresses(partnership)
    to_curators = not recipients
    if to_curators:
        recipients = [m.email for m in services.moderators() if m.email]
    context = {
        "join_request": join_request,
        "partnership": partnership,
        "to_curators": to_curators,
    }
    transaction.on_commit(lambda: emails.send("join_requested", context, recipients))
    return join_request


def waiting_for(user):
    """The requests waiting for a decision on the partnerships `user` edits, oldest first."""
    return (
        JoinRequest.objects.filter(
            state=JoinRequestState.PENDING,
            partnership__in=Partnership.objects.current().filter(editors=user).values("pk"),
        )
        .select_related("partnership", "organisation")
        .order_by("created_at", "pk")
    )


def decidable_by(user):
    """The requests `user` may see and decide: those of the partnerships they may edit (their
    own, or every one for a curator, who is told of requests to partnerships nobody edits)."""
    return JoinRequest.objects.filter(
        partnership__in=Partnership.objects.editable_by(user).values("pk")
    ).select_related("partnership", "organisation", "decided_by")


def _locked(join_request):
    """The request, locked, if it still waits for a decision (two editors may press at once)."""
    # `of=("self",)`: the organisation is a nullable join, which PostgreSQL will not lock.
    locked = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("partnership", "organisation")
        .get(pk=join_request.pk)
    )
    if locked.state != JoinRequestState.PENDING:
        raise JoinRefused(gettext("This request has been decided already."))
    return locked


def _decide(join_request, *, user, reply, state):
    join_request.state = state
    join_request.decided_by = user
    join_request.decided_at = timezone.now()
    join_request.reply = reply or ""
    join_request.save(update_fields=["organisation", "state", "decided_by", "decided_at", "reply"])


def _tell(join_request, template):
    context = {"join_request": join_request, "partnership": join_request.partnership}
    transaction.on_commit(lambda: emails.send(template, context, [join_request.email]))


def with_member(snapshot, organisation):
    """A copy of the partnership's `snapshot` with `organisation` as a member (unchanged if it
    is one already)."""
    data = copy.deepcopy(snapshot)
    members = data.setdefault("members", [])
    if not any(member.get("organisation") == organisation.pk for member in members):
        members.append({"organisation": organisation.pk, "role": Role.MEMBER, "joined_year": None})
    return data


@transaction.atomic
def accept(join_request, *, user, reply=""):
    """Add the organisation (the directory's own record of it, or a new one made from the
    request) as a member of the partnership's working copy, as an editor's edit by `user`; for
    a published partnership, submit the change for review, so a curator approves it before the
    public page shows it; then email the person. Raises JoinRefused if the request was decided
    already or the partnership can no longer be edited (archived, merged)."""
    join_request = _locked(join_request)
    partnership = Partnership.objects.get(pk=join_request.partnership_id)
    if partnership.publication_state in (PublicationState.ARCHIVED, PublicationState.MERGED):
        raise JoinRefused(gettext("This partnership is no longer listed, so nobody can join it."))
    organisation = join_request.organisation
    # Merged since the request was made: the organisation lives on as the one it was merged into.
    while organisation is not None and organisation.is_merged:
        organisation = organisation.merged_into
    if organisation is None:
        organisation = services.new_member_organisation(
            name=join_request.organisation_name,
            town=join_request.town,
            sector=join_request.sector,
        )
        if organisation.town:
            # The offline gazetteer only: a page request never waits for a geocoding service.
            services.geocode_organisation(organisation, online=False)
    join_request.organisation = organisation
    services.save_edit(
        partnership,
        data=with_member(services.working_copy(partnership), organisation),
        user=user,
    )
    if partnership.publication_state == PublicationState.PUBLISHED:
        services.submit_for_review(partnership, user=user)
    _decide(join_request, user=user, reply=reply, state=JoinRequestState.ACCEPTED)
    _tell(join_request, "join_accepted")
    return join_request


@transaction.atomic
def decline(join_request, *, user, reply=""):
    """Decline the request with an optional `reply` and email the person. Raises JoinRefused if
    the request was decided already."""
    join_request = _locked(join_request)
    _decide(join_request, user=user, reply=reply, state=JoinRequestState.DECLINED)
    _tell(join_request, "join_declined")
    return join_request
