"""Printing the directory: a page for printing with every match (up to a limit), its count, and
the full address of each partnership; a printed page of the list says it is one page of several."""

import re

import pytest
from django.urls import reverse

from directory import views
from partnerships.models import Activity, Region
from tests.factories import make_partnership

pytestmark = pytest.mark.django_db


def print_url(query=""):
    return reverse("directory:print") + (f"?{query}" if query else "")


def titles(content):
    return re.findall(r'<h2 class="result-title"><a [^>]*>(.*?)</a></h2>', content)


def test_the_print_page_lists_every_match_not_one_page(client, settings):
    settings.DIRECTORY_PAGE_SIZE = 20
    for i in range(22):
        make_partnership(name=f"Network {i:02d}")

    content = client.get(print_url()).text

    assert titles(content) == [f"Network {i:02d}" for i in range(22)]
    assert "Showing all 22 partnerships" in content
    assert 'class="pagination"' not in content


def test_the_print_page_keeps_the_search(client):
    make_partnership(name="Wigan network")
    make_partnership(name="Bolton network")

    content = client.get(print_url("q=wigan")).text

    assert titles(content) == ["Wigan network"]
    assert "Showing the 1 partnership that matches this search" in content


def test_the_print_page_stops_at_its_limit_and_says_how_many_it_left_out(client, monkeypatch):
    monkeypatch.setattr(views, "PRINT_LIMIT", 5)
    for i in range(7):
        make_partnership(name=f"Network {i}")

    content = client.get(print_url()).text

    assert len(titles(content)) == 5
    assert "Showing the first 5 of 7 partnerships" in content
    assert "narrow your search" in content


def test_the_print_page_links_to_partnerships_by_their_full_address(client):
    partnership = make_partnership(name="Wigan network")

    content = client.get(print_url()).text

    assert f'href="http://testserver{partnership.get_absolute_url()}"' in content


def test_an_invalid_search_cannot_be_printed(client):
    make_partnership()
    response = client.get(print_url("kind=castle"))
    assert response.status_code == 400
    assert "Type: Select a valid choice" in response.text
    assert titles(response.text) == []


@pytest.mark.parametrize("count", [2, 30])
def test_the_print_page_runs_a_constant_number_of_queries(client, count, django_assert_num_queries):
    for _ in range(count):
        make_partnership(members=2, region=Region.objects.get(slug="london"))
    with django_assert_num_queries(2):
        assert client.get(print_url()).status_code == 200


def test_the_directory_links_to_the_print_page_for_its_search(client, settings):
    settings.DIRECTORY_PAGE_SIZE = 2
    for i in range(3):
        make_partnership(name=f"Wigan network {i}")

    content = client.get("/?q=wigan").text

    assert f'href="{print_url("q=wigan")}"' in content
    assert "Print all 3 partnerships" in content


def test_a_printed_page_of_a_longer_list_says_which_part_it_shows(client, settings):
    settings.DIRECTORY_PAGE_SIZE = 2
    region = Region.objects.get(slug="wales")
    activity = Activity.objects.get(slug="health-information-week")
    for _ in range(3):
        make_partnership(region=region).activities.add(activity)

    for url, query in (
        ("/", ""),
        (region.get_absolute_url(), "region=wales"),
        (activity.get_absolute_url(), "activity=health-information-week"),
    ):
        content = client.get(url).text
        notice = re.search(r'<p class="print-only print-notice">(.*?)</p>', content, re.S)
        assert notice, url
        assert "This printout shows partnerships 1 to 2 of 3." in notice[1]
        assert f"http://testserver{print_url(query)}".replace("&", "&amp;") in notice[1]
