"""Importing an Open Referral UK feed (openreferral/importing.py): reading the feed's shapes,
services into partnerships and organisations by the mapping, points outside the UK, dry run,
re-import, undo, the curators' screens and `manage.py import_openreferral`."""

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from openreferral import ids, importing
from openreferral.taxonomy import TermIndex
from partnerships import imports
from partnerships.models import (
    Activity,
    ChangeSet,
    CommunicationChannel,
    Contact,
    ImportedRecord,
    ImportRun,
    ImportState,
    Membership,
    Organisation,
    Partnership,
    Region,
    Role,
    Sector,
    Status,
)
from tests.factories import make_moderator, make_place

pytestmark = pytest.mark.django_db

SERVICE_ID = "7b0c3f52-1d5e-4b9f-8a61-2f3e4d5c6b7a"
LEAD_ID = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
MEMBER_ID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
ASSOCIATE_ID = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"


@pytest.fixture
def setting():
    make_place("Bolton", 53.578, -2.429, region=Region.objects.get(slug="north-west"))
    activity = Activity.objects.order_by("pk").first() or Activity.objects.create(
        name="Reading Well", slug="reading-well"
    )
    channel, _ = CommunicationChannel.objects.get_or_create(
        slug="mailing-list", defaults={"name": "Mailing list"}
    )
    return activity, channel


def attribute(index, link_id, link_type, key, code):
    return index.attribute(link_id, link_type, key, code)


def member_location(index, organisation_id, name, role, sector, point, identifier=None):
    location_id = ids.organisation_location(organisation_id)
    location = {
        "id": location_id,
        "location_type": "physical",
        "name": name,
        "latitude": point[0],
        "longitude": point[1],
        "addresses": [
            {
                "id": ids.address(location_id),
                "location_id": location_id,
                "address_1": "",
                "city": "Bolton",
                "state_province": "North West",
                "postal_code": "",
                "country": "GB",
                "address_type": "physical",
            }
        ],
        "attributes": [
            attribute(index, location_id, "location", "membership-roles", role),
            attribute(index, location_id, "location", "sectors", sector),
        ],
    }
    if identifier:
        location["external_identifier"] = identifier[1]
        location["external_identifier_type"] = identifier[0]
    return {
        "id": ids.service_at_location(SERVICE_ID, location_id),
        "service_id": SERVICE_ID,
        "location_id": location_id,
        "location": location,
    }


def our_service(activity, channel, *, point=(53.58, -2.43), service_id=SERVICE_ID):
    """A service as this directory's own feed writes it (the mapping in the README)."""
    index = TermIndex()
    own_location = ids.partnership_location(service_id)
    return {
        "id": service_id,
        "organization_id": LEAD_ID,
        "name": "Bolton Health Information Partnership",
        "description": "Libraries in Bolton sharing health information.\n\n"
        "Meets to plan Health Information Week.\n\n"
        "Aims and objectives: Better health information for everyone.",
        "url": "https://bolton-hip.example.org",
        "status": "active",
        "attributes": [
            attribute(index, service_id, "service", "partnership-types", "project"),
            attribute(index, service_id, "service", "formality", "formal"),
            attribute(index, service_id, "service", "partnership-status", "forming"),
            attribute(index, service_id, "service", "scope", "county"),
            attribute(index, service_id, "service", "activities", activity.slug),
            attribute(index, service_id, "service", "channels", channel.slug),
        ],
        "schedules": [
            {
                "id": ids.schedule(service_id),
                "service_id": service_id,
                "description": "Quarterly",
                "attending_type": "Hybrid",
            }
        ],
        "service_areas": [
            {
                "id": ids.service_area(service_id, "area"),
                "service_id": service_id,
                "name": "Bolton",
                "service_area": "Bolton",
            },
            {
                "id": ids.service_area(service_id, "region"),
                "service_id": service_id,
                "name": "North West",
                "uri": "https://example.org/regions/north-west/",
            },
        ],
        "service_at_locations": [
            {
                "id": ids.service_at_location(service_id, own_location),
                "service_id": service_id,
                "location_id": own_location,
                "location": {
                    "id": own_location,
                    "location_type": "physical",
                    "name": "Bolton",
                    "description": "Where the partnership is based",
                    "latitude": point[0],
                    "longitude": point[1],
                },
            },
            member_location(
                index,
                LEAD_ID,
                "Bolton NHS Foundation Trust",
                "lead",
                "nhs",
                (53.55, -2.44),
                ("NHS ODS code", "RMC"),
            ),
            member_location(
                index,
                MEMBER_ID,
                "Bolton Central Library",
                "member",
                "public-library",
                (53.578, -2.429),
            ),
            member_location(
                index,
                ASSOCIATE_ID,
                "Bolton Healthwatch",
                "associate",
                "patient-voice",
                (53.579, -2.43),
            ),
        ],
        "contacts": [
            {
                "id": ids.contact(1),
                "service_id": service_id,
                "name": "Ann Lee",
                "title": "Outreach librarian",
                "email": "ann@example.org",
                "phones": [{"id": ids.phone(ids.contact(1)), "number": "01204 333 333"}],
                "attributes": [
                    attribute(index, ids.contact(1), "contact", "contact-roles", "lead")
                ],
            }
        ],
        "organization": {
            "id": LEAD_ID,
            "name": "Bolton NHS Foundation Trust",
            "description": "NHS trust or health library, Bolton",
            "website": "https://www.boltonft.nhs.uk",
            "organization_identifiers": [
                {
                    "id": ids.organization_identifier("ods", "RMC"),
                    "organization_id": LEAD_ID,
                    "identifier_type": "NHS ODS code",
                    "identifier": "RMC",
                },
                {
                    "id": ids.organization_identifier("charity-ew", "1123456"),
                    "organization_id": LEAD_ID,
                    "identifier_scheme": "GB-CHC",
                    "identifier_type": "Charity number (England and Wales)",
                    "identifier": "1123456",
                },
            ],
            "attributes": [attribute(index, LEAD_ID, "organization", "sectors", "nhs")],
        },
    }


