"""The statistics page (/stats/): figures on a data set small enough to count by hand, the same
numbers in the chart, the table and the CSV, the directory's filters, what is never counted, and
a fixed number of queries."""

import csv
import io
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory import charts, statistics
from directory.filters import PartnershipFilter
from partnerships.models import (
    Activity,
    AgreementKind,
    AgreementStatus,
    CommunicationChannel,
    Formality,
    Kind,
    Partnership,
    PublicationState,
    Region,
    Role,
    Scope,
    Sector,
    Status,
)
from partnerships.services import published_data_changed
from tests.factories import (
    make_agreement,
    make_membership,
    make_organisation,
    make_partnership,
    make_place,
)

pytestmark = pytest.mark.django_db

STATS = reverse("directory:stats")


def csv_url(figure, query=""):
    return reverse("directory:stats_csv", args=[figure]) + (f"?{query}" if query else "")


@pytest.fixture
def known():
    """Three published partnerships, one draft and one archived, with members, activities,
    channels and agreements, each figure countable by hand:

    - Bolton (North West, England): network, formal, active, county, 2019; an NHS trust (lead)
      and a public library; Health Information Week and Reading Well; face-to-face and email;
      a public signed MoU and a private data sharing agreement.
    - Leeds (North East and Yorkshire, England): network, informal, forming, local, 2019; the
      same public library and an academic library; Health Information Week; email; a public
      draft terms of reference.
    - Cardiff (Wales): SLA, formal, dormant, regional, no year; an NHS trust; Reading Well;
      no channel; a public expired SLA.
    - A draft and an archived partnership in the North West, with their own members, activities
      and agreements, which must never be counted.
    """
    north_west = Region.objects.get(slug="north-west")
    yorkshire = Region.objects.get(slug="north-east-and-yorkshire")
    wales = Region.objects.get(slug="wales")
    week = Activity.objects.get(slug="health-information-week")
    reading = Activity.objects.get(slug="reading-well-books-on-prescription")
    meetings = CommunicationChannel.objects.get(slug="face-to-face-meetings")
    email = CommunicationChannel.objects.get(slug="email-or-mailing-list")
    trust = make_organisation(name="Bolton NHS Foundation Trust", sector=Sector.NHS)
    library = make_organisation(name="Bolton Libraries", sector=Sector.PUBLIC_LIBRARY)
    university = make_organisation(name="University of Leeds Library", sector=Sector.ACADEMIC)
    welsh_trust = make_organisation(name="Cardiff and Vale UHB", sector=Sector.NHS)

    bolton = make_partnership(
        name="Bolton",
        region=north_west,
        kind=Kind.NETWORK,
        formality=Formality.FORMAL,
        status=Status.ACTIVE,
        scope=Scope.COUNTY,
        established_year=2019,
    )
    make_membership(bolton, trust, role=Role.LEAD)
    make_membership(bolton, library)
    bolton.activities.set([week, reading])
    bolton.channels.set([meetings, email])
    make_agreement(bolton, kind=AgreementKind.MOU, status=AgreementStatus.SIGNED)
    make_agreement(bolton, kind=AgreementKind.DATA_SHARING, is_public=False)

    leeds = make_partnership(
        name="Leeds",
        region=yorkshire,
        kind=Kind.NETWORK,
        formality=Formality.INFORMAL,
        status=Status.FORMING,
        scope=Scope.LOCAL,
        established_year=2019,
    )
    make_membership(leeds, library)
    make_membership(leeds, university)
    leeds.activities.set([week])
    leeds.channels.set([email])
    make_agreement(
        leeds,
        kind=AgreementKind.TERMS_OF_REFERENCE,
        status=AgreementStatus.DRAFT,
        title="Terms of reference",
    )

    cardiff = make_partnership(
        name="Cardiff",
        region=wales,
        kind=Kind.SLA,
        formality=Formality.FORMAL,
        status=Status.DORMANT,
        scope=Scope.REGIONAL,
    )
    make_membership(cardiff, welsh_trust)
    cardiff.activities.set([reading])
    make_agreement(
        cardiff, kind=AgreementKind.SLA, status=AgreementStatus.EXPIRED, title="Library SLA"
    )

    for state in (PublicationState.DRAFT, PublicationState.ARCHIVED):
        hidden = make_partnership(
            members=2,
            region=north_west,
            kind=Kind.PROJECT,
            status=Status.CLOSED,
            established_year=2001,
            publication_state=state,
        )
        make_membership(hidden, trust)
        hidden.activities.set([week, reading])
        hidden.channels.set([meetings])
        make_agreement(hidden, kind=AgreementKind.OTHER)
    return {"bolton": bolton, "leeds": leeds, "cardiff": cardiff}


