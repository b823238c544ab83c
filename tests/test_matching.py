"""Duplicate matching (partnerships/matching.py): which organisations and partnerships are
probably one entered twice, why, and the pairs curators said are different."""

from io import StringIO
from itertools import combinations

import pytest
from django.core.management import call_command
from django.utils import timezone

from partnerships import matching
from partnerships.models import (
    DuplicateCandidate,
    DuplicateKind,
    DuplicateScan,
    Membership,
    NotDuplicate,
    Organisation,
    OrganisationIdentifier,
    Region,
    Role,
)
from tests.factories import make_moderator, make_organisation, make_partnership

pytestmark = pytest.mark.django_db

# One organisation typed two ways, each pair in its own town.
VARIANTS = [
    ("Bolton NHS FT", "Bolton NHS Foundation Trust", "Bolton"),
    ("Leeds Library & Information Service", "Leeds Libraries and Information Service", "Leeds"),
    ("Royal Cornwall Hospitals NHS Trust", "Royal Cornwall Hospital NHS Trust", "Truro"),
    (
        "University Hospitals of Leicester NHS Trust",
        "University Hospital of Leicester",
        "Leicester",
    ),
    ("St Helens Libraries", "Saint Helens Library Service", "St Helens"),
    ("The Reading Agency", "Reading Agency", "London"),
    (
        "Cardiff & Vale University Health Board",
        "Cardiff and Vale University Health Board",
        "Cardiff",
    ),
    ("Wirral Council", "Wirral Metropolitan Borough Council", "Birkenhead"),
    ("Doncaster Libaries", "Doncaster Libraries", "Doncaster"),
    ("Ysbyty Glan Clŵyd Library", "Ysbyty Glan Clwyd Library and Knowledge Service", "Rhyl"),
    ("St. Mary's Hospital Library", "St Marys Hospital Library", "Isle of Wight"),
]
# Different organisations in one town.
BOLTON = [
    "Bolton Central Library",
    "Bolton College",
    "Bolton Council",
    "Royal Bolton Hospital Library",
    "University of Bolton",
    "Bolton NHS Foundation Trust",
    "Bolton School",
    "Bolton CVS",
    "Bolton Hospice",
    "Healthwatch Bolton",
    "Bolton Sixth Form College",
    "Bolton at Home",
]


def pairs_found(kind=DuplicateKind.ORGANISATION):
    prefix = "organisation" if kind == DuplicateKind.ORGANISATION else "partnership"
    return {
        (pair[0], pair[1]): pair[2]
        for pair in DuplicateCandidate.objects.filter(kind=kind).values_list(
            f"{prefix}_a", f"{prefix}_b", "reasons"
        )
    }


def ids(first, second):
    return tuple(sorted([first.pk, second.pk]))


# Organisations --------------------------------------------------------------------------------


def test_ten_realistic_variant_pairs_are_found_and_nothing_else():
    expected = set()
    for first, second, town in VARIANTS:
        a = make_organisation(name=first, town=town)
        b = make_organisation(name=second, town=town)
        expected.add(ids(a, b))

    scan = matching.refresh_duplicate_candidates()

    assert set(pairs_found()) == expected
    assert scan.organisation_pairs == len(VARIANTS)
    assert scan.organisations == 2 * len(VARIANTS)


@pytest.mark.parametrize(("first", "second", "town"), VARIANTS)
def test_each_variant_pair_matches_with_a_score_and_reasons(first, second, town):
    a = make_organisation(name=first, town=town)
    b = make_organisation(name=second, town=town)

    match = matching.compare_organisations(a, b)

    assert match is not None
    assert matching.ORGANISATION_THRESHOLD <= match.score <= 100
    assert match.reasons[0].startswith("names ")
    assert match.reasons[1] == f"same town: {town}"


def test_different_organisations_in_one_town_do_not_match():
    organisations = [make_organisation(name=name, town="Bolton") for name in BOLTON]

    matching.refresh_duplicate_candidates()

    assert pairs_found() == {}
    for first, second in combinations(organisations, 2):
        assert matching.compare_organisations(first, second) is None, (first, second)


def test_the_reasons_say_what_matched_in_words():
    a = make_organisation(name="Bolton NHS FT", town="Bolton")
    b = make_organisation(name="The Bolton NHS Foundation Trust", town="BOLTON")
    c = make_organisation(name="Doncaster Libaries", town="Doncaster")
    d = make_organisation(name="Doncaster Libraries", town="Doncaster")

    assert matching.compare_organisations(a, b).reasons == (
        "names match after normalising: “bolton”",
        "same town: Bolton",
    )
    assert matching.compare_organisations(c, d).reasons == (
        "names 86% alike after normalising: “doncaster libaries” and “doncaster library”",
        "same town: Doncaster",
    )


def test_one_name_in_two_far_apart_towns_is_two_organisations():
    make_organisation(name="Central Library", town="Bolton", latitude=53.58, longitude=-2.43)
    make_organisation(name="Central Library", town="Leeds", latitude=53.80, longitude=-1.55)

    matching.refresh_duplicate_candidates()

    assert pairs_found() == {}


