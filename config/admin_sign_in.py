"""The admin's sign-in, throttled like the site's.

Staff sign in to /admin/ by username through Django's own form, which checks every password it is
sent. This form authenticates through django-allauth's adapter instead, so each attempt counts
against the same `ACCOUNT_RATE_LIMITS["login_failed"]` limits, in the same cache, as a sign-in on
the site: 10 failures a minute from one address, and 5 in 5 minutes for one account (here keyed by
the username typed), after which even the right password is refused until the window has passed.
A successful sign-in gives its attempt back, as on the site."""

from allauth.account.adapter import get_adapter
from django.contrib.admin.forms import AdminAuthenticationForm


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            # Raises a ValidationError ("Too many failed login attempts") over the limit.
            self.user_cache = get_adapter(self.request).authenticate(
                self.request, username=username, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
