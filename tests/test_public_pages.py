import datetime
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.templatetags.static import static
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships.models import Activity, AgreementStatus, Membership, PublicationState, Region
from tests.factories import make_agreement, make_contact, make_partnership

pytestmark = pytest.mark.django_db


def h1_count(response):
    return len(re.findall(rb"<h1[\s>]", response.content))


def test_the_home_page_lists_only_published_partnerships(client):
    make_partnership(name="Bolton Health Information Partnership", members=3)
    make_partnership(name="A draft network", publication_state=PublicationState.DRAFT)
    response = client.get("/")
    assert response.status_code == 200
    assert b"Bolton Health Information Partnership" in response.content
    assert b"A draft network" not in response.content


def test_the_home_page_shows_region_and_member_count(client):
    region = Region.objects.get(slug="north-west")
    make_partnership(name="Bolton HIP", members=3, region=region)
    content = client.get("/").content.decode()
    assert "North West" in content
    assert re.search(r"<dt>Members</dt><dd>3</dd>", content)


def test_the_home_page_is_paginated(client, settings):
    settings.DIRECTORY_PAGE_SIZE = 5
    for i in range(12):
        make_partnership(name=f"Network {i:02d}")
    first = client.get("/").content.decode()
    third = client.get("/?page=3").content.decode()
    assert "Page 1 of 3" in first
    assert "Network 00" in first and "Network 05" not in first
    assert "Network 10" in third
    assert client.get("/?page=999").status_code == 200
    assert client.get("/?page=abc").status_code == 200


def test_an_empty_directory_says_so(client):
    assert b"No published partnerships yet." in client.get("/").content


def test_a_partnership_page_shows_its_fields_and_members(client):
    partnership = make_partnership(
        name="Leeds LIS Partnership Group",
        members=3,
        aims="Share training across sectors.",
        meeting_frequency="Quarterly",
    )
    response = client.get(partnership.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert "Leeds LIS Partnership Group" in content
    assert "Share training across sectors." in content
    assert "Quarterly" in content
    for membership in partnership.memberships.all():
        assert membership.organisation.name in content


@pytest.mark.parametrize(
    "state",
    [
        PublicationState.DRAFT,
        PublicationState.PENDING,
        PublicationState.CHANGES_REQUESTED,
        PublicationState.ARCHIVED,
    ],
)
def test_an_unpublished_partnership_is_not_found(client, state):
    partnership = make_partnership(publication_state=state)
    assert client.get(partnership.get_absolute_url()).status_code == 404


def test_only_consented_contacts_appear(client):
    partnership = make_partnership()
    make_contact(partnership, consent=True, name="Library team", email="team@example.org")
    make_contact(partnership, consent=False, name="Private person", email="private@example.org")
    content = client.get(partnership.get_absolute_url()).content.decode()
    assert "team@example.org" in content
    assert "Private person" not in content
    assert "private@example.org" not in content


def test_only_public_agreements_appear(client):
    partnership = make_partnership()
    make_agreement(partnership, title="Signed memorandum", is_public=True)
    make_agreement(partnership, title="Confidential draft", is_public=False)
    content = client.get(partnership.get_absolute_url()).content.decode()
    assert "Signed memorandum" in content
    assert "Confidential draft" not in content


def test_user_text_is_escaped(client):
    partnership = make_partnership(
        name="<img src=x onerror=alert(1)> \"quoted\" 'single'",
        summary="<script>alert(1)</script>",
    )
    home = client.get("/").content.decode()
    detail = client.get(partnership.get_absolute_url()).content.decode()
    for content in (home, detail):
        assert "<img src=x" not in content
        assert "<script>alert(1)</script>" not in content
        assert "&lt;img src=x onerror=alert(1)&gt;" in content


@pytest.mark.parametrize("members", [2, 20])
def test_the_partnership_page_runs_a_constant_number_of_queries(client, members):
    partnership = make_partnership(members=members)
    make_contact(partnership)
    make_agreement(partnership)
    partnership.activities.set(Activity.objects.all()[:3])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(partnership.get_absolute_url()).status_code == 200
    assert len(queries) == 7


@pytest.mark.parametrize("count", [2, 20])
def test_the_home_page_runs_a_constant_number_of_queries(client, count):
    for _ in range(count):
        make_partnership(members=2)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    # The filter form's regions, activities and channels; the published-data version; whether
    # the map summary is of it (here not, so then the count); the page. With nothing filtered
    # the map opens on the whole UK, a constant, not on a MIN/MAX extent.
    assert len(queries) == 7
    # Until the data changes, the count, the search form and the page of results come from the
    # cache: only the published-data version is read.
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/")
    assert again.status_code == 200
    assert len(queries) == 1
    assert again.content.count(b'class="result"') == min(count, settings.DIRECTORY_PAGE_SIZE)


def public_urls():
    partnership = make_partnership(members=2, region=Region.objects.get(slug="london"))
    partnership.activities.set(Activity.objects.all()[:1])
    organisation = partnership.memberships.first().organisation
    return [
        "/",
        partnership.get_absolute_url(),
        organisation.get_absolute_url(),
        reverse("directory:region", args=["london"]),
        Activity.objects.first().get_absolute_url(),
        reverse("directory:stats"),
        "/no-such-page/",
    ]


def test_every_public_page_has_exactly_one_h1(client):
    for url in public_urls():
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert h1_count(response) == 1, url


def test_an_organisation_only_in_drafts_is_not_public(client):
    draft = make_partnership(members=1, publication_state=PublicationState.DRAFT)
    organisation = draft.memberships.get().organisation
    assert client.get(organisation.get_absolute_url()).status_code == 404


def test_region_and_activity_pages_list_their_published_partnerships(client):
    region = Region.objects.get(slug="wales")
    activity = Activity.objects.get(slug="health-information-week")
    shown = make_partnership(name="Cardiff SLA", region=region)
    shown.activities.add(activity)
    hidden = make_partnership(
        name="Draft Welsh network", region=region, publication_state=PublicationState.DRAFT
    )
    hidden.activities.add(activity)
    for url in (region.get_absolute_url(), activity.get_absolute_url()):
        content = client.get(url).content.decode()
        assert "Cardiff SLA" in content
        assert "Draft Welsh network" not in content


def test_unknown_slugs_are_not_found(client):
    for name in ("partnership", "organisation", "region", "activity"):
        assert client.get(reverse(f"directory:{name}", args=["nope"])).status_code == 404


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["region", "organisation", "activity"])
def test_region_organisation_and_activity_pages_run_a_constant_number_of_queries(client, page):
    region = Region.objects.get(slug="london")
    activity = Activity.objects.get(slug="health-information-week")
    shared = make_organisation_in_many(region, activity, count=2)
    urls = {
        "region": region.get_absolute_url(),
        "organisation": shared.get_absolute_url(),
        "activity": activity.get_absolute_url(),
    }
    few = queries_for(client, urls[page])
    make_organisation_in_many(region, activity, count=18, organisation=shared)
    assert queries_for(client, urls[page]) == few


