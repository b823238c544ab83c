"""Placing entries by the area of their UK postcode, offline: reading the area from a postcode,
each area's post town in the shipped gazetteer, and the geocoding ladder's use of it."""

from io import StringIO

import pytest
from django.core.management import call_command

from partnerships import geocoding, services
from partnerships.geocoding import NATIONS, Address
from partnerships.models import Country, LocationPrecision, LocationSource, Place, Region
from partnerships.postcodes import POSTCODE_AREAS, place_of_postcode_area, postcode_area
from partnerships.services import Outcome
from tests.factories import make_organisation, make_place

# Royal Mail's geographic postcode areas of the United Kingdom.
UK_POSTCODE_AREAS = """
    AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY
    E EC EH EN EX FK FY G GL GU HA HD HG HP HR HS HU HX IG IP IV KA KT KW KY L LA LD LE LL LN LS
    LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO
    SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE
""".split()  # noqa: SIM905 (a block of letters reads and checks better than 121 lines)


def region(slug):
    return Region.objects.get(slug=slug)


def refreshed(entry):
    entry.refresh_from_db()
    return entry


@pytest.fixture
def bolton():
    return make_place("Bolton", 53.578, -2.429, region=region("north-west"), population=139_403)


@pytest.fixture
def offline(settings, monkeypatch):
    """The default offline geocoder, with the online seam made to fail loudly if reached."""
    settings.GEOCODER = "offline"

    def no_network():
        raise AssertionError("the online geocoder was asked")

    monkeypatch.setattr(geocoding, "_nominatim", lambda *args: no_network())


# Reading the area from a postcode --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("BL1 1AA", "BL"),
        ("bl1 1aa", "BL"),
        ("BL11AA", "BL"),
        ("  bl1   1aa ", "BL"),
        ("M1", "M"),  # A9
        ("M60 1NE", "M"),  # A99
        ("B33 8TH", "B"),  # A99 with its inward code
        ("CR2 6XH", "CR"),  # AA9
        ("DN55 1PT", "DN"),  # AA99
        ("W1A 0AX", "W"),  # A9A
        ("EC1A 1BB", "EC"),  # AA9A
        ("ec1a1bb", "EC"),
        ("SW1A", "SW"),
        ("ZE1 0AA", "ZE"),
        ("BT1 5GS", "BT"),
    ],
)
def test_the_area_is_read_from_a_postcode_or_an_outward_code(text, area):
    assert postcode_area(text) == area


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "   ",
        "ABC",
        "12345",
        "B",
        "1AA",
        "BL1 1A",  # an inward code cut short
        "BL1 1AAA",
        "BLA1 1AA",  # three area letters
        "BL1-1AA",
        "Bolton BL1 1AA",  # a postcode inside other text is not a postcode
        "GIR 0AA",  # Girobank's: not a place
        "BX1 1LT",  # non-geographic
        "JE2 3AB",  # Jersey: a Crown dependency, outside the UK
        "GY1 1AA",  # Guernsey
        "IM1 1AA",  # the Isle of Man
        "D02 X285",  # an Irish Eircode
        "QA1 1AA",  # no area starts with Q
    ],
)
def test_anything_else_has_no_area(text):
    assert postcode_area(text) is None


def test_every_geographic_uk_postcode_area_is_known():
    assert len(UK_POSTCODE_AREAS) == 121
    assert set(POSTCODE_AREAS) == set(UK_POSTCODE_AREAS)


def test_the_london_areas_all_stand_for_london():
    london = {"E", "EC", "N", "NW", "SE", "SW", "W", "WC"}
    assert {area for area, known in POSTCODE_AREAS.items() if known.town == "London"} == london


def test_each_area_knows_its_nation():
    assert POSTCODE_AREAS["BT"].country == Country.NORTHERN_IRELAND
    assert POSTCODE_AREAS["LD"].country == Country.WALES
    assert POSTCODE_AREAS["ZE"].country == Country.SCOTLAND
    assert POSTCODE_AREAS["BL"].country == Country.ENGLAND


# Each area's post town in the gazetteer ------------------------------------------------------


