"""`manage.py geocode`: which entries it picks, what it writes (and, in a dry run, doesn't), and
the summary a curator reads afterwards."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from geopy.exc import GeocoderTimedOut

from partnerships import geocoding
from partnerships.models import (
    LocationPrecision,
    LocationSource,
    Membership,
    Organisation,
    Partnership,
    Region,
    Role,
)
from tests.factories import make_organisation, make_partnership, make_place

pytestmark = pytest.mark.django_db


def geocode(*args):
    out = StringIO()
    call_command("geocode", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot():
    digest = hashlib.sha256()
    for model in (Organisation, Partnership):
        digest.update(repr(list(model.objects.order_by("pk").values_list())).encode())
    return digest.hexdigest()


def refreshed(entry):
    entry.refresh_from_db()
    return entry


@pytest.fixture
def bolton():
    return make_place("Bolton", 53.578, -2.429, region=Region.objects.get(slug="north-west"))


def test_by_default_it_places_only_entries_without_coordinates(bolton):
    missing = make_organisation(town="Bolton")
    elsewhere = make_organisation(town="Bolton", latitude=51.5, longitude=-0.1)

    out = geocode()

    assert refreshed(missing).latitude == 53.578
    assert refreshed(elsewhere).latitude == 51.5
    assert "Organisations: 1 to geocode (missing)." in out
    assert "Organisations: 1 placed, 0 failed." in out
    assert "1 by gazetteer, precision town" in out


def test_an_unknown_town_is_reported_and_placed_by_a_retry_once_the_gazetteer_knows_it():
    lost = make_organisation(name="Ystrad Library", town="Ystradgynlais")

    out = geocode()

    assert not refreshed(lost).is_located
    assert refreshed(lost).geocode_failed_at is not None
    assert "Organisations: 0 placed, 1 failed." in out
    assert "no match for 'Ystradgynlais' in the gazetteer: 1" in out
    assert "- Ystrad Library (Ystradgynlais): no match for 'Ystradgynlais'" in out

    make_place("Ystradgynlais", 51.781, -3.751)
    out = geocode("--failed")

    lost = refreshed(lost)
    assert (lost.latitude, lost.longitude) == (51.781, -3.751)
    assert lost.geocode_failed_at is None
    assert lost.geocode_error == ""
    assert "Organisations: 1 placed, 0 failed." in out


def test_failed_picks_only_entries_whose_last_attempt_failed(bolton):
    failed = make_organisation(town="Bolton", latitude=51.5, longitude=-0.1)
    Organisation.objects.filter(pk=failed.pk).update(
        geocode_failed_at="2026-01-01T00:00Z", geocode_error="Nominatim timed out"
    )
    never_tried = make_organisation(town="Bolton")

    geocode("--failed")

    assert refreshed(failed).latitude == 53.578
    assert not refreshed(never_tried).is_located


def test_all_places_everything_again_but_never_a_location_set_by_hand(bolton):
    stale = make_organisation(
        town="Bolton",
        latitude=51.5,
        longitude=-0.1,
        location_precision=LocationPrecision.TOWN,
        location_source=LocationSource.GAZETTEER,
    )
    by_hand = make_organisation(
        town="Bolton",
        latitude=53.5768,
        longitude=-2.4281,
        location_precision=LocationPrecision.MANUAL,
        location_source=LocationSource.MANUAL,
    )
    partnership_by_hand = make_partnership(
        area_name="Bolton", latitude=53.0, longitude=-2.0, location_precision="manual"
    )

    geocode("--all")

    assert refreshed(stale).latitude == 53.578
    by_hand = refreshed(by_hand)
    assert (by_hand.latitude, by_hand.longitude) == (53.5768, -2.4281)
    assert by_hand.location_precision == LocationPrecision.MANUAL
    assert refreshed(partnership_by_hand).latitude == 53.0


def test_a_dry_run_writes_nothing_but_says_what_would_happen(bolton):
    make_organisation(town="Bolton")
    make_organisation(town="Atlantis")
    make_partnership(area_name="Bolton")
    before = snapshot()

    out = geocode("--dry-run")

    assert snapshot() == before
    assert "Dry run: nothing will be saved." in out
    assert "Organisations: 1 would be placed, 1 would still fail." in out
    assert "Partnerships: 1 would be placed, 0 would still fail." in out


def test_partnerships_are_placed_after_their_members(bolton):
    partnership = make_partnership(area_name="Greater Manchester")
    Membership.objects.create(
        partnership=partnership, organisation=make_organisation(town="Bolton"), role=Role.LEAD
    )

    out = geocode()

    partnership = refreshed(partnership)
    assert (partnership.latitude, partnership.longitude) == (53.578, -2.429)
    assert partnership.location_source == LocationSource.MEMBERS
    assert out.index("Organisations: 1 to geocode") < out.index("Partnerships: 1 to geocode")
    assert "1 by members, precision town" in out


def test_it_shows_progress_on_long_runs(bolton):
    for _ in range(5):
        make_organisation(town="Bolton")

    out = geocode("--progress-every", "2")

    assert "  2 / 5 organisations" in out
    assert "  4 / 5 organisations" in out


def test_the_summary_names_ambiguous_towns():
    make_place("Richmond", 51.461, -0.303, region=Region.objects.get(slug="london"))
    make_place("Richmond", 54.403, -1.737, region=Region.objects.get(slug="north-west"))
    make_organisation(name="Richmond Library", town="Richmond")

    out = geocode()

    assert "1 placed at an ambiguous town name; check them: Richmond Library (Richmond)" in out


def test_the_summary_says_why_the_online_geocoder_was_not_used(monkeypatch, bolton):
    class TimingOut:
        def geocode(self, query):
            raise GeocoderTimedOut("Service timed out")

    monkeypatch.setattr(geocoding, "online_geocoder", TimingOut)
    make_organisation(town="Bolton")
    make_organisation(town="Bolton")

    out = geocode()

    assert "Organisations: 2 placed, 0 failed." in out
    assert "2 placed by the gazetteer after: Nominatim timed out" in out


def test_a_dry_run_never_asks_the_online_geocoder(monkeypatch, bolton):
    class Unreachable:
        def geocode(self, query):
            raise AssertionError("a dry run must not send a request")

    monkeypatch.setattr(geocoding, "online_geocoder", Unreachable)
    make_organisation(town="Bolton")

    assert "1 would be placed" in geocode("--dry-run")


def test_the_selections_cannot_be_combined():
    with pytest.raises(CommandError):
        geocode("--failed", "--all")


def test_an_interrupted_run_keeps_what_it_did_and_a_rerun_finishes(monkeypatch, bolton):
    first, second = make_organisation(town="Bolton"), make_organisation(town="Bolton")
    real = geocoding.geocode
    calls = []

    def interrupted_on_the_second(entry, **kwargs):
        calls.append(entry.pk)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(entry, **kwargs)

    monkeypatch.setattr(geocoding, "geocode", interrupted_on_the_second)
    err = StringIO()
    call_command("geocode", stdout=StringIO(), stderr=err)

    assert refreshed(first).is_located
    assert not refreshed(second).is_located
    assert "Interrupted" in err.getvalue()

    monkeypatch.setattr(geocoding, "geocode", real)
    geocode()
    assert refreshed(second).is_located