def figures(query=""):
    search = PartnershipFilter(QueryDict(query))
    assert search.is_valid(), search.errors
    return statistics.compute(search.qs)


def as_dict(figure):
    return {row[0]: row[1] if figure.kind == "bars" else row[1:] for row in figure.rows}


# Every figure on a known data set -----------------------------------------------------------


def test_the_summary_counts_published_partnerships_and_their_distinct_organisations(known):
    found = figures()

    assert found.summary == statistics.Summary(partnerships=3, organisations=4)


def test_partnerships_are_counted_by_region_every_region_shown_in_order(known):
    regions = figures().figure("regions")

    assert [row[0] for row in regions.rows] == [
        *Region.objects.values_list("name", flat=True),
        "Not given",
    ]
    assert as_dict(regions)["North West"] == 1
    assert as_dict(regions)["North East and Yorkshire"] == 1
    assert as_dict(regions)["Wales"] == 1
    assert as_dict(regions)["London"] == 0
    assert as_dict(regions)["Not given"] == 0
    assert regions.total == 3


def test_a_partnership_without_a_region_is_counted_as_not_given(known):
    make_partnership(name="Nowhere in particular")

    found = figures()

    assert as_dict(found.figure("regions"))["Not given"] == 1
    assert as_dict(found.figure("nations"))["Not given"] == 1


def test_partnerships_are_counted_by_nation(known):
    assert as_dict(figures().figure("nations")) == {
        "England": 2,
        "Scotland": 0,
        "Wales": 1,
        "Northern Ireland": 0,
        "Ireland": 0,
        "Not given": 0,
    }


def test_partnerships_are_counted_by_kind_formality_status_and_scope(known):
    found = figures()

    assert as_dict(found.figure("kinds")) == {
        "Cross-sector network": 2,
        "Service level agreement": 1,
        "Joint project": 0,
        "Library and IT collaboration": 0,
    }
    assert as_dict(found.figure("formality")) == {"Informal": 1, "Formal": 2}
    assert as_dict(found.figure("status")) == {
        "Forming": 1,
        "Active": 1,
        "Dormant": 1,
        "Closed": 0,
    }
    assert as_dict(found.figure("scope")) == {
        "Local": 1,
        "County or city": 1,
        "Regional": 1,
        "National": 0,
    }


def test_member_organisations_are_counted_once_by_sector(known):
    sectors = as_dict(figures().figure("sectors"))

    # Bolton Libraries belongs to two partnerships and counts once.
    assert sectors["NHS trust or health library"] == 2
    assert sectors["Public library"] == 1
    assert sectors["Academic library"] == 1
    assert sum(sectors.values()) == 4
    assert list(sectors) == Sector.labels


def test_the_sector_activity_grid_counts_partnerships_with_a_member_of_the_sector(known):
    grid = figures().figure("sector-activity")
    cells = as_dict(grid)
    column = {label: n for n, label in enumerate(Sector.labels)}

    week = cells["Health Information Week"]
    reading = cells["Reading Well / Books on Prescription"]
    # Health Information Week: Bolton (NHS, public) and Leeds (public, academic).
    assert week[column["NHS trust or health library"]] == 1
    assert week[column["Public library"]] == 2
    assert week[column["Academic library"]] == 1
    # Reading Well: Bolton (NHS, public) and Cardiff (NHS).
    assert reading[column["NHS trust or health library"]] == 2
    assert reading[column["Public library"]] == 1
    assert reading[column["Academic library"]] == 0
    assert grid.headings == ("Activity", *Sector.labels)
    assert [row[0] for row in grid.rows] == list(Activity.objects.values_list("name", flat=True))
    assert grid.total == 7


