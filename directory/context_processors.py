from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from partnerships.links import site_url


def site(request):
    """Values every page needs: the site's name, its address as this request reached it, and
    the links to this page in the other languages, keeping its query string
    (config/languages.py)."""
    current = translation.get_language()
    others = [
        {
            "code": code,
            "name": name,
            "url": reverse("language", args=[code])
            + "?"
            + urlencode({"next": request.get_full_path()}),
        }
        for code, name in settings.LANGUAGES
        if code != current
    ]
    return {
        "SITE_NAME": translation.gettext("Health Information Partnerships Directory"),
        "SITE_URL": site_url(request),
        "OTHER_LANGUAGES": others,
    }
