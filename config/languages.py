"""Which language a page is in, how a person changes it, and remembering their choice.

- The URL says the language: Welsh pages are under /cy/ (`i18n_patterns` in config/urls.py),
  English pages keep the addresses they always had. A shared link therefore opens in the
  language it was copied in, whoever opens it.
- A person picks a language with the "Cymraeg" / "English" link on every page (`switch`). The
  choice is remembered in a cookie, and for a signed-in person on their account
  (`accounts.Profile.language`, which emails are sent in).
- An English address opened by someone who chose Welsh, or on a first visit (no choice yet) by a
  browser whose Accept-Language prefers Welsh, redirects to the Welsh address. Only pages are
  redirected (requests that accept text/html), never the API, downloads or forms being posted.

Django's LocaleMiddleware does the first part, but with English addresses unprefixed it always
serves them in English, so the remembered choice and Accept-Language would never be used.
"""

from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import is_valid_path, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

DEFAULT = settings.LANGUAGE_CODE
CODES = [code for code, _name in settings.LANGUAGES]
# The session key holding the language last stored on the signed-in person's account, so the
# account is written only when it changes.
SESSION_KEY = "stored_language"


def language_of_path(path):
    """The language an address is in: the language of its /xx/ prefix, else the default."""
    code = translation.get_language_from_path(path)
    return code if code in CODES else DEFAULT


def in_language(url, code):
    """The same page (path and query) in another language, or None if `url` is not a page of
    this site that has a version per language."""
    with translation.override(language_of_path(url.split("?", 1)[0])):
        translated = translate_url(url, code)
    if translated == url and language_of_path(url.split("?", 1)[0]) != code:
        return None
    return translated


def preferred_language(request):
    """The language a person chose (cookie) or, before they have chosen, their browser's."""
    code = translation.get_language_from_request(request, check_path=False)
    return code if code in CODES else DEFAULT


def _wants_page(request):
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("Accept", "")


def _in_language(chunks, language):
    with translation.override(language):
        yield from chunks


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path_language = translation.get_language_from_path(request.path_info)
        unprefixed = path_language not in CODES or path_language == DEFAULT
        language = DEFAULT if unprefixed else path_language
        if unprefixed and _wants_page(request):
            preferred = preferred_language(request)
            if preferred != DEFAULT:
                redirect = self._redirect(request, preferred)
                if redirect is not None:
                    patch_vary_headers(redirect, ("Accept-Language", "Cookie"))
                    return redirect
        previous = translation.get_language()
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            # The thread goes back to the language it had, so nothing after this request (the
            # next request's middleware, a test's own code) runs in this page's language.
            translation.activate(previous)
        if response.streaming:
            # A streamed download is written after this returns: in the page's language too.
            response.streaming_content = _in_language(response.streaming_content, language)
        if unprefixed:
            # The same English address redirects for some people: caches must keep them apart.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        self._remember(request, request.LANGUAGE_CODE)
        return response

    def _redirect(self, request, code):
        with translation.override(code):
            target = f"/{code}{request.path_info}"
            if not is_valid_path(target, getattr(request, "urlconf", None)):
                return None
        query = request.META.get("QUERY_STRING", "")
        location = f"{request.META.get('SCRIPT_NAME', '')}{quote(target)}"
        return HttpResponseRedirect(f"{location}?{query}" if query else location)

    def _remember(self, request, code):
        """Keep the language a signed-in person last used on their account (for emails)."""
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or session is None or not user.is_authenticated:
            return
        if session.get(SESSION_KEY) == code:
            return
        from accounts.models import Profile

        Profile.remember_language(user, code)
        session[SESSION_KEY] = code


def remember_on_sign_in(sender, request, user, **kwargs):
    """On signing in, note the account's stored language in the session, storing the page's
    language if the account has none yet, so later pages write the account only on a change."""
    from accounts.models import Profile

    code = translation.get_language() if translation.get_language() in CODES else DEFAULT
    stored = Profile.remember_language(user, code, only_if_unset=True)
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = stored


def switch(request, code):
    """The "Cymraeg" / "English" link: remember the choice and show the same page (`next`, with
    its query string) in that language. The map view travels in the address's #fragment, which
    the browser keeps across this redirect."""
    if code not in CODES:
        code = DEFAULT
    next_url = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    target = in_language(next_url, code) if safe and next_url.startswith("/") else None
    if target is None:
        with translation.override(code):
            from django.urls import reverse

            target = reverse("directory:home")
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
