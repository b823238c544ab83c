"""Small helpers that build test data in code. Each takes keyword overrides.

They write rows directly, as an import or the admin would, so like every write path they bump the
published-data version (a cached public answer, such as map data or result counts, never hides
what a test has just added) and keep the member names that search reads up to date."""

from itertools import count

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from partnerships.models import (
    Agreement,
    AgreementKind,
    Contact,
    Membership,
    Organisation,
    Partnership,
    Place,
    PublicationState,
    Region,
    Role,
    Sector,
)
from partnerships.services import published_data_changed

_seq = count(1)


def _changed(row):
    published_data_changed()
    return row


def make_user(**overrides):
    n = next(_seq)
    fields = {"username": f"user{n}", "email": f"user{n}@example.org"}
    fields.update(overrides)
    password = fields.pop("password", "a-long-test-password-42")
    return get_user_model().objects.create_user(password=password, **fields)


def make_moderator(**overrides):
    """A curator: staff with the permission to review, publish and reject partnerships."""
    user = make_user(**{"is_staff": True, **overrides})
    user.user_permissions.add(Permission.objects.get(codename="moderate_partnership"))
    return user


def make_region(**overrides):
    fields = {"name": f"Test region {next(_seq)}", "country": "england"}
    fields.update(overrides)
    return _changed(Region.objects.create(**fields))


def make_organisation(**overrides):
    fields = {"name": f"Organisation {next(_seq)}", "sector": Sector.PUBLIC_LIBRARY}
    fields.update(overrides)
    return _changed(Organisation.objects.create(**fields))


def make_partnership(members=0, **overrides):
    """A published partnership with `members` member organisations (the first one leads)."""
    fields = {
        "name": f"Partnership {next(_seq)}",
        "summary": "Libraries working together on health information.",
        "publication_state": PublicationState.PUBLISHED,
    }
    fields.update(overrides)
    partnership = Partnership.objects.create(**fields)
    for i in range(members):
        Membership.objects.create(
            partnership=partnership,
            organisation=make_organisation(),
            role=Role.LEAD if i == 0 else Role.MEMBER,
        )
    if members:
        Partnership.objects.filter(pk=partnership.pk).refresh_member_names()
        partnership.refresh_from_db(fields=["member_names"])
    return _changed(partnership)


def make_membership(partnership, organisation=None, **overrides):
    """`organisation` (a new one if not given) as a member of `partnership`, with the member
    names that search reads brought up to date, as every write path does."""
    membership = Membership.objects.create(
        partnership=partnership, organisation=organisation or make_organisation(), **overrides
    )
    Partnership.objects.filter(pk=partnership.pk).refresh_member_names()
    return _changed(membership)


def make_contact(partnership, consent=True, **overrides):
    fields = {
        "partnership": partnership,
        "name": f"Library team {next(_seq)}",
        "email": f"library{next(_seq)}@example.org",
        "consent_to_publish": consent,
        "consented_at": timezone.now() if consent else None,
    }
    fields.update(overrides)
    return _changed(Contact.objects.create(**fields))


def make_agreement(partnership, **overrides):
    fields = {
        "partnership": partnership,
        "kind": AgreementKind.MOU,
        "title": f"Memorandum of understanding {next(_seq)}",
        "is_public": True,
    }
    fields.update(overrides)
    return _changed(Agreement.objects.create(**fields))


def make_place(name, latitude, longitude, **overrides):
    fields = {
        "geonameid": 10_000_000 + next(_seq),
        "name": name,
        "search_name": name.lower(),
        "country_code": "GB",
        "admin_area": "England",
        "latitude": latitude,
        "longitude": longitude,
        "population": 1000,
    }
    fields.update(overrides)
    return _changed(Place.objects.create(**fields))
