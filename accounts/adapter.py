"""How django-allauth fits this site: where people land after signing in, and the way back to an
invitation for someone who registers to accept it."""

from urllib.parse import urlencode, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import Resolver404, resolve, reverse

from curation.permissions import is_moderator

# The invitation page a new account was registered to reach, kept until the address is confirmed.
INVITATION_SESSION_KEY = "accounts.invitation_next"


def invitation_path(target):
    """`target` if it is this site's page for accepting an invitation, else None."""
    path = urlsplit(target or "").path
    if not path or urlsplit(target).netloc:
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return path if match.view_name == "editor:accept_invitation" else None


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        """Curators land on the moderation queue, everyone else on their own partnerships.
        A safe `next` (the page that sent them to sign in) wins over both; allauth checks it
        before asking here."""
        if is_moderator(request.user):
            return reverse("curation:queue")
        return super().get_login_redirect_url(request)

    def save_user(self, request, user, form, commit=True):
        """Registering on the way to an invitation: remember it for after the address is
        confirmed, which sends the new account to sign in without the `next` it came with."""
        path = invitation_path(request.POST.get("next") or request.GET.get("next"))
        if path:
            request.session[INVITATION_SESSION_KEY] = path
        return super().save_user(request, user, form, commit=commit)

    def get_email_verification_redirect_url(self, email_address):
        path = self.request.session.pop(INVITATION_SESSION_KEY, None)
        if path:
            if self.request.user.is_authenticated:
                return path
            return f"{reverse('account_login')}?{urlencode({'next': path})}"
        return super().get_email_verification_redirect_url(email_address)
