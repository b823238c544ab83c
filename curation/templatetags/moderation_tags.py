"""The "Moderation" link in the site's navigation, with the number of entries waiting."""

from django import template

from curation.permissions import is_moderator
from partnerships import services

register = template.Library()


@register.inclusion_tag("curation/moderation_nav.html", takes_context=True)
def moderation_nav(context):
    """For moderators only: a link to the queue and how many entries wait in it (one query,
    whatever the page). Everyone else gets nothing and costs no query."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not is_moderator(user):
        return {"show": False}
    return {"show": True, "waiting": services.awaiting_review().order_by().count()}
