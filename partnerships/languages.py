"""Entries in English and Welsh: which of a field's two texts a reader sees.

Partnerships, organisations and the vocabularies keep their Welsh text in plain `<field>_cy`
columns beside the English ones (`name`/`name_cy`, `summary`/`summary_cy`, ...). Two languages
and four fields did not need django-modeltranslation or django-parler: plain columns are read by
the exports, the Open Referral feed, the snapshots and the search like any other field, and need
no extra package in the fixed stack.

A reader sees the text in the page's language, or, when there is none in it, the other language's
text with a note saying so (`LocalisedText.is_fallback`), marked with its own `lang` so that screen
readers pronounce it correctly (WCAG 3.1.2).
"""

from typing import NamedTuple

from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import translation

WELSH = "cy"
ENGLISH = "en"


def reading_welsh(language=None):
    return (language or translation.get_language() or "").lower().startswith(WELSH)


class LocalisedText(NamedTuple):
    text: str
    # The text's own language ("en" or "cy"), for its `lang` attribute.
    language: str
    # True when the page is in the other language and this text is shown because the entry has
    # none in the page's language.
    is_fallback: bool

    def __str__(self):
        return self.text

    def __bool__(self):
        return bool(self.text)


def localised(obj, field, language=None):
    """`obj`'s `field` in the reader's language (the page's, or `language`), falling back to
    the other language's text when that is blank."""
    english = getattr(obj, field) or ""
    welsh = getattr(obj, f"{field}_cy", "") or ""
    if reading_welsh(language):
        if welsh:
            return LocalisedText(welsh, WELSH, False)
        return LocalisedText(english, ENGLISH, bool(english))
    if english:
        return LocalisedText(english, ENGLISH, False)
    return LocalisedText(welsh, WELSH, bool(welsh))


def readers_name():
    """The name a reader sees (`display_name`), as a database expression: on Welsh pages the
    Welsh name where there is one, so that lists are in the order of the names they show."""
    if reading_welsh():
        return Coalesce(NullIf(F("name_cy"), Value("")), F("name"))
    return F("name")


def localised_name(name, name_cy, language=None):
    """A name in the reader's language: the Welsh name on Welsh pages when there is one."""
    return name_cy if name_cy and reading_welsh(language) else name


class Bilingual:
    """For models with `<field>_cy` columns: `display_name` and `localised.<field>`."""

    BILINGUAL_FIELDS = ("name",)

    @property
    def display_name(self):
        return localised_name(self.name, getattr(self, "name_cy", ""))

    @property
    def localised(self):
        return _Localised(self)


class _Localised:
    def __init__(self, obj):
        self._obj = obj

    def __getattr__(self, field):
        if field.startswith("_") or field not in self._obj.BILINGUAL_FIELDS:
            raise AttributeError(field)
        return localised(self._obj, field)