@pytest.mark.django_db
def test_every_area_s_post_town_is_in_the_shipped_british_gazetteer():
    call_command("load_places", countries="GB", stdout=StringIO())

    missing, wrong, lesser = [], [], []
    for area, known in POSTCODE_AREAS.items():
        place = place_of_postcode_area(area)
        if place is None:
            missing.append(area)
            continue
        if place.name != known.town or place.admin_area != NATIONS[known.country]:
            wrong.append(f"{area}: {place.name}, {place.admin_area}")
        namesakes = Place.objects.filter(search_name=place.search_name, admin_area=place.admin_area)
        if place.population < max(namesakes.values_list("population", flat=True)):
            lesser.append(f"{area}: {place.name} of {place.population}")

    assert missing == []
    assert wrong == []
    # Post towns are the big ones: the region never steers to a smaller namesake (a village
    # called Swindon in Gloucestershire, the Newport in Pembrokeshire).
    assert lesser == []


@pytest.mark.django_db
def test_the_region_picks_the_area_s_town_over_a_larger_namesake():
    make_place("Sutton", 52.388, 0.119, region=region("east-of-england"), population=500_000)
    london_sutton = make_place("Sutton", 51.35, -0.2, region=region("london"), population=187_600)

    assert place_of_postcode_area("SM") == london_sutton


@pytest.mark.django_db
def test_a_welsh_area_picks_the_welsh_newport():
    make_place("Newport", 50.701, -1.289, region=region("south-east"), population=250_000)
    welsh = make_place("Newport", 51.588, -2.998, admin_area="Wales", population=145_700)

    assert place_of_postcode_area("NP") == welsh


@pytest.mark.django_db
def test_an_unknown_area_or_an_empty_gazetteer_has_no_place():
    assert place_of_postcode_area("QQ") is None
    assert place_of_postcode_area(None) is None
    assert place_of_postcode_area("BL") is None


# The geocoding ladder -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_organisation_with_no_town_is_placed_at_its_postcode_area_s_post_town(offline, bolton):
    organisation = make_organisation(town="", postcode="BL1 1AA")

    outcome = services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert outcome.outcome == Outcome.PLACED
    assert (organisation.latitude, organisation.longitude) == (53.578, -2.429)
    assert organisation.location_precision == LocationPrecision.POSTCODE_AREA
    assert organisation.get_location_precision_display() == "Postcode area"
    assert organisation.location_source == LocationSource.GAZETTEER
    assert organisation.geocode_failed_at is None
    assert organisation.geocode_error == "placed by postcode area BL (Bolton)"


@pytest.mark.django_db
def test_an_unknown_town_with_a_postcode_is_placed_by_the_area_and_says_why(offline, bolton):
    organisation = make_organisation(town="Atlantis", postcode="bl3 5ah")

    services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert organisation.location_precision == LocationPrecision.POSTCODE_AREA
    assert organisation.geocode_error == (
        "no match for 'Atlantis' in the gazetteer; placed by postcode area BL (Bolton)"
    )


@pytest.mark.django_db
def test_a_known_town_wins_over_the_postcode_area(offline, bolton):
    wigan = make_place("Wigan", 53.543, -2.637, region=region("north-west"), population=175_405)
    organisation = make_organisation(town="Wigan", postcode="BL1 1AA")

    services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert (organisation.latitude, organisation.longitude) == (wigan.latitude, wigan.longitude)
    assert organisation.location_precision == LocationPrecision.TOWN
    assert organisation.geocode_error == ""


@pytest.mark.django_db
def test_a_postcode_without_a_place_still_fails_for_the_retry(offline, bolton):
    organisation = make_organisation(town="", postcode="GIR 0AA")

    outcome = services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert outcome.outcome == Outcome.FAILED
    assert not organisation.is_located
    assert organisation.geocode_failed_at is not None
    assert organisation.geocode_error == "no match for 'GIR 0AA' in the gazetteer"


@pytest.mark.django_db
def test_an_eircode_that_looks_like_a_london_outward_code_is_not_placed_in_london(offline):
    make_place("London", 51.509, -0.126, region=region("london"), population=8_961_989)

    result = geocoding.geocode_address(Address(postcode="N91", country=Country.IRELAND))

    assert not result.found
    assert result.problems == ("no match for 'N91' in the gazetteer",)
