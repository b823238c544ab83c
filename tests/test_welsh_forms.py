"""The statistics, the gap map, "Find partners near you" and the public forms (ask to join, ask to
manage, report a problem, the contact form) in Welsh: every page under /cy/ reads in Welsh, the
forms' errors and messages are Welsh, and what is cached in one language is never shown in the
other."""

import csv
import html
import io
import re
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from directory import statistics, warming
from directory.filters import PartnershipFilter
from directory.forms import fill_token
from partnerships import services, tasks
from partnerships.models import Region, Sector
from tests import welsh as welsh_pages
from tests.factories import (
    make_contact,
    make_membership,
    make_organisation,
    make_partnership,
    make_place,
    make_user,
)
from tests.welsh import assert_welsh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _words_welsh_shares_with_english(monkeypatch):
    """The Welsh for "sector" is "sector" (the glossary's), so a Welsh page may say it."""
    monkeypatch.setattr(welsh_pages, "ENGLISH", welsh_pages.ENGLISH - {"sector", "sectors"})


def welsh(name, *args, query=""):
    """The Welsh address of the page `name`."""
    with translation.override("cy"):
        address = reverse(name, args=args)
    assert address.startswith("/cy/")
    return address + (f"?{query}" if query else "")


@pytest.fixture
def cardiff():
    """A published partnership in Wales with Welsh text, two members and a place to search."""
    wales = Region.objects.get(slug="wales")
    partnership = make_partnership(
        name="Cardiff Health Libraries",
        name_cy="Partneriaeth Iechyd Caerdydd",
        summary_cy="Llyfrgelloedd yn cydweithio ar wybodaeth iechyd.",
        region=wales,
        latitude=51.48,
        longitude=-3.18,
        established_year=2019,
    )
    make_membership(
        partnership,
        make_organisation(
            name="Cardiff Central Library",
            name_cy="Llyfrgell Ganolog Caerdydd",
            sector=Sector.PUBLIC_LIBRARY,
            town="Caerdydd",
            region=wales,
            latitude=51.479,
            longitude=-3.176,
        ),
    )
    make_membership(
        partnership,
        make_organisation(
            name="Cardiff University Library",
            name_cy="Llyfrgell Prifysgol Caerdydd",
            sector=Sector.ACADEMIC,
            town="Caerdydd",
            region=wales,
            latitude=51.488,
            longitude=-3.178,
        ),
    )
    make_contact(partnership, is_lead=True, name="Tîm y llyfrgell")
    make_place("Caerdydd", 51.48, -3.18, region=wales, admin_area="Wales", population=350_000)
    make_place("Aberystwyth", 52.41, -4.08, region=wales, admin_area="Wales", population=19_000)
    return partnership


# The pages ---------------------------------------------------------------------------------


def test_the_statistics_page_is_in_welsh(client, cardiff):
    response = client.get(welsh("directory:stats"))

    assert response.status_code == 200
    assert_welsh(response)
    page = response.content.decode()
    assert "<h1>Ystadegau</h1>" in page
    assert "Partneriaethau fesul rhanbarth" in page
    # The vocabularies by their Welsh names, in the table and the chart.
    assert '<th scope="row">Cymru</th>' in page
    assert ">Cymru</text>" in page


def test_the_statistics_charts_carry_welsh_titles_and_descriptions(client, cardiff):
    page = client.get(welsh("directory:stats")).content.decode()

    regions = next(
        svg for svg in re.findall(r"<svg.*?</svg>", page, re.S) if "chart-regions" in svg
    )
    assert '<title id="chart-regions-title">Partneriaethau fesul rhanbarth</title>' in regions
    assert "Cyfanswm y partneriaethau: 1." in regions
    assert "Cymru: 1" in regions


def test_a_filtered_statistics_page_is_in_welsh(client, cardiff):
    response = client.get(welsh("directory:stats", query="region=wales"))

    assert response.status_code == 200
    assert_welsh(response)
    text = html.unescape(response.content.decode())
    assert "yn cyfateb i'r hidlyddion hyn." in text
    assert "Clirio'r hidlyddion</a> (ystadegau ar gyfer y cyfeiriadur cyfan)" in text