def test_nearby_organisations_match_even_when_their_towns_are_typed_differently():
    # Farnworth is a town inside the borough of Bolton, about 4 km from its centre.
    a = make_organisation(name="Bolton Libraries", town="Bolton", latitude=53.578, longitude=-2.429)
    b = make_organisation(
        name="Bolton Library Service", town="Farnworth", latitude=53.549, longitude=-2.398
    )
    c = make_organisation(
        name="Bolton Libraries", town="Bolton, Ontario", latitude=43.876, longitude=-79.736
    )

    matching.refresh_duplicate_candidates()

    assert pairs_found() == {ids(a, b): ["names match after normalising: “bolton library”",
                                        "3.8 km apart"]}  # fmt: skip
    assert matching.compare_organisations(a, c) is None


def test_one_name_without_a_town_is_listed_with_a_lower_score():
    a = make_organisation(name="Wigan Libraries", town="Wigan")
    b = make_organisation(name="Wigan Library Service", town="")

    matching.refresh_duplicate_candidates()

    candidate = DuplicateCandidate.objects.get()
    assert (candidate.organisation_a, candidate.organisation_b) == (a, b)
    assert candidate.score == 100 - matching.WEAK_PLACE_PENALTY
    assert candidate.reasons[1] == "one of them has no town to compare"


def test_an_identifier_finds_its_organisation_whatever_its_name_and_follows_a_merge():
    trust = make_organisation(name="Bolton NHS FT", town="Bolton")
    OrganisationIdentifier.objects.create(organisation=trust, scheme="ods", value="RMC")
    merged = make_organisation(name="Old Bolton Library", town="Bolton")
    OrganisationIdentifier.objects.create(organisation=merged, scheme="isil", value="GB-BoL")
    survivor = make_organisation(name="Bolton Library", town="Bolton")
    Organisation.objects.filter(pk=merged.pk).update(merged_into=survivor, merged_at=timezone.now())

    found = matching.organisations_by_identifier(
        [("ods", "", "RMC"), ("isil", "", "GB-BoL"), ("ods", "", "RXX")]
    )

    assert found == {("ods", "", "RMC"): trust.pk, ("isil", "", "GB-BoL"): survivor.pk}
    assert matching.organisation_with_identifier("ods", "RMC") == trust
    assert matching.organisation_with_identifier("ods", "RXX") is None


def test_the_stored_normalised_name_follows_the_name_and_is_mended_by_a_scan():
    organisation = make_organisation(name="Leeds Libraries & Information Service")
    assert organisation.match_name == "leeds library"
    organisation.name = "University of Leeds"
    organisation.save(update_fields=["name"])
    organisation.refresh_from_db()
    assert organisation.match_name == "leeds university"

    Organisation.objects.filter(pk=organisation.pk).update(match_name="")
    matching.refresh_duplicate_candidates()

    organisation.refresh_from_db()
    assert organisation.match_name == "leeds university"


def test_merged_organisations_take_no_part():
    a = make_organisation(name="Bolton NHS FT", town="Bolton")
    b = make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    Organisation.objects.filter(pk=a.pk).update(merged_into=b)

    matching.refresh_duplicate_candidates()

    assert pairs_found() == {}


# The registration form's suggestions ----------------------------------------------------------


def test_the_registration_form_is_offered_similar_names_in_the_town_best_first():
    central = make_organisation(name="Bolton Central Library", town="Bolton")
    libraries = make_organisation(name="Bolton Libraries", town="Bolton")
    make_organisation(name="Bolton College", town="Bolton")
    make_organisation(name="Bolton Library Service", town="Wigan")
    merged = make_organisation(name="Bolton Library", town="Bolton", merged_into=libraries)

    found = matching.likely_duplicates("Bolton Library", "bolton", Organisation.objects.all())

    assert found == [libraries, central]
    assert merged not in found


# Partnerships ---------------------------------------------------------------------------------


def test_partnerships_with_alike_names_serving_one_area_match():
    a = make_partnership(name="Bolton Health Information Partnership", area_name="Bolton")
    b = make_partnership(name="The Bolton Health Information Network", area_name="bolton")
    make_partnership(name="Bolton Health Information Week", area_name="Bolton")
    make_partnership(name="Wigan Health Information Partnership", area_name="Wigan")

    matching.refresh_duplicate_candidates()

    assert pairs_found(DuplicateKind.PARTNERSHIP) == {
        ids(a, b): [
            "names match after normalising: “bolton health information partnership”",
            "same town: Bolton",
        ]
    }


def test_one_partnership_name_in_two_areas_is_two_partnerships():
    north_west = Region.objects.get(slug="north-west")
    make_partnership(name="Books on Prescription Group", area_name="Bolton", region=north_west)
    make_partnership(name="Books on Prescription Group", area_name="Wigan", region=north_west)

    matching.refresh_duplicate_candidates()

    assert pairs_found(DuplicateKind.PARTNERSHIP) == {}


