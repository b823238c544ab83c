"""Find partners near you: public organisations within a radius of a town, by sector, on
/find-partners/ and in an organisation page's "Organisations near here"."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships.distance import EARTH_RADIUS_KM, haversine_km
from partnerships.models import PublicationState, Region, Sector
from tests.factories import make_membership, make_organisation, make_partnership, make_place

pytestmark = pytest.mark.django_db

BOLTON = (53.578, -2.429)
KM_PER_DEGREE_OF_LATITUDE = 3.141592653589793 * EARTH_RADIUS_KM / 180


def north_of_bolton(km):
    """A point `km` due north of Bolton."""
    return {"latitude": BOLTON[0] + km / KM_PER_DEGREE_OF_LATITUDE, "longitude": BOLTON[1]}


@pytest.fixture
def bolton():
    return make_place("Bolton", *BOLTON, population=140_000)


@pytest.fixture
def partnership():
    return make_partnership(name="Greater Manchester health libraries")


def public_organisation(partnership, km, **fields):
    """An organisation `km` north of Bolton, a member of the published `partnership`."""
    organisation = make_organisation(**north_of_bolton(km), **fields)
    make_membership(partnership, organisation)
    return organisation


def nearby_section(html):
    """The "Organisations near here" table of an organisation's page."""
    start = html.index('id="nearby-heading"')
    return html[start : html.index("</table>", start)]


def find(client, **params):
    return client.get(reverse("directory:find_partners"), params)


def test_the_distances_in_these_tests_are_what_they_say():
    point = north_of_bolton(24.99)

    assert haversine_km(*BOLTON, point["latitude"], point["longitude"]) == pytest.approx(
        24.99, abs=1e-6
    )


def test_the_empty_page_shows_the_form_without_errors(client):
    response = find(client)

    assert response.status_code == 200
    assert response.text.count("<h1") == 1
    assert "Please check your search" not in response.text
    assert '<label for="find-near">Near</label>' in response.text


def test_it_lists_public_organisations_nearest_first_with_distance_sector_and_partnerships(
    client, bolton, partnership
):
    far = public_organisation(partnership, 20, name="Wigan Library", town="Wigan")
    near = public_organisation(
        partnership, 2, name="Royal Bolton Hospital Library", town="Bolton", sector=Sector.NHS
    )
    other = make_partnership(name="Bolton Reading Well")
    make_membership(other, near)

    response = find(client, near="Bolton")

    assert response.status_code == 200
    text = response.text
    assert "2 organisations within 25 km of Bolton" in text
    assert text.index("Royal Bolton Hospital Library") < text.index("Wigan Library")
    assert "2.0 km" in text
    assert "20.0 km" in text
    assert "NHS trust or health library" in text
    assert (
        f'<a href="{partnership.get_absolute_url()}">Greater Manchester health libraries</a>'
        in text
    )
    assert f'<a href="{other.get_absolute_url()}">Bolton Reading Well</a>' in text
    assert far.get_absolute_url() in text


def test_the_sector_narrows_the_list(client, bolton, partnership):
    public_organisation(partnership, 3, name="Bolton Central Library")
    public_organisation(partnership, 4, name="Royal Bolton Hospital Library", sector=Sector.NHS)

    response = find(client, near="Bolton", sector=Sector.NHS)

    assert "1 organisation (NHS trust or health library) within 25 km" in response.text
    assert "Royal Bolton Hospital Library" in response.text
    assert "Bolton Central Library" not in response.text


def test_the_radius_is_inclusive_at_its_edge_and_chooses_how_far(client, bolton, partnership):
    public_organisation(partnership, 24.99, name="Just inside")
    public_organisation(partnership, 25.01, name="Just outside")
    public_organisation(partnership, 99.9, name="Far away")

    default = find(client, near="Bolton")
    wide = find(client, near="Bolton", radius="50")
    widest = find(client, near="Bolton", radius="100")
    narrow = find(client, near="Bolton", radius="10")

    assert "Just inside" in default.text
    assert "Just outside" not in default.text
    assert "Just outside" in wide.text
    assert "Far away" not in wide.text
    assert "Far away" in widest.text
    assert "Just inside" not in narrow.text


def test_only_members_of_published_partnerships_are_listed(client, bolton, partnership):
    draft = make_partnership(publication_state=PublicationState.DRAFT)
    private = make_organisation(name="Only in a draft", **north_of_bolton(1))
    make_membership(draft, private)
    make_organisation(name="In no partnership", **north_of_bolton(1))
    merged_into = public_organisation(partnership, 2, name="The survivor")
    merged = public_organisation(partnership, 2, name="Merged away")
    merged.merged_into = merged_into
    merged.save()
    public_organisation(partnership, 3, name="Listed library")

    response = find(client, near="Bolton")

    assert "Listed library" in response.text
    assert "The survivor" in response.text
    assert "Only in a draft" not in response.text
    assert "In no partnership" not in response.text
    assert "Merged away" not in response.text


def test_a_draft_partnership_of_a_public_organisation_is_not_named(client, bolton, partnership):
    library = public_organisation(partnership, 1, name="Bolton Central Library")
    draft = make_partnership(name="A secret draft", publication_state=PublicationState.DRAFT)
    make_membership(draft, library)

    response = find(client, near="Bolton")

    assert "Bolton Central Library" in response.text
    assert "A secret draft" not in response.text


def test_an_unknown_town_is_a_clear_error(client, bolton):
    response = find(client, near="Nowhereville")

    assert response.status_code == 200
    assert "Please check your search" in response.text
    assert "We could not find a town called “Nowhereville”" in response.text


