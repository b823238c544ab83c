"""The round trip (issue 12): the directory's Open Referral UK bulk feed, imported into an empty
directory, gives the same partnerships, organisations, memberships, public contacts, activities
and locations, compared field by field.

What the feed does not carry is not compared, and the README's "Open data" section says so: ids
(an import makes its own), the "last confirmed" date, private contacts, agreements, an
organisation's street address, postcode and email (never public), and of an organisation that
leads no partnership, its website and every identifier but the first (a member appears in a
service as a location, which has room for one identifier and no website; `/organizations/{id}`
has them all)."""

import json

import pytest
from django.db.models import Exists, OuterRef

from openreferral import importing
from partnerships.models import (
    Activity,
    ChangeSet,
    CommunicationChannel,
    Contact,
    ImportedRecord,
    Membership,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    PublicationState,
    Region,
    Role,
    Sector,
    Version,
)
from tests.factories import (
    make_agreement,
    make_contact,
    make_membership,
    make_organisation,
    make_partnership,
)

pytestmark = pytest.mark.django_db

PARTNERSHIP_FIELDS = [
    "summary",
    "description",
    "aims",
    "kind",
    "formality",
    "status",
    "scope",
    "area_name",
    "website",
    "meeting_frequency",
    "meeting_format",
]


def _point(entry):
    return None if entry.latitude is None else (entry.latitude, entry.longitude)


def build_directory():
    """Published partnerships of every shape the feed maps, with drafts and private details
    around them that must not travel."""
    north_west = Region.objects.get(slug="north-west")
    london = Region.objects.get(slug="london")
    activities = list(Activity.objects.order_by("pk")[:3])
    channels = list(CommunicationChannel.objects.order_by("pk")[:2])

    trust = make_organisation(
        name="Bolton NHS Foundation Trust",
        sector=Sector.NHS,
        town="Bolton",
        region=north_west,
        website="https://www.boltonft.nhs.uk/",
        latitude=53.5519,
        longitude=-2.4396,
        postcode="BL4 0JR",
        address="Minerva Road",
        email="enquiries@boltonft.example.org",
    )
    OrganisationIdentifier.objects.create(organisation=trust, scheme="ods", value="RMC")
    OrganisationIdentifier.objects.create(organisation=trust, scheme="charity-ew", value="1123456")
    library = make_organisation(
        name="Bolton Central Library",
        sector=Sector.PUBLIC_LIBRARY,
        town="Bolton",
        region=north_west,
        latitude=53.5786,
        longitude=-2.4292,
    )
    OrganisationIdentifier.objects.create(organisation=library, scheme="gss", value="E08000001")
    healthwatch = make_organisation(
        name="Healthwatch Bolton", sector=Sector.PATIENT_VOICE, town="Bolton", region=north_west
    )
    university = make_organisation(
        name="University of Bolton Library",
        sector=Sector.ACADEMIC,
        town="Bolton",
        region=north_west,
        website="https://www.bolton.ac.uk/library/",
        latitude=53.5737,
        longitude=-2.4371,
    )
    camden = make_organisation(
        name="Camden Libraries",
        sector=Sector.PUBLIC_LIBRARY,
        town="London",
        region=london,
        latitude=51.539,
        longitude=-0.1426,
    )
    unplaced = make_organisation(name="Friends of the Library", sector=Sector.VOLUNTARY)

    bolton = make_partnership(
        name="Bolton Health Information Partnership",
        summary="NHS, public and university libraries in Bolton sharing health information.",
        description="Runs Health Information Week events.\n\nMeets at the Central Library.",
        aims="Every Bolton resident finds good health information.",
        kind="network",
        formality="formal",
        status="active",
        scope="local",
        area_name="Bolton",
        region=north_west,
        website="https://bolton-hip.example.org/",
        meeting_frequency="Quarterly",
        meeting_format="hybrid",
        latitude=53.578,
        longitude=-2.429,
    )
    bolton.activities.set(activities)
    bolton.channels.set(channels)
    make_membership(bolton, trust, role=Role.LEAD)
    make_membership(bolton, library, role=Role.MEMBER)
    make_membership(bolton, healthwatch, role=Role.ASSOCIATE)
    make_contact(
        bolton,
        name="Ann Lee",
        job_title="Outreach librarian",
        email="ann.lee@example.org",
        phone="01204 333 333",
        is_lead=True,
    )
    make_contact(bolton, name="Library team", email="library@example.org")
    make_contact(bolton, consent=False, name="Private Person", email="private@example.org")
    make_agreement(bolton, is_public=False, title="Private memorandum")

    reading = make_partnership(
        name="Reading Well in Bolton",
        summary="Books on prescription through the libraries.",
        kind="project",
        formality="informal",
        status="forming",
        scope="county",
        area_name="Bolton",
        region=north_west,
        latitude=53.5786,
        longitude=-2.4292,
    )
    reading.activities.set(activities[:1])
    make_membership(reading, library, role=Role.LEAD)
    make_membership(reading, university, role=Role.MEMBER)
    make_membership(reading, trust, role=Role.MEMBER)

    # No lead: the partnership is its own organization in the feed.
    london_network = make_partnership(
        name="London Health Libraries Network",
        summary="Health libraries across London.",
        kind="library-it",
        status="dormant",
        scope="regional",
        region=london,
        latitude=51.5074,
        longitude=-0.1278,
    )
    make_membership(london_network, camden, role=Role.MEMBER)
    make_membership(london_network, unplaced, role=Role.ASSOCIATE)
    make_contact(london_network, name="Network chair", is_lead=True, email="", phone="020 7000")

    # Placed nowhere, with no members and no area: stays unplaced.
    make_partnership(name="A closed partnership", summary="It ended.", status="closed")

    draft = make_partnership(
        name="Draft partnership", summary="Not yet.", publication_state=PublicationState.DRAFT
    )
    make_membership(draft, make_organisation(name="Only in a draft"), role=Role.LEAD)


