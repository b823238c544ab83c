"""The toolkit, the Open Referral about page and the error pages in Welsh. The guidance pages are
written in English only: on a Welsh page their text is marked as English and said to be."""

import importlib

import pytest
from django.apps import apps
from django.test import override_settings

from tests.factories import make_agreement, make_partnership
from tests.welsh import assert_welsh, english_left
from toolkit.models import GuidancePage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seeded_guidance():
    """The guidance pages a new install starts with (the browser tests empty every table)."""
    if not GuidancePage.objects.exists():
        migration = importlib.import_module("toolkit.migrations.0002_initial_guidance")
        migration.add_guidance(apps, None)


def test_the_toolkit_index_is_in_welsh_with_the_english_guidance_marked(client):
    response = client.get("/cy/toolkit/")

    assert response.status_code == 200
    assert_welsh(response)
    html = response.content.decode()
    assert "Pecyn cymorth: dechrau a rhedeg partneriaeth" in html
    assert '<ol class="toolkit-pages" lang="en">' in html
    assert "Dim ond yn Saesneg y mae'r canllawiau ar gael." in html
    assert "Memorandwm cyd-ddealltwriaeth" in html


def test_a_guidance_page_on_a_welsh_page_is_marked_as_english_with_a_note(client):
    GuidancePage.objects.create(
        title="Partneriaethau", slug="partneriaethau", body="Start with the people.", position=99
    )

    response = client.get("/cy/toolkit/partneriaethau/")

    assert response.status_code == 200
    assert_welsh(response)
    html = response.content.decode()
    assert '<div class="guidance-body" lang="en">' in html
    assert "Dim ond yn Saesneg y mae'r testun hwn ar gael." in html


def test_the_guidance_on_the_english_page_has_no_note(client):
    GuidancePage.objects.create(title="Funding", slug="funding", body="Ask.", position=99)

    html = client.get("/toolkit/funding/").content.decode()

    assert "only available in English" not in html
    assert 'lang="en"' not in html.split("<main", 1)[1]


def test_the_agreement_library_is_in_welsh(client):
    partnership = make_partnership(name="Partneriaeth Iechyd Caerdydd")
    make_agreement(partnership, title="Cytundeb 2025", shareable_example=True)

    response = client.get("/cy/toolkit/agreements/")

    assert response.status_code == 200
    assert_welsh(response)
    assert "1 cytundeb" in response.content.decode()


def test_the_open_referral_about_page_is_in_welsh(client):
    with override_settings(OPEN_DATA_LICENCE_NAME="CC BY 4.0"):
        response = client.get("/cy/openreferral/about/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ceisiadau enghreifftiol" in html
    # The standard's name is a name, and stays as it is.
    assert english_left(html.replace("Open Referral UK", "")) == []
    # The API has one address, the English one, whatever the page's language.
    assert "http://testserver/openreferral/services?per_page=10" in html
    assert "/cy/openreferral/services" not in html


def test_the_404_page_is_in_welsh(client):
    response = client.get("/cy/dim-tudalen-yma/")

    assert response.status_code == 404
    assert_welsh(response)
    assert "Heb ddod o hyd i'r dudalen" in response.content.decode()


def test_the_english_pages_are_unchanged(client):
    toolkit = client.get("/toolkit/").content.decode()
    about = client.get("/openreferral/about/").content.decode()
    missing = client.get("/no-such-page/").content.decode()

    assert "<h1>Toolkit: starting and running a partnership</h1>" in toolkit
    assert "Only the guidance" not in toolkit
    assert "<h2>Example requests</h2>" in about
    assert "<h1>Page not found</h1>" in missing


def test_the_500_page_is_in_the_language_of_the_page_that_failed():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("cy"):
        welsh = render_to_string("500.html")
    english = render_to_string("500.html")

    assert '<html lang="cy">' in welsh
    assert english_left(welsh) == []
    assert '<a href="/cy/">' in welsh
    assert '<html lang="en-GB">' in english
    assert "Something went wrong" in english