def feed_import(services, **options):
    return importing.FeedImport(services=services, source=options.pop("source", "feed"), **options)


def test_a_service_of_this_directorys_feed_becomes_the_same_partnership(setting):
    activity, channel = setting
    report = feed_import([our_service(activity, channel)]).apply()
    assert not report.has_errors
    partnership = Partnership.objects.get()
    assert partnership.name == "Bolton Health Information Partnership"
    assert partnership.summary == "Libraries in Bolton sharing health information."
    assert partnership.description == "Meets to plan Health Information Week."
    assert partnership.aims == "Better health information for everyone."
    assert partnership.website == "https://bolton-hip.example.org"
    assert (partnership.kind, partnership.formality, partnership.scope) == (
        "project",
        "formal",
        "county",
    )
    assert partnership.status == Status.FORMING
    assert partnership.area_name == "Bolton" and partnership.region.slug == "north-west"
    assert (partnership.meeting_frequency, partnership.meeting_format) == ("Quarterly", "hybrid")
    assert (partnership.latitude, partnership.longitude) == (53.58, -2.43)
    assert list(partnership.activities.all()) == [activity]
    assert list(partnership.channels.all()) == [channel]
    roles = dict(partnership.memberships.values_list("organisation__name", "role"))
    assert roles == {
        "Bolton NHS Foundation Trust": Role.LEAD,
        "Bolton Central Library": Role.MEMBER,
        "Bolton Healthwatch": Role.ASSOCIATE,
    }
    trust = Organisation.objects.get(name="Bolton NHS Foundation Trust")
    assert trust.sector == Sector.NHS and trust.town == "Bolton"
    assert trust.website == "https://www.boltonft.nhs.uk"
    assert trust.region.slug == "north-west"
    assert (trust.latitude, trust.longitude) == (53.55, -2.44)
    assert sorted(trust.identifiers.values_list("scheme", "value")) == [
        ("charity-ew", "1123456"),
        ("ods", "RMC"),
    ]
    assert Organisation.objects.get(name="Bolton Healthwatch").sector == Sector.PATIENT_VOICE
    contact = Contact.objects.get()
    assert (contact.name, contact.job_title, contact.email, contact.phone) == (
        "Ann Lee",
        "Outreach librarian",
        "ann@example.org",
        "01204 333 333",
    )
    assert contact.is_lead and contact.consent_to_publish and contact.consented_at
    assert ChangeSet.objects.count() == 1


def test_a_foreign_feed_without_our_attributes_gets_sensible_defaults(setting):
    service = {
        "id": str(uuid.uuid4()),
        "name": "Wigan Reading Friends",
        "description": "Volunteers reading with lonely people.",
        "status": "inactive",
        "organization": {"id": str(uuid.uuid4()), "name": "Wigan Council"},
    }
    report = feed_import([service], default_sector=Sector.LOCAL_AUTHORITY).apply()
    assert not report.has_errors
    partnership = Partnership.objects.get()
    assert partnership.status == Status.DORMANT
    assert partnership.kind == "network" and partnership.formality == "informal"
    lead = Membership.objects.get(partnership=partnership)
    assert lead.role == Role.LEAD and lead.organisation.name == "Wigan Council"
    assert lead.organisation.sector == Sector.LOCAL_AUTHORITY


def test_swapped_coordinates_and_a_point_in_paris_are_reported_and_nothing_is_imported(setting):
    activity, channel = setting
    somalia = our_service(activity, channel, point=(-2.43, 53.58))
    paris = our_service(activity, channel, point=(48.8566, 2.3522), service_id=str(uuid.uuid4()))
    paris["name"] = "Paris Partnership"
    feed = feed_import([somalia, paris])
    report = feed.dry_run()
    messages = report.error_messages()
    assert any(
        "Service 1 “Bolton Health Information Partnership”" in m and "look swapped" in m
        for m in messages
    )
    assert any("Service 2 “Paris Partnership”" in m and "outside the UK" in m for m in messages)
    with pytest.raises(imports.ImportRefused):
        feed.apply()
    assert Partnership.objects.count() == 0 and Organisation.objects.count() == 0


