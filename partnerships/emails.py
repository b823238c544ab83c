"""Plain-text emails from templates under templates/emails/, in the recipient's language. Called
explicitly by services and views, never from signals.

Each recipient gets the email in the language stored on their account (`accounts.Profile`, the
language they last used the site in). A recipient with no stored language (a plain address such
as a partnership's contact or an invited co-editor, or an account that never chose) gets it in
both: Welsh and English one after the other, the page's language first when a page sends it
(English first otherwise), under a "Welsh / English" subject. Links point to the pages in the
language of the text around them."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import translation

from config.languages import in_language
from partnerships.languages import reading_welsh
from partnerships.links import site_url

WELSH = "cy"
ENGLISH = settings.LANGUAGE_CODE
# Between the two languages of a bilingual email; the first line tells the reader the other
# language follows (so it is written in that other language).
SEPARATOR = "\n\n" + "-" * 40 + "\n\n"
FOLLOWS = {WELSH: "(Cymraeg isod)", ENGLISH: "(English below)"}


def send(template, context, to, *, reply_to=None, base_url=None):
    """Render `emails/<template>.txt` (its first line is the subject) and send it to the
    addresses in `to`, one message for each language the recipients read (see the module's
    docstring). Links start with `base_url`, by default the address of the request being
    served, or settings.SITE_URL outside a request (see `partnerships.links`). Returns the number
    of messages sent."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return 0
    base = base_url or site_url()
    sent = 0
    for language, addresses in recipients_by_language(recipients).items():
        subject, body = compose(template, context, language, base)
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=addresses,
            reply_to=[reply_to] if reply_to else None,
        )
        sent += message.send()
    return sent


def recipients_by_language(addresses):
    """`addresses` grouped by the language to write to them in: the one stored on the active
    account with that address, or None (both languages) when there is none, or when accounts
    sharing the address chose differently."""
    from accounts.models import Profile  # accounts' models are loaded after this module

    stored = {}
    for address, language in (
        Profile.objects.annotate(address=Lower("user__email"))
        .filter(address__in=[address.lower() for address in addresses], user__is_active=True)
        .exclude(language="")
        .values_list("address", "language")
    ):
        stored.setdefault(address, set()).add(language)
    groups = {}
    for address in addresses:
        languages = stored.get(address.lower(), set())
        language = languages.pop() if len(languages) == 1 else None
        groups.setdefault(language, []).append(address)
    return groups


def compose(template, context, language, base):
    """The subject and body of `template` in `language`, or, for None, in both languages."""
    if language is not None:
        return _render(template, context, language, base)
    first, second = (WELSH, ENGLISH) if reading_welsh() else (ENGLISH, WELSH)
    parts = {code: _render(template, context, code, base) for code in (first, second)}
    subject = f"{parts[WELSH][0]} / {parts[ENGLISH][0]}"
    body = f"{FOLLOWS[second]}\n\n{parts[first][1]}{SEPARATOR}{parts[second][1]}"
    return subject, body


def _render(template, context, language, base):
    with translation.override(language):
        text = render_to_string(
            f"emails/{template}.txt",
            {"SITE_URL": base, **_links_in_language(context, language, base)},
        ).lstrip()
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip("\n") + "\n"


def _links_in_language(context, language, base):
    """`context` with its links to this site's pages (strings starting with `base`, such as an
    invitation's link made before the language was known) changed to the pages in `language`."""
    localised = {}
    for name, value in context.items():
        if isinstance(value, str) and value.startswith(f"{base}/"):
            path = in_language(value.removeprefix(base), language)
            value = base + path if path else value
        localised[name] = value
    return localised