def test_the_welsh_and_english_statistics_pages_never_share_a_cached_rendering(client, cardiff):
    welsh_page = client.get(welsh("directory:stats")).content.decode()
    english_page = client.get(reverse("directory:stats")).content.decode()
    welsh_again = client.get(welsh("directory:stats")).content.decode()

    assert "Partneriaethau fesul rhanbarth" in welsh_page
    assert "Partnerships by region" in english_page
    assert "Partneriaethau fesul rhanbarth" not in english_page
    assert '<title id="chart-regions-title">Partnerships by region</title>' in english_page
    assert '<th scope="row">Wales</th>' in english_page
    assert welsh_again == welsh_page


def test_warming_computes_figures_that_read_in_either_language(client, cardiff):
    version = services.published_data_version()
    warming.warm_national_answers(None, version)

    english_page = client.get(reverse("directory:stats")).content.decode()
    welsh_page = client.get(welsh("directory:stats")).content.decode()

    assert "Partnerships by region" in english_page
    assert "Partneriaethau fesul rhanbarth" in welsh_page


def test_figures_computed_for_a_welsh_page_read_in_english_on_an_english_one(cardiff):
    with translation.override("cy"):
        computed = statistics.compute(PartnershipFilter(QueryDict()).qs)
    cache.set("figures", computed)  # pickled, as the cache keeps them
    regions = cache.get("figures").figure("regions")

    with translation.override("en-gb"):
        assert regions.title == "Partnerships by region"
        assert ("Wales", 1) in regions.rows
        assert regions.labels == ("Region", "Partnerships")
    with translation.override("cy"):
        assert regions.title == "Partneriaethau fesul rhanbarth"
        assert ("Cymru", 1) in regions.rows
        assert regions.labels == ("Rhanbarth", "Partneriaethau")


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_welsh_csv_download_keeps_its_english_heading_row(client, cardiff):
    rows = csv_rows(client.get(welsh("directory:stats_csv", "regions")))

    assert rows[0] == ["Region", "Partnerships"]
    assert ["Cymru", "1"] in rows
    grid = csv_rows(client.get(welsh("directory:stats_csv", "sector-activity")))
    with translation.override("en-gb"):
        assert grid[0] == ["Activity", *(str(label) for label in Sector.labels)]
    assert csv_rows(client.get(reverse("directory:stats_csv", args=["regions"])))[0] == [
        "Region",
        "Partnerships",
    ]


def test_the_gap_map_is_in_welsh(client, cardiff):
    response = client.get(welsh("directory:coverage"))

    assert response.status_code == 200
    assert_welsh(response)
    page = response.content.decode()
    assert "<h1>Map bylchau: trefi heb bartneriaeth gerllaw</h1>" in page
    # Aberystwyth is far from Cardiff: listed with its region and nation in Welsh, and a link
    # to the Welsh registration form.
    uncovered = page.split('id="uncovered-heading"')[1]
    assert "Aberystwyth" in uncovered and "<td>Cymru</td>" in uncovered
    assert f'href="{welsh("editor:new")}?town=Aberystwyth"' in uncovered


def test_the_gap_map_does_not_share_its_rendering_or_links_across_languages(client, cardiff):
    welsh_page = client.get(welsh("directory:coverage"))
    english_page = client.get(reverse("directory:coverage"))

    assert "Dechrau partneriaeth yma" in welsh_page.content.decode()
    english = english_page.content.decode()
    assert "Start a partnership here" in english and "Dechrau partneriaeth yma" not in english
    assert f'href="{reverse("editor:new")}?town=Aberystwyth"' in english
    assert "<td>Wales</td>" in english
    # The map's labels are in the page's language too.
    assert "poblogaeth 19,000" in welsh_page.content.decode()
    assert "population 19,000" in english


