"""Free-text search (`q`): full-text search with stemming and ranking on PostgreSQL, word matching
on SQLite, and one set of queries whose answers must be the same on both."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from directory.filters import PartnershipFilter
from partnerships import history, merging, services
from partnerships.models import (
    Membership,
    Organisation,
    Partnership,
    PublicationState,
    Role,
    Version,
)
from partnerships.search import search_words
from partnerships.snapshots import snapshot_of
from tests.admin_forms import change_form_data
from tests.factories import make_membership, make_organisation, make_partnership, make_user

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
    make_membership(partnership, make_organisation(name=name))


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


# Members' names are copied into each partnership's row (`member_names`), so every write path
# that changes them must keep the copy true.


def member_names_are_true():
    """Whether every partnership's `member_names` holds exactly its members' names (English,
    and Welsh where they have one)."""
    for partnership in Partnership.objects.all():
        names = Membership.objects.filter(partnership=partnership)
        expected = sorted(
            name
            for pair in names.values_list("organisation__name", "organisation__name_cy")
            for name in pair
            if name
        )
        stored = sorted(partnership.member_names.split("\n")) if partnership.member_names else []
        if stored != expected:
            return False
    return True


def admin_save(admin_client, url, **changes):
    """Post the admin change page at `url` back with `changes` (by field name, inline fields
    with their prefix)."""
    response = admin_client.post(url, {**change_form_data(admin_client.get(url)), **changes})
    assert response.status_code == 302, response.context and [
        form.errors for form in [response.context["adminform"].form]
    ]


def test_a_search_finds_a_partnership_by_its_members_new_name_after_an_admin_rename(
    admin_client, directory
):
    organisation = Membership.objects.get(partnership__name=BOLTON).organisation
    admin_save(
        admin_client,
        f"/admin/partnerships/organisation/{organisation.pk}/change/",
        name="Bolton Royal Infirmary Library",
    )
    assert found("infirmary") == [BOLTON]
    assert found("royal hospital") == []
    assert member_names_are_true()


def test_member_names_stay_true_when_an_organisation_leaves_a_partnership_in_the_admin(
    admin_client, directory
):
    bolton = Partnership.objects.get(name=BOLTON)
    member(bolton, "Farnworth Carers Centre")
    organisation = Membership.objects.get(
        partnership=bolton, organisation__name__startswith="Royal"
    ).organisation
    admin_save(
        admin_client,
        f"/admin/partnerships/organisation/{organisation.pk}/change/",
        **{"memberships-0-DELETE": "on"},
    )
    assert found("royal") == []
    assert found("farnworth") == [BOLTON]
    assert member_names_are_true()


def test_member_names_stay_true_when_a_membership_moves_or_goes_in_the_admin(
    admin_client, directory
):
    membership = Membership.objects.get(partnership__name=BOLTON)
    leeds = Partnership.objects.get(name=LEEDS)
    admin_save(
        admin_client,
        f"/admin/partnerships/membership/{membership.pk}/change/",
        partnership=leeds.pk,
    )
    assert found("royal") == [LEEDS]
    assert member_names_are_true()

    response = admin_client.post(
        f"/admin/partnerships/membership/{membership.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert found("royal") == []
    assert member_names_are_true()


def test_member_names_stay_true_when_a_partnership_loses_a_member_in_its_admin_page(
    admin_client, directory
):
    bolton = Partnership.objects.get(name=BOLTON)
    admin_save(
        admin_client,
        f"/admin/partnerships/partnership/{bolton.pk}/change/",
        **{"memberships-0-DELETE": "on"},
    )
    assert found("royal") == []
    assert member_names_are_true()


def test_member_names_stay_true_when_an_organisation_is_deleted_in_the_admin(
    admin_client, directory
):
    organisation = Membership.objects.get(partnership__name=BOLTON).organisation
    response = admin_client.post(
        f"/admin/partnerships/organisation/{organisation.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert found("royal") == []
    assert member_names_are_true()


def test_member_names_stay_true_through_an_edit_and_its_approval(directory):
    editor, moderator = make_user(), make_user(is_superuser=True)
    bolton = Partnership.objects.get(name=BOLTON)
    bolton.editors.add(editor)
    farnworth = make_organisation(name="Farnworth Carers Centre")
    data = snapshot_of(bolton)
    data["members"] = [{"organisation": farnworth.pk, "role": Role.LEAD}]
    services.save_edit(bolton, data=data, user=editor)
    services.submit_for_review(bolton, user=editor)
    assert found("farnworth") == []  # not public until approved
    services.approve(bolton, moderator=moderator)
    assert found("farnworth") == [BOLTON]
    assert found("royal") == []
    assert member_names_are_true()


def test_a_draft_edited_in_place_is_found_by_its_new_members_once_published(directory):
    editor = make_user()
    draft = Partnership.objects.get(name="Wigan draft")
    draft.editors.add(editor)
    data = snapshot_of(draft)
    data["members"] = [{"organisation": make_organisation(name="Ince Library").pk}]
    services.save_edit(draft, data=data, user=editor)
    assert member_names_are_true()
    services.publish_partnerships(Partnership.objects.filter(pk=draft.pk))
    assert found("ince") == ["Wigan draft"]


def test_a_partnership_saved_from_a_copy_read_before_a_rename_keeps_the_new_name(
    admin_client, directory
):
    bolton = Partnership.objects.get(name=BOLTON)  # read before the rename
    organisation = Membership.objects.get(partnership=bolton).organisation
    admin_save(
        admin_client,
        f"/admin/partnerships/organisation/{organisation.pk}/change/",
        name="Bolton Royal Infirmary Library",
    )
    bolton.summary = "Librarians, GPs and nurses together."
    bolton.save()
    assert found("infirmary") == [BOLTON]
    assert member_names_are_true()


def test_member_names_stay_true_when_two_organisations_are_merged(directory):
    bolton = Partnership.objects.get(name=BOLTON)
    leeds = Partnership.objects.get(name=LEEDS)
    survivor = Membership.objects.get(partnership=bolton).organisation  # Royal Bolton ...
    other = make_organisation(name="Leeds Teaching Hospitals Library")
    member(leeds, "Leeds Carers Centre")
    make_membership(leeds, other)
    result = merging.merge_organisations(
        survivor=survivor, other=other, choices={"name": merging.OTHER}, user=make_user()
    )
    assert found("teaching") == [BOLTON, LEEDS]  # the survivor, under the name it took
    assert found("royal") == []
    assert member_names_are_true()

    history.undo(result.change_set, user=make_user(is_superuser=True))
    assert found("teaching") == [LEEDS]
    assert found("royal") == [BOLTON]
    assert member_names_are_true()


def test_member_names_stay_true_when_two_partnerships_are_merged(directory):
    bolton = Partnership.objects.get(name=BOLTON)
    cafe = Partnership.objects.get(name=CAFE)
    member(cafe, "Hull Central Library")
    merging.merge_partnerships(survivor=bolton, other=cafe, choices={}, user=make_user())
    assert found("hull central") == [BOLTON]
    assert member_names_are_true()


def test_member_names_stay_true_when_an_organisations_old_version_is_restored(
    admin_client, directory
):
    organisation = Membership.objects.get(partnership__name=BOLTON).organisation
    admin_save(
        admin_client,
        f"/admin/partnerships/organisation/{organisation.pk}/change/",
        name="Bolton Royal Infirmary Library",
    )
    first = Version.objects.of(organisation).order_by("number").first()
    history.restore(first, user=make_user(is_superuser=True))
    assert found("royal hospital") == [BOLTON]
    assert found("infirmary") == []
    assert member_names_are_true()


def test_an_organisations_partnerships_can_be_refreshed_after_a_write_of_its_own(directory):
    # What a new write path (a merge, an import) does after renaming or moving an organisation.
    organisation = Membership.objects.get(partnership__name=BOLTON).organisation
    Organisation.objects.filter(pk=organisation.pk).update(name="Farnworth Carers Centre")
    assert found("farnworth") == []
    assert organisation.partnerships.all().refresh_member_names() == 1
    assert found("farnworth") == [BOLTON]
    assert member_names_are_true()


def test_the_demo_data_is_loaded_with_its_member_names():
    from tests.test_demo_data import build_gazetteer, demo_towns

    build_gazetteer(demo_towns())
    call_command("load_demo", stdout=StringIO())
    assert Partnership.objects.exclude(member_names="").count() >= 20
    assert member_names_are_true()


def test_member_names_are_one_name_a_line_so_no_word_spans_two_names():
    partnership = make_partnership(name="Two members", summary="Books.")
    member(partnership, "Astley Bridge")
    member(partnership, "Library Services")
    partnership.refresh_from_db()
    assert sorted(partnership.member_names.split("\n")) == ["Astley Bridge", "Library Services"]
    assert found("bridge") == ["Two members"]
    assert found("bridgelibrary") == []


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


def test_a_search_reads_the_partnerships_table_alone(directory):
    sql = str(PartnershipFilter(QueryDict("q=royal+hospital+library")).qs.query)
    assert "partnerships_membership" not in sql
    assert "partnerships_organisation" not in sql


# Counting, ranking and finding the extent read every match, so they are capped: a search with
# more matches than MATCH_LIMIT is broad, counted as "more than", listed by name, and the page
# says so.


@pytest.fixture
def match_limit(monkeypatch):
    monkeypatch.setattr("directory.filters.MATCH_LIMIT", 2)
    monkeypatch.setattr("directory.views.MATCH_LIMIT", 2)
    return 2


def listed(query, sort=""):
    """Names in the order a list shows the partnerships `q=query` finds."""
    search = PartnershipFilter(QueryDict(mutable=True) | {"q": query, "sort": sort})
    assert search.is_valid(), search.errors
    return [p.name for p in search.listed(search.qs, search.qs.count())]


def test_with_more_matches_than_the_match_limit_they_are_listed_by_name(directory, match_limit):
    make_partnership(name="Zebra Carers Network", summary="Books.")
    make_partnership(name="Aardvark Readers", summary="Carers and books.")
    by_name = ["Aardvark Readers", OBRIEN, "Zebra Carers Network"]
    assert listed("carers") == by_name
    assert listed("carers", sort="relevance") == by_name
    # Up to the limit, still the best match first.
    make_partnership(name="Yak Readers", summary="Carers network.")
    assert listed("carers network") == ["Zebra Carers Network", "Yak Readers"]


def test_the_page_says_when_a_search_matches_too_many_to_count_or_rank(
    client, directory, match_limit
):
    make_partnership(name="Zebra Carers Network", summary="Books.")
    make_partnership(name="Aardvark Readers", summary="Carers and books.")
    page = client.get("/", {"q": "carers"}).content.decode()
    assert "More than 2 partnerships\n" in page  # the heading
    assert (
        "More than 2 partnerships match, too many to put the best matches first, so they are "
        "listed by name. Only the first 2 can be paged through" in page
    )
    assert page.index("Aardvark") < page.index("Reading Friends")
    assert "Zebra" not in page  # the third, past the limit

    sorted_by_name = client.get("/", {"q": "carers", "sort": "name"}).content.decode()
    assert "More than 2 partnerships match. Only the first 2 can be paged through" in sorted_by_name
    few = client.get("/", {"q": "wigan"}).content.decode()
    assert "1 partnership\n" in few
    assert "More than" not in few
    embedded = client.get("/embed/", {"q": "carers"}).content.decode()
    assert "More than 2 partnerships</h2>" in embedded
    assert "too many to put the best matches first" in embedded
    printed = client.get("/print/", {"q": "carers"}).content.decode()
    assert "too many to put the best matches first" in printed
    assert printed.index("Aardvark") < printed.index("Reading Friends") < printed.index("Zebra")


def test_a_broad_search_pages_through_the_first_matches_and_says_there_are_more(
    client, directory, match_limit, settings
):
    settings.DIRECTORY_PAGE_SIZE = 1
    make_partnership(name="Zebra Carers Network", summary="Books.")
    make_partnership(name="Aardvark Readers", summary="Carers and books.")
    first = client.get("/", {"q": "carers"}).content.decode()
    assert "Page 1 of more than 2" in first
    assert "Print these partnerships" in first
    assert "This printout shows partnerships 1 to 1 of more than 2." in first
    second = client.get("/", {"q": "carers", "page": "2"}).content.decode()
    assert "Page 2 of more than 2" in second and "Reading Friends" in second
    assert 'rel="next"' not in second


def test_a_broad_search_is_counted_no_further_than_the_limit(directory):
    with CaptureQueriesContext(connection) as queries:
        count, _ = Partnership.objects.published().matching("health").count_and_extent(limit=2)
    assert count == 3  # Wigan, Bolton and the café: "more than 2"
    assert "LIMIT 3" in queries.captured_queries[0]["sql"]
    assert Partnership.objects.published().matching("health").count_and_extent(limit=3)[0] == 3


def spread(count, **fields):
    """`count` partnerships on a diagonal from Cornwall to Norfolk."""
    for n in range(count):
        make_partnership(latitude=50.1 + n / 10, longitude=-5.5 + n / 5, **fields)


def test_a_broad_search_finds_its_extent_from_the_edges_of_the_map(
    monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("partnerships.models.EDGE_STEPS", (1, 3))
    spread(12, summary="Everywhere.")
    # Nearer every edge, but not found: the walks in from the edges pass them.
    make_partnership(latitude=49.9, longitude=-6.3, summary="Scilly.")
    make_partnership(latitude=59.0, longitude=2.0, summary="North Sea.")
    everywhere = Partnership.objects.published().matching("everywhere")
    exact = everywhere.count_and_extent()[1]
    # The limited count; four walks of one step and which they found (none of them: Scilly and
    # the North Sea are nearest the edges); four walks further, and which they found.
    with django_assert_max_num_queries(11):
        count, extent = everywhere.count_and_extent(limit=5)
    assert count == 6  # more than 5
    assert extent == exact
    assert extent == pytest.approx({"west": -5.5, "south": 50.1, "east": -3.3, "north": 51.2})


def test_the_extent_from_the_edges_reads_everything_when_an_edge_holds_none(monkeypatch):
    monkeypatch.setattr("partnerships.models.EDGE_STEPS", (1, 2))
    spread(6, summary="South west.")
    make_partnership(latitude=58.0, longitude=1.5, summary="Far north east.")
    make_partnership(latitude=58.1, longitude=1.6, summary="Far north east.")
    south_west = Partnership.objects.published().matching("south west")
    assert south_west.extent_from_edges() == south_west.count_and_extent()[1]
    assert south_west.extent_from_edges()["north"] == pytest.approx(50.6)


def test_a_search_counts_its_matches_and_finds_their_extent_in_one_pass(client, directory):
    for n in range(3):
        make_partnership(name=f"Wigan group {n}", latitude=53.5 + n / 10, longitude=-2.6)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/", {"q": "wigan"})
    sql = [query["sql"].upper() for query in queries.captured_queries]
    counting = [query for query in sql if query.startswith("SELECT COUNT(")]
    assert len(counting) == 1
    assert "MIN(" in counting[0] and "MAX(" in counting[0]
    assert not any(query.startswith("SELECT MIN(") for query in sql)
    assert response.context["page"].paginator.count == 4
    assert response.context["map_config"]["extent"] == [-2.6, 53.5, -2.6, 53.7]


@postgresql_only
def test_the_search_uses_the_full_text_index(directory):
    # The words alone (without `published()`, which other indexes could answer).
    sql, params = Partnership.objects.matching("bolton hospital").query.sql_with_params()
    with connection.cursor() as cursor:
        # Six rows are cheaper to scan, and a whole primary-key index walked with a filter can
        # look as cheap: leave the planner only bitmap scans, which need an index that answers
        # the condition. (At 100,000 rows it picks them itself: see bench/search.py.)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "partnership_search" in plan
