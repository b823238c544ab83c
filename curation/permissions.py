"""Who may use the curators' screens. Every view in this app is wrapped in `moderator_required`:
moderators get the page, someone signed out is sent to sign in, and everyone else gets a 404,
so the screens do not admit to existing."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

PERMISSION = "partnerships.moderate_partnership"


def is_moderator(user):
    """Whether `user` may curate the directory: a superuser, or active staff with the
    permission."""
    return user.is_active and (user.is_superuser or (user.is_staff and user.has_perm(PERMISSION)))


def moderator_required(view):
    """Someone signed out is sent to sign in (and back here after). A signed-in user who is not
    a moderator gets a 404, whatever the method, before anything else."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_moderator(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