def test_an_impossible_radius_is_an_error(client, bolton):
    response = find(client, near="Bolton", radius="7")

    assert "Please check your search" in response.text
    assert "Select a valid choice" in response.text


def test_no_results_say_so_and_suggest_a_wider_search(client, bolton, partnership):
    public_organisation(partnership, 60, name="Too far")

    response = find(client, near="Bolton", sector=Sector.NHS)

    assert response.status_code == 200
    assert "0 organisations" in response.text
    assert "No organisation of the sector “NHS trust or health library”" in response.text
    assert "Try a wider distance or any sector." in response.text


def test_a_hostile_name_stays_text(client, bolton, partnership):
    public_organisation(partnership, 1, name="<script>alert(1)</script>")

    response = find(client, near="Bolton")

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_the_list_is_paginated(client, bolton, partnership, settings):
    settings.DIRECTORY_PAGE_SIZE = 2
    for km in (1, 2, 3):
        public_organisation(partnership, km, name=f"Library {km} km away")

    first = find(client, near="Bolton")
    second = find(client, near="Bolton", page=2)

    assert "3 organisations" in first.text
    assert "Library 2 km away" in first.text
    assert "Library 3 km away" not in first.text
    assert "Library 3 km away" in second.text
    assert "Page 2 of 2" in second.text


def _queries_for(client, count, partnership):
    for n in range(count):
        organisation = public_organisation(partnership, 1 + n * 0.1, name=f"Library {n}")
        make_membership(make_partnership(name=f"Another partnership {n}"), organisation)
    with CaptureQueriesContext(connection) as queries:
        response = find(client, near="Bolton", radius="100")
    assert response.status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_5_or_50_organisations(client, bolton, settings):
    settings.DIRECTORY_PAGE_SIZE = 100
    few = _queries_for(client, 5, make_partnership())
    many = _queries_for(client, 45, make_partnership())

    assert few == many


# Links and an organisation's own page


def test_the_directory_links_to_find_partners_near_the_searched_town(client, bolton):
    plain = client.get(reverse("directory:home"))
    near = client.get(reverse("directory:home"), {"near": "Bolton"})

    assert f'href="{reverse("directory:find_partners")}"' in plain.text
    assert "Find organisations near Bolton" in near.text
    assert f"{reverse('directory:find_partners')}?near=Bolton" in near.text


def test_an_organisation_page_lists_its_nearest_neighbours_with_distances(
    client, bolton, partnership
):
    library = public_organisation(partnership, 0, name="Bolton Central Library", town="Bolton")
    public_organisation(partnership, 3, name="Royal Bolton Hospital Library", sector=Sector.NHS)
    public_organisation(partnership, 30, name="Too far to list")

    response = client.get(library.get_absolute_url())

    text = response.text
    assert "Organisations near here" in text
    assert "Royal Bolton Hospital Library" in text
    assert "3.0 km" in text
    assert "Too far to list" not in text
    assert "Bolton Central Library</a></th>" not in nearby_section(text)
    assert f"{reverse('directory:find_partners')}?near=Bolton&amp;sector=nhs" in text
    assert "Find NHS trust and health libraries near here" in text


def test_an_organisation_page_lists_at_most_ten_neighbours(client, bolton, partnership):
    library = public_organisation(partnership, 0, name="The library itself", town="Bolton")
    for n in range(12):
        public_organisation(partnership, 1 + n, name=f"Neighbour {n + 1:02}")

    section = nearby_section(client.get(library.get_absolute_url()).text)

    assert section.count("<tr>") == 1 + 10  # the heading row and ten neighbours
    assert "Neighbour 10" in section
    assert "Neighbour 11" not in section


def test_an_organisation_not_on_the_map_has_no_neighbours_section(client, partnership):
    organisation = make_organisation(name="Somewhere unknown")
    make_membership(partnership, organisation)

    response = client.get(organisation.get_absolute_url())

    assert "Organisations near here" not in response.text
    assert reverse("directory:find_partners") in response.text


def test_the_link_from_an_organisation_finds_its_town(client, bolton, partnership):
    library = public_organisation(partnership, 0, name="Bolton Central Library", town="Bolton")
    public_organisation(partnership, 3, name="Royal Bolton Hospital Library", sector=Sector.NHS)

    response = find(client, near=library.town, sector=Sector.NHS)

    assert "Royal Bolton Hospital Library" in response.text
    assert "Bolton Central Library" not in response.text


def test_a_search_without_a_radius_shows_the_default_radius_chosen(client, bolton):
    response = find(client, near="Bolton")

    assert '<option value="25" selected>25 km</option>' in response.text


def test_the_link_from_an_organisation_finds_its_own_town_among_towns_of_one_name(client):
    wales = Region.objects.get(name="Wales")
    south_east = Region.objects.get(name="South East")
    make_place("Newport", 51.588, -2.998, region=wales, admin_area="Wales", population=150_000)
    make_place("Newport", 50.701, -1.290, region=south_east, population=25_000)
    partnership = make_partnership()
    library = make_organisation(
        name="Newport Isle of Wight Library",
        town="Newport",
        region=south_east,
        latitude=50.701,
        longitude=-1.290,
    )
    make_membership(partnership, library)
    neighbour = make_organisation(
        name="St Mary's Hospital Library", sector=Sector.NHS, latitude=50.71, longitude=-1.30
    )
    make_membership(partnership, neighbour)

    page = client.get(library.get_absolute_url()).text
    link = re.search(r'href="(/find-partners/\?near=[^"]*sector=nhs)"', page)[1]
    response = client.get(unescape(link))

    assert "St Mary&#x27;s Hospital Library" in response.text
    assert "within 25 km of Newport" in response.text
