"""Free-text search (`q`): full-text search with stemming and ranking on PostgreSQL, word matching
on SQLite, and one set of queries whose answers must be the same on both."""

import pytest
from django.db import connection
from django.http import QueryDict

from directory.filters import PartnershipFilter
from partnerships.models import Membership, Partnership, PublicationState
from partnerships.search import search_words
from tests.factories import make_organisation, make_partnership

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stemming and full-text ranking are PostgreSQL's"
)

WIGAN = "Wigan Knowledge Network"
BOLTON = "Bolton Health Information Partnership"
LEEDS = "Leeds Hospital Network"
CAFE = "Café Conversations"
OBRIEN = "O'Brien Reading Friends"
EVERYONE = sorted([WIGAN, BOLTON, LEEDS, CAFE, OBRIEN])


def member(partnership, name):
    Membership.objects.create(partnership=partnership, organisation=make_organisation(name=name))


@pytest.fixture
def directory():
    make_partnership(
        name=WIGAN, summary="Health information on Wigan markets.", area_name="Wigan and Leigh"
    )
    bolton = make_partnership(name=BOLTON, summary="Librarians and GPs together.")
    member(bolton, "Royal Bolton Hospital Library")
    make_partnership(name=LEEDS, summary="Library services for patients.", area_name="Leeds")
    make_partnership(name=CAFE, summary="Talking about health over coffee.", area_name="Hull")
    make_partnership(name=OBRIEN, summary="Reading groups for carers.", area_name="Salford")
    make_partnership(
        name="Wigan draft", summary="Not published.", publication_state=PublicationState.DRAFT
    )


def found(query, sort="name"):
    """Names of the partnerships the directory's filter returns for `q=query`."""
    search = PartnershipFilter(QueryDict(mutable=True) | {"q": query, "sort": sort})
    assert search.is_valid(), search.errors
    return [partnership.name for partnership in search.qs]


# The shared set: the same answers on SQLite and PostgreSQL.
SHARED = [
    ("wigan", [WIGAN]),
    ("WIGAN", [WIGAN]),
    ("  Wigan  ", [WIGAN]),
    ("leigh", [WIGAN]),  # area
    ("markets", [WIGAN]),  # summary
    ("bolton hospital", [BOLTON]),  # name and a member's name
    ("royal library", [BOLTON]),  # two words of a member's name
    ("hospital", [BOLTON, LEEDS]),  # a member's name, or a name
    ("leeds library", [LEEDS]),
    ("health information", [BOLTON, WIGAN]),
    ("café", [CAFE]),
    ("Café", [CAFE]),
    ("o'brien", [OBRIEN]),
    ("O\u2019Brien", [OBRIEN]),  # a typographic apostrophe
    ("reading, salford.", [OBRIEN]),
    ("nowhere", []),
    ("wigan bolton", []),  # every word must match
    ("wigan | bolton", []),  # "|" is not "or"
    ("wigan or leeds", []),  # nor is "or": a common word, ignored like "the"
    ("the wigan", [WIGAN]),
    ("-wigan", [WIGAN]),  # "-" does not exclude
    ("wigan%", [WIGAN]),
    ("wigan:*", [WIGAN]),
    ("!wigan", [WIGAN]),
    ('"wigan"', [WIGAN]),
    ("wigan & leigh", [WIGAN]),
    ("'wigan", [WIGAN]),
    ("draft", []),  # unpublished entries are never found
    # No words at all: as if the box were empty.
    ("%", EVERYONE),
    ("_", EVERYONE),
    ("%_%", EVERYONE),
    ("'", EVERYONE),
    ('"', EVERYONE),
    ("&", EVERYONE),
    ("|", EVERYONE),
    ("!", EVERYONE),
    (":*", EVERYONE),
    ("\\", EVERYONE),
    ("the", EVERYONE),
]


