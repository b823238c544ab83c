"""Entries nobody has confirmed for a year: "last confirmed" on every public view, the notice on
the page and the marker in lists, the default order (current first), and the "confirmed in the
last 12 months" filter, which the list, the map data, the downloads and the API all apply."""

import datetime
import json
import re

import pytest
from django.utils import timezone

from directory import caching
from directory.filters import PartnershipFilter
from partnerships import freshness, services
from partnerships.models import Partnership, Region
from tests.factories import make_partnership, make_place
from tests.test_exports import csv_records, geojson, listed_names

pytestmark = pytest.mark.django_db

BOLTON = (53.5780, -2.4290)
UK_MAP = {"bbox": "-10,49,3,60", "zoom": "18"}


def confirmed(months, *, hours=0):
    """`months` calendar months ago, and then `hours` more (or less, if negative)."""
    return freshness.months_before(timezone.now(), months) - datetime.timedelta(hours=hours)


def never_confirmed(months, **fields):
    """A published partnership never confirmed, listed `months` ago."""
    partnership = make_partnership(**fields)
    Partnership.objects.filter(pk=partnership.pk).update(created_at=confirmed(months))
    services.published_data_changed()
    partnership.refresh_from_db()
    return partnership


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def map_entries(client, query=""):
    response = client.get(f"/map-data/?bbox={UK_MAP['bbox']}&zoom={UK_MAP['zoom']}&{query}")
    assert response.status_code == 200
    return [
        entry
        for feature in json.loads(response.content)["features"]
        for entry in feature["properties"].get("partnerships", [])
    ]


# The notice on the page


def test_an_entry_confirmed_just_under_12_months_ago_has_no_notice(client):
    partnership = make_partnership(last_verified_at=confirmed(12, hours=-1))
    content = page_text(client, partnership.get_absolute_url())
    assert "Not confirmed since" not in content
    assert "may be out of date" not in content


def test_an_entry_not_confirmed_for_12_months_says_so_with_the_month_and_year(client):
    when = confirmed(12, hours=1)
    partnership = make_partnership(last_verified_at=when)
    content = page_text(client, partnership.get_absolute_url())
    month_year = timezone.localtime(when).strftime("%B %Y")
    assert f"Not confirmed since {month_year}:</strong> details may be out of date." in content
    assert 'class="notice notice-stale" role="note"' in content


def test_an_entry_never_confirmed_says_not_yet_confirmed_and_counts_from_its_listing(client):
    fresh = never_confirmed(2, name="Fresh listing")
    old = never_confirmed(14, name="Old listing")
    fresh_page = page_text(client, fresh.get_absolute_url())
    assert "Not yet confirmed" in fresh_page
    assert "Not confirmed since" not in fresh_page
    old_page = page_text(client, old.get_absolute_url())
    assert "Not yet confirmed" in old_page
    month_year = timezone.localtime(old.created_at).strftime("%B %Y")
    assert f"Not confirmed since {month_year}, when it was listed:</strong>" in old_page


# Lists and the map popup


def test_each_list_item_shows_when_it_was_last_confirmed_and_marks_stale_ones(client):
    make_partnership(name="Current forum", last_verified_at=confirmed(2))
    make_partnership(name="Stale forum", last_verified_at=confirmed(14))
    never_confirmed(1, name="New forum")
    content = page_text(client, "/")
    items = dict(
        re.findall(r'<li class="result">\s*<h3 class="result-title"><a [^>]*>(.*?)</a>(.*?)</li>',
                   content, re.S)
    )  # fmt: skip
    assert "Last confirmed" in items["Current forum"]
    assert "May be out of date" not in items["Current forum"]
    assert "Not yet confirmed" in items["New forum"]
    assert timezone.localtime(confirmed(14)).strftime("%B %Y") in items["Stale forum"]
    assert '<span class="badge badge-stale">May be out of date</span>' in items["Stale forum"]


def test_the_print_page_marks_stale_entries_too(client):
    make_partnership(name="Stale forum", last_verified_at=confirmed(14))
    assert "May be out of date" in page_text(client, "/print/")


def test_the_map_popup_data_says_when_each_entry_was_last_confirmed(client):
    at = {"latitude": BOLTON[0], "longitude": BOLTON[1]}
    make_partnership(name="Current forum", last_verified_at=confirmed(2), **at)
    make_partnership(name="Stale forum", last_verified_at=confirmed(14), **at)
    never_confirmed(1, name="New forum", **at)
    entries = {entry["name"]: entry for entry in map_entries(client)}
    assert entries["Current forum"]["stale"] is False
    assert entries["Current forum"]["confirmed"] == timezone.localtime(confirmed(2)).strftime(
        "%-d %B %Y"
    )
    assert entries["Stale forum"]["stale"] is True
    assert entries["New forum"]["confirmed"] is None
    assert entries["New forum"]["stale"] is False


def test_the_downloads_already_carry_the_last_confirmed_date(client):
    make_partnership(name="Stale forum", last_verified_at=confirmed(14))
    (record,) = csv_records(client)
    assert record["Last confirmed"] == confirmed(14).date().isoformat()


# The default order


