"""Invitations to co-edit a partnership: a signed, expiring link sent by email.

The token holds the partnership's id and the invited address (lower-cased), signed with the
site's key and a timestamp, so it needs no table and cannot be altered; it lasts MAX_AGE_DAYS."""

from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.core import signing
from django.urls import reverse

from partnerships import emails
from partnerships.links import site_url

MAX_AGE_DAYS = 7
_SALT = "editor.invitation"


@dataclass(frozen=True)
class Invitation:
    partnership_id: int
    email: str


def make_token(partnership, email):
    return signing.dumps({"p": partnership.pk, "e": email.strip().lower()}, salt=_SALT)


def read(token):
    """The invitation a token stands for. Raises signing.SignatureExpired when it is older than
    MAX_AGE_DAYS and signing.BadSignature when it was not made here or was altered."""
    data = signing.loads(token, salt=_SALT, max_age=timedelta(days=MAX_AGE_DAYS))
    if not (isinstance(data, dict) and isinstance(data.get("p"), int) and data.get("e")):
        raise signing.BadSignature("Not an invitation.")
    return Invitation(partnership_id=data["p"], email=str(data["e"]).lower())


def send_invitation(partnership, *, email, inviter, request=None):
    """Email `email` a link to become an editor of `partnership`; the link uses `request`'s
    host, or the one being served (see `partnerships.links`)."""
    url = site_url(request) + reverse(
        "editor:accept_invitation", kwargs={"token": make_token(partnership, email)}
    )
    return emails.send(
        "invitation",
        {
            "partnership": partnership,
            "inviter": inviter,
            "accept_url": url,
            "expiry_days": MAX_AGE_DAYS,
        },
        [email],
        reply_to=inviter.email or None,
    )


def has_verified_email(user, email):
    """Whether `user` has proved they own `email`: a verified allauth address, or (without
    allauth) the account's own address."""
    email = email.strip().lower()
    if apps.is_installed("allauth.account"):
        from allauth.account.models import EmailAddress

        return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()
    return (user.email or "").strip().lower() == email