def test_after_the_refresh_task_a_welsh_first_visit_reads_no_partnerships(client, cardiff):
    tasks.refresh_map_summary.call()

    for name in ("directory:stats", "directory:coverage"):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(welsh(name))
        assert response.status_code == 200
        assert not [
            query["sql"]
            for query in captured.captured_queries
            if "partnerships_partnership" in query["sql"] or "partnerships_place" in query["sql"]
        ], name


def test_find_partners_is_in_welsh_with_results(client, cardiff):
    response = client.get(welsh("directory:find_partners", query="near=Caerdydd"))

    assert response.status_code == 200
    assert_welsh(response)
    page = response.content.decode()
    assert "2 sefydliad o fewn 25 km i Caerdydd" in page
    assert "Llyfrgell Ganolog Caerdydd" in page
    assert "Partneriaeth Iechyd Caerdydd" in page


def test_find_partners_is_in_welsh_without_a_search(client):
    response = client.get(welsh("directory:find_partners"))

    assert_welsh(response)
    assert "<h1>Dod o hyd i bartneriaid yn agos atoch chi</h1>" in response.content.decode()


def test_find_partners_explains_an_unknown_town_in_welsh(client, cardiff):
    response = client.get(welsh("directory:find_partners", query="near=Atlantis"))

    assert_welsh(response)
    assert "Ni allem ddod o hyd i dref o&#x27;r enw “Atlantis”." in response.content.decode()


def test_find_partners_says_in_welsh_when_nothing_is_near(client, cardiff):
    response = client.get(
        welsh("directory:find_partners", query="near=Aberystwyth&radius=10&sector=nhs")
    )

    assert_welsh(response)
    text = html.unescape(response.content.decode())
    assert "Rhowch gynnig ar bellter ehangach neu unrhyw sector." in text


def test_the_join_form_is_in_welsh(client, cardiff):
    response = client.get(welsh("directory:join", cardiff.slug))

    assert_welsh(response)
    assert "Gofyn am gael ymuno: Partneriaeth Iechyd Caerdydd" in response.content.decode()


def test_the_join_form_sent_empty_shows_its_errors_in_welsh(client, cardiff):
    response = client.post(welsh("directory:join", cardiff.slug), {})

    assert response.status_code == 400
    assert_welsh(response)
    text = html.unescape(response.content.decode())
    assert "Nid yw eich cais wedi'i anfon." in text
    assert "Mae angen y maes hwn." in text
    assert "Nid oedd modd gwirio'r ffurflen. Anfonwch eich cais eto." in text


def join_data(partnership, **overrides):
    return {
        "organisation_name": "Llyfrgell Penarth",
        "sector": Sector.PUBLIC_LIBRARY,
        "town": "Penarth",
        "name": "Siân Jones",
        "email": "sian@example.org",
        "message": "",
        "leave_empty": "",
        "started": fill_token(f"join:{partnership.pk}", issued_at=time.time() - 10),
        **overrides,
    }


def test_a_join_request_is_thanked_in_welsh(client, cardiff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            welsh("directory:join", cardiff.slug), join_data(cardiff), follow=True
        )

    text = html.unescape(response.content.decode())
    assert "Diolch: mae eich cais i Llyfrgell Penarth ymuno wedi mynd at guraduron" in text


def test_too_many_join_requests_are_refused_in_welsh(client, cardiff):
    for _ in range(5):
        client.post(welsh("directory:join", cardiff.slug), join_data(cardiff))

    response = client.post(welsh("directory:join", cardiff.slug), join_data(cardiff))

    assert response.status_code == 429
    assert "Ni anfonwyd eich cais: rydym yn derbyn 5 cais yr awr" in response.content.decode()


def test_the_claim_form_is_in_welsh_and_so_are_its_errors(client, cardiff):
    client.force_login(make_user())

    page = client.get(welsh("directory:claim_partnership", cardiff.slug))
    refused = client.post(welsh("directory:claim_partnership", cardiff.slug), {"reason": ""})

    assert_welsh(page)
    assert refused.status_code == 400
    assert_welsh(refused)
    text = html.unescape(refused.content.decode())
    assert "Dywedwch sut rydych chi'n ymwneud â'r bartneriaeth." in text


