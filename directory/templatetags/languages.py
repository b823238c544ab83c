"""Showing an entry's text in the reader's language (partnerships/languages.py).

    {% load languages %}
    {% localised partnership.localised.description "div" "prose" linebreaks=True %}

writes the text in the page's language, or the other language's text marked with its `lang` and
followed by a note that it is only available in that language. `{{ text|lang_attr }}` gives just
the ` lang="en"` for a fallback text placed in your own markup, and `{% fallback_note text %}`
just the note."""

from django import template
from django.template.defaultfilters import linebreaks_filter
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()


@register.filter
def lang_attr(text):
    """` lang="xx"` when `text` (a LocalisedText) is a fallback in the other language."""
    if getattr(text, "is_fallback", False):
        return format_html(' lang="{}"', text.language)
    return ""


def _note(text):
    if not getattr(text, "is_fallback", False):
        return ""
    if text.language == "cy":
        words = gettext("This text is only available in Welsh.")
    else:
        words = gettext("This text is only available in English.")
    return format_html('<p class="language-note">{}</p>', words)


@register.simple_tag
def fallback_note(text):
    """The note after a fallback text, in the page's language; nothing otherwise."""
    return _note(text)


@register.simple_tag
def localised(text, tag="p", css_class="", linebreaks=False):
    """The text in an element (`tag`, with `css_class`), and the note if it is a fallback. With
    `linebreaks`, the text's paragraphs become <p>s inside the element. Nothing for no text."""
    if not text:
        return ""
    body = linebreaks_filter(text.text, autoescape=True) if linebreaks else text.text
    element = format_html(
        "<{tag}{cls}{lang}>{body}</{tag}>",
        tag=tag,
        cls=format_html(' class="{}"', css_class) if css_class else "",
        lang=lang_attr(text),
        body=body,
    )
    return format_html("{}{}", element, _note(text))
