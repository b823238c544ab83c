"""Choosing the language: /cy/ addresses, the language link, the remembered choice, the browser's
Accept-Language on a first visit, and the language stored on a signed-in person's account."""

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import Profile
from directory import caching
from partnerships.models import Partnership
from tests.factories import make_organisation, make_partnership, make_user

pytestmark = pytest.mark.django_db

PAGE = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}


def language_links(response):
    """{code: href} of the language links in a page's header."""
    html = response.content.decode()
    links = {}
    for code in ("cy", "en-gb"):
        marker = f'hreflang="{code}"'
        if marker in html:
            start = html.rindex("<a ", 0, html.index(marker))
            href = html[start:].split('href="', 1)[1].split('"', 1)[0]
            links[code] = href.replace("&amp;", "&")
    return links


def test_english_pages_keep_their_addresses_and_welsh_pages_are_under_cy(client):
    english = client.get("/", **PAGE)
    welsh = client.get("/cy/", **PAGE)
    assert english.status_code == welsh.status_code == 200
    assert '<html lang="en-gb">' in english.content.decode()
    assert '<html lang="cy">' in welsh.content.decode()
    assert english["Content-Language"] == "en-gb"
    assert welsh["Content-Language"] == "cy"


def test_links_on_a_welsh_page_stay_in_welsh(client):
    partnership = make_partnership(name="Partneriaeth Iechyd Caerdydd")
    html = client.get("/cy/", **PAGE).content.decode()
    assert f'href="/cy/partnerships/{partnership.slug}/"' in html
    assert 'href="/cy/stats/"' in html


def test_the_language_link_keeps_the_page_and_its_search(client):
    response = client.get("/?q=library&region=wales", **PAGE)
    href = language_links(response)["cy"]
    parts = urlsplit(href)
    assert parts.path == "/language/cy/"
    assert parse_qs(parts.query)["next"] == ["/?q=library&region=wales"]
    switched = client.get(href)
    assert switched.status_code == 302
    assert switched["Location"] == "/cy/?q=library&region=wales"
    back = language_links(client.get(switched["Location"], **PAGE))["en-gb"]
    assert client.get(back)["Location"] == "/?q=library&region=wales"


def test_the_language_link_on_a_partnership_page_goes_to_the_same_partnership(client):
    partnership = make_partnership()
    response = client.get(f"/cy/partnerships/{partnership.slug}/", **PAGE)
    assert client.get(language_links(response)["en-gb"])["Location"] == (
        f"/partnerships/{partnership.slug}/"
    )


def test_choosing_a_language_is_remembered_in_a_cookie(client):
    response = client.get("/language/cy/?next=/")
    cookie = response.cookies["language"]
    assert cookie.value == "cy"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"]


def test_someone_who_chose_welsh_is_taken_to_the_welsh_page_from_an_english_link(client):
    partnership = make_partnership()
    client.get("/language/cy/?next=/")
    response = client.get(f"/partnerships/{partnership.slug}/?from=email", **PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"/cy/partnerships/{partnership.slug}/?from=email"
    assert "Cookie" in response["Vary"] and "Accept-Language" in response["Vary"]


def test_someone_who_chose_english_stays_in_english_whatever_their_browser_prefers(client):
    client.get("/language/en-gb/?next=/")
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="cy,en;q=0.5", **PAGE)
    assert response.status_code == 200
    assert '<html lang="en-gb">' in response.content.decode()


def test_a_first_visit_from_a_welsh_browser_opens_the_welsh_page(client):
    response = client.get("/stats/?region=wales", HTTP_ACCEPT_LANGUAGE="cy-GB,cy;q=0.9", **PAGE)
    assert response.status_code == 302
    assert response["Location"] == "/cy/stats/?region=wales"


