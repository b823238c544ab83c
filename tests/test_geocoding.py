"""Geocoding: the offline gazetteer, the online geocoder behind its one seam (never the network),
the services that record locations on organisations and partnerships, and the admin's part."""

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.tasks import default_task_backend
from django.urls import reverse
from geopy.exc import (
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeopyError,
)
from geopy.location import Location

from partnerships import geocoding, services
from partnerships.distance import haversine_km
from partnerships.models import (
    Country,
    GeocodeCache,
    LocationPrecision,
    LocationSource,
    Membership,
    Organisation,
    Partnership,
    Region,
    Role,
    Sector,
)
from partnerships.services import Outcome
from partnerships.tasks import refine_locations
from tests.editing import form_data
from tests.factories import make_organisation, make_partnership, make_place, make_user
from tests.test_demo_data import build_gazetteer, demo_towns, load_demo

pytestmark = pytest.mark.django_db


class FakeNominatim:
    """Stands in for Nominatim at `geocoding.online_geocoder`: answers from a dict of query text
    to a geopy Location, None (no match) or an exception to raise, and records what it was
    asked."""

    def __init__(self, answers=None):
        self.answers = answers or {}
        self.queries = []

    def geocode(self, query):
        self.queries.append(query)
        answer = self.answers.get(query)
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeClock:
    def __init__(self, now=1000.0):
        self.now = now
        self.naps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.naps.append(seconds)


@pytest.fixture
def clock(monkeypatch):
    """The rate limiter on a clock that only moves when a test says so; sleeping is recorded."""
    fake = FakeClock()
    monkeypatch.setattr(
        geocoding, "nominatim_rate_limit", geocoding.RateLimiter(clock=fake, sleep=fake.sleep)
    )
    return fake


@pytest.fixture
def nominatim(monkeypatch, clock):
    fake = FakeNominatim()
    monkeypatch.setattr(geocoding, "online_geocoder", lambda: fake)
    return fake


def location(latitude, longitude, osm_class="place", osm_type="town", rank=16):
    raw = {"class": osm_class, "type": osm_type, "place_rank": rank, "display_name": "somewhere"}
    return Location("somewhere", (latitude, longitude), raw)


def region(slug):
    return Region.objects.get(slug=slug)


@pytest.fixture
def newports():
    return {
        "wales": make_place("Newport", 51.588, -2.998, region=region("wales"), population=145_700),
        "south-east": make_place(
            "Newport", 50.701, -1.289, region=region("south-east"), population=25_000
        ),
    }


@pytest.fixture
def bolton():
    return make_place("Bolton", 53.578, -2.429, region=region("north-west"), population=139_403)


def refreshed(entry):
    entry.refresh_from_db()
    return entry


# The offline gazetteer -------------------------------------------------------------------------


def test_the_british_gazetteer_places_towns_where_they_really_are():
    call_command("load_places", countries="GB", stdout=StringIO())
    bolton = make_organisation(town="Bolton")
    truro = make_organisation(town="Truro", region=region("south-west"))
    norwich = make_organisation(town="Norwich", region=region("east-of-england"))

    for organisation in (bolton, truro, norwich):
        assert services.geocode_organisation(organisation).outcome == Outcome.PLACED

    bolton, truro, norwich = refreshed(bolton), refreshed(truro), refreshed(norwich)
    assert haversine_km(bolton.latitude, bolton.longitude, 53.578, -2.430) < 5
    # Cornwall is west (smaller longitude) and south of Norfolk: nothing swapped lat and lon.
    assert truro.longitude < norwich.longitude
    assert truro.latitude < norwich.latitude
    assert haversine_km(truro.latitude, truro.longitude, 50.26, -5.05) < 5
    assert haversine_km(norwich.latitude, norwich.longitude, 52.63, 1.30) < 5


def test_a_gazetteer_town_is_recorded_with_its_precision_and_source(bolton):
    organisation = make_organisation(town="bolton")
    created = organisation.updated_at

    services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert (organisation.latitude, organisation.longitude) == (53.578, -2.429)
    assert organisation.updated_at > created
    assert organisation.location_precision == LocationPrecision.TOWN
    assert organisation.location_source == LocationSource.GAZETTEER
    assert organisation.geocoded_at is not None
    assert organisation.geocode_failed_at is None
    assert not organisation.location_ambiguous