def test_channels_are_counted_with_every_channel_shown(known):
    found = as_dict(figures().figure("channels"))

    assert found["Face-to-face meetings"] == 1
    assert found["Email or mailing list"] == 2
    assert found["Newsletter"] == 0
    assert len(found) == CommunicationChannel.objects.count()


def test_only_public_agreements_of_published_partnerships_are_counted(known):
    found = figures()

    assert as_dict(found.figure("agreement-kinds")) == {
        "Memorandum of understanding": 1,
        "Service level agreement": 1,
        "Terms of reference": 1,
        "Data sharing agreement": 0,  # Bolton's is private
        "Other": 0,  # the draft's and the archived one's
    }
    assert as_dict(found.figure("agreement-status")) == {
        "Draft": 1,
        "Signed": 1,
        "Expired": 1,
        "Superseded": 0,
    }


def test_partnerships_founded_per_year_fill_the_years_between(known):
    make_partnership(name="Older", established_year=2016)

    assert as_dict(figures().figure("founded")) == {
        "2016": 1,
        "2017": 0,
        "2018": 0,
        "2019": 2,
        "Not given": 1,  # Cardiff
    }


def test_the_figures_are_in_the_order_of_the_csv_names(known):
    assert [figure.slug for figure in figures().figures] == statistics.FIGURES


def test_with_nothing_published_every_figure_is_zero_but_still_lists_its_values():
    found = figures()

    assert found.summary == statistics.Summary(partnerships=0, organisations=0)
    assert all(figure.is_empty for figure in found.figures)
    assert len(found.figure("kinds").rows) == len(Kind.choices)
    assert found.figure("founded").rows == (("Not given", 0),)


# The page, the table and the CSV ------------------------------------------------------------


def page_tables(html):
    """Each figure's table on the page, as {figure slug: [[cell, ...], ...]} (header row first)."""
    tables = {}
    for slug, table in re.findall(
        r'<section class="stats-figure" id="figure-([\w-]+)".*?(<table.*?</table>)', html, re.S
    ):
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
        # Numbers are shown with thousands separators ("1,234"); labels as they are.
        tables[slug] = [
            [
                unescape(cell) if tag == "h" else unescape(cell).replace(",", "")
                for tag, cell in re.findall(r"<t([hd])[^>]*>(.*?)</t[hd]>", row)
            ]
            for row in rows
        ]
    return tables