def test_a_first_visit_from_an_english_browser_stays_in_english(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9", **PAGE)
    assert response.status_code == 200
    assert "Accept-Language" in response["Vary"]


def test_downloads_the_api_and_forms_are_never_redirected(client):
    client.get("/language/cy/?next=/")
    assert client.get("/export.csv").status_code == 200
    assert client.get("/openreferral/services", HTTP_ACCEPT="application/json").status_code == 200
    assert client.get("/healthz").status_code in (200, 503)
    posted = client.post("/accounts/login/", {"login": "x", "password": "y"}, **PAGE)
    assert posted.status_code != 302 or not posted["Location"].startswith("/cy/")


def test_the_language_link_refuses_to_send_people_to_another_site(client):
    for next_url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.get("/language/cy/", {"next": next_url})
        assert response.status_code == 302
        assert response["Location"] == "/cy/"


def test_an_unknown_language_falls_back_to_english(client):
    response = client.get("/language/xx/?next=/stats/")
    assert response["Location"] == "/stats/"
    assert response.cookies["language"].value == "en-gb"


def test_a_page_without_a_welsh_address_sends_the_link_home(client):
    response = client.get("/language/cy/", {"next": "/healthz"})
    assert response["Location"] == "/cy/"


def test_the_thread_is_back_in_english_after_a_welsh_page(client):
    client.get("/cy/", **PAGE)
    assert translation.get_language() == "en-gb"


def test_a_welsh_download_is_written_in_welsh_although_it_streams_after_the_view(client):
    make_partnership(name="Partneriaeth Iechyd Caerdydd", name_cy="Partneriaeth Caerdydd")
    english = client.get("/export.csv")
    welsh = client.get("/cy/export.csv")
    english_rows = list(csv.reader(io.StringIO(b"".join(english.streaming_content).decode())))
    welsh_rows = list(csv.reader(io.StringIO(b"".join(welsh.streaming_content).decode())))
    assert english_rows[0][:4] == ["\ufeffName", "Name in Welsh", "Summary", "Summary in Welsh"]
    assert welsh_rows[0][:4] == ["\ufeffEnw", "Enw yn Gymraeg", "Crynodeb", "Crynodeb yn Gymraeg"]
    assert (
        english_rows[1][:2]
        == welsh_rows[1][:2]
        == [
            "Partneriaeth Iechyd Caerdydd",
            "Partneriaeth Caerdydd",
        ]
    )


def test_a_signed_in_person_has_the_language_they_use_stored_for_emails(client):
    user = make_user()
    client.force_login(user)
    assert Profile.language_of(user) == "en-gb"
    client.get("/cy/", **PAGE)
    assert Profile.language_of(user) == "cy"
    client.get("/", **PAGE)
    assert Profile.language_of(user) == "en-gb"


def test_the_stored_language_is_written_only_when_it_changes(client):
    user = make_user()
    client.force_login(user)
    client.get("/cy/", **PAGE)
    with CaptureQueriesContext(connection) as queries:
        client.get("/cy/", **PAGE)
    assert not [q for q in queries if "accounts_profile" in q["sql"]]


def test_signing_in_keeps_a_language_already_stored(client):
    user = make_user()
    Profile.objects.create(user=user, language="cy")
    client.force_login(user)
    assert Profile.language_of(user) == "cy"


def test_no_language_is_stored_for_someone_not_signed_in(client):
    client.get("/cy/", **PAGE)
    assert not Profile.objects.exists()


def test_cached_public_answers_are_kept_apart_by_language():
    with translation.override("cy"):
        welsh = caching.version_key("map", 1, "/map-data/")
    with translation.override("en-gb"):
        english = caching.version_key("map", 1, "/map-data/")
    assert welsh != english


# Searching in both languages -----------------------------------------------------------------


def found(text):
    return sorted(Partnership.objects.published().matching(text).values_list("name", flat=True))


def test_a_welsh_word_finds_the_entry_whose_welsh_summary_holds_it():
    make_partnership(name="Reading Well Cardiff", summary_cy="Llyfrau darllen iach i bawb.")
    make_partnership(name="Bolton Health Libraries")
    assert found("darllen") == ["Reading Well Cardiff"]
    assert found("reading") == ["Reading Well Cardiff"]


def test_a_welsh_name_finds_its_partnership():
    make_partnership(name="Cardiff Health Information", name_cy="Gwybodaeth Iechyd Caerdydd")
    assert found("Caerdydd") == ["Cardiff Health Information"]
    assert found("gwybodaeth caerdydd") == ["Cardiff Health Information"]


def test_a_member_organisations_welsh_name_finds_the_partnership():
    partnership = make_partnership(name="South Wales Library Network")
    organisation = make_organisation(name="Cardiff Libraries", name_cy="Llyfrgelloedd Caerdydd")
    partnership.memberships.create(organisation=organisation, role="member")
    Partnership.objects.filter(pk=partnership.pk).refresh_member_names()
    assert found("llyfrgelloedd") == ["South Wales Library Network"]


def test_the_directory_page_finds_an_entry_by_a_welsh_word(client):
    make_partnership(name="Reading Well Cardiff", summary_cy="Llyfrau darllen iach i bawb.")
    make_partnership(name="Bolton Health Libraries")
    html = client.get("/cy/?q=darllen", **PAGE).content.decode()
    assert "Reading Well Cardiff" in html
    assert "Bolton Health Libraries" not in html


# An entry's text in the reader's language ------------------------------------------------------


def render(source, **context):
    from django.template import Context, Template

    return Template("{% load languages %}" + source).render(Context(context))


def test_an_entry_shows_its_text_in_the_readers_language():
    partnership = Partnership(summary="In English.", summary_cy="Yn Gymraeg.")
    source = "{% localised partnership.localised.summary %}"
    with translation.override("cy"):
        assert render(source, partnership=partnership) == "<p>Yn Gymraeg.</p>"
    assert render(source, partnership=partnership) == "<p>In English.</p>"


def test_english_text_on_a_welsh_page_is_marked_english_with_a_note():
    partnership = Partnership(summary="In <English>.")
    with translation.override("cy"):
        html = render("{% localised p.localised.summary 'p' 'lede' %}", p=partnership)
    assert html.startswith('<p class="lede" lang="en">In &lt;English&gt;.</p>')
    assert '<p class="language-note">' in html


def test_welsh_text_on_an_english_page_is_marked_welsh_with_a_note():
    partnership = Partnership(description_cy="Paragraff un.\n\nParagraff dau.")
    html = render("{% localised p.localised.description 'div' linebreaks=True %}", p=partnership)
    assert html.startswith('<div lang="cy"><p>Paragraff un.</p>\n\n<p>Paragraff dau.</p></div>')
    assert "This text is only available in Welsh." in html


def test_no_text_in_either_language_shows_nothing():
    assert render("{% localised p.localised.aims %}", p=Partnership()) == ""


def test_names_and_vocabularies_are_shown_in_the_readers_language():
    from partnerships.models import Region

    region = Region.objects.get(slug="wales")
    partnership = Partnership(name="Cardiff Health", name_cy="Iechyd Caerdydd")
    with translation.override("cy"):
        assert str(region) == "Cymru"
        assert partnership.display_name == "Iechyd Caerdydd"
    assert str(region) == "Wales"
    assert partnership.display_name == "Cardiff Health"
    assert Partnership(name="Only English").display_name == "Only English"


def test_every_region_activity_and_channel_has_a_welsh_name():
    from partnerships.models import Activity, CommunicationChannel, Region

    for model in (Region, Activity, CommunicationChannel):
        assert not model.objects.filter(name_cy="").exists(), model
    assert not Activity.objects.filter(description_cy="").exists()
