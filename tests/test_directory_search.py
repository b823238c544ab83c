"""The directory search: one `PartnershipFilter` behind the list at /, the map data, the CSV and
GeoJSON downloads and the embed page, so that they always agree about what matches."""

import csv
import html
import io
import json
import math
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directory.filters import PartnershipFilter
from partnerships.distance import EARTH_RADIUS_KM
from partnerships.models import (
    Activity,
    AgreementKind,
    CommunicationChannel,
    Formality,
    Kind,
    PublicationState,
    Region,
    Role,
    Scope,
    Sector,
    Status,
)
from tests.factories import (
    make_agreement,
    make_membership,
    make_organisation,
    make_partnership,
    make_place,
)

pytestmark = pytest.mark.django_db

BOLTON = (53.5780, -2.4290)
MANCHESTER = (53.4808, -2.2426)  # about 16 km from Bolton
PRESTON = (53.7632, -2.7031)  # about 27 km from Bolton
LEEDS = (53.7965, -1.5479)  # about 63 km from Bolton
UK_MAP = "bbox=-10,49,3,60&zoom=18"
MAP_5 = "bbox=-10,49,3,60&zoom=5"


def destination(start, bearing_degrees, km):
    """The point `km` from `start` along the great circle leaving it at `bearing_degrees`."""
    phi1, lambda1 = map(math.radians, start)
    theta, delta = math.radians(bearing_degrees), km / EARTH_RADIUS_KM
    phi2 = math.asin(
        math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    )
    lambda2 = lambda1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * math.sin(phi2),
    )
    return math.degrees(phi2), math.degrees(lambda2)


def at(point, **overrides):
    latitude, longitude = point
    return make_partnership(latitude=latitude, longitude=longitude, **overrides)


def bolton_place():
    return make_place("Bolton", *BOLTON, population=139_403)


def matching(query):
    """Names of the partnerships the filter returns for a query string, in order."""
    search = PartnershipFilter(QueryDict(query))
    assert search.is_valid(), search.errors
    return [partnership.name for partnership in search.qs]


def listed(response):
    """Names of the partnerships in an HTML result list, in order."""
    assert response.status_code == 200
    return [
        html.unescape(name)
        for name in re.findall(
            r'<h3 class="result-title"><a [^>]*>(.*?)</a></h3>', response.content.decode()
        )
    ]


def listed_urls(response):
    return {
        html.unescape(url)
        for url in re.findall(
            r'<h3 class="result-title"><a href="([^"]+)"', response.content.decode()
        )
    }


def map_urls(client, query):
    """The partnership pages a map-data answer links to. Fails if anything is clustered, since a
    cluster names no partnerships and the comparison would prove nothing."""
    response = client.get(f"/map-data/?{query}&{UK_MAP}")
    assert response.status_code == 200
    features = response.json()["features"]
    assert not [f for f in features if f["properties"]["cluster"]]
    return {entry["url"] for f in features for entry in f["properties"]["partnerships"]}


def results_heading(response):
    match = re.search(r'<h2 id="results-heading">\s*(.*?)\s*</h2>', response.content.decode(), re.S)
    return html.unescape(match[1])


# Free text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Wigan Knowledge Network"),
        ("summary", "Taking health information to Wigan markets."),
        ("area_name", "Wigan and Leigh"),
    ],
)
def test_free_text_finds_words_in_the_name_summary_or_area(field, value):
    make_partnership(name="Somewhere else", summary="Nothing to see.")
    make_partnership(**{"name": "Found", "summary": "Plain summary.", field: value})
    assert matching("q=wigan") == ["Found" if field != "name" else value]


def test_free_text_finds_partnerships_by_a_member_organisations_name():
    found = make_partnership(name="Found")
    make_membership(found, make_organisation(name="Astley Bridge Library"))
    make_partnership(name="Not found", members=2)
    assert matching("q=astley") == ["Found"]


