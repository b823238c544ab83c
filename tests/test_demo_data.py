"""The demo directory (fixtures/demo.json, loaded by `manage.py load_demo`), the town lookup it
places entries with, and the gazetteer loader it depends on."""

import datetime
import hashlib
import json
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from partnerships import freshness, matching
from partnerships.geocoding import find_town, normalise_place_name
from partnerships.models import (
    Agreement,
    AgreementKind,
    Contact,
    DuplicateCandidate,
    DuplicateKind,
    LocationPrecision,
    LocationSource,
    Membership,
    Organisation,
    Partnership,
    Place,
    PublicationState,
    Region,
)
from tests.factories import make_place

pytestmark = pytest.mark.django_db

FIXTURE = settings.BASE_DIR / "fixtures" / "demo.json"
LOADED_MODELS = [
    Organisation,
    Partnership,
    Membership,
    Contact,
    Agreement,
    Partnership.channels.through,
    Partnership.activities.through,
    Agreement.parties.through,
]


def demo_towns():
    """Every town the fixture names, for partnerships and for member organisations."""
    entries = json.loads(FIXTURE.read_text(encoding="utf-8"))["partnerships"]
    towns = {entry["town"] for entry in entries}
    towns |= {member["town"] for entry in entries for member in entry["members"]}
    return sorted(towns)


def build_gazetteer(towns):
    """A small gazetteer with one made-up point per town, spread across Great Britain."""
    for i, town in enumerate(towns):
        make_place(town, 50.5 + i * 0.15, -4.0 + i * 0.1, search_name=normalise_place_name(town))


@pytest.fixture
def gazetteer():
    build_gazetteer(demo_towns())


