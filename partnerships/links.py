"""The site's own address, for absolute links in emails, the embed snippet and the downloads.

Where there is a request, links use the address it came in on (scheme and host, the host checked
against ALLOWED_HOSTS), so a site served at several names, or behind a proxy, links to itself.
Where there is none (management commands, background tasks) they use settings.SITE_URL, which
must be set when DEBUG is off."""

from contextvars import ContextVar

from django.conf import settings

_serving = ContextVar("site_url_of_the_request_being_served", default=None)


def site_url(request=None):
    """Scheme and host without a trailing slash, e.g. "https://directory.example.org": the given
    request's, else the one being served (see `SiteURLMiddleware`), else settings.SITE_URL."""
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return _serving.get() or settings.SITE_URL


class SiteURLMiddleware:
    """Remember the current request's address while it is served, so that an email sent on the
    way (by a service, after a commit) links to the host the person is using. Django's
    translations keep the active language the same way."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _serving.set(site_url(request))
        try:
            return self.get_response(request)
        finally:
            _serving.reset(token)