def test_a_claim_is_thanked_in_welsh(client, cardiff):
    client.force_login(make_user(email="aelod@example.org"))

    response = client.post(
        welsh("directory:claim_partnership", cardiff.slug),
        {"reason": "Fi yw'r cadeirydd."},
        follow=True,
    )

    text = html.unescape(response.content.decode())
    assert "Diolch: mae eich cais wedi mynd at guraduron y cyfeiriadur." in text
    assert "aelod@example.org" in text


def report_data(kind, entry, **overrides):
    return {
        "reason": "contact",
        "explanation": "Mae'r cyswllt wedi ymddeol.",
        "email": "",
        "leave_empty": "",
        "started": fill_token(f"report:{kind}:{entry.pk}", issued_at=time.time() - 10),
        **overrides,
    }


def test_the_report_forms_are_in_welsh(client, cardiff):
    organisation = cardiff.memberships.first().organisation

    assert_welsh(client.get(welsh("directory:report_partnership", cardiff.slug)))
    assert_welsh(client.get(welsh("directory:report_organisation", organisation.slug)))


def test_the_report_form_sent_empty_shows_its_errors_in_welsh(client, cardiff):
    response = client.post(welsh("directory:report_partnership", cardiff.slug), {})

    assert response.status_code == 400
    assert_welsh(response)
    text = html.unescape(response.content.decode())
    assert "Nid yw eich adroddiad wedi'i anfon." in text
    assert "Dewiswch beth sydd o'i le." in text
    assert "Dywedwch wrthym beth sydd o'i le." in text


def test_a_duplicate_without_the_other_entry_is_refused_in_welsh(client, cardiff):
    response = client.post(
        welsh("directory:report_partnership", cardiff.slug),
        report_data("partnership", cardiff, reason="duplicate"),
    )

    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "Dewch o hyd i'r cofnod arall a'i ddewis" in text


def test_a_report_is_thanked_and_rate_limited_in_welsh(client, cardiff):
    url = welsh("directory:report_partnership", cardiff.slug)
    thanked = client.post(
        url, report_data("partnership", cardiff, email="gohebydd@example.org"), follow=True
    )
    for _ in range(4):
        client.post(url, report_data("partnership", cardiff))
    refused = client.post(url, report_data("partnership", cardiff))

    text = html.unescape(thanked.content.decode())
    assert "Diolch: mae eich adroddiad wedi mynd at guraduron y cyfeiriadur." in text
    assert "gohebydd@example.org" in text
    assert refused.status_code == 429
    assert (
        "Ni anfonwyd eich adroddiad: rydym yn derbyn 5 adroddiad yr awr" in refused.content.decode()
    )


def test_the_contact_form_refuses_in_welsh(client, cardiff):
    response = client.post(welsh("directory:contact", cardiff.slug), {})

    text = html.unescape(response.content.decode())
    assert "Nid oedd modd gwirio'r ffurflen. Anfonwch eich neges eto." in text
    assert "Mae angen y maes hwn." in text


# English is as it was -------------------------------------------------------------------------


def test_the_english_pages_and_forms_keep_their_english(client, cardiff):
    stats = client.get(reverse("directory:stats")).content.decode()
    join = client.post(reverse("directory:join", args=[cardiff.slug]), {})
    find = client.get(reverse("directory:find_partners"), {"near": "Caerdydd"})

    assert '<html lang="en-gb"' in stats
    assert "<h1>Statistics</h1>" in stats
    assert "1 published partnership</strong> with <strong>2 member organisations" in stats
    assert "The form could not be checked. Please send your request again." in html.unescape(
        join.content.decode()
    )
    assert "2 organisations within 25 km of Caerdydd" in find.content.decode()
    assert "Cardiff Central Library" in find.content.decode()