def test_several_words_must_all_match_somewhere():
    both = make_partnership(name="Bolton Health Information Partnership")
    make_membership(both, make_organisation(name="Royal Bolton Hospital Library"))
    make_partnership(name="Bolton Reading Friends")
    make_partnership(name="Leeds Hospital Network")
    assert matching("q=bolton+hospital") == ["Bolton Health Information Partnership"]
    assert matching("q=BOLTON") == [
        "Bolton Health Information Partnership",
        "Bolton Reading Friends",
    ]


def test_a_partnership_matching_through_several_members_is_listed_once(client):
    partnership = make_partnership(name="Twice over")
    for name in ("Hospital Library North", "Hospital Library South"):
        make_membership(partnership, make_organisation(name=name, sector=Sector.NHS))
    partnership.activities.set(Activity.objects.all()[:2])
    slugs = "&".join(f"activity={a.slug}" for a in Activity.objects.all()[:2])
    query = f"q=hospital+library&sector=nhs&{slugs}"
    assert matching(query) == ["Twice over"]
    response = client.get(f"/?{query}")
    assert listed(response) == ["Twice over"]
    assert results_heading(response) == "1 partnership"


# Refinements


def test_region_filters_by_slug():
    make_partnership(name="In the North West", region=Region.objects.get(slug="north-west"))
    make_partnership(name="In London", region=Region.objects.get(slug="london"))
    make_partnership(name="Nowhere in particular")
    assert matching("region=north-west") == ["In the North West"]


def test_sector_finds_partnerships_with_a_member_from_that_sector():
    with_college = make_partnership(name="With a college", members=1)
    make_membership(
        with_college, make_organisation(sector=Sector.FURTHER_EDUCATION), role=Role.ASSOCIATE
    )
    make_partnership(name="Libraries only", members=2)
    assert matching("sector=further-education") == ["With a college"]


def test_several_activities_match_partnerships_doing_any_of_them():
    reading, week, digitisation = (
        Activity.objects.get(slug="reading-for-pleasure"),
        Activity.objects.get(slug="health-information-week"),
        Activity.objects.get(slug="digitisation"),
    )
    make_partnership(name="Readers").activities.add(reading)
    make_partnership(name="Week").activities.add(week)
    make_partnership(name="Both").activities.add(reading, week)
    make_partnership(name="Scanners").activities.add(digitisation)
    make_partnership(name="Idle")
    query = "activity=reading-for-pleasure&activity=health-information-week"
    assert matching(query) == ["Both", "Readers", "Week"]
    assert matching("activity=digitisation") == ["Scanners"]


@pytest.mark.parametrize(
    ("field", "wanted", "other"),
    [
        ("kind", Kind.SLA, Kind.NETWORK),
        ("formality", Formality.FORMAL, Formality.INFORMAL),
        ("status", Status.DORMANT, Status.ACTIVE),
        ("scope", Scope.REGIONAL, Scope.LOCAL),
    ],
)
def test_a_choice_filter_keeps_only_partnerships_with_that_value(field, wanted, other):
    make_partnership(name="Wanted", **{field: wanted})
    make_partnership(name="Other", **{field: other})
    assert matching(f"{field}={wanted.value}") == ["Wanted"]


def test_agreement_finds_partnerships_with_a_public_agreement_of_that_kind():
    make_agreement(make_partnership(name="Public MoU"), kind=AgreementKind.MOU, is_public=True)
    make_agreement(make_partnership(name="Public SLA"), kind=AgreementKind.SLA, is_public=True)
    make_partnership(name="No agreement")
    assert matching("agreement=mou") == ["Public MoU"]
    assert matching("agreement=sla") == ["Public SLA"]


def test_a_private_agreement_never_makes_a_partnership_match(client):
    make_agreement(make_partnership(name="Secret MoU"), kind=AgreementKind.MOU, is_public=False)
    assert matching("agreement=mou") == []
    assert "Secret MoU" not in client.get("/?agreement=mou").content.decode()
    assert client.get(f"/map-data/?agreement=mou&{UK_MAP}").json()["features"] == []


