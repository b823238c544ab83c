import pytest
from django.urls import reverse

from partnerships.geocoding import normalise_place_name
from partnerships.models import Place, Region
from tests.factories import make_place

pytestmark = pytest.mark.django_db

URL = reverse("directory:places")


def place(name, population, **overrides):
    overrides.setdefault("search_name", normalise_place_name(name))
    return make_place(name, 53.0, -2.0, population=population, **overrides)


@pytest.fixture
def towns():
    north_west = Region.objects.get(slug="north-west")
    wales = Region.objects.get(slug="wales")
    south_east = Region.objects.get(slug="south-east")
    return {
        "bolton": place("Bolton", 141_331, region=north_west),
        "bolsover": place("Bolsover", 11_754),
        "bolton upon dearne": place("Bolton upon Dearne", 3_000),
        "newcastle": place("Newcastle upon Tyne", 192_382),
        "stratford": place("Stratford-upon-Avon", 27_445),
        "upton": place("Upton", 700),
        # The Welsh Newport is made the smaller one here, so only the hint can pick it.
        "newport wales": place("Newport", 9_000, admin_area="Wales", region=wales),
        "newport iow": place("Newport", 24_884, region=south_east),
        "newport ireland": place("Newport", 1_806, admin_area="Munster", country_code="IE"),
        "newport pagnell": place("Newport Pagnell", 30_000),
        "dun laoghaire": place("Dún Laoghaire", 23_857, admin_area="Leinster", country_code="IE"),
    }


def names(response):
    return [found["name"] for found in response.json()["places"]]


def test_places_returns_towns_as_json_with_an_explicit_shape(client, towns):
    response = client.get(URL, {"q": "bolton"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    first = response.json()["places"][0]
    assert first == {
        "name": "Bolton",
        "admin_area": "England",
        "country": "GB",
        "lat": 53.0,
        "lon": -2.0,
        "label": "Bolton, North West, England",
    }


def test_places_may_be_cached_for_a_day_by_anyone(client, towns):
    response = client.get(URL, {"q": "bol"})

    assert response["Cache-Control"] == "max-age=86400, public"


def test_places_runs_one_query(client, towns, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(URL, {"q": "new"})


def test_names_that_start_with_the_text_come_before_names_with_a_word_that_does(client, towns):
    assert names(client.get(URL, {"q": "up"})) == [
        "Upton",
        "Newcastle upon Tyne",
        "Stratford-upon-Avon",
        "Bolton upon Dearne",
    ]


def test_larger_towns_come_first_within_each_group(client, towns):
    assert names(client.get(URL, {"q": "bol"})) == ["Bolton", "Bolsover", "Bolton upon Dearne"]


def test_a_word_inside_a_hyphenated_name_is_found(client, towns):
    assert names(client.get(URL, {"q": "avon"})) == ["Stratford-upon-Avon"]


def test_search_ignores_case_and_accents(client, towns):
    assert names(client.get(URL, {"q": "DUN LAO"})) == ["Dún Laoghaire"]
    assert names(client.get(URL, {"q": "dún"})) == ["Dún Laoghaire"]


def test_a_chosen_label_still_finds_its_town(client, towns):
    assert names(client.get(URL, {"q": "Bolton, North West, England"}))[0] == "Bolton"


def test_labels_tell_towns_of_the_same_name_apart(client, towns):
    labels = [found["label"] for found in client.get(URL, {"q": "newport"}).json()["places"]]

    assert labels == [
        "Newport Pagnell, England",
        "Newport, South East, England",
        "Newport, Wales",
        "Newport, Munster, Ireland",
    ]


def test_places_returns_at_most_ten(client):
    for n in range(15):
        place(f"Testville {n}", 1000 + n)

    assert len(names(client.get(URL, {"q": "testville"}))) == 10


@pytest.mark.parametrize("query", [None, "", "   ", "b", "é", "%"])
def test_an_empty_or_one_letter_query_finds_nothing(client, towns, query):
    response = client.get(URL, {} if query is None else {"q": query})

    assert response.status_code == 200
    assert response.json() == {"places": []}


def test_a_very_long_query_is_answered(client, towns):
    assert client.get(URL, {"q": "b" * 5000}).json() == {"places": []}
    # Only the first 100 characters count, so trailing padding does no harm.
    assert names(client.get(URL, {"q": "bolton" + " " * 4994})) == ["Bolton", "Bolton upon Dearne"]


@pytest.mark.parametrize("query", ["Дублин", "北京", "ボルトン"])
def test_a_query_in_another_script_is_answered_with_no_places(client, towns, query):
    response = client.get(URL, {"q": query})

    assert response.status_code == 200
    assert response.json() == {"places": []}


@pytest.mark.parametrize(
    "query", ["'; DROP TABLE x; --", "bolton' OR '1'='1", "%%", "%o", "_o", "b%", "b_l", "\\"]
)
def test_sql_and_like_wildcards_in_a_query_match_only_themselves(client, towns, query):
    # "_o" and "%o" would match Bolton and Bolsover if the wildcards were not escaped.
    response = client.get(URL, {"q": query})

    assert response.status_code == 200
    assert response.json() == {"places": []}
    assert Place.objects.count() == len(towns)


def test_places_refuses_to_change_anything(client, towns):
    assert client.post(URL, {"q": "bol"}).status_code == 405


def test_resolve_finds_a_town_by_its_name(towns):
    assert Place.objects.resolve("Bolton") == towns["bolton"]
    assert Place.objects.resolve("  BOLTON ") == towns["bolton"]
    assert Place.objects.resolve("Bolton, England") == towns["bolton"]


def test_resolve_prefers_the_town_the_hint_after_a_comma_names(towns):
    assert Place.objects.resolve("newport, wales") == towns["newport wales"]
    assert Place.objects.resolve("Newport, Ireland") == towns["newport ireland"]
    assert Place.objects.resolve("Newport, South East, England") == towns["newport iow"]


def test_resolve_takes_the_largest_of_towns_sharing_a_name_without_a_hint(towns):
    assert Place.objects.resolve("Newport") == towns["newport iow"]
    assert Place.objects.resolve("Newport, Atlantis") == towns["newport iow"]


def test_resolve_prefers_an_exact_name_over_a_larger_town_it_begins(towns):
    assert Place.objects.resolve("newport") != towns["newport pagnell"]


def test_resolve_falls_back_to_the_best_prefix_match(towns):
    assert Place.objects.resolve("bolt") == towns["bolton"]
    assert Place.objects.resolve("newport pag") == towns["newport pagnell"]


@pytest.mark.parametrize("text", ["Nowhere-on-Sea", "", "   ", ",", "Дублин", None])
def test_resolve_gives_none_for_an_unknown_or_empty_name(towns, text):
    assert Place.objects.resolve(text) is None