@pytest.mark.parametrize(("query", "expected"), SHARED)
def test_the_shared_queries_find_the_same_partnerships_on_every_database(
    directory, query, expected
):
    assert found(query) == expected


@pytest.mark.parametrize("query", ["%", "_", "'", '"', "&", "|", "!", ":*", "a:* & !b | 'c"])
def test_punctuation_in_a_search_never_breaks_the_page(client, directory, query):
    for address in ["/", "/map-data/", "/export.csv"]:
        response = client.get(address, {"q": query, "bbox": "-10,49,3,60", "zoom": "6"})
        assert response.status_code == 200, (address, query)


def test_a_search_reads_words_the_same_way_on_every_database():
    assert search_words("The Wigan & Leigh; O'Brien's:* 100% WIGAN") == [
        "wigan",
        "leigh",
        "o",
        "brien",
        "100",
    ]
    assert search_words("% _ | ! :* the and") == []
    assert len(search_words(" ".join(f"word{n}" for n in range(30)))) == 10


def test_a_search_finds_a_partnership_by_its_new_name_after_an_edit(directory):
    leeds = Partnership.objects.get(name=LEEDS)
    leeds.name = "Yorkshire Hospital Network"
    leeds.save()
    assert found("yorkshire") == ["Yorkshire Hospital Network"]
    assert found("leeds") == ["Yorkshire Hospital Network"]  # still its area


def test_a_search_finds_a_partnership_by_its_members_new_name(directory):
    organisation = Membership.objects.get(partnership__name=BOLTON).organisation
    organisation.name = "Bolton Royal Infirmary Library"
    organisation.save()
    assert found("infirmary") == [BOLTON]


def test_with_search_words_the_best_match_comes_first(directory):
    make_partnership(name="Zebra Carers Network", summary="Books.")
    # A word in the name counts more than one in the summary.
    assert found("carers", sort="") == ["Zebra Carers Network", OBRIEN]
    assert found("carers", sort="relevance") == ["Zebra Carers Network", OBRIEN]
    assert found("carers", sort="name") == [OBRIEN, "Zebra Carers Network"]


def test_without_search_words_the_default_order_is_by_name(directory):
    assert found("", sort="") == EVERYONE
    assert found("%", sort="") == EVERYONE


def test_sorting_by_best_match_needs_search_words(directory):
    search = PartnershipFilter(QueryDict("sort=relevance"))
    assert not search.is_valid()
    assert "Sorting by best match needs words to search for." in search.errors["sort"]


def test_the_sort_box_offers_best_match(client, directory):
    page = client.get("/", {"q": "reading"}).content.decode()
    assert '<option value="relevance">Best match</option>' in page
    assert '<option value="" selected>Nearest, best match or name</option>' in page


# PostgreSQL only: English stemming and full-text ranking.


@postgresql_only
def test_a_search_finds_other_forms_of_a_word(directory):
    assert found("libraries") == [BOLTON, LEEDS]  # "Library" in a member's name, a summary
    assert found("partnerships") == [BOLTON]
    assert found("conversation") == [CAFE]
    assert found("market") == [WIGAN]


@postgresql_only
def test_a_partnership_found_only_through_a_member_ranks_after_its_own_matches(directory):
    aardvark = make_partnership(name="Aardvark Group", summary="Books.")
    member(aardvark, "Salford Carers Centre")
    assert found("carers", sort="") == [OBRIEN, "Aardvark Group"]


@postgresql_only
def test_the_search_uses_the_full_text_indexes(directory):
    search = PartnershipFilter(QueryDict("q=bolton+hospital"))
    sql, params = search.qs.query.sql_with_params()
    with connection.cursor() as cursor:
        # Five rows are cheaper to scan, and a whole primary-key index walked with a filter can
        # look as cheap: leave the planner only bitmap scans, which need an index that answers
        # the condition. (At 100,000 rows it picks them itself: see bench/search.py.)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "partnership_search" in plan
    assert "organisation_search" in plan
