"""The Open Referral UK API and bulk feed (issue 12): every answer validates against the ORUK 3.0
schemas in ../shared/openreferral-uk, only published public data leaves, pages and filters are
right, bad parameters are 400s, and a page costs the same queries whatever its size."""

import datetime
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker

from directory.filters import PartnershipFilter
from openreferral import ids, serialise
from partnerships.models import (
    Activity,
    CommunicationChannel,
    Contact,
    Membership,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    PublicationState,
    Region,
    Role,
)
from tests.factories import (
    make_agreement,
    make_contact,
    make_membership,
    make_organisation,
    make_partnership,
    make_place,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT.parent / "shared" / "openreferral-uk" / "schema"
BOLTON = (53.578, -2.429)


def _load(name):
    path = SCHEMAS / name
    if not path.exists():
        pytest.fail(f"The Open Referral UK schema {path} is missing: these tests need ../shared.")
    schema = json.loads(path.read_text())
    return _inline(schema)


def _inline(node):
    """The schema with its relative file references (taxonomy.json → taxonomy_term.json) put in
    place, so one validator needs no resolver."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.endswith(".json") and "/" not in ref:
            return _load(ref)
        return {key: _inline(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item) for item in node]
    return node


def validator(name):
    return Draft202012Validator(_load(name), format_checker=FormatChecker())


def page_validator():
    openapi = json.loads((SCHEMAS / "openapi.json").read_text())
    page = openapi["components"]["schemas"]["Page"]
    return Draft202012Validator(
        {**page, "required": [*page["properties"], "contents"]}, format_checker=FormatChecker()
    )


def assert_valid(validator, document):
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.content[:500])
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(body)


def build(count, start=0):
    """`count` published partnerships with everything the feed shows: a region, a point, an
    area, meetings, an activity and a channel, a lead and a member organisation (the lead with an
    identifier and a town), a consented lead contact with a phone, and private things that must
    never leave: an unconsented contact and a private agreement. A few queries in all."""
    north_west = Region.objects.get(slug="north-west")
    activity = Activity.objects.order_by("pk").first()
    channel = CommunicationChannel.objects.order_by("pk").first()
    partnerships = Partnership.objects.bulk_create(
        Partnership(
            name=f"Feed partnership {n:05d}",
            slug=f"feed-partnership-{n}",
            summary=f"Summary {n}",
            description="Working together." if n % 2 else "",
            aims="Better health information." if n % 3 else "",
            publication_state=PublicationState.PUBLISHED,
            region=north_west if n % 2 else None,
            area_name="Bolton" if n % 2 else "",
            latitude=BOLTON[0] + n / 10_000 if n % 3 else None,
            longitude=BOLTON[1] if n % 3 else None,
            meeting_frequency="Monthly" if n % 2 else "",
            meeting_format="hybrid" if n % 4 else "",
            website=f"https://feed-{n}.example.org/" if n % 2 else "",
            status=["forming", "active", "dormant", "closed"][n % 4],
            last_verified_at=timezone.now() if n % 4 else None,
        )
        for n in range(start, start + count)
    )
    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"Feed organisation {n}",
            slug=f"feed-organisation-{n}",
            sector="nhs" if n % 2 else "public-library",
            town="Bolton" if n % 2 else "",
            region=north_west if n % 4 == 1 else None,
            latitude=BOLTON[0] if n % 2 else None,
            longitude=BOLTON[1] if n % 2 else None,
            website=f"https://org-{n}.example.org/" if n % 2 else "",
            email=f"secret-org-{n}@example.org",
            postcode="BL1 1SE",
            address="1 Secret Street",
        )
        for n in range(start * 2, (start + count) * 2)
    )
    OrganisationIdentifier.objects.bulk_create(
        OrganisationIdentifier(organisation=o, scheme="charity-ew", value=f"{1100000 + o.pk}")
        for o in organisations[::2]
    )
    Membership.objects.bulk_create(
        Membership(partnership=p, organisation=o, role=Role.LEAD if i % 2 == 0 else Role.MEMBER)
        for i, (p, o) in enumerate(
            zip([p for p in partnerships for _ in (0, 1)], organisations, strict=True)
        )
    )
    Partnership.objects.filter(pk__in=[p.pk for p in partnerships]).refresh_member_names()
    Partnership.activities.through.objects.bulk_create(
        Partnership.activities.through(partnership=p, activity=activity) for p in partnerships
    )
    Partnership.channels.through.objects.bulk_create(
        Partnership.channels.through(partnership=p, communicationchannel=channel)
        for p in partnerships
    )
    now = timezone.now()
    Contact.objects.bulk_create(
        contact
        for p in partnerships
        for contact in (
            Contact(
                partnership=p,
                name=f"Lead of {p.name}",
                job_title="Librarian",
                email="lead@example.org",
                phone="01204 000000",
                is_lead=True,
                consent_to_publish=True,
                consented_at=now,
            ),
            Contact(partnership=p, name="Private person", email="private@example.org"),
        )
    )
    from partnerships.services import published_data_changed

    published_data_changed()
    return partnerships


# Schemas ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 250])
def test_every_endpoint_validates_against_the_open_referral_schemas(client, size):
    build(size)
    page = page_validator()
    service_list_item = validator("compiled/service_list.json")
    full_service = validator("compiled/service.json")
    sal_item = validator("compiled/service_at_location_list.json")
    organization_list_item = validator("compiled/organization_list.json")
    organization = validator("compiled/organization.json")
    taxonomy = validator("taxonomy.json")
    term = validator("taxonomy_term.json")

    root = get_json(client, "/openreferral/")
    assert root["version"] == "3.0"
    assert root["openapi_url"] == "http://testserver/openreferral/openapi.json"
    assert get_json(client, "/openreferral/openapi.json")["paths"]["/services"]

    for number in (1, 2, 3):
        listed = get_json(client, f"/openreferral/services?per_page=100&page={number}")
        assert_valid(page, listed)
        for item in listed["contents"]:
            assert_valid(service_list_item, item)
    full = get_json(client, "/openreferral/services?per_page=100&full=true")
    for item in full["contents"]:
        assert_valid(full_service, item)
    for item in full["contents"][:20]:
        assert_valid(full_service, get_json(client, f"/openreferral/services/{item['id']}"))

    sals = get_json(client, "/openreferral/service_at_locations?per_page=100")
    assert_valid(page, sals)
    for item in sals["contents"]:
        assert_valid(sal_item, item)
    for item in sals["contents"][:5]:
        detail = get_json(client, f"/openreferral/service_at_locations/{item['id']}")
        assert_valid(full_service, detail)
        assert detail["id"] == item["service_id"]

    organizations = get_json(client, "/openreferral/organizations?per_page=100")
    assert_valid(page, organizations)
    for item in organizations["contents"]:
        assert_valid(organization_list_item, item)
    for item in get_json(client, "/openreferral/organizations?per_page=100&full=true")["contents"]:
        assert_valid(organization, item)
    for item in organizations["contents"][:5]:
        detail = get_json(client, f"/openreferral/organizations/{item['id']}")
        assert_valid(organization, detail)
        assert detail["services"]

    taxonomies = get_json(client, "/openreferral/taxonomies")
    assert_valid(page, taxonomies)
    for item in taxonomies["contents"]:
        assert_valid(taxonomy, item)
        assert_valid(taxonomy, get_json(client, f"/openreferral/taxonomies/{item['id']}"))
    terms = get_json(client, "/openreferral/taxonomy_terms?per_page=100")
    assert_valid(page, terms)
    for item in terms["contents"]:
        assert_valid(term, item)
    assert_valid(term, get_json(client, f"/openreferral/taxonomy_terms/{item['id']}"))

    bulk = get_json(client, "/openreferral/services.json")
    assert len(bulk) == size
    for item in bulk:
        assert_valid(full_service, item)


def test_a_full_service_follows_the_mapping(client):
    partnership = make_partnership(
        members=2,
        area_name="Bolton",
        latitude=BOLTON[0],
        longitude=BOLTON[1],
        description="More about it.",
        aims="Reach everyone.",
        website="https://bolton.example.org/",
        status="dormant",
        meeting_frequency="Monthly",
        meeting_format="online",
        region=Region.objects.get(slug="north-west"),
    )
    make_contact(partnership, is_lead=True, email="lead@example.org", phone="01204 1")
    service = get_json(client, f"/openreferral/services/{partnership.uuid}")
    assert service["id"] == str(partnership.uuid)
    assert service["description"] == (
        "Libraries working together on health information.\n\nMore about it.\n\n"
        "Aims and objectives: Reach everyone."
    )
    assert service["status"] == "inactive"
    assert service["url"] == "https://bolton.example.org/"
    assert service["email"] == "lead@example.org"
    assert service["schedules"][0]["attending_type"] == "Online"
    lead = partnership.memberships.get(role=Role.LEAD).organisation
    assert service["organization"]["id"] == str(lead.uuid) == service["organization_id"]
    locations = [sal["location"] for sal in service["service_at_locations"]]
    assert locations[0]["id"] == ids.partnership_location(partnership.uuid)
    assert [location["name"] for location in locations[1:]] == sorted(
        partnership.organisations.values_list("name", flat=True)
    )
    assert {area["name"] for area in service["service_areas"]} == {"Bolton", "North West"}
    assert ": null" not in json.dumps(service)
    assert ': ""' not in json.dumps(service).replace('"address_1": ""', "").replace(
        '"postal_code": ""', ""
    )


def test_a_partnership_without_a_lead_is_its_own_organization(client):
    partnership = make_partnership(website="https://p.example.org/")
    service = get_json(client, f"/openreferral/services/{partnership.uuid}")
    assert service["organization"]["id"] == ids.partnership_as_organization(partnership.uuid)
    assert service["organization"]["name"] == partnership.name


def test_a_partnership_that_is_its_own_organization_is_found_by_that_id(client):
    partnership = make_partnership(name="No lead network")
    led = make_partnership(members=1)
    organization_id = ids.partnership_as_organization(partnership.uuid)

    organization = get_json(client, f"/openreferral/organizations/{organization_id}")
    assert_valid(validator("compiled/organization.json"), organization)
    assert organization["name"] == "No lead network"
    assert [service["id"] for service in organization["services"]] == [str(partnership.uuid)]
    found = get_json(client, f"/openreferral/services?organization_id={organization_id}")
    assert [service["id"] for service in found["contents"]] == [str(partnership.uuid)]
    # A partnership with a lead is provided by that lead, never by itself.
    assert client.get(f"/openreferral/organizations/{led.uuid}").status_code == 404


def test_each_service_at_location_id_finds_its_service_and_no_other(client):
    located = make_partnership(members=2, latitude=BOLTON[0], longitude=BOLTON[1])
    other = make_partnership(members=1, latitude=51.5, longitude=-0.1)
    shared = located.memberships.first().organisation
    make_membership(other, shared)
    for partnership in (located, other):
        service = get_json(client, f"/openreferral/services/{partnership.uuid}")
        sal_ids = [sal["id"] for sal in service["service_at_locations"]]
        assert len(sal_ids) == len(set(sal_ids)) == partnership.memberships.count() + 1
        for sal_id in sal_ids:
            found = get_json(client, f"/openreferral/service_at_locations/{sal_id}")
            assert found["id"] == str(partnership.uuid)
    # The same organisation in two partnerships is two different service_at_locations.
    assert ids.service_at_location(located.uuid, shared.uuid) != ids.service_at_location(
        other.uuid, shared.uuid
    )
    unknown = ids.service_at_location(located.uuid, make_organisation().uuid)
    assert client.get(f"/openreferral/service_at_locations/{unknown}").status_code == 404


# Pages -----------------------------------------------------------------------------------------


def test_the_page_fields_are_right_on_the_first_a_middle_and_the_last_page(client):
    build(250)
    first, middle, last = (
        get_json(client, f"/openreferral/services?per_page=100&page={n}") for n in (1, 2, 3)
    )
    assert (first["total_items"], first["total_pages"]) == (250, 3)
    assert (first["first_page"], first["last_page"], first["size"]) == (True, False, 100)
    assert (middle["first_page"], middle["last_page"], middle["page_number"]) == (False, False, 2)
    assert (last["first_page"], last["last_page"], last["size"], last["empty"]) == (
        False,
        True,
        50,
        False,
    )
    ids_seen = [s["id"] for page in (first, middle, last) for s in page["contents"]]
    assert len(set(ids_seen)) == 250


def test_a_page_beyond_the_last_is_empty_not_an_error(client):
    build(3)
    beyond = get_json(client, "/openreferral/services?page=9")
    assert beyond["empty"] is True
    assert beyond["contents"] == []
    assert beyond["total_items"] == 3


def test_the_default_page_holds_50_and_minimal_gives_only_ids_and_times(client):
    build(60)
    assert get_json(client, "/openreferral/services")["size"] == 50
    minimal = get_json(client, "/openreferral/services?minimal=true&per_page=100")
    assert all(set(item) == {"id", "last_modified"} for item in minimal["contents"])


# Only what is public ---------------------------------------------------------------------------


def test_drafts_archived_merged_private_contacts_and_agreements_never_appear(client):
    public = make_partnership(members=1, name="Visible partnership")
    make_contact(public, consent=False, name="Unconsented Person", email="hidden@example.org")
    make_agreement(public, is_public=False, title="Secret agreement")
    make_partnership(name="Draft entry", publication_state=PublicationState.DRAFT)
    make_partnership(name="Archived entry", publication_state=PublicationState.ARCHIVED)
    make_partnership(name="Pending entry", publication_state=PublicationState.PENDING)
    make_partnership(
        name="Merged entry", publication_state=PublicationState.MERGED, merged_into=public
    )
    draft_only = make_organisation(name="Draft-only organisation")
    make_membership(
        make_partnership(name="Another draft", publication_state=PublicationState.DRAFT),
        draft_only,
    )
    bodies = []
    for url in [
        "/openreferral/services?full=true",
        "/openreferral/services",
        f"/openreferral/services/{public.uuid}",
        "/openreferral/service_at_locations",
        "/openreferral/organizations?full=true",
        "/openreferral/services.json",
        "/openreferral/services.ndjson",
    ]:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        bodies.append(body.decode())
    text = "\n".join(bodies)
    assert "Visible partnership" in text
    for secret in [
        "Draft entry",
        "Archived entry",
        "Pending entry",
        "Merged entry",
        "Another draft",
        "Draft-only organisation",
        "Unconsented Person",
        "hidden@example.org",
        "Secret agreement",
    ]:
        assert secret not in text


def test_an_organisations_email_street_address_and_postcode_never_appear(client):
    build(2)
    text = json.dumps(get_json(client, "/openreferral/services?full=true"))
    text += json.dumps(get_json(client, "/openreferral/organizations?full=true"))
    assert "secret-org" not in text
    assert "Secret Street" not in text
    assert "BL1 1SE" not in text
    assert "private@example.org" not in text


@pytest.mark.parametrize(
    "state", [PublicationState.DRAFT, PublicationState.PENDING, PublicationState.ARCHIVED]
)
def test_an_unpublished_service_is_a_404(client, state):
    hidden = make_partnership(publication_state=state)
    get_json(client, f"/openreferral/services/{hidden.uuid}", status=404)


# Filters ---------------------------------------------------------------------------------------


def test_modified_after_gives_exactly_the_entries_changed_since(client):
    build(6)
    cutoff = timezone.now() + datetime.timedelta(seconds=1)
    changed = list(Partnership.objects.order_by("pk")[:2])
    Partnership.objects.filter(pk__in=[p.pk for p in changed]).update(
        updated_at=cutoff + datetime.timedelta(minutes=1)
    )
    found = get_json(
        client,
        "/openreferral/services?modified_after=" + cutoff.isoformat().replace("+", "%2B"),
    )
    assert {s["id"] for s in found["contents"]} == {str(p.uuid) for p in changed}


def test_search_matches_what_the_directory_search_matches(client):
    build(20)
    make_partnership(name="Dementia reading friends")
    for words in ["dementia", "feed 0001", "organisation 7", "nothing-like-this"]:
        expected = set(PartnershipFilter({"q": words}).qs.values_list("uuid", flat=True))
        found = get_json(client, f"/openreferral/services?per_page=100&search={words}")
        assert {s["id"] for s in found["contents"]} == {str(u) for u in expected}


def test_the_directorys_region_and_activity_filters_work_here(client):
    build(10)
    found = get_json(client, "/openreferral/services?region=north-west&per_page=100")
    assert found["total_items"] == 5
    activity = Activity.objects.order_by("pk").first()
    found = get_json(client, f"/openreferral/services?activity={activity.slug}&per_page=100")
    assert found["total_items"] == 10


def test_taxonomy_term_and_organization_filters(client):
    build(8)
    term = ids.taxonomy_term("partnership-status", "dormant")
    found = get_json(client, f"/openreferral/services?taxonomy_term_id={term}&per_page=100")
    assert found["total_items"] == 2
    organisation = Organisation.objects.order_by("pk").first()
    found = get_json(client, f"/openreferral/services?organization_id={organisation.uuid}")
    assert found["total_items"] == 1


def test_proximity_to_a_postcode_agrees_with_near(client):
    make_place("Bolton", *BOLTON, region=Region.objects.get(slug="north-west"), population=139_403)
    build(30)
    far = make_partnership(name="Far away", latitude=51.5, longitude=-0.1)
    answer = get_json(
        client, "/openreferral/service_at_locations?postcode=BL1+1AA&proximity=5000&per_page=100"
    )
    points = {
        item["service_id"]
        for item in answer["contents"]
        if item["location_id"] == ids.partnership_location(item["service_id"])
    }
    near = Partnership.objects.published().near(*BOLTON, km=5).values_list("uuid", flat=True)
    assert points == {str(u) for u in near}
    assert str(far.uuid) not in json.dumps(answer)


# Bad parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=two",
        "per_page=100000",
        "per_page=0",
        "modified_after=yesterday",
        "taxonomy_term_id=00000000-0000-0000-0000-000000000000",
        "taxonomy_id=00000000-0000-0000-0000-000000000000",
        "taxonomy_term_id=not-a-uuid",
        "organization_id=not-a-uuid",
        "region=atlantis",
        "lat=91&lon=0",
        "near=Nowhereville",
    ],
)
def test_a_bad_parameter_is_a_400_with_json_errors_never_a_500(client, query):
    build(2)
    for path in ("services", "service_at_locations"):
        response = client.get(f"/openreferral/{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert "errors" in response.json()


def test_a_flag_that_is_neither_true_nor_false_is_a_400(client):
    assert client.get("/openreferral/services?minimal=perhaps").status_code == 400
    assert client.get("/openreferral/organizations?full=perhaps").status_code == 400


@pytest.mark.parametrize(
    "query", ["postcode=ZZ99+9ZZ", "postcode=BL1&proximity=-5", "postcode=BL1&proximity=far"]
)
def test_a_bad_postcode_or_proximity_is_a_400(client, query):
    response = client.get(f"/openreferral/service_at_locations?{query}")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["services", "service_at_locations", "organizations", "taxonomies", "taxonomy_terms"]
)
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_or_malformed_id_is_a_json_404(client, path, bad_id):
    response = client.get(f"/openreferral/{path}/{bad_id}")
    assert response.status_code == 404
    assert response.json()["errors"]["id"]


# Speed and caching -----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "full=true", "search=feed&region=north-west"])
def test_a_page_of_services_costs_the_same_queries_for_5_or_50_entries(
    client, django_assert_num_queries, query
):
    build(5)
    with CaptureQueriesContext(connection) as queries:
        assert get_json(client, f"/openreferral/services?per_page=100&{query}")
    build(45, start=5)
    with django_assert_num_queries(len(queries)):
        get_json(client, f"/openreferral/services?per_page=100&{query}")


def test_an_answer_asked_again_comes_from_the_cache_until_the_data_changes(
    client, django_assert_num_queries
):
    build(5)
    url = "/openreferral/services?per_page=100&full=true"
    first = client.get(url).content
    with django_assert_num_queries(1):  # the published-data version, nothing else
        assert client.get(url).content == first
    make_partnership(name="A new one")
    after = get_json(client, url)
    assert after["total_items"] == 6
    assert "A new one" in {service["name"] for service in after["contents"]}


def test_every_answer_is_open_to_any_origin(client):
    build(1)
    for url in ["/openreferral/", "/openreferral/services", "/openreferral/services.ndjson"]:
        assert client.get(url)["Access-Control-Allow-Origin"] == "*"
    assert client.get("/openreferral/services?page=0")["Access-Control-Allow-Origin"] == "*"


def test_a_client_with_the_current_etag_gets_a_304_until_the_data_changes(client):
    build(2)
    first = client.get("/openreferral/services")
    assert first["Last-Modified"]
    again = client.get("/openreferral/services", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    make_partnership()
    changed = client.get("/openreferral/services", headers={"if-none-match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


# Bulk feed -------------------------------------------------------------------------------------


def test_the_bulk_json_holds_every_published_entry_in_full(client):
    build(30)
    make_partnership(name="Draft", publication_state=PublicationState.DRAFT)
    services = get_json(client, "/openreferral/services.json")
    expected = Partnership.objects.published().values_list("uuid", flat=True)
    assert sorted(s["id"] for s in services) == sorted(str(u) for u in expected)
    assert all("service_at_locations" in s or "attributes" in s for s in services)


def test_the_bulk_feed_reads_the_directory_a_chunk_at_a_time_in_id_order():
    build(30)
    make_partnership(name="Draft", publication_state=PublicationState.DRAFT)
    published = Partnership.objects.published()
    expected = [str(u) for u in published.order_by("pk").values_list("uuid", flat=True)]
    with CaptureQueriesContext(connection) as seven:
        in_sevens = [s["id"] for s in serialise.every_service(published, chunk_size=7)]
    with CaptureQueriesContext(connection) as thirty:
        at_once = [s["id"] for s in serialise.every_service(published, chunk_size=30)]
    assert in_sevens == at_once == expected
    # Five chunks of seven (the last one short) and the read that finds no more, against one.
    queries_per_chunk = (len(seven) - len(thirty)) / 4
    assert queries_per_chunk == int(queries_per_chunk) and queries_per_chunk > 0


def test_format_ndjson_streams_every_matching_service_unpaged(client):
    build(12)
    region = Region.objects.get(slug="north-west")
    expected = Partnership.objects.published().filter(region=region).count()
    response = client.get("/openreferral/services?format=ndjson&region=north-west&per_page=2")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert response["Content-Type"] == "application/x-ndjson"
    assert 2 < len(lines) == expected
    assert all(json.loads(line)["service_at_locations"] is not None for line in lines)
    assert client.get("/openreferral/services?format=xml").status_code == 400


def test_the_ndjson_feed_has_one_service_a_line(client):
    build(12)
    response = client.get("/openreferral/services.ndjson")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 12
    assert all(json.loads(line)["id"] for line in lines)


# The human page --------------------------------------------------------------------------------


def test_the_about_page_has_one_heading_example_urls_and_is_linked_from_the_footer(client):
    response = client.get("/openreferral/about/")
    text = response.content.decode()
    assert response.status_code == 200
    assert text.count("<h1") == 1
    assert "/openreferral/services.json" in text
    assert "/openreferral/services.ndjson" in text
    assert "/openreferral/about/" in client.get("/").content.decode()


def test_the_about_page_names_the_licence_the_publisher_chose(client, settings):
    settings.OPEN_DATA_LICENCE_NAME = "Open Government Licence v3.0"
    settings.OPEN_DATA_LICENCE_URL = (
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    )
    text = client.get("/openreferral/about/").content.decode()
    assert 'rel="license">Open Government Licence v3.0</a>' in text
    assert "nationalarchives.gov.uk/doc/open-government-licence" in text


@pytest.mark.parametrize(
    "parts", [("taxonomy-term", "sectors", "nhs"), ("contact", 12345), ("location", "x", "ŵ")]
)
def test_derived_ids_are_the_name_based_uuids_of_rfc_4122(parts):
    import uuid

    name = ":".join(str(part) for part in parts)
    assert ids.derived(*parts) == str(uuid.uuid5(ids.NAMESPACE, name))


def test_the_api_lists_by_name_with_stale_entries_in_their_place(client):
    make_partnership(
        name="A stale one", last_verified_at=timezone.now() - datetime.timedelta(days=500)
    )
    make_partnership(name="B current one", last_verified_at=timezone.now())
    services = get_json(client, "/openreferral/services")["contents"]
    assert [service["name"] for service in services] == ["A stale one", "B current one"]


def test_an_unfiltered_page_takes_the_number_of_services_from_the_map_summary(client):
    from partnerships import mapsummary

    build(7)
    mapsummary.refresh()
    with CaptureQueriesContext(connection) as queries:
        answer = get_json(client, "/openreferral/services?per_page=2&page=3")
    assert (answer["total_items"], answer["total_pages"], answer["size"]) == (7, 4, 2)
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]]
    filtered = get_json(client, "/openreferral/services?region=north-west")
    assert (
        filtered["total_items"]
        == Partnership.objects.published().filter(region__slug="north-west").count()
    )


# Welsh ------------------------------------------------------------------------------------------


def test_a_service_with_welsh_text_lists_welsh_and_english_and_validates(client):
    partnership = make_partnership(
        members=1,
        name="Cardiff Health Information",
        name_cy="Gwybodaeth Iechyd Caerdydd",
        summary_cy="Llyfrgelloedd yn cydweithio.",
    )
    plain = make_partnership(members=1, name="Bolton Health Information")
    service = get_json(client, f"/openreferral/services/{partnership.uuid}")
    assert_valid(validator("compiled/service.json"), service)
    assert [(language["code"], language["name"]) for language in service["languages"]] == [
        ("en", "English"),
        ("cy", "Cymraeg"),
    ]
    assert all(language["service_id"] == str(partnership.uuid) for language in service["languages"])
    other = get_json(client, f"/openreferral/services/{plain.uuid}")
    assert [language["code"] for language in other["languages"]] == ["en"]


def test_the_welsh_feed_gives_the_welsh_name_and_text_with_the_english_where_there_is_none(client):
    partnership = make_partnership(
        members=1,
        name="Cardiff Health Information",
        name_cy="Gwybodaeth Iechyd Caerdydd",
        summary="Libraries working together.",
        summary_cy="Llyfrgelloedd yn cydweithio.",
        description="Only in English.",
    )
    english = get_json(client, f"/openreferral/services/{partnership.uuid}")
    welsh = get_json(client, f"/cy/openreferral/services/{partnership.uuid}")
    assert_valid(validator("compiled/service.json"), welsh)
    assert english["name"] == "Cardiff Health Information"
    assert welsh["name"] == "Gwybodaeth Iechyd Caerdydd"
    assert english["description"] == "Libraries working together.\n\nOnly in English."
    assert welsh["description"] == "Llyfrgelloedd yn cydweithio.\n\nOnly in English."
    assert welsh["id"] == english["id"]
