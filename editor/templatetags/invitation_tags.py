"""The invitation a signed-out invitee is on their way to, for the sign-in and sign-up pages."""

from django import template
from django.core import signing
from django.urls import resolve

from accounts.adapter import invitation_path
from editor import invitations
from partnerships.models import Partnership, PublicationState

register = template.Library()


@register.simple_tag(takes_context=True)
def pending_invitation(context):
    """When the page will lead on (`next`) to accepting an invitation that is still good: the
    partnership's name and the invited address. Otherwise None."""
    request = context.get("request")
    if request is None:
        return None
    path = invitation_path(request.POST.get("next") or request.GET.get("next"))
    if path is None:
        return None
    try:
        invitation = invitations.read(resolve(path).kwargs["token"])
    except signing.BadSignature:
        return None
    partnership = (
        Partnership.objects.exclude(publication_state=PublicationState.ARCHIVED)
        .filter(pk=invitation.partnership_id)
        .first()
    )
    if partnership is None:
        return None
    return {"partnership": partnership.display_name, "email": invitation.email}