def test_an_unknown_town_is_kept_and_flagged_with_the_reason():
    organisation = make_organisation(name="Library of Atlantis", town="Atlantis")

    outcome = services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert outcome.outcome == Outcome.FAILED
    assert organisation.name == "Library of Atlantis"
    assert not organisation.is_located
    assert organisation.geocode_failed_at is not None
    assert organisation.geocode_error == "no match for 'Atlantis' in the gazetteer"
    assert Organisation.objects.needs_location().get() == organisation


def test_an_organisation_without_a_town_fails_with_a_reason():
    organisation = make_organisation(town="")

    services.geocode_organisation(organisation)

    assert refreshed(organisation).geocode_error == "no town or postcode to look up"


def test_a_failed_retry_keeps_the_coordinates_the_entry_had(bolton):
    organisation = make_organisation(town="Bolton")
    services.geocode_organisation(organisation)
    Organisation.objects.filter(pk=organisation.pk).update(town="Atlantis")

    services.geocode_organisation(refreshed(organisation), force=True)

    organisation = refreshed(organisation)
    assert (organisation.latitude, organisation.longitude) == (53.578, -2.429)
    assert organisation.geocode_failed_at is not None
    assert "Atlantis" in organisation.geocode_error


def test_the_region_picks_the_right_newport(newports):
    welsh = make_organisation(town="Newport", country=Country.WALES, region=region("wales"))
    island = make_organisation(town="Newport", region=region("south-east"))

    services.geocode_organisation(welsh)
    services.geocode_organisation(island)

    welsh, island = refreshed(welsh), refreshed(island)
    assert (welsh.latitude, welsh.longitude) == (51.588, -2.998)
    assert (island.latitude, island.longitude) == (50.701, -1.289)
    assert not welsh.location_ambiguous
    assert not island.location_ambiguous


def test_a_shared_name_without_a_region_is_placed_but_flagged_as_ambiguous():
    london = make_place("Richmond", 51.461, -0.303, region=region("london"), population=21_469)
    make_place("Richmond", 54.403, -1.737, region=region("north-east-and-yorkshire"))
    organisation = make_organisation(town="Richmond")

    services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert (organisation.latitude, organisation.longitude) == (london.latitude, london.longitude)
    assert organisation.location_ambiguous
    assert Organisation.objects.filter(location_ambiguous=True).get() == organisation


def test_namesakes_a_few_km_apart_are_not_ambiguous():
    make_place("Aston", 52.50, -1.88, population=9_000)
    make_place("Aston", 52.52, -1.86, population=3_000)

    assert not geocoding.match_town("Aston").ambiguous


def test_the_country_is_used_when_there_is_no_region(newports):
    make_place("Newport", 53.884, -9.546, country_code="IE", admin_area="Connacht")
    irish = make_organisation(town="Newport", country=Country.IRELAND)

    services.geocode_organisation(irish)

    assert refreshed(irish).longitude == -9.546


# The online geocoder ------------------------------------------------------------------------


def test_the_online_geocoder_is_off_unless_settings_turn_it_on(settings):
    settings.GEOCODER = "offline"
    assert geocoding.online_geocoder() is None

    settings.GEOCODER = "nominatim"
    settings.NOMINATIM_USER_AGENT = "directory-tests (tests@example.org)"
    geocoder = geocoding.online_geocoder()
    assert geocoder.client.headers["User-Agent"] == "directory-tests (tests@example.org)"
    assert geocoder.client.timeout == settings.NOMINATIM_TIMEOUT
    assert type(geocoder.client.adapter).__name__ == "URLLibAdapter"
    assert geocoder.countries == ["gb", "ie"]


def test_saving_an_entry_never_geocodes_it(nominatim, bolton):
    organisation = make_organisation(town="Bolton")
    organisation.save()
    make_partnership(members=1, area_name="Bolton")

    assert nominatim.queries == []
    assert not Organisation.objects.located().exists()
    assert not Partnership.objects.located().exists()