def test_a_partnership_without_an_area_matches_an_alike_name_in_its_region():
    north_west = Region.objects.get(slug="north-west")
    a = make_partnership(name="Bolton Reading Group", area_name="Bolton", region=north_west)
    b = make_partnership(name="The Bolton Reading Network", area_name="", region=north_west)

    match = matching.compare_partnerships(a, b)

    assert match.reasons[1] == "same region: North West"
    assert match.score < 100
    matching.refresh_duplicate_candidates()
    assert set(pairs_found(DuplicateKind.PARTNERSHIP)) == {ids(a, b)}


def test_partnerships_sharing_most_of_their_members_match_whatever_their_names():
    shared = [make_organisation() for _ in range(4)]
    a = make_partnership(name="Reading Well steering group", area_name="Bolton")
    b = make_partnership(name="Books on Prescription in the North West", area_name="Wigan")
    c = make_partnership(name="Bolton mental health libraries", area_name="Leeds")
    for organisation in shared:
        Membership.objects.create(partnership=a, organisation=organisation)
        Membership.objects.create(partnership=b, organisation=organisation)
    Membership.objects.create(partnership=a, organisation=make_organisation(), role=Role.LEAD)
    for organisation in [*shared[:2], make_organisation(), make_organisation()]:
        Membership.objects.create(partnership=c, organisation=organisation)

    matching.refresh_duplicate_candidates()

    assert pairs_found(DuplicateKind.PARTNERSHIP) == {ids(a, b): ["4 of 5 members shared"]}
    assert DuplicateCandidate.objects.get().score == 80


def test_member_overlap_is_found_past_an_organisation_in_every_partnership():
    national = make_organisation(name="Health Education England")
    pair = [make_partnership(name=name, area_name="") for name in ("North group", "South group")]
    local = [make_organisation(), make_organisation()]
    for partnership in pair:
        for organisation in [national, *local]:
            Membership.objects.create(partnership=partnership, organisation=organisation)
    for n in range(30):
        other = make_partnership(name=f"Network {n}", area_name="")
        Membership.objects.create(partnership=other, organisation=national)
        Membership.objects.create(partnership=other, organisation=make_organisation())

    matching.refresh_duplicate_candidates()

    assert pairs_found(DuplicateKind.PARTNERSHIP) == {ids(*pair): ["3 of 3 members shared"]}


# Not duplicates -------------------------------------------------------------------------------


def test_a_dismissed_pair_is_never_suggested_again_whichever_way_round():
    a = make_organisation(name="Bolton NHS FT", town="Bolton")
    b = make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    curator = make_moderator()
    matching.refresh_duplicate_candidates()
    assert set(pairs_found()) == {ids(a, b)}

    matching.dismiss(b, a, user=curator)
    matching.dismiss(a, b, user=curator)

    assert pairs_found() == {}
    dismissed = NotDuplicate.objects.get()
    assert (dismissed.organisation_a, dismissed.organisation_b) == (a, b)
    assert dismissed.decided_by == curator
    matching.refresh_duplicate_candidates()
    assert pairs_found() == {}
    assert DuplicateScan.objects.latest().organisation_pairs == 0


def test_a_pair_written_back_by_a_scan_that_was_running_stays_hidden():
    a = make_partnership(name="Bolton readers", area_name="Bolton")
    b = make_partnership(name="Bolton Readers", area_name="Bolton")
    matching.refresh_duplicate_candidates()
    rows = list(DuplicateCandidate.objects.values())
    matching.dismiss(a, b, user=make_moderator())
    DuplicateCandidate.objects.bulk_create(DuplicateCandidate(**row) for row in rows)

    assert not DuplicateCandidate.objects.open().exists()
    assert DuplicateCandidate.objects.exists()


def test_the_command_finds_and_reports_duplicates():
    make_organisation(name="Bolton NHS FT", town="Bolton")
    make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    out = StringIO()

    call_command("find_duplicates", stdout=out)

    assert "Compared 2 organisations and 0 partnerships" in out.getvalue()
    assert "1 organisation pairs and 0 partnership pairs to review" in out.getvalue()
    assert DuplicateCandidate.objects.count() == 1


def test_a_one_word_name_is_not_offered_every_organisation_of_its_town():
    trust = make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    make_organisation(name="Bolton College", town="Bolton")
    make_organisation(name="Bolton Council", town="Bolton")

    found = matching.likely_duplicates("Bolton NHS FT", "Bolton", Organisation.objects.all())

    assert found == [trust]


def test_the_registration_forms_suggestions_cost_a_fixed_number_of_queries(
    django_assert_num_queries,
):
    for n in range(5):
        make_organisation(name=f"Bolton Library {n}", town="Bolton")
        make_organisation(name=f"Library {n}", town="")

    with django_assert_num_queries(2):
        found = matching.likely_duplicates("Bolton Library 3", "Bolton", Organisation.objects)

    assert [o.name for o in found] == ["Bolton Library 3"]


def test_is_similar_compares_names_alone():
    assert matching.is_similar("Bolton NHS FT", "The Bolton NHS Foundation Trust")
    assert matching.is_similar("Saint Helens Library Service", "St Helens Libraries")
    assert not matching.is_similar("Bolton College", "Bolton Council")
    assert not matching.is_similar("Ward 10 Library", "Ward 11 Library")