def directory_state():
    """What the feed carries of the published directory, as plain values keyed by name."""
    partnerships = {}
    for p in (
        Partnership.objects.published()
        .select_related("region")
        .prefetch_related("activities", "channels", "memberships__organisation", "contacts")
    ):
        partnerships[p.name] = {
            **{name: getattr(p, name) for name in PARTNERSHIP_FIELDS},
            "region": p.region.slug if p.region_id else "",
            "point": _point(p),
            "activities": sorted(a.slug for a in p.activities.all()),
            "channels": sorted(c.slug for c in p.channels.all()),
            "members": sorted((m.organisation.name, m.role) for m in p.memberships.all()),
            "public contacts": sorted(
                (c.name, c.job_title, c.email, c.phone, c.is_lead)
                for c in p.contacts.all()
                if c.consent_to_publish
            ),
        }
    published = Membership.objects.filter(
        organisation=OuterRef("pk"), partnership__publication_state=PublicationState.PUBLISHED
    )
    leads = published.filter(role=Role.LEAD)
    organisations = {}
    for o in (
        Organisation.objects.filter(Exists(published))
        .annotate(leads=Exists(leads))
        .select_related("region")
        .prefetch_related("identifiers")
    ):
        identifiers = sorted((i.scheme, i.value) for i in o.identifiers.all())
        organisations[o.name] = {
            "sector": o.sector,
            "town": o.town,
            "region": o.region.slug if o.region_id else "",
            "point": _point(o),
            # A lead comes in full; a member as a location (see the module docstring).
            "website": o.website if o.leads else "-",
            "identifiers": identifiers if o.leads else identifiers[:1],
        }
    return partnerships, organisations


def differences(before, after, what):
    found = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            found.append(f"{what} “{name}” is missing after the round trip")
        elif name not in before:
            found.append(f"{what} “{name}” appeared in the round trip")
        else:
            for field in before[name]:
                if before[name][field] != after[name][field]:
                    found.append(
                        f"{what} “{name}”, {field}: {before[name][field]!r} became "
                        f"{after[name][field]!r}"
                    )
    return found


def empty_the_directory():
    Version.objects.all().delete()
    ChangeSet.objects.all().delete()
    ImportedRecord.objects.all().delete()
    Partnership.objects.all().delete()
    Organisation.objects.all().delete()


def test_the_exported_feed_imported_into_an_empty_directory_gives_the_same_directory(client):
    build_directory()
    partnerships, organisations = directory_state()
    assert len(partnerships) == 4 and len(organisations) == 6
    feed = client.get("/openreferral/services.json")
    data = b"".join(feed.streaming_content)
    assert b"Private Person" not in data and b"Only in a draft" not in data

    empty_the_directory()
    assert not Partnership.objects.exists() and not Contact.objects.exists()
    report = importing.FeedImport(
        services=importing.read_feed(data), source="round trip", publish=True
    ).apply()
    assert not report.has_errors, report.error_messages()

    after_partnerships, after_organisations = directory_state()
    assert differences(partnerships, after_partnerships, "Partnership") == []
    assert differences(organisations, after_organisations, "Organisation") == []
    assert Partnership.objects.count() == 4 and Organisation.objects.count() == 6


def test_the_comparison_finds_a_difference_when_there_is_one(client):
    build_directory()
    before = directory_state()
    partnership = Partnership.objects.get(name="Reading Well in Bolton")
    partnership.meeting_frequency = "Monthly"
    partnership.save()
    Contact.objects.filter(name="Ann Lee").update(job_title="Librarian")
    after = directory_state()
    assert differences(before[0], after[0], "Partnership") == [
        "Partnership “Bolton Health Information Partnership”, public contacts: "
        + repr(before[0]["Bolton Health Information Partnership"]["public contacts"])
        + " became "
        + repr(after[0]["Bolton Health Information Partnership"]["public contacts"]),
        "Partnership “Reading Well in Bolton”, meeting_frequency: '' became 'Monthly'",
    ]
    assert json.dumps(differences(before[1], after[1], "Organisation")) == "[]"