def csv_rows(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_page_the_table_and_the_csv_show_the_same_numbers(client, known):
    response = client.get(STATS)

    assert response.status_code == 200
    tables = page_tables(response.content.decode())
    assert list(tables) == statistics.FIGURES
    found = figures()
    for figure in found.figures:
        expected = [list(figure.headings), *[[str(cell) for cell in row] for row in figure.rows]]
        assert tables[figure.slug] == expected, figure.slug
        assert csv_rows(client.get(csv_url(figure.slug))) == expected, figure.slug


def test_the_page_says_how_many_partnerships_and_organisations_it_counts(client, known):
    response = client.get(STATS)

    text = " ".join(response.content.decode().split())
    assert "3 published partnerships</strong> with <strong>4 member organisations" in text


def test_each_chart_shows_its_numbers_and_has_a_text_alternative(client, known):
    html = client.get(STATS).content.decode()

    charts_on_page = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(charts_on_page) == len(statistics.FIGURES)
    regions = next(svg for svg in charts_on_page if "chart-regions-title" in svg)
    assert 'role="img"' in regions
    assert 'aria-labelledby="chart-regions-title chart-regions-desc"' in regions
    assert '<title id="chart-regions-title">Partnerships by region</title>' in regions
    assert "3 partnerships in all" in regions
    assert ">North West</text>" in regions
    assert "style=" not in html


def test_a_hostile_name_stays_text_in_the_chart_the_table_and_the_csv(client, known):
    Region.objects.filter(slug="london").update(name="<script>alert(1)</script>")
    CommunicationChannel.objects.filter(slug="phone").update(name='=HYPERLINK("x")')
    published_data_changed()

    html = client.get(STATS).content.decode()
    rows = csv_rows(client.get(csv_url("channels")))

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ['\'=HYPERLINK("x")', "0"] in rows


def test_the_csv_is_a_named_download_with_a_header_row(client, known):
    response = client.get(csv_url("sectors"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="partnership-statistics-sectors.csv"'
    )
    assert csv_rows(response)[0] == ["Sector", "Organisations"]


def test_an_unknown_figure_is_not_found(client, known):
    assert client.get(csv_url("members-by-shoe-size")).status_code == 404


def test_every_figure_links_its_csv_with_the_same_search(client, known):
    html = client.get(STATS, {"region": "north-west"}).content.decode()

    for slug in statistics.FIGURES:
        assert f'href="{csv_url(slug, "region=north-west")}"' in html


# Filters ------------------------------------------------------------------------------------


def directory_count(client, query):
    response = client.get(reverse("directory:home") + "?" + query)
    return response.context["page"].paginator.count


@pytest.mark.parametrize(
    "query, expected",
    [
        ("region=north-west", 1),
        ("sector=public-library", 2),
        ("sector=nhs", 2),
        ("activity=reading-well-books-on-prescription", 2),
        ("activity=health-information-week&sector=academic", 1),
        ("kind=sla", 1),
    ],
)
def test_a_filter_counts_the_same_partnerships_as_the_directory_list(
    client, known, query, expected
):
    response = client.get(f"{STATS}?{query}")

    assert response.context["statistics"]["summary"].partnerships == expected
    assert directory_count(client, query) == expected
    assert response.context["statistics"]["figures"][0]["figure"].total == expected


def test_a_region_filter_changes_every_figure_consistently(client, known):
    response = client.get(STATS, {"region": "north-west"})
    found = {
        item["figure"].slug: item["figure"] for item in response.context["statistics"]["figures"]
    }

    assert as_dict(found["regions"])["North West"] == 1
    assert as_dict(found["regions"])["Wales"] == 0
    assert as_dict(found["nations"])["England"] == 1
    assert as_dict(found["sectors"])["Academic library"] == 0
    assert as_dict(found["sectors"])["NHS trust or health library"] == 1
    assert as_dict(found["agreement-kinds"])["Memorandum of understanding"] == 1
    assert as_dict(found["agreement-kinds"])["Terms of reference"] == 0
    assert csv_rows(client.get(csv_url("nations", "region=north-west")))[1] == ["England", "1"]


def test_an_activity_filter_keeps_members_of_other_activities_partnerships_out(client, known):
    response = client.get(STATS, {"activity": "health-information-week"})
    sectors = as_dict(
        next(
            i["figure"]
            for i in response.context["statistics"]["figures"]
            if i["figure"].slug == "sectors"
        )
    )

    assert sectors["NHS trust or health library"] == 1  # Bolton's trust, not Cardiff's
    assert sectors["Academic library"] == 1


def test_the_page_names_the_filters_applied_and_offers_to_clear_them(client, known):
    response = client.get(STATS, {"region": "north-west", "sector": "nhs"})

    html = " ".join(response.content.decode().split())
    assert "<dt>Region</dt><dd>North West</dd>" in html
    assert "<dt>Member sector</dt><dd>NHS trust or health library</dd>" in html
    assert f'<a href="{STATS}">Clear filters</a>' in html
    assert f'href="{reverse("directory:home")}?region=north-west&amp;sector=nhs"' in html


def test_an_invalid_filter_shows_the_error_as_the_directory_does(client, known):
    response = client.get(STATS, {"region": "atlantis"})

    assert response.status_code == 200
    assert "statistics" not in response.context
    assert "Correct the search above to see statistics." in response.content.decode()
    assert 'class="error-summary"' in response.content.decode()
    csv_response = client.get(csv_url("regions", "region=atlantis"))
    assert csv_response.status_code == 400
    assert "region" in csv_response.json()["errors"]


def figure_on_page(response, slug):
    return next(
        item["figure"]
        for item in response.context["statistics"]["figures"]
        if item["figure"].slug == slug
    )


def test_a_search_near_a_town_counts_the_partnerships_within_its_radius(client, known):
    make_place("Bolton", 53.578, -2.429, search_name="bolton")
    Partnership.objects.filter(name="Bolton").update(latitude=53.58, longitude=-2.43)
    Partnership.objects.filter(name="Leeds").update(latitude=53.80, longitude=-1.55)
    published_data_changed()

    response = client.get(STATS, {"near": "Bolton", "radius": "25"})

    assert response.context["statistics"]["summary"].partnerships == 1
    assert figure_on_page(response, "kinds").total == 1
    assert as_dict(figure_on_page(response, "founded")) == {"2019": 1, "Not given": 0}
    assert directory_count(client, "near=Bolton&radius=25") == 1
    html = " ".join(response.content.decode().split())
    assert "<dt>Near</dt><dd>Bolton (within 25 km)</dd>" in html


def test_a_word_search_counts_the_partnerships_it_finds(client, known):
    response = client.get(STATS, {"q": "Leeds"})

    assert response.context["statistics"]["summary"].partnerships == 1
    assert as_dict(figure_on_page(response, "status"))["Forming"] == 1
    assert figure_on_page(response, "scope").total == 1
    assert directory_count(client, "q=Leeds") == 1


def test_empty_fields_are_tidied_out_of_the_address(client, known):
    response = client.get(STATS, {"region": "north-west", "q": ""})

    assert response.status_code == 302
    assert response["Location"] == f"{STATS}?region=north-west"


# Links --------------------------------------------------------------------------------------


def test_the_header_links_to_the_statistics(client):
    html = client.get(reverse("directory:home")).content.decode()

    assert f'<a href="{STATS}">Statistics</a>' in html


def test_the_directory_results_link_to_their_statistics(client, known):
    html = client.get(reverse("directory:home"), {"region": "north-west"}).content.decode()

    assert f'<a href="{STATS}?region=north-west">Statistics for these results</a>' in html


def test_the_page_has_one_h1_and_tables_with_captions_and_scoped_headers(client, known):
    html = client.get(STATS).content.decode()

    assert html.count("<h1") == 1
    assert html.count("<caption") == len(statistics.FIGURES)
    assert '<th scope="col">Region</th>' in html
    assert '<th scope="row">North West</th>' in html


# Queries and the cache ----------------------------------------------------------------------


def make_many(n):
    north_west = Region.objects.get(slug="north-west")
    week = Activity.objects.get(slug="health-information-week")
    email = CommunicationChannel.objects.get(slug="email-or-mailing-list")
    for i in range(n):
        partnership = make_partnership(members=2, region=north_west, established_year=2000 + i % 20)
        partnership.activities.set([week])
        partnership.channels.set([email])
        make_agreement(partnership)


def count_queries(client, query=""):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{STATS}?{query}" if query else STATS)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("query", ["", "region=north-west&activity=health-information-week"])
def test_the_page_takes_as_many_queries_for_fifty_partnerships_as_for_five(client, query):
    make_many(5)
    with_five = count_queries(client, query)

    make_many(45)
    cache.clear()
    with_fifty = count_queries(client, query)

    assert with_five == with_fifty
    assert with_fifty <= 25


def test_a_repeated_request_is_served_from_the_cache_until_the_data_changes(client, known):
    first = count_queries(client)
    repeated = count_queries(client)
    # Only the published-data version is read; the search form and the figures, drawn, come
    # from the cache.
    assert first > repeated == 1

    make_partnership(name="New", region=Region.objects.get(slug="wales"))

    response = client.get(STATS)
    assert response.context["statistics"]["summary"].partnerships == 4


def test_a_csv_download_reuses_the_page_s_computed_figures(client, known):
    client.get(STATS, {"region": "north-west"})

    with CaptureQueriesContext(connection) as captured:
        client.get(csv_url("regions", "region=north-west"))

    figure_queries = [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert figure_queries == []


# The charts ---------------------------------------------------------------------------------


def test_chart_colours_meet_wcag_contrast():
    assert charts.contrast(charts.BAR, charts.BACKGROUND) >= 3
    assert charts.contrast(charts.INK, charts.BACKGROUND) >= 4.5
    for fill in charts.SHADES:
        assert charts.contrast(charts.text_colour_on(fill), fill) >= 4.5, fill


def test_the_grid_shades_darker_for_larger_numbers():
    shades = [charts.shade(value, 10) for value in (0, 1, 5, 10)]

    assert shades[0] == charts.SHADES[0]
    assert shades[-1] == charts.SHADES[-1]
    assert len(set(shades)) == 4