def test_channel_filters_by_slug():
    newsletter = CommunicationChannel.objects.get(slug="newsletter")
    make_partnership(name="Writes newsletters").channels.add(newsletter)
    make_partnership(name="Just talks").channels.add(CommunicationChannel.objects.get(slug="phone"))
    assert matching("channel=newsletter") == ["Writes newsletters"]


def test_filters_combine_so_every_condition_must_hold():
    bolton_place()
    north_west = Region.objects.get(slug="north-west")
    week = Activity.objects.get(slug="health-information-week")
    everything = at(BOLTON, name="Everything", region=north_west, kind=Kind.NETWORK)
    everything.activities.add(week)
    make_membership(everything, make_organisation(sector=Sector.NHS))
    wrong_activity = at(MANCHESTER, name="Wrong activity", region=north_west)
    make_membership(wrong_activity, make_organisation(sector=Sector.NHS))
    too_far = at(LEEDS, name="Too far", region=north_west)
    too_far.activities.add(week)
    make_membership(too_far, make_organisation(sector="nhs"))
    wrong_kind = at(BOLTON, name="Wrong kind", region=north_west, kind=Kind.SLA)
    wrong_kind.activities.add(week)
    make_membership(wrong_kind, make_organisation(sector=Sector.NHS))
    query = "near=Bolton&region=north-west&sector=nhs&activity=health-information-week&kind=network"
    assert matching(query) == ["Everything"]


@pytest.mark.parametrize(
    "state",
    [
        PublicationState.DRAFT,
        PublicationState.PENDING,
        PublicationState.CHANGES_REQUESTED,
        PublicationState.ARCHIVED,
    ],
)
def test_unpublished_partnerships_never_match_however_well_they_fit(client, state):
    bolton_place()
    region = Region.objects.get(slug="north-west")
    for name, publication_state in (("Public Bolton", "published"), ("Hidden Bolton", state)):
        partnership = at(
            BOLTON, name=name, region=region, publication_state=publication_state, members=1
        )
        make_agreement(partnership, is_public=True)
    query = "q=bolton&near=Bolton&region=north-west&agreement=mou&sector=public-library"
    assert matching(query) == ["Public Bolton"]
    assert matching("") == ["Public Bolton"]
    assert listed(client.get(f"/?{query}")) == ["Public Bolton"]
    assert "Hidden Bolton" not in client.get(f"/map-data/?{query}&{UK_MAP}").content.decode()


# Near a place


def test_near_a_town_name_uses_the_gazetteer_and_the_radius():
    bolton_place()
    make_place("Leeds", *LEEDS, population=455_123)
    at(BOLTON, name="Bolton HIP")
    at(MANCHESTER, name="Manchester network")
    at(PRESTON, name="Preston network")
    at(LEEDS, name="Leeds LIS")
    make_partnership(name="Not on the map")
    assert matching("near=Bolton") == ["Bolton HIP", "Manchester network"]
    assert matching("near=bolton&radius=50") == [
        "Bolton HIP",
        "Manchester network",
        "Preston network",
    ]
    assert matching("near=Leeds&radius=5") == ["Leeds LIS"]


def test_near_accepts_a_latitude_and_longitude_typed_into_the_box():
    at(BOLTON, name="Bolton HIP")
    at(LEEDS, name="Leeds LIS")
    assert matching("near=53.7965,+-1.5479&radius=10") == ["Leeds LIS"]
    assert matching("near=53.578,-2.429") == ["Bolton HIP"]


def test_near_accepts_lat_and_lon_parameters():
    at(BOLTON, name="Bolton HIP")
    at(LEEDS, name="Leeds LIS")
    assert matching("lat=53.578&lon=-2.429&radius=10") == ["Bolton HIP"]
    assert matching("lat=53.7965&lon=-1.5479&radius=100") == ["Leeds LIS", "Bolton HIP"]


