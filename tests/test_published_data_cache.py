"""Public answers computed from the whole table (map data, result counts, the map's extent) are
cached per published-data version. Every write path bumps the version, so the next answer
shows the change; until then, a repeat costs one small query."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerships import services
from partnerships.models import Membership, Partnership, PublicationState, Role
from partnerships.snapshots import snapshot_of
from tests.factories import make_organisation, make_partnership, make_place, make_user

pytestmark = pytest.mark.django_db

UK_MAP = {"bbox": "-10,49,3,60", "zoom": "10"}
LEEDS = (53.7965, -1.5479)
WAKEFIELD = (53.6833, -1.4977)


def map_names(client, **params):
    response = client.get("/map-data/", {**UK_MAP, **params})
    assert response.status_code == 200
    return sorted(
        entry["name"]
        for feature in json.loads(response.content)["features"]
        for entry in feature["properties"].get("partnerships", [])
    )


def map_points(client):
    response = client.get("/map-data/", UK_MAP)
    return sorted(
        tuple(f["geometry"]["coordinates"]) for f in json.loads(response.content)["features"]
    )


def result_count(client, query=""):
    return client.get(f"/?{query}").context["page"].paginator.count


def test_a_repeat_request_is_answered_from_the_cache_with_one_query(client):
    make_partnership(name="Leeds network", latitude=LEEDS[0], longitude=LEEDS[1])
    first = client.get("/map-data/", UK_MAP)
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/map-data/", UK_MAP)
    assert again.content == first.content
    assert len(queries) == 1  # the published-data version


def test_a_revalidation_costs_only_the_version_lookup(client):
    make_partnership(name="Leeds network", latitude=LEEDS[0], longitude=LEEDS[1])
    tag = client.get("/map-data/", UK_MAP)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/map-data/", UK_MAP, headers={"if-none-match": tag})
    assert response.status_code == 304
    assert len(queries) == 1


def test_the_etag_of_identical_requests_is_equal_even_after_the_cache_is_emptied(client):
    from django.core.cache import cache

    for n in range(50):
        make_partnership(latitude=50 + n / 7, longitude=-5 + n / 9)
    tags = []
    for _ in range(3):
        tags.append(client.get("/map-data/", {"bbox": "-10,49,3,60", "zoom": "5"})["ETag"])
        cache.clear()
    assert len(set(tags)) == 1


def test_maps_panned_a_little_share_one_answer(client):
    make_partnership(name="Leeds network", latitude=LEEDS[0], longitude=LEEDS[1])
    a = client.get("/map-data/", {"bbox": "-2.0,53.5,-1.0,54.0", "zoom": "9"})
    with CaptureQueriesContext(connection) as queries:
        b = client.get("/map-data/", {"bbox": "-2.01,53.51,-1.01,54.01", "zoom": "9"})
    assert a["ETag"] == b["ETag"] and a.content == b.content
    assert len(queries) == 1


def test_the_result_count_and_extent_are_cached_too(client):
    for n in range(3):
        make_partnership(latitude=LEEDS[0] + n / 10, longitude=LEEDS[1])
    first = client.get("/?q=partnership")
    assert first.context["map_config"]["extent"] is not None
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/?q=partnership")
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "COUNT(*)" not in sql and "MIN(" not in sql
    assert response.context["page"].paginator.count == 3
    assert response.context["map_config"]["extent"] == first.context["map_config"]["extent"]


# One test per write path: the next answer shows the change.


def test_publishing_shows_at_once(client):
    draft = make_partnership(
        name="Bolton network",
        publication_state=PublicationState.DRAFT,
        latitude=53.58,
        longitude=-2.43,
    )
    assert map_names(client) == [] and result_count(client) == 0
    services.publish_partnerships(Partnership.objects.filter(pk=draft.pk))
    assert map_names(client) == ["Bolton network"] and result_count(client) == 1


def test_archiving_shows_at_once(client):
    entry = make_partnership(name="Bolton network", latitude=53.58, longitude=-2.43)
    assert map_names(client) == ["Bolton network"] and result_count(client) == 1
    services.archive_partnerships(Partnership.objects.filter(pk=entry.pk))
    assert map_names(client) == [] and result_count(client) == 0


def test_an_approved_edit_shows_at_once(client):
    entry = make_partnership(name="Leeds network", latitude=LEEDS[0], longitude=LEEDS[1])
    editor, moderator = make_user(), make_user(is_superuser=True)
    entry.editors.add(editor)
    assert map_names(client) == ["Leeds network"]
    data = snapshot_of(entry)
    data["fields"]["name"] = "Leeds and Wakefield network"
    services.save_edit(entry, data=data, user=editor)
    services.submit_for_review(entry, user=editor)
    assert map_names(client) == ["Leeds network"]  # not public until approved
    services.approve(entry, moderator=moderator)
    assert map_names(client) == ["Leeds and Wakefield network"]
    assert result_count(client, "q=wakefield") == 1


def test_a_geocoded_move_shows_at_once(client):
    make_place("Wakefield", *WAKEFIELD)
    entry = make_partnership(
        name="Wakefield network", area_name="Wakefield", latitude=LEEDS[0], longitude=LEEDS[1]
    )
    assert map_points(client) == [(LEEDS[1], LEEDS[0])]
    services.locate_partnership(entry, force=True)
    assert map_points(client) == [(WAKEFIELD[1], WAKEFIELD[0])]


def test_an_admin_edit_shows_at_once(admin_client):
    entry = make_partnership(name="Leeds network", latitude=LEEDS[0], longitude=LEEDS[1])
    organisation = make_organisation(name="Kirkstall Bibliotheca")
    assert result_count(admin_client, "q=kirkstall+bibliotheca") == 0
    response = admin_client.post(
        "/admin/partnerships/membership/add/",
        {"partnership": entry.pk, "organisation": organisation.pk, "role": Role.MEMBER},
    )
    assert response.status_code == 302, response.content
    assert Membership.objects.filter(partnership=entry).exists()
    assert result_count(admin_client, "q=kirkstall+bibliotheca") == 1


def test_an_admin_delete_shows_at_once(admin_client):
    entry = make_partnership(name="Leeds network", latitude=LEEDS[0], longitude=LEEDS[1])
    assert map_names(admin_client) == ["Leeds network"]
    response = admin_client.post(
        f"/admin/partnerships/partnership/{entry.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert map_names(admin_client) == []


def test_a_region_page_reads_the_published_data_version_once(client):
    from partnerships.models import Region

    region = Region.objects.get(slug="london")
    make_partnership(region=region, latitude=51.5, longitude=-0.1)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(region.get_absolute_url()).status_code == 200
    reads = [q for q in queries.captured_queries if "dataversion" in q["sql"].lower()]
    assert len(reads) == 1