def test_a_dry_run_writes_nothing_but_shows_both_steps(setting):
    activity, channel = setting
    report = feed_import([our_service(activity, channel)]).dry_run()
    assert [row.step for row in report.rows] == ["organisations"] * 3 + ["partnerships"]
    assert all(row.outcome == imports.Outcome.NEW for row in report.rows)
    assert not report.has_errors
    assert Partnership.objects.count() == Organisation.objects.count() == 0
    assert ImportedRecord.objects.count() == ChangeSet.objects.count() == 0
    assert Contact.objects.count() == 0


def test_importing_the_same_feed_again_updates_instead_of_duplicating(setting):
    activity, channel = setting
    feed_import([our_service(activity, channel)]).apply()
    service = our_service(activity, channel)
    service["url"] = "https://new.example.org"
    report = feed_import([service]).apply()
    assert [row.outcome for row in report.rows] == ["unchanged"] * 3 + ["update"]
    assert Partnership.objects.count() == 1 and Organisation.objects.count() == 3
    assert Partnership.objects.get().website == "https://new.example.org"
    assert Contact.objects.count() == 1


def test_undo_removes_what_the_feed_created(setting):
    activity, channel = setting
    run = ImportRun.objects.create(kind="open-referral", source="feed", file_name="f.json")
    feed_import([our_service(activity, channel)]).apply(run)
    run.refresh_from_db()
    assert run.state == ImportState.APPLIED and run.created == 4
    imports.undo(run, user=make_moderator())
    assert Partnership.objects.count() == Organisation.objects.count() == 0
    assert ImportedRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"{not json", "not JSON"),
        (b"42", "single value"),
        (b'[{"name": "No id"}]', "Service 1 “No id” has no id"),
        (b'[{"id": "abc", "name": "Bad id"}]', "has the id “abc”"),
        (b'[{"id": "7b0c3f52-1d5e-4b9f-8a61-2f3e4d5c6b7a"}]', "has no name"),
        (b"[1]", "Record 1 is a number"),
        (b'{"contents": 3}', "not a list"),
        (b'{"id": "7b0c3f52-1d5e-4b9f-8a61-2f3e4d5c6b7a", "name": "x"}\n{oops', "Line 2"),
    ],
)
def test_malformed_feeds_give_clear_errors(data, words):
    with pytest.raises(importing.FeedError, match=words):
        importing.read_feed(data)


def test_pages_single_services_and_ndjson_are_read(setting):
    activity, channel = setting
    service = our_service(activity, channel)
    one = json.dumps(service)
    assert len(importing.read_feed(one)) == 1
    assert len(importing.read_feed(json.dumps({"contents": [service], "total_items": 1}))) == 1
    assert len(importing.read_feed(f"{one}\n{one}\n".encode())) == 2


def test_the_screens_upload_preview_apply_and_undo_a_feed(setting):
    activity, channel = setting
    client = Client()
    client.force_login(make_moderator())
    upload = SimpleUploadedFile(
        "bolton.json", json.dumps([our_service(activity, channel)]).encode()
    )
    response = client.post(
        reverse("curation:import_new"),
        {"kind": "open-referral", "file": upload, "source": "Bolton feed"},
    )
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert run.state == ImportState.PREVIEWED and run.created == 4
    page = client.get(reverse("curation:import_run", args=[run.pk]))
    assert page.status_code == 200
    assert "Bolton Health Information Partnership" in page.content.decode()
    assert Partnership.objects.count() == 0
    client.post(reverse("curation:import_apply", args=[run.pk]))
    assert Partnership.objects.count() == 1
    assert client.get(reverse("curation:import_run", args=[run.pk])).status_code == 200
    client.post(reverse("curation:import_undo", args=[run.pk]), {"reason": "Test"})
    assert Partnership.objects.count() == 0
    assert client.get(reverse("curation:imports")).status_code == 200


def test_the_screens_say_what_is_wrong_with_a_file_that_is_not_a_feed():
    client = Client()
    client.force_login(make_moderator())
    upload = SimpleUploadedFile("bad.json", b"{not json")
    response = client.post(
        reverse("curation:import_new"), {"kind": "open-referral", "file": upload}
    )
    assert response.status_code == 400
    assert "not JSON" in response.content.decode()


def test_the_command_dry_run_writes_nothing_and_errors_exit_1(setting, tmp_path, capsys):
    activity, channel = setting
    good = tmp_path / "good.json"
    good.write_text(json.dumps([our_service(activity, channel)]))
    call_command("import_openreferral", str(good), "--dry-run")
    assert "Dry run: nothing was written." in capsys.readouterr().out
    assert Partnership.objects.count() == 0 and ImportRun.objects.count() == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([our_service(activity, channel, point=(-2.43, 53.58))]))
    with pytest.raises(CommandError, match="1 record has an error"):
        call_command("import_openreferral", str(bad))
    assert "look swapped" in capsys.readouterr().out
    assert Partnership.objects.count() == 0 and ImportRun.objects.count() == 0
    call_command("import_openreferral", str(good), "--publish")
    assert Partnership.objects.get().publication_state == "published"
    assert ImportRun.objects.get().kind == "open-referral"