@pytest.mark.parametrize(
    ("radius", "expected"),
    [
        (5, ["3 km"]),
        (10, ["3 km", "8 km"]),
        (25, ["3 km", "8 km", "20 km"]),
        (50, ["3 km", "8 km", "20 km", "40 km"]),
        (100, ["3 km", "8 km", "20 km", "40 km", "80 km"]),
    ],
)
def test_each_radius_keeps_what_lies_within_it(radius, expected):
    bolton_place()
    for km, bearing in ((3, 0), (8, 90), (20, 180), (40, 270), (80, 45), (150, 135)):
        at(destination(BOLTON, bearing, km), name=f"{km} km")
    assert matching(f"near=Bolton&radius={radius}") == expected


# Sorting


def test_results_are_sorted_by_name_by_default():
    for name in ("Cheshire", "Avon", "Bolton"):
        make_partnership(name=name)
    assert matching("") == ["Avon", "Bolton", "Cheshire"]


def test_a_search_near_a_place_is_sorted_nearest_first_unless_asked_otherwise():
    bolton_place()
    at(MANCHESTER, name="A Manchester network")
    at(BOLTON, name="Z Bolton network")
    at(PRESTON, name="M Preston network")
    assert matching("near=Bolton&radius=50") == [
        "Z Bolton network",
        "A Manchester network",
        "M Preston network",
    ]
    assert matching("near=Bolton&radius=50&sort=name") == [
        "A Manchester network",
        "M Preston network",
        "Z Bolton network",
    ]


def test_emptying_the_near_box_after_a_search_near_a_town_sorts_by_name(client):
    bolton_place()
    at(BOLTON, name="Z Bolton network")
    at(MANCHESTER, name="A Manchester network")
    near = client.get("/?near=Bolton&radius=50").content.decode()
    # The form sends the default sort back, not "distance", so the next search still works...
    sort = re.search(r'<select name="sort".*?</select>', near, re.S).group(0)
    assert '<option value="" selected>' in sort
    # ...as a browser submits it once the town is cleared.
    assert matching("q=&near=&radius=50&sort=") == ["A Manchester network", "Z Bolton network"]


def test_recent_puts_the_latest_confirmed_first_and_the_never_confirmed_last():
    now = timezone.now()
    make_partnership(name="Never confirmed")
    make_partnership(name="Last year", last_verified_at=now - timedelta(days=365))
    make_partnership(name="Last week", last_verified_at=now - timedelta(days=7))
    make_partnership(name="Yesterday", last_verified_at=now - timedelta(days=1))
    assert matching("sort=recent") == ["Yesterday", "Last week", "Last year", "Never confirmed"]


# Invalid searches are errors, never "everything"

INVALID = [
    ("region=atlantis", "region"),
    ("radius=9999", "radius"),
    ("near=nowhere", "near"),
    ("near=95,0", "near"),
    ("lat=abc&lon=-2.4", "lat"),
    ("lat=53.5", "lon"),
    ("lon=-2.4", "lat"),
    ("lat=95&lon=0", "lat"),
    ("lat=53.5&lon=200", "lat"),
    ("sort=distance", "sort"),
    ("sort=sideways", "sort"),
    ("kind=castle", "kind"),
    ("activity=no-such-activity", "activity"),
    ("channel=carrier-pigeon", "channel"),
    ("agreement=treaty", "agreement"),
    ("q=" + "x" * 201, "q"),
]


@pytest.mark.parametrize(("query", "field"), INVALID)
def test_an_invalid_search_shows_the_errors_and_no_results(client, query, field):
    make_place("Bolton", *BOLTON)
    at(BOLTON, name="Visible Bolton partnership", region=Region.objects.get(slug="north-west"))
    response = client.get(f"/?{query}")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in content
    assert f'href="#id_{field}"' in content
    assert "Visible Bolton partnership" not in content
    assert '<ol class="results"' not in content
    assert results_heading(response) == "Check your search"
    assert 'id="map-config"' not in content