def test_nominatim_is_asked_first_and_a_building_is_an_address(nominatim, bolton):
    nominatim.answers["Le Mans Crescent, Bolton, BL1 1SE, United Kingdom"] = location(
        53.5771, -2.4302, osm_class="building", osm_type="yes", rank=30
    )
    organisation = make_organisation(address="Le Mans Crescent", town="Bolton", postcode="bl1 1se")

    services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert (organisation.latitude, organisation.longitude) == (53.5771, -2.4302)
    assert organisation.location_precision == LocationPrecision.ADDRESS
    assert organisation.location_source == LocationSource.NOMINATIM
    assert nominatim.queries == ["Le Mans Crescent, Bolton, BL1 1SE, United Kingdom"]


def test_an_address_nominatim_cannot_find_falls_back_to_the_postcode(nominatim, bolton):
    nominatim.answers["BL1 1SE, United Kingdom"] = location(
        53.577, -2.431, osm_type="postcode", rank=25
    )
    organisation = make_organisation(address="1 Nowhere Lane", town="Bolton", postcode="BL1 1SE")

    services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert organisation.location_precision == LocationPrecision.POSTCODE
    assert organisation.location_source == LocationSource.NOMINATIM
    assert nominatim.queries == [
        "1 Nowhere Lane, Bolton, BL1 1SE, United Kingdom",
        "BL1 1SE, United Kingdom",
    ]


def test_a_street_match_without_a_building_is_not_an_address(nominatim):
    nominatim.answers["High Street, Bolton, United Kingdom"] = location(
        53.58, -2.43, osm_class="highway", osm_type="residential", rank=26
    )
    organisation = make_organisation(address="High Street", town="Bolton")

    services.geocode_organisation(organisation)

    assert refreshed(organisation).location_precision == LocationPrecision.TOWN


def test_a_county_from_nominatim_is_a_region(nominatim):
    nominatim.answers["Cornwall, United Kingdom"] = location(
        50.45, -4.75, osm_class="boundary", osm_type="administrative", rank=12
    )
    partnership = make_partnership(area_name="Cornwall", region=region("south-west"))

    services.locate_partnership(partnership)

    partnership = refreshed(partnership)
    assert partnership.location_precision == LocationPrecision.REGION
    assert partnership.location_source == LocationSource.NOMINATIM


