"""The directory's public pages in Welsh (/cy/...): every page fully Welsh, entries shown by their
Welsh name and text with the English text as a marked fallback (and the reverse on English
pages), searched in both languages, the map data in the reader's language, and caches and query
counts that do not mix or grow with the language."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnerships import services
from partnerships.models import Activity, Partnership, Region, Role
from tests import welsh
from tests.factories import (
    make_agreement,
    make_contact,
    make_membership,
    make_organisation,
    make_partnership,
)
from tests.welsh import assert_welsh

pytestmark = pytest.mark.django_db

ENGLISH_ONLY_NOTE = "Dim ond yn Saesneg y mae&#x27;r testun hwn ar gael."
WELSH_ONLY_NOTE = "This text is only available in Welsh."


@pytest.fixture(autouse=True)
def _words_welsh_shares_with_english(monkeypatch):
    """The Welsh for "sector" is "sector" (the glossary's), so a Welsh page that says it has
    no English left over."""
    monkeypatch.setattr(welsh, "ENGLISH", welsh.ENGLISH - {"sector", "sectors"})


def in_welsh(url):
    return f"/cy{url}"


def cardiff_partnership(**fields):
    """A published partnership whose every word a Welsh page shows is Welsh or a name: in
    Wales, with two Welsh member organisations, a published contact and agreement, and an
    activity."""
    values = {
        "name": "Partneriaeth Iechyd Caerdydd",
        "name_cy": "Partneriaeth Iechyd Caerdydd",
        "summary": "Libraries working together on health information.",
        "summary_cy": "Llyfrgelloedd yn cydweithio ar wybodaeth iechyd.",
        "description": "A network of libraries.",
        "description_cy": "Rhwydwaith o lyfrgelloedd.",
        "aims": "Better health information for everyone.",
        "aims_cy": "Gwell gwybodaeth iechyd i bawb.",
        "region": Region.objects.get(slug="wales"),
        "area_name": "Caerdydd",
        "latitude": 51.4816,
        "longitude": -3.1791,
        "last_verified_at": timezone.now() - datetime.timedelta(days=30),
    }
    values.update(fields)
    partnership = make_partnership(**values)
    for name, town, role in [
        ("Llyfrgell Ganolog Caerdydd", "Caerdydd", Role.LEAD),
        ("Prifysgol Caerdydd", "Caerdydd", Role.MEMBER),
    ]:
        organisation = make_organisation(
            name=name, name_cy=name, town=town, latitude=51.48, longitude=-3.18
        )
        make_membership(partnership, organisation, role=role)
    make_contact(partnership, name="Siân Jones", email="sian@example.org", is_lead=True)
    make_agreement(partnership, title="Cytundeb Caerdydd", summary="Cytundeb rhwng y partneriaid.")
    partnership.activities.set(Activity.objects.filter(slug="health-information-week"))
    return partnership


# Every page in Welsh


def test_the_directory_page_is_in_welsh(client):
    cardiff_partnership()
    response = client.get("/cy/")
    assert response.status_code == 200
    assert_welsh(response)
    assert "Partneriaeth Iechyd Caerdydd" in response.text


def test_an_empty_directory_says_so_in_welsh(client):
    response = client.get("/cy/")
    assert_welsh(response)
    assert "Nid oes partneriaethau wedi'u cyhoeddi eto." in response.text


def test_a_search_near_a_place_is_in_welsh(client):
    cardiff_partnership()
    response = client.get("/cy/?near=51.48,-3.18&radius=10")
    assert_welsh(response)
    assert "1 partneriaeth o fewn 10 km" in response.text


def test_a_search_that_is_not_valid_says_so_in_welsh(client):
    response = client.get("/cy/?near=Llanfairpwllgwyngyll&sort=distance")
    assert_welsh(response)
    assert "Gwiriwch eich chwiliad" in response.text
    assert "Ni allem ddod o hyd i dref o&#x27;r enw" in response.text


def test_the_partnership_page_is_in_welsh(client):
    partnership = cardiff_partnership()
    response = client.get(in_welsh(partnership.get_absolute_url()))
    assert response.status_code == 200
    assert_welsh(response)
    text = response.text
    assert "<h1>Partneriaeth Iechyd Caerdydd</h1>" in text
    assert "Rhwydwaith o lyfrgelloedd." in text
    assert "Gwell gwybodaeth iechyd i bawb." in text
    assert ">Cymru</a>" in text


def test_the_organisation_page_is_in_welsh(client):
    partnership = cardiff_partnership()
    organisation = partnership.memberships.get(role=Role.LEAD).organisation
    response = client.get(in_welsh(organisation.get_absolute_url()))
    assert response.status_code == 200
    assert_welsh(response)


def test_the_region_page_is_in_welsh(client):
    cardiff_partnership()
    response = client.get(in_welsh(reverse("directory:region", args=["wales"])))
    assert_welsh(response)
    assert "<h1>Partneriaethau: Cymru</h1>" in response.text


def test_the_activity_page_is_in_welsh(client):
    cardiff_partnership()
    activity = Activity.objects.get(slug="health-information-week")
    response = client.get(in_welsh(activity.get_absolute_url()))
    assert_welsh(response)
    assert f"<h1>{activity.name_cy}</h1>" in response.text


def test_the_print_page_is_in_welsh(client):
    cardiff_partnership()
    response = client.get(in_welsh(reverse("directory:print")))
    assert_welsh(response)
    assert "Yn dangos 1 partneriaeth." in response.text


def test_the_embedded_map_is_in_welsh_with_the_words_for_its_script(client):
    cardiff_partnership()
    response = client.get(in_welsh(reverse("directory:embed")))
    assert_welsh(response)
    assert '<script src="/cy/jsi18n/"></script>' in response.text


def test_the_embedded_map_in_english_says_so(client):
    response = client.get(reverse("directory:embed"))
    assert '<html lang="en-gb">' in response.text
    assert '<script src="/jsi18n/"></script>' in response.text


def test_the_page_of_a_closed_partnership_is_in_welsh(client):
    partnership = cardiff_partnership()
    services.archive_partnerships(Partnership.objects.filter(pk=partnership.pk))
    response = client.get(in_welsh(partnership.get_absolute_url()))
    assert response.status_code == 410
    assert_welsh(response)


def test_the_contact_forms_refusal_is_in_welsh(client):
    partnership = make_partnership(name="Partneriaeth Iechyd Casnewydd")
    response = client.post(
        in_welsh(reverse("directory:contact", args=[partnership.slug])), follow=True
    )
    assert (
        "Nid oes gan y bartneriaeth hon gyfeiriad e-bost cyswllt i ysgrifennu ato." in response.text
    )


# An entry's text in the reader's language, or the other one marked as such


def test_an_english_only_summary_is_shown_on_welsh_pages_marked_as_english(client):
    partnership = make_partnership(
        name="Wrexham Health Libraries", summary="Libraries working together.", summary_cy=""
    )
    detail = client.get(in_welsh(partnership.get_absolute_url())).text
    assert '<p class="lede" lang="en">Libraries working together.</p>' in detail
    assert ENGLISH_ONLY_NOTE in detail
    listed = client.get("/cy/").text
    assert '<p class="result-summary" lang="en">Libraries working together.</p>' in listed
    assert "Yn Saesneg yn unig." in listed


def test_a_welsh_only_summary_is_shown_on_english_pages_marked_as_welsh(client):
    partnership = make_partnership(
        name="Partneriaeth Iechyd Wrecsam", summary="", summary_cy="Llyfrgelloedd yn cydweithio."
    )
    detail = client.get(partnership.get_absolute_url()).text
    assert '<p class="lede" lang="cy">Llyfrgelloedd yn cydweithio.</p>' in detail
    assert WELSH_ONLY_NOTE in detail
    listed = client.get("/").text
    assert '<p class="result-summary" lang="cy">Llyfrgelloedd yn cydweithio.</p>' in listed
    assert "Only in Welsh." in listed


def test_a_summary_in_the_pages_language_has_no_note(client):
    partnership = make_partnership(summary="Libraries.", summary_cy="Llyfrgelloedd.")
    english = client.get(partnership.get_absolute_url()).text
    welsh_page = client.get(in_welsh(partnership.get_absolute_url())).text
    assert '<p class="lede">Libraries.</p>' in english
    assert '<p class="lede">Llyfrgelloedd.</p>' in welsh_page
    for page in (english, welsh_page):
        assert "language-note" not in page


def test_description_and_aims_fall_back_to_the_other_language_with_the_note(client):
    english_only = make_partnership(
        summary_cy="Llyfrgelloedd.", description="Share training.", aims="Reach patients."
    )
    welsh_only = make_partnership(
        description="", description_cy="Rhannu hyfforddiant.", aims="", aims_cy="Cyrraedd cleifion."
    )
    on_welsh_page = client.get(in_welsh(english_only.get_absolute_url())).text
    assert '<div lang="en"><p>Share training.</p></div>' in on_welsh_page
    assert '<div lang="en"><p>Reach patients.</p></div>' in on_welsh_page
    assert on_welsh_page.count(ENGLISH_ONLY_NOTE) == 2
    on_english_page = client.get(welsh_only.get_absolute_url()).text
    assert '<div lang="cy"><p>Rhannu hyfforddiant.</p></div>' in on_english_page
    assert '<div lang="cy"><p>Cyrraedd cleifion.</p></div>' in on_english_page
    assert on_english_page.count(WELSH_ONLY_NOTE) == 2


def test_names_are_shown_in_the_readers_language(client):
    partnership = make_partnership(
        name="Cardiff Health Partnership",
        name_cy="Partneriaeth Iechyd Caerdydd",
        region=Region.objects.get(slug="wales"),
    )
    organisation = make_organisation(name="Cardiff Central Library", name_cy="Llyfrgell Ganolog")
    make_membership(partnership, organisation)
    welsh_page = client.get(in_welsh(partnership.get_absolute_url())).text
    assert "<h1>Partneriaeth Iechyd Caerdydd</h1>" in welsh_page
    assert "<title>Partneriaeth Iechyd Caerdydd ·" in welsh_page
    assert ">Llyfrgell Ganolog</a>" in welsh_page
    assert '<span aria-current="page">Partneriaeth Iechyd Caerdydd</span>' in welsh_page
    english_page = client.get(partnership.get_absolute_url()).text
    assert "<h1>Cardiff Health Partnership</h1>" in english_page
    assert ">Cardiff Central Library</a>" in english_page
    assert ">Wales</a>" in english_page
    assert "Partneriaeth Iechyd Caerdydd" not in english_page
    assert "Partneriaeth Iechyd Caerdydd" in client.get("/cy/").text
    assert "Cardiff Health Partnership" in client.get("/").text


def test_an_organisation_page_shows_its_welsh_name_on_welsh_pages(client):
    partnership = make_partnership(members=0)
    organisation = make_organisation(name="Cardiff Central Library", name_cy="Llyfrgell Ganolog")
    make_membership(partnership, organisation)
    assert (
        "<h1>Llyfrgell Ganolog</h1>" in client.get(in_welsh(organisation.get_absolute_url())).text
    )
    assert "<h1>Cardiff Central Library</h1>" in client.get(organisation.get_absolute_url()).text


# Search in both languages


def test_a_welsh_word_finds_the_entry_whose_welsh_summary_holds_it(client):
    make_partnership(name="Partneriaeth Iechyd Bangor", summary_cy="Darllen er lles yng Ngwynedd.")
    make_partnership(name="Partneriaeth Iechyd Abertawe", summary_cy="Llyfrgelloedd y ddinas.")
    response = client.get("/cy/?q=Ngwynedd")
    assert "Partneriaeth Iechyd Bangor" in response.text
    assert "Partneriaeth Iechyd Abertawe" not in response.text


def test_an_english_search_finds_an_entry_by_its_welsh_name(client):
    make_partnership(name="Swansea Libraries Network", name_cy="Rhwydwaith Llyfrgelloedd Abertawe")
    make_partnership(name="Bangor Libraries Network")
    response = client.get("/?q=Abertawe")
    assert "Swansea Libraries Network" in response.text
    assert "Bangor Libraries Network" not in response.text


# The map data


def popup_entries(response):
    assert response.status_code == 200, response.content
    return [
        entry
        for feature in json.loads(response.content)["features"]
        for entry in feature["properties"].get("partnerships", [])
    ]


def test_the_map_data_gives_welsh_names_and_dates_on_welsh_pages_and_english_on_english(client):
    make_partnership(
        name="Cardiff Health Partnership",
        name_cy="Partneriaeth Iechyd Caerdydd",
        latitude=51.48,
        longitude=-3.18,
        last_verified_at=datetime.datetime(2026, 3, 3, 12, tzinfo=datetime.UTC),
    )
    params = {"bbox": "-8.5,49.8,2.0,60.9", "zoom": 6}
    # English first: the Welsh answer must not come from the English one's cache.
    (english,) = popup_entries(client.get(reverse("directory:map_data"), params))
    (welsh_entry,) = popup_entries(client.get(in_welsh(reverse("directory:map_data")), params))
    assert english["name"] == "Cardiff Health Partnership"
    assert english["confirmed"] == "3 March 2026"
    assert english["url"].startswith("/partnerships/")
    assert welsh_entry["name"] == "Partneriaeth Iechyd Caerdydd"
    assert welsh_entry["confirmed"] == "3 Mawrth 2026"
    assert welsh_entry["url"].startswith("/cy/partnerships/")
    again = client.get(reverse("directory:map_data"), params)
    assert popup_entries(again)[0]["name"] == "Cardiff Health Partnership"


def test_the_map_data_of_each_language_has_its_own_etag(client):
    make_partnership(latitude=51.48, longitude=-3.18)
    params = {"bbox": "-8.5,49.8,2.0,60.9", "zoom": 6}
    english = client.get(reverse("directory:map_data"), params)
    welsh_answer = client.get(
        in_welsh(reverse("directory:map_data")), params, headers={"If-None-Match": english["ETag"]}
    )
    assert welsh_answer.status_code == 200
    assert welsh_answer["ETag"] != english["ETag"]


def test_the_map_of_a_partnership_page_names_it_in_welsh(client):
    partnership = make_partnership(
        name="Cardiff Health Partnership",
        name_cy="Partneriaeth Iechyd Caerdydd",
        latitude=51.48,
        longitude=-3.18,
    )
    text = client.get(in_welsh(partnership.get_absolute_url())).text
    assert '"name": "Partneriaeth Iechyd Caerdydd"' in text


# Caches and query counts


def test_the_welsh_and_english_directory_pages_do_not_share_cached_fragments(client):
    make_partnership(name="Partneriaeth Iechyd Caerdydd", summary_cy="Llyfrgelloedd.")
    welsh_first = client.get("/cy/").text
    english_after = client.get("/").text
    welsh_again = client.get("/cy/").text
    assert "Trefnu yn ôl" in welsh_first and "Trefnu yn ôl" in welsh_again
    assert "Sort by" in english_after and "Trefnu yn ôl" not in english_after
    assert "Last confirmed" in english_after and "Cadarnhawyd ddiwethaf" not in english_after
    assert "Cadarnhawyd ddiwethaf" in welsh_again


def test_the_welsh_and_english_embedded_maps_do_not_share_cached_results(client):
    make_partnership(name="Partneriaeth Iechyd Caerdydd")
    assert "Cadarnhawyd ddiwethaf" in client.get(in_welsh(reverse("directory:embed"))).text
    assert "Last confirmed" in client.get(reverse("directory:embed")).text


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [2, 20])
def test_the_welsh_directory_page_runs_the_same_queries_as_the_english_one(client, count):
    for _ in range(count):
        make_partnership(members=2)
    english = queries_for(client, "/")
    services.published_data_changed()  # so that the Welsh page is not served from the cache
    assert queries_for(client, "/cy/") == english == 7
    # And from the cache, only the published-data version is read.
    assert queries_for(client, "/cy/") == 1


@pytest.mark.parametrize("members", [2, 20])
def test_the_welsh_partnership_page_runs_a_constant_number_of_queries(client, members):
    partnership = make_partnership(members=members)
    make_contact(partnership)
    make_agreement(partnership)
    partnership.activities.set(Activity.objects.all()[:3])
    assert queries_for(client, in_welsh(partnership.get_absolute_url())) == 7


# English pages stay as they were


def test_the_english_pages_are_still_in_english(client):
    partnership = make_partnership(name="Bolton Health Information Partnership", members=2)
    home = client.get("/").text
    assert '<html lang="en-gb">' in home
    assert "<h1>Health information partnerships</h1>" in home
    assert "1 partnership\n" in home
    detail = client.get(partnership.get_absolute_url()).text
    assert '<h2 id="members-heading">Members</h2>' in detail
    assert "Send a message to the partnership" in detail


def region_options(html):
    select = html.split('<select name="region"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', select)


def test_the_search_forms_regions_are_in_the_order_of_the_names_shown(client):
    english = region_options(client.get("/").text)
    welsh_names = region_options(client.get("/cy/").text)
    in_england = Region.objects.filter(country="england")
    assert english[: in_england.count()] == sorted(in_england.values_list("name", flat=True))
    assert welsh_names[: in_england.count()] == sorted(in_england.values_list("name_cy", flat=True))
    assert welsh_names[-1] == "Cymru"