@pytest.mark.parametrize("endpoint", [f"/map-data/?{MAP_5}&", "/export.csv?", "/export.geojson?"])
@pytest.mark.parametrize(("query", "field"), INVALID)
def test_an_invalid_search_is_a_400_naming_the_field_for_data_and_downloads(
    client, endpoint, query, field
):
    make_place("Bolton", *BOLTON)
    at(BOLTON, name="Visible Bolton partnership", region=Region.objects.get(slug="north-west"))
    response = client.get(endpoint + query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert field in errors
    assert all(error["message"] for error in errors[field])
    assert "Visible Bolton partnership" not in response.content.decode()


def test_letters_in_the_latitude_give_one_clear_error():
    search = PartnershipFilter(QueryDict("lat=abc&lon=-2.4"))
    assert not search.is_valid()
    assert search.errors == {"lat": ["Enter a number."]}


def test_an_unknown_town_is_named_in_the_error(client):
    response = client.get("/?near=Nowheresville")
    assert "We could not find a town called “Nowheresville”" in response.content.decode()


def test_a_hostile_place_name_in_an_error_stays_text(client):
    response = client.get("/", {"near": "<script>alert(1)</script>"})
    content = response.content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


# Pages, headings and distances


def test_the_next_page_link_keeps_the_search(client, settings):
    settings.DIRECTORY_PAGE_SIZE = 5
    region = Region.objects.get(slug="north-west")
    for i in range(12):
        make_partnership(name=f"Network {i:02d}", region=region)
    make_partnership(name="Network elsewhere", region=Region.objects.get(slug="london"))
    first = client.get("/?q=network&region=north-west")
    links = [html.unescape(h) for h in re.findall(r'href="([^"]*)" rel="next"', first.text)]
    assert len(links) == 1
    assert QueryDict(links[0].lstrip("?")).dict() == {
        "q": "network",
        "region": "north-west",
        "page": "2",
    }
    assert results_heading(first) == "12 partnerships"
    assert "Page 1 of 3" in first.text
    third = client.get("/" + links[0].replace("page=2", "page=3"))
    assert listed(third) == ["Network 10", "Network 11"]
    previous = re.search(r'href="([^"]*)" rel="prev"', third.text)[1]
    assert "region=north-west" in html.unescape(previous)


def test_the_heading_counts_the_matches_and_names_the_town(client):
    bolton_place()
    at(BOLTON, name="Bolton HIP")
    at(MANCHESTER, name="Manchester network")
    at(LEEDS, name="Leeds LIS")
    assert results_heading(client.get("/")) == "3 partnerships"
    assert results_heading(client.get("/?near=Bolton")) == "2 partnerships within 25 km of Bolton"
    assert results_heading(client.get("/?near=Bolton&radius=5")) == (
        "1 partnership within 5 km of Bolton"
    )
    assert results_heading(client.get("/?lat=53.578&lon=-2.429&radius=10")) == (
        "1 partnership within 10 km"
    )


def test_the_list_shows_distances_only_when_searching_near_a_place(client):
    bolton_place()
    at(BOLTON, name="Bolton HIP")
    at(MANCHESTER, name="Manchester network")
    near = client.get("/?near=Bolton").content.decode()
    assert re.findall(r"<dt>Distance</dt><dd>([\d.]+) km</dd>", near) == ["0.0", "16.4"]
    assert "<dt>Distance</dt>" not in client.get("/").content.decode()


def test_an_empty_search_result_says_so(client):
    make_partnership(name="Unrelated")
    content = client.get("/?q=zzzz").content.decode()
    assert "No published partnerships match this search." in content
    assert "Unrelated" not in content


def test_the_download_links_carry_the_search(client):
    content = client.get("/?q=reading&region=wales").content.decode()
    assert 'href="/export.csv?q=reading&amp;region=wales"' in content
    assert 'href="/export.geojson?q=reading&amp;region=wales"' in content


# Without JavaScript, the list, the map and the downloads agree


def test_a_search_near_bolton_works_without_javascript_and_agrees_everywhere(client, settings):
    bolton_place()
    make_place("Leeds", *LEEDS)
    bolton = at(BOLTON, name="Bolton Health Information Partnership", members=2)
    also_bolton = at(BOLTON, name="Bolton Reading Friends")
    at(LEEDS, name="Leeds LIS Partnership Group", members=2)
    make_partnership(name="Not on the map")
    make_partnership(
        name="Draft Bolton",
        publication_state=PublicationState.DRAFT,
        latitude=BOLTON[0],
        longitude=BOLTON[1],
    )
    query = "near=Bolton&radius=25"

    page = client.get(f"/?{query}")
    assert listed(page) == ["Bolton Health Information Partnership", "Bolton Reading Friends"]
    sorted_urls = [bolton.get_absolute_url(), also_bolton.get_absolute_url()]
    expected = set(sorted_urls)
    assert listed_urls(page) == expected
    assert map_urls(client, query) == expected

    *rows, trailer = csv.DictReader(
        io.StringIO(client.get(f"/export.csv?{query}").getvalue().decode("utf-8-sig"))
    )
    assert trailer["Name"] == f"# End of export: {len(rows)} partnerships"
    assert {row["Directory page"] for row in rows} == {
        f"http://testserver{u}" for u in expected
    } or {row["Directory page"].split("://", 1)[1].split("/", 1)[1] for row in rows} == {
        u.lstrip("/") for u in expected
    }
    features = json.loads(client.get(f"/export.geojson?{query}").getvalue())["features"]
    assert {f["properties"]["url"] for f in features} == {row["Directory page"] for row in rows}


# Embedding


def test_the_embed_page_may_be_framed_by_any_site(client):
    make_partnership(name="Bolton HIP")
    response = client.get("/embed/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "'none'" not in response["Content-Security-Policy"].split("frame-ancestors")[1]
    assert len(re.findall(r"<h1[\s>]", response.text)) == 1
    assert listed(response) == ["Bolton HIP"]


@pytest.mark.parametrize("url", ["/", "/?q=bolton", "/?near=nowhere"])
def test_the_directory_itself_refuses_to_be_framed(client, url):
    response = client.get(url)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert len(re.findall(r"<h1[\s>]", response.text)) == 1


def test_the_embed_page_uses_the_same_search(client):
    bolton_place()
    at(BOLTON, name="Bolton HIP")
    at(LEEDS, name="Leeds LIS")
    assert listed(client.get("/embed/?near=Bolton")) == ["Bolton HIP"]
    invalid = client.get("/embed/?near=nowhere")
    assert invalid.status_code == 200
    assert "Leeds LIS" not in invalid.text and "Bolton HIP" not in invalid.text
    assert len(re.findall(r"<h1[\s>]", invalid.text)) == 1


def test_the_embed_snippet_points_at_the_embed_page_with_the_search(client, settings):
    content = client.get("/?q=reading&region=wales&page=2").content.decode()
    snippet = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', content, re.S)[1]
    assert html.unescape(snippet).startswith(
        f'<iframe src="{settings.SITE_URL}/embed/?q=reading&region=wales"'
    )


# Hostile text stays text

HOSTILE_TAG = "<img src=x onerror=alert(1)>"
QUOTES = "O'Brien's \"Health\" Hub"


def hostile_partnerships():
    tag = make_partnership(name=HOSTILE_TAG, summary=f"Summary {HOSTILE_TAG}")
    quoted = make_partnership(
        name=QUOTES,
        summary=f"Summary of {QUOTES}",
        area_name=f"Area {QUOTES}",
        meeting_frequency=f"Meets {QUOTES}",
        latitude=BOLTON[0],
        longitude=BOLTON[1],
    )
    make_membership(quoted, make_organisation(name=f"Org {QUOTES}"))
    from tests.factories import make_contact

    make_contact(quoted, name=f"Contact {QUOTES}", is_lead=True)
    return tag, quoted


def assert_escaped(content):
    assert HOSTILE_TAG not in content
    assert "<img src=x" not in content
    assert QUOTES not in content  # the quotes are entities, so the raw text never appears


def test_hostile_names_are_escaped_in_the_list_detail_and_embed(client):
    tag, quoted = hostile_partnerships()
    for url in ("/", "/?q=img", "/embed/", tag.get_absolute_url(), quoted.get_absolute_url()):
        content = client.get(url).content.decode()
        assert_escaped(content)
    home = client.get("/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in home
    assert html.escape(QUOTES) in home
    detail = client.get(quoted.get_absolute_url()).content.decode()
    for text in (QUOTES, f"Area {QUOTES}", f"Meets {QUOTES}", f"Org {QUOTES}", f"Contact {QUOTES}"):
        assert html.escape(text) in detail


def test_a_hostile_search_stays_text_in_the_embed_snippet(client):
    response = client.get("/", {"q": '"></textarea><script>alert(1)</script>'})
    content = response.content.decode()
    snippet = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', content, re.S)[1]
    assert "<script>" not in content
    assert "</textarea><script>" not in snippet
    assert "q=%22%3E%3C%2Ftextarea%3E%3Cscript%3E" in snippet


# Query counts


def populate(count):
    north_west = Region.objects.get(slug="north-west")
    week = Activity.objects.get(slug="health-information-week")
    for i in range(count):
        partnership = at(
            destination(BOLTON, i * 17, 1 + i % 10),
            name=f"Bolton network {i}",
            region=north_west,
            members=2,
        )
        partnership.activities.add(week)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=bolton",
        "near=Bolton",
        "near=Bolton&radius=10&sort=name",
        "region=north-west&sector=public-library&activity=health-information-week&kind=network",
        "lat=53.578&lon=-2.429&sort=recent&page=2",
    ],
)
def test_the_directory_page_runs_the_same_number_of_queries_for_2_or_20_partnerships(
    client, settings, query
):
    settings.DIRECTORY_PAGE_SIZE = 5
    bolton_place()
    counts = []
    for count in (2, 20):
        populate(count - len(counts) * 2)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/?{query}")
        assert response.status_code == 200
        assert listed(response)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_blank_place_is_no_search_near_anywhere(client):
    make_partnership(name="B network")
    make_partnership(name="A network")
    assert matching("near=+++") == ["A network", "B network"]
    assert listed(client.get("/?near=+++")) == ["A network", "B network"]


# The search form and its address


def test_latitude_and_longitude_are_not_boxes_among_the_filters(client):
    content = client.get("/").text
    assert 'name="lat"' not in content
    assert 'name="lon"' not in content
    assert ">Latitude<" not in content


def test_latitude_and_longitude_from_the_address_are_carried_as_hidden_fields(client):
    content = client.get("/?lat=53.578&lon=-2.429").text
    assert '<input type="hidden" name="lat" value="53.578"' in content
    assert '<input type="hidden" name="lon" value="-2.429"' in content
    assert ">Latitude<" not in content


def test_a_town_typed_into_near_wins_over_latitude_and_longitude_carried_along():
    make_place("Leeds", *LEEDS)
    at(BOLTON, name="Bolton HIP")
    at(LEEDS, name="Leeds LIS")
    assert matching("near=Leeds&lat=53.578&lon=-2.429&radius=10") == ["Leeds LIS"]


def test_coordinates_are_not_carried_once_a_town_is_typed(client):
    make_place("Leeds", *LEEDS)
    content = client.get("/?near=Leeds&lat=53.578&lon=-2.429").text
    assert 'name="lat"' not in content


def test_a_search_address_with_empty_fields_is_redirected_to_one_without_them(client):
    response = client.get("/?q=&near=Bolton&radius=25&region=&sort=&page=2")
    assert response.status_code == 302
    assert response["Location"] == "/?near=Bolton&radius=25&page=2"
    embedded = client.get("/embed/?q=&kind=")
    assert embedded.status_code == 302
    assert embedded["Location"] == "/embed/"


def test_a_search_address_without_empty_fields_is_answered_directly(client):
    assert client.get("/?near=&").status_code == 302
    assert client.get("/?radius=25&activity=a&activity=b").status_code == 200
    assert client.get("/").status_code == 200