def test_nominatim_s_namesake_in_another_region_gives_way_to_the_gazetteer(nominatim):
    yorkshire = make_place("Richmond", 54.403, -1.737, region=region("north-east-and-yorkshire"))
    make_place("Richmond", 51.461, -0.303, region=region("london"), population=21_469)
    nominatim.answers["Richmond, United Kingdom"] = location(51.461, -0.303)
    organisation = make_organisation(town="Richmond", region=region("north-east-and-yorkshire"))

    services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert (organisation.latitude, organisation.longitude) == (yorkshire.latitude, -1.737)
    assert organisation.location_source == LocationSource.GAZETTEER
    assert "not the one in North East and Yorkshire" in organisation.geocode_error


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (GeocoderRateLimited("429 Too Many Requests", retry_after=60), "rate limit reached"),
        (GeocoderTimedOut("Service timed out"), "Nominatim timed out"),
        (GeocoderUnavailable("Service not available"), "Nominatim unavailable"),
        (GeocoderServiceError("Non-successful status code 500"), "status code 500"),
        (GeopyError("something else"), "something else"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_a_failing_nominatim_falls_back_to_the_gazetteer(nominatim, bolton, error, reason):
    nominatim.answers["Bolton, United Kingdom"] = error
    organisation = make_organisation(town="Bolton")

    outcome = services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert outcome.outcome == Outcome.PLACED
    assert outcome.result.online_failed
    assert (organisation.latitude, organisation.longitude) == (53.578, -2.429)
    assert organisation.location_source == LocationSource.GAZETTEER
    assert reason in organisation.geocode_error
    assert organisation.geocode_failed_at is None


def test_a_failing_nominatim_and_an_unknown_town_keep_the_entry_for_a_retry(nominatim):
    nominatim.answers["Atlantis, United Kingdom"] = GeocoderTimedOut("Service timed out")
    organisation = make_organisation(name="Atlantis Library", town="Atlantis")

    services.geocode_organisation(organisation)

    organisation = refreshed(organisation)
    assert organisation.name == "Atlantis Library"
    assert organisation.geocode_failed_at is not None
    assert organisation.geocode_error == (
        "Nominatim timed out; no match for 'Atlantis' in the gazetteer"
    )


def test_after_a_failure_no_further_query_is_sent(nominatim, bolton):
    nominatim.answers["1 High Street, Bolton, BL1 1AA, United Kingdom"] = GeocoderUnavailable("")
    organisation = make_organisation(address="1 High Street", town="Bolton", postcode="BL1 1AA")

    services.geocode_organisation(organisation)

    assert len(nominatim.queries) == 1


def test_the_same_query_is_sent_only_once(nominatim):
    nominatim.answers["Bolton, United Kingdom"] = location(53.578, -2.429)
    first, second = make_organisation(town="Bolton"), make_organisation(town="  BOLTON ")

    services.geocode_organisation(first)
    services.geocode_organisation(second)

    assert nominatim.queries == ["Bolton, United Kingdom"]
    assert refreshed(second).latitude == 53.578
    assert GeocodeCache.objects.get().query == "bolton, united kingdom"


def test_no_match_is_remembered_too(nominatim):
    make_organisation(town="Atlantis")
    make_organisation(town="Atlantis")

    for organisation in Organisation.objects.all():
        services.geocode_organisation(organisation)

    assert nominatim.queries == ["Atlantis, United Kingdom"]
    assert not GeocodeCache.objects.get().matched


def test_failures_are_not_remembered_so_a_retry_asks_again(nominatim):
    nominatim.answers["Bolton, United Kingdom"] = GeocoderTimedOut("Service timed out")
    organisation = make_organisation(town="Bolton")
    services.geocode_organisation(organisation)
    nominatim.answers["Bolton, United Kingdom"] = location(53.578, -2.429)

    services.geocode_organisation(refreshed(organisation))

    assert nominatim.queries == ["Bolton, United Kingdom"] * 2
    organisation = refreshed(organisation)
    assert organisation.location_source == LocationSource.NOMINATIM
    assert organisation.geocode_failed_at is None
    assert organisation.geocode_error == ""


def test_the_rate_limiter_spaces_calls_a_second_apart():
    clock = FakeClock(now=50.0)
    limiter = geocoding.RateLimiter(1.0, clock=clock, sleep=clock.sleep)

    limiter.wait()
    limiter.wait()  # the same second: must wait
    clock.now = 52.5
    limiter.wait()  # long after: goes at once
    clock.now = 52.9
    limiter.wait()

    assert clock.naps == [1.0, pytest.approx(0.6)]


def test_two_queries_in_the_same_second_wait_for_the_limit(nominatim, clock):
    make_organisation(town="Bolton")
    make_organisation(town="Wigan")

    for organisation in Organisation.objects.all():
        services.geocode_organisation(organisation)

    assert len(nominatim.queries) == 2
    assert clock.naps == [pytest.approx(1.0)]


def test_cached_answers_do_not_wait(nominatim, clock):
    make_organisation(town="Bolton")
    make_organisation(town="Bolton")

    for organisation in Organisation.objects.all():
        services.geocode_organisation(organisation)

    assert clock.naps == []


# Partnerships ---------------------------------------------------------------------------------


def test_a_partnership_is_placed_at_its_own_area_first(bolton):
    partnership = make_partnership(members=2, area_name="Bolton", region=region("north-west"))

    services.locate_partnership(partnership)

    partnership = refreshed(partnership)
    assert (partnership.latitude, partnership.longitude) == (53.578, -2.429)
    assert partnership.location_source == LocationSource.GAZETTEER


def test_otherwise_a_partnership_is_placed_at_its_lead_member(bolton):
    make_place("Wigan", 53.545, -2.637)
    partnership = make_partnership(area_name="Greater Manchester")
    member = make_organisation(town="Wigan")
    lead = make_organisation(town="Bolton")
    Membership.objects.create(partnership=partnership, organisation=member)
    Membership.objects.create(partnership=partnership, organisation=lead, role=Role.LEAD)
    for organisation in (member, lead):
        services.geocode_organisation(organisation)

    outcome = services.locate_partnership(partnership)

    partnership = refreshed(partnership)
    assert outcome.outcome == Outcome.PLACED
    assert (partnership.latitude, partnership.longitude) == (bolton.latitude, bolton.longitude)
    assert partnership.location_source == LocationSource.MEMBERS
    assert partnership.location_precision == LocationPrecision.TOWN
    assert "no match for 'Greater Manchester'" in partnership.geocode_error


def test_without_a_lead_a_partnership_is_placed_at_the_centre_of_its_members():
    partnership = make_partnership()
    for latitude, longitude in [(53.0, -2.0), (54.0, -1.0)]:
        Membership.objects.create(
            partnership=partnership,
            organisation=make_organisation(
                latitude=latitude,
                longitude=longitude,
                location_precision=LocationPrecision.TOWN,
                location_source=LocationSource.GAZETTEER,
            ),
        )

    services.locate_partnership(partnership)

    partnership = refreshed(partnership)
    assert (partnership.latitude, partnership.longitude) == (53.5, -1.5)
    assert partnership.location_source == LocationSource.MEMBERS
    assert partnership.location_precision == LocationPrecision.REGION


def test_a_partnership_with_nothing_to_go_on_fails_with_the_reasons():
    partnership = make_partnership(members=1, area_name="Atlantis")

    services.locate_partnership(partnership)

    partnership = refreshed(partnership)
    assert partnership.geocode_failed_at is not None
    assert partnership.geocode_error == (
        "no match for 'Atlantis' in the gazetteer; no member organisation has a location"
    )


@pytest.mark.parametrize("field", ["location_precision", "location_source"])
def test_a_location_set_by_hand_is_never_overwritten(bolton, field):
    manual = {
        "latitude": 53.5,
        "longitude": -2.5,
        "location_precision": LocationPrecision.TOWN,
        "location_source": LocationSource.GAZETTEER,
        field: "manual",
    }
    organisation = make_organisation(town="Bolton", **manual)
    partnership = make_partnership(area_name="Bolton", **manual)

    assert services.geocode_organisation(organisation, force=True).outcome == Outcome.MANUAL
    assert services.locate_partnership(partnership, force=True).outcome == Outcome.MANUAL
    assert (refreshed(organisation).latitude, refreshed(partnership).latitude) == (53.5, 53.5)


def test_a_location_set_by_hand_during_a_run_wins(bolton):
    organisation = make_organisation(town="Bolton")
    Organisation.objects.filter(pk=organisation.pk).update(
        latitude=53.5, longitude=-2.5, location_precision=LocationPrecision.MANUAL
    )

    # `organisation` is the copy the run loaded before the curator's edit.
    outcome = services.geocode_organisation(organisation)

    assert outcome.outcome == Outcome.MANUAL
    assert refreshed(organisation).latitude == 53.5


# The admin ------------------------------------------------------------------------------------


def changelist(model):
    return reverse(f"admin:partnerships_{model._meta.model_name}_changelist")


def test_the_needs_location_filter_lists_missing_and_failed_entries(admin_client, bolton):
    placed = make_organisation(name="Placed", town="Bolton")
    services.geocode_organisation(placed)
    failed = make_organisation(name="Failed", town="Atlantis")
    services.geocode_organisation(failed)
    never_tried = make_organisation(name="Never tried", town="Bolton")

    response = admin_client.get(changelist(Organisation), {"needs_location": "yes"})
    failures = admin_client.get(changelist(Organisation), {"needs_location": "failed"})

    assert set(response.context["cl"].result_list) == {failed, never_tried}
    assert list(failures.context["cl"].result_list) == [failed]


def test_the_needs_location_filter_works_for_partnerships(admin_client):
    located = make_partnership(latitude=53.5, longitude=-2.4)
    missing = make_partnership()

    response = admin_client.get(changelist(Partnership), {"needs_location": "yes"})

    assert list(response.context["cl"].result_list) == [missing] != [located]


def test_the_geocode_action_places_organisations_and_reports_counts(admin_client, bolton):
    found = make_organisation(town="Bolton")
    lost = make_organisation(town="Atlantis")

    response = admin_client.post(
        changelist(Organisation),
        {"action": "geocode_selected", "_selected_action": [found.pk, lost.pk]},
        follow=True,
    )

    assert refreshed(found).is_located
    assert refreshed(lost).geocode_failed_at is not None
    assert "1 placed, 1 failed: no match for &#x27;Atlantis&#x27; in the gazetteer (1)." in (
        response.text
    )


def test_the_geocode_action_places_partnerships_and_keeps_hand_set_ones(admin_client, bolton):
    partnership = make_partnership(area_name="Bolton")
    by_hand = make_partnership(
        area_name="Bolton", latitude=53.0, longitude=-2.0, location_precision="manual"
    )

    response = admin_client.post(
        changelist(Partnership),
        {"action": "geocode_selected", "_selected_action": [partnership.pk, by_hand.pk]},
        follow=True,
    )

    assert refreshed(partnership).latitude == 53.578
    assert refreshed(by_hand).latitude == 53.0
    assert "1 placed, 0 failed, 1 kept (set by hand)." in response.text


def test_coordinates_typed_into_the_admin_are_marked_as_set_by_hand(admin_client):
    organisation = make_organisation(name="Bolton Central Library", town="Bolton")
    url = reverse("admin:partnerships_organisation_change", args=[organisation.pk])
    form = {
        "name": organisation.name,
        "slug": organisation.slug,
        "sector": organisation.sector,
        "town": "Bolton",
        "country": "england",
        "latitude": "53.5776",
        "longitude": "-2.4297",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "identifiers-TOTAL_FORMS": "0",
        "identifiers-INITIAL_FORMS": "0",
    }

    response = admin_client.post(url, form)

    assert response.status_code == 302
    organisation = refreshed(organisation)
    assert organisation.latitude == 53.5776
    assert organisation.location_precision == LocationPrecision.MANUAL
    assert organisation.location_source == LocationSource.MANUAL
    call_command("geocode", "--all", stdout=StringIO())
    assert refreshed(organisation).latitude == 53.5776


def test_a_location_set_by_hand_survives_reloading_the_demo_data():
    build_gazetteer(demo_towns())
    load_demo()
    bolton_trust = Organisation.objects.get(name="Bolton NHS Foundation Trust")
    Organisation.objects.filter(pk=bolton_trust.pk).update(
        latitude=53.5513, longitude=-2.4412, location_precision=LocationPrecision.MANUAL
    )

    load_demo()

    assert (refreshed(bolton_trust).latitude, bolton_trust.longitude) == (53.5513, -2.4412)


# Saving never waits on the network: the online geocoder runs in a background task -------------


class SlowNominatim(FakeNominatim):
    """A Nominatim that takes `delay` seconds to answer every query with `answer` (a Location,
    or an exception to raise), as a real one does when it is overloaded."""

    def __init__(self, answer, delay=2.0):
        super().__init__()
        self.answer = answer
        self.delay = delay

    def geocode(self, query):
        self.queries.append(query)
        time.sleep(self.delay)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def queued_tasks(settings):
    """A task backend that only collects what is enqueued, so the test decides when it runs."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    return default_task_backend


def run_queued(backend):
    """Run every queued task as the worker would, in order, and empty the queue."""
    results, backend.results = list(backend.results), []
    return [result.task.call(*result.args, **result.kwargs) for result in results]


@pytest.fixture
def slow_nominatim(settings, monkeypatch, clock):
    settings.GEOCODER = "nominatim"
    fake = SlowNominatim(location(53.5800, -2.4300))
    monkeypatch.setattr(geocoding, "online_geocoder", lambda: fake)
    return fake


def register_ten_members(client, django_capture_on_commit_callbacks):
    client.force_login(make_user())
    members = [
        {"name": f"Bolton library {n}", "town": "Bolton", "sector": Sector.PUBLIC_LIBRARY}
        for n in range(10)
    ]
    members[0]["role"] = Role.LEAD
    data = form_data(
        name="Bolton readers",
        summary="Reading together.",
        area_name="Bolton",
        region="north-west",
        members=members,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("editor:new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Partnership.objects.get(name="Bolton readers")


def test_registering_places_everything_from_the_gazetteer_without_asking_the_online_geocoder(
    client, slow_nominatim, queued_tasks, bolton, django_capture_on_commit_callbacks
):
    partnership = register_ten_members(client, django_capture_on_commit_callbacks)

    assert slow_nominatim.queries == []  # the request never waited on it
    members = [m.organisation for m in partnership.memberships.select_related("organisation")]
    assert len(members) == 10
    for entry in [partnership, *members]:
        assert entry.location_source == LocationSource.GAZETTEER
        assert (entry.latitude, entry.longitude) == (53.578, -2.429)
    # Besides the map summary's refresh (once for the whole registration), one geocoding task.
    queued = [result.task.name for result in queued_tasks.results]
    assert [name for name in queued if name != "refresh_map_summary"] == ["refine_locations"]
    assert queued.count("refresh_map_summary") <= 1
    refine = next(r for r in queued_tasks.results if r.task.name == "refine_locations")
    assert refine.args == [partnership.pk]


def test_the_queued_task_refines_the_entries_with_the_online_geocoder(
    client, slow_nominatim, queued_tasks, bolton, django_capture_on_commit_callbacks
):
    partnership = register_ten_members(client, django_capture_on_commit_callbacks)
    slow_nominatim.delay = 0

    assert run_queued(queued_tasks) == [{"placed": 11, "flagged": 0}]

    partnership = refreshed(partnership)
    members = [m.organisation for m in partnership.memberships.select_related("organisation")]
    for entry in [partnership, *members]:
        assert entry.location_source == LocationSource.NOMINATIM
        assert entry.location_precision == LocationPrecision.TOWN
        assert (entry.latitude, entry.longitude) == (53.58, -2.43)
        assert entry.geocode_failed_at is None


def test_a_failing_online_geocoder_leaves_the_gazetteer_s_point_flagged_for_a_retry(
    client, slow_nominatim, queued_tasks, bolton, django_capture_on_commit_callbacks
):
    partnership = register_ten_members(client, django_capture_on_commit_callbacks)
    slow_nominatim.delay = 0
    slow_nominatim.answer = GeocoderTimedOut("Service timed out")

    assert run_queued(queued_tasks) == [{"placed": 0, "flagged": 11}]

    partnership = refreshed(partnership)
    assert partnership.location_source == LocationSource.GAZETTEER
    assert (partnership.latitude, partnership.longitude) == (53.578, -2.429)
    assert "Nominatim timed out" in partnership.geocode_error
    assert Partnership.objects.geocode_failed().get() == partnership
    assert Organisation.objects.geocode_failed().count() == 10
    # A retry with the geocoder back asks again and clears the flag.
    slow_nominatim.answer = location(53.5800, -2.4300)
    call_command("geocode", "--failed", stdout=StringIO())
    assert not Organisation.objects.geocode_failed().exists()
    assert refreshed(partnership).location_source == LocationSource.NOMINATIM


def test_the_background_refinement_never_moves_a_location_set_by_hand(slow_nominatim, bolton):
    slow_nominatim.delay = 0
    partnership = make_partnership(members=1, area_name="Bolton")
    Partnership.objects.filter(pk=partnership.pk).update(
        latitude=53.0, longitude=-2.0, location_precision=LocationPrecision.MANUAL
    )
    Organisation.objects.filter(memberships__partnership=partnership).update(
        town="Bolton", latitude=53.1, longitude=-2.1, location_source=LocationSource.MANUAL
    )

    assert refine_locations.call(partnership.pk) == {"placed": 0, "flagged": 0}

    partnership = refreshed(partnership)
    assert (partnership.latitude, partnership.longitude) == (53.0, -2.0)
    organisation = partnership.memberships.get().organisation
    assert (organisation.latitude, organisation.longitude) == (53.1, -2.1)
    assert slow_nominatim.queries == []


def test_the_background_refinement_stops_asking_when_its_time_is_up(slow_nominatim, bolton):
    partnership = make_partnership(members=3, area_name="Bolton")
    Organisation.objects.update(town="Bolton")
    services.place_partnership(partnership)

    outcomes = services.refine_online(refreshed(partnership), seconds=0)

    assert slow_nominatim.queries == []
    assert [outcome.outcome for outcome in outcomes] == [Outcome.FAILED] * 4
    assert Organisation.objects.geocode_failed().count() == 3
    assert "not asked within 0 s" in refreshed(partnership).geocode_error
    assert refreshed(partnership).location_source == LocationSource.GAZETTEER


def test_with_the_offline_geocoder_saving_queues_nothing(
    client, settings, queued_tasks, bolton, django_capture_on_commit_callbacks
):
    settings.GEOCODER = "offline"
    partnership = register_ten_members(client, django_capture_on_commit_callbacks)

    assert queued_tasks.results == []
    assert partnership.location_source == LocationSource.GAZETTEER