def make_mixed():
    """Two current and two stale entries whose names interleave, and one never confirmed."""
    make_partnership(name="Alpha", last_verified_at=confirmed(13), **_place(0.01))
    make_partnership(name="Bravo", last_verified_at=confirmed(1), **_place(0.02))
    make_partnership(name="Charlie", last_verified_at=confirmed(30), **_place(0.03))
    make_partnership(name="Delta", last_verified_at=confirmed(11), **_place(0.04))
    never_confirmed(20, name="Echo", **_place(0.05))


def _place(offset):
    return {"latitude": BOLTON[0] + offset, "longitude": BOLTON[1], "summary": "network"}


def test_stale_entries_come_after_current_ones_in_the_default_order(client):
    make_mixed()
    assert listed_names(client) == ["Bravo", "Delta", "Alpha", "Charlie", "Echo"]


def test_near_a_place_the_nearest_current_entries_come_first_then_the_stale_ones(client):
    make_place("Bolton", *BOLTON)
    make_mixed()
    assert listed_names(client, "near=Bolton") == ["Bravo", "Delta", "Alpha", "Charlie", "Echo"]
    # Distance, not name, inside each group: move Delta nearest.
    Partnership.objects.filter(name="Delta").update(latitude=BOLTON[0])
    Partnership.objects.filter(name="Echo").update(latitude=BOLTON[0])
    services.published_data_changed()
    assert listed_names(client, "near=Bolton") == ["Delta", "Bravo", "Echo", "Alpha", "Charlie"]


def test_with_search_words_the_best_current_match_comes_first(client):
    make_mixed()
    names = listed_names(client, "q=network")
    assert set(names[:2]) == {"Bravo", "Delta"}
    assert set(names[2:]) == {"Alpha", "Charlie", "Echo"}


def test_an_order_the_person_chose_is_kept_as_it_is(client):
    make_mixed()
    assert listed_names(client, "sort=name") == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]


def test_region_pages_list_current_entries_first_too(client):
    region = Region.objects.get(slug="north-west")
    make_partnership(name="Alpha", region=region, last_verified_at=confirmed(13))
    make_partnership(name="Bravo", region=region, last_verified_at=confirmed(1))
    assert listed_names(client, "").index("Bravo") == 0
    content = page_text(client, region.get_absolute_url())
    assert content.index(">Bravo</a>") < content.index(">Alpha</a>")


def test_a_cached_list_is_not_served_the_next_day(monkeypatch):
    today = timezone.localdate()
    key = caching.version_key("results", 7, "/", "")
    monkeypatch.setattr(caching.timezone, "localdate", lambda: today + datetime.timedelta(days=1))
    assert caching.version_key("results", 7, "/", "") != key


# The filter


def test_the_confirmed_filter_is_a_checkbox_in_the_search_form(client):
    content = page_text(client, "/")
    assert 'type="checkbox" name="confirmed"' in content
    assert "Confirmed in the last 12 months" in content


def test_the_confirmed_filter_narrows_the_search():
    ticked = PartnershipFilter({"confirmed": "on"})
    assert ticked.is_valid()
    assert ticked.narrows()
    unticked = PartnershipFilter({})
    assert unticked.is_valid()
    assert not unticked.narrows()


@pytest.mark.parametrize("query", ["confirmed=on", "confirmed=on&region=north-west"])
def test_the_confirmed_filter_agrees_across_list_map_data_and_downloads(client, query):
    region = Region.objects.get(slug="north-west")
    for offset, (name, when) in enumerate(
        [
            ("Current forum", confirmed(3)),
            ("Nearly stale forum", confirmed(12, hours=-1)),
            ("Stale forum", confirmed(12, hours=1)),
            ("Old forum", confirmed(40)),
        ]
    ):
        make_partnership(name=name, last_verified_at=when, region=region, **_place(offset / 10))
    never_confirmed(1, name="New forum", region=region, **_place(0.5))
    never_confirmed(13, name="Forgotten forum", region=region, **_place(0.6))

    expected = ["Current forum", "Nearly stale forum", "New forum"]
    assert listed_names(client, query) == expected
    assert sorted(entry["name"] for entry in map_entries(client, query)) == sorted(expected)
    assert [record["Name"] for record in csv_records(client, query)] == expected
    assert [f["properties"]["name"] for f in geojson(client, query)["features"]] == expected
    services = client.get(f"/openreferral/services?{query}").json()
    assert [service["name"] for service in services["contents"]] == expected
    # And without it, everything, the stale ones last.
    assert listed_names(client) == [*expected, "Forgotten forum", "Old forum", "Stale forum"]


def test_pages_run_on_from_the_current_entries_into_the_stale_ones(client, settings):
    settings.DIRECTORY_PAGE_SIZE = 2
    for name in ("A", "C", "E"):
        make_partnership(name=f"Current {name}", last_verified_at=confirmed(1))
    for name in ("B", "D", "F"):
        make_partnership(name=f"Stale {name}", last_verified_at=confirmed(14))
    pages = [listed_names(client, f"page={number}") for number in (1, 2, 3)]
    assert pages == [
        ["Current A", "Current C"],
        ["Current E", "Stale B"],
        ["Stale D", "Stale F"],
    ]
    region = Region.objects.get(slug="london")
    Partnership.objects.update(region=region)
    services.published_data_changed()
    content = page_text(client, f"{region.get_absolute_url()}?page=3")
    assert ">Stale D</a>" in content and ">Stale F</a>" in content