def make_organisation_in_many(region, activity, *, count, organisation=None):
    """`count` published partnerships in `region` doing `activity`, all with `organisation` (made
    if not given) among three members."""
    organisation = organisation or make_partnership(members=1).memberships.get().organisation
    for _ in range(count):
        partnership = make_partnership(members=2, region=region, latitude=51.5, longitude=-0.1)
        partnership.activities.add(activity)
        Membership.objects.create(partnership=partnership, organisation=organisation)
    return organisation


@pytest.mark.parametrize("page", ["home", "embed", "region", "organisation", "activity"])
def test_the_next_and_previous_links_are_well_formed_addresses(client, settings, page):
    settings.DIRECTORY_PAGE_SIZE = 2
    region = Region.objects.get(slug="london")
    activity = Activity.objects.get(slug="health-information-week")
    shared = make_organisation_in_many(region, activity, count=6)
    urls = {
        "home": reverse("directory:home") + "?radius=25",
        "embed": reverse("directory:embed"),
        "region": region.get_absolute_url(),
        "organisation": shared.get_absolute_url(),
        "activity": activity.get_absolute_url(),
    }
    content = client.get(urls[page] + ("&" if "?" in urls[page] else "?") + "page=2").text
    links = re.findall(r'href="([^"]*)" rel="(?:next|prev)"', content)
    assert len(links) == 2
    for link in links:
        assert link.startswith("?") and not link.startswith("??"), link


def agreement_line(content, title):
    line = re.search(rf"<strong>{title}</strong>\s*<span class=\"muted\">\((.*?)\)</span>", content)
    assert line, f"no line for {title}"
    return line[1]


def test_an_agreement_reads_signed_once_with_its_date_and_shows_its_review_date(client):
    partnership = make_partnership()
    make_agreement(
        partnership,
        title="Shared MOU",
        status=AgreementStatus.SIGNED,
        signed_on=datetime.date(2026, 1, 15),
        review_due=datetime.date(2099, 1, 15),
    )
    make_agreement(partnership, title="Undated MOU", status=AgreementStatus.SIGNED)
    make_agreement(
        partnership,
        title="Old SLA",
        status=AgreementStatus.EXPIRED,
        signed_on=datetime.date(2020, 3, 3),
        review_due=datetime.date(2021, 3, 3),
    )
    make_agreement(partnership, title="Draft terms", status=AgreementStatus.DRAFT)

    content = client.get(partnership.get_absolute_url()).text

    assert agreement_line(content, "Shared MOU") == (
        "Memorandum of understanding, signed 15 January 2026, review due 15 January 2099"
    )
    assert agreement_line(content, "Undated MOU") == "Memorandum of understanding, signed"
    assert agreement_line(content, "Old SLA") == (
        "Memorandum of understanding, expired, signed 3 March 2020, review was due 3 March 2021"
    )
    assert agreement_line(content, "Draft terms") == "Memorandum of understanding, draft"


def test_favicon_ico_leads_to_the_sites_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == static("directory/img/favicon.ico")
    assert finders.find("directory/img/favicon.ico")
    assert response["Cache-Control"].startswith("max-age=")


def test_every_page_links_its_icon(client):
    partnership = make_partnership()
    icon = f'<link rel="icon" href="{static("directory/img/favicon.svg")}" type="image/svg+xml">'
    for url in ("/", "/embed/", partnership.get_absolute_url()):
        content = client.get(url).text
        assert icon in content, url
