"""Plain-text emails from templates under templates/emails/. Called explicitly by services and
views, never from signals."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from partnerships.links import site_url


def send(template, context, to, *, reply_to=None, base_url=None):
    """Render `emails/<template>.txt` (its first line is the subject) and send it to the
    addresses in `to`. Links start with `base_url`, by default the address of the request being
    served, or settings.SITE_URL outside a request (see `partnerships.links`). Returns the number
    of messages sent."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return 0
    text = render_to_string(
        f"emails/{template}.txt", {"SITE_URL": base_url or site_url(), **context}
    ).lstrip()
    subject, _, body = text.partition("\n")
    message = EmailMessage(
        subject=subject.strip(),
        body=body.lstrip("\n"),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        reply_to=[reply_to] if reply_to else None,
    )
    return message.send()