def load_demo():
    out, err = StringIO(), StringIO()
    call_command("load_demo", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot():
    """Row counts and a checksum of every value, timestamps included, of what load_demo writes."""
    counts, digest = {}, hashlib.sha256()
    for model in LOADED_MODELS:
        rows = list(model.objects.order_by("pk").values_list())
        counts[model._meta.label] = len(rows)
        digest.update(repr(rows).encode())
    return counts, digest.hexdigest()


# The demo data ------------------------------------------------------------------------------


def test_it_loads_at_least_twenty_published_and_verified_partnerships(gazetteer):
    load_demo()

    published = Partnership.objects.published()
    assert published.count() >= 20
    assert not published.filter(last_verified_at__isnull=True).exists()


def test_its_entries_are_of_several_ages_so_the_stale_notice_and_dashboard_show(gazetteer):
    load_demo()

    published = list(Partnership.objects.published())
    stale = [p for p in published if freshness.is_stale(p)]
    forgotten = [p for p in published if freshness.needs_attention(p)]
    due = [
        p
        for p in published
        if not freshness.is_stale(p)
        and p.last_verified_at < freshness.months_before(timezone.now(), 8)
    ]
    assert len(forgotten) >= 1
    assert len(stale) > len(forgotten)
    assert len(due) >= 1
    assert len(published) - len(stale) - len(due) >= 10


def test_relative_dates_count_from_today_so_the_demo_does_not_age():
    from partnerships.management.commands.load_demo import Command

    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert Command.parse_moment("-14 months", "x") == freshness.months_before(midnight, 14)
    assert Command.parse_moment("-3 weeks", "x") == midnight - datetime.timedelta(weeks=3)
    assert Command.parse_moment("-1 day", "x") == midnight - datetime.timedelta(days=1)
    with pytest.raises(CommandError):
        Command.parse_moment("14 months ago", "x")


def test_it_keeps_one_draft_to_show_moderation(gazetteer):
    load_demo()

    assert Partnership.objects.filter(publication_state=PublicationState.DRAFT).count() == 1


def test_every_partnership_has_a_member_and_a_region(gazetteer):
    load_demo()

    assert not Partnership.objects.filter(region__isnull=True).exists()
    assert not Partnership.objects.filter(memberships__isnull=True).exists()


def test_seed_partnerships_come_with_their_member_organisations(gazetteer):
    load_demo()

    bolton = Partnership.objects.get(slug="bolton-health-information-partnership")
    assert set(bolton.organisations.values_list("name", flat=True)) == {
        "Bolton NHS Foundation Trust",
        "University of Bolton",
        "Bolton Libraries",
    }
    assert bolton.memberships.get(role="lead").organisation.name == "Bolton NHS Foundation Trust"
    assert bolton.activities.exists()
    assert bolton.channels.exists()


def test_an_organisation_in_several_partnerships_is_one_row(gazetteer):
    load_demo()

    libraries = Organisation.objects.get(name="Nottinghamshire County Council Libraries")
    assert libraries.memberships.count() == 2


def test_partnerships_and_organisations_are_placed_at_their_town(gazetteer):
    load_demo()

    bolton_place = Place.objects.get(search_name="bolton")
    bolton = Partnership.objects.get(slug="bolton-health-information-partnership")
    assert (bolton.latitude, bolton.longitude) == (bolton_place.latitude, bolton_place.longitude)
    for model in (Partnership, Organisation):
        assert not model.objects.filter(latitude__isnull=True).exists()
        assert set(model.objects.values_list("location_precision", "location_source")) == {
            (LocationPrecision.TOWN, LocationSource.GAZETTEER)
        }
        assert not model.objects.filter(geocoded_at__isnull=True).exists()


def test_running_it_twice_changes_nothing(gazetteer):
    first_out, _ = load_demo()
    before = snapshot()

    second_out, _ = load_demo()

    assert snapshot() == before
    assert "0 rows created, 0 updated" in second_out
    assert f"Partnerships: {Partnership.objects.count()} created" in first_out


def test_it_puts_back_what_an_edit_changed(gazetteer):
    load_demo()
    Partnership.objects.filter(slug="inspire-cornwall").update(summary="Changed by hand")

    out, _ = load_demo()

    assert Partnership.objects.get(slug="inspire-cornwall").summary.startswith("A county-wide")
    assert "Partnerships: 0 created, 1 updated" in out


def test_contacts_are_only_role_mailboxes_on_example_org_domains(gazetteer):
    load_demo()

    emails = list(Contact.objects.values_list("email", flat=True))
    assert emails
    for email in emails:
        domain = email.rpartition("@")[2]
        assert domain == "example.org" or domain.endswith(".example.org"), email


def test_there_is_a_memorandum_and_a_terms_of_reference(gazetteer):
    load_demo()

    kinds = set(Agreement.objects.values_list("kind", flat=True))
    assert {AgreementKind.MOU, AgreementKind.TERMS_OF_REFERENCE} <= kinds
    assert not Agreement.objects.exclude(document="").exists()


def test_some_contacts_have_not_consented_to_publication(gazetteer):
    load_demo()

    assert Contact.objects.filter(consent_to_publish=False, consented_at__isnull=True).exists()
    consented = Contact.objects.filter(consent_to_publish=True)
    assert consented.exists()
    assert not consented.filter(consented_at__isnull=True).exists()


def test_it_holds_duplicate_organisations_for_curators_to_merge(gazetteer):
    load_demo()

    matching.refresh_duplicate_candidates()

    pairs = {
        tuple(sorted([pair.organisation_a.name, pair.organisation_b.name]))
        for pair in DuplicateCandidate.objects.filter(kind=DuplicateKind.ORGANISATION)
    }
    assert pairs == {
        ("Bolton NHS FT", "Bolton NHS Foundation Trust"),
        ("Bolton Libraries", "Bolton Library Service"),
    }
    assert not DuplicateCandidate.objects.filter(kind=DuplicateKind.PARTNERSHIP).exists()


def test_it_refuses_to_run_without_a_gazetteer():
    with pytest.raises(CommandError, match="load_places"):
        load_demo()

    assert not Partnership.objects.exists()


def test_a_town_missing_from_the_gazetteer_leaves_the_entry_saved_without_coordinates():
    build_gazetteer([town for town in demo_towns() if town != "Truro"])

    _, err = load_demo()

    cornwall = Partnership.objects.get(slug="inspire-cornwall")
    assert cornwall.latitude is None
    assert cornwall.longitude is None
    assert cornwall.geocoded_at is None
    assert cornwall.memberships.count() == 2
    assert not Organisation.objects.get(name="Cornwall Council").is_located
    assert "'Truro' is not in the gazetteer" in err
    assert Partnership.objects.get(slug="bolton-health-information-partnership").is_located


def test_it_rejects_vocabulary_the_database_does_not_know(gazetteer, tmp_path):
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    data["partnerships"][0]["activities"] = ["juggling"]
    fixture = tmp_path / "demo.json"
    fixture.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(CommandError, match="juggling"):
        call_command("load_demo", fixture=fixture, stdout=StringIO(), stderr=StringIO())

    assert not Partnership.objects.exists()


# Finding a town -----------------------------------------------------------------------------


@pytest.fixture
def newports():
    wales, south_east = Region.objects.get(slug="wales"), Region.objects.get(slug="south-east")
    return {
        "wales": make_place("Newport", 51.588, -2.998, region=wales, population=145_700),
        "south-east": make_place("Newport", 50.701, -1.289, region=south_east, population=25_000),
        "midlands": make_place(
            "Newport",
            52.769,
            -2.378,
            region=Region.objects.get(slug="midlands"),
            population=11_400,
        ),
        "ireland": make_place(
            "Newport", 53.884, -9.546, country_code="IE", admin_area="Connacht", population=626
        ),
    }


def test_find_town_prefers_a_town_in_the_given_region(newports):
    assert find_town("Newport", region="wales") == newports["wales"]
    assert find_town("Newport", region="south-east") == newports["south-east"]
    assert find_town("Newport", region=Region.objects.get(slug="midlands")) == newports["midlands"]


def test_find_town_prefers_the_given_country_then_the_most_populous(newports):
    assert find_town("Newport") == newports["wales"]
    assert find_town("Newport", country_code="ie") == newports["ireland"]
    assert find_town("Newport", country_code="GB", region="london") == newports["wales"]


def test_find_town_picks_the_right_richmond():
    london = make_place(
        "Richmond", 51.461, -0.303, region=Region.objects.get(slug="london"), population=21_469
    )
    yorkshire = make_place(
        "Richmond",
        54.403,
        -1.737,
        region=Region.objects.get(slug="north-east-and-yorkshire"),
        population=8_413,
    )

    assert find_town("Richmond") == london
    assert find_town("richmond", region="north-east-and-yorkshire") == yorkshire


def test_find_town_ignores_case_accents_and_hyphens():
    sutton = make_place("Sutton in Ashfield", 53.125, -1.261, search_name="sutton in ashfield")
    ystrad = make_place("Ystradgynlais", 51.781, -3.751, search_name="ystradgynlais")

    assert find_town("SUTTON-IN-ASHFIELD") == sutton
    assert find_town("  Ystradgynláis ") == ystrad
    assert find_town("Atlantis") is None
    assert find_town("") is None


# Loading the gazetteer ----------------------------------------------------------------------


def places_snapshot():
    rows = list(Place.objects.order_by("geonameid").values_list())
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def test_loading_the_irish_gazetteer_twice_changes_nothing():
    call_command("load_places", countries="IE", stdout=StringIO())
    before = places_snapshot()

    out = StringIO()
    call_command("load_places", countries="IE", stdout=out)

    assert before[0] > 100
    assert places_snapshot() == before
    assert " 0 new," in out.getvalue()


def test_the_british_gazetteer_puts_bolton_in_the_north_west():
    call_command("load_places", countries="GB", stdout=StringIO())

    bolton = find_town("Bolton", country_code="GB")
    assert bolton.region.slug == "north-west"
    assert find_town("Newport", region="wales").admin_area == "Wales"
    assert find_town("Cardiff").region.slug == "wales"


# What the statistics page and the toolkit show of it ------------------------------------------


def test_every_statistics_figure_has_something_to_show(gazetteer):
    from directory import statistics
    from directory.filters import PartnershipFilter

    load_demo()

    found = statistics.compute(PartnershipFilter({}).qs)
    assert [figure.slug for figure in found.figures if figure.is_empty] == []
    founded = [row for row in found.figure("founded").rows if row[0] != "Not given" and row[1]]
    assert len(founded) >= 5
    for slug in ("agreement-kinds", "agreement-status"):
        assert sum(1 for _, n in found.figure(slug).rows if n) >= 3, slug


def test_at_least_three_public_shareable_agreements_of_different_kinds(gazetteer):
    load_demo()

    shared = Agreement.objects.shared_examples()
    assert len(set(shared.values_list("kind", flat=True))) >= 3
