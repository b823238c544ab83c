"""A NUL character in a query string or a form is a bad request (400), never a server error:
PostgreSQL refuses NUL in any string, so a value carrying one must not reach a query."""

import pytest
from django.test import RequestFactory

from directory import views
from tests.editing import form_data
from tests.factories import make_partnership, make_user

pytestmark = pytest.mark.django_db


def test_the_places_autocomplete_answers_400_to_a_nul_byte(client):
    response = client.get("/places/?q=a%00b")

    assert response.status_code == 400


def test_the_places_view_itself_refuses_a_nul_byte():
    # Checked in the view as well as by the middleware, so the view is safe wherever it is used.
    response = views.places(RequestFactory().get("/places/", {"q": "a\x00b"}))

    assert response.status_code == 400
    assert b"Null characters are not allowed" in response.content


def test_the_search_page_answers_400_to_a_nul_byte_in_a_value_or_a_name(client):
    assert client.get("/?q=a%00b").status_code == 400
    assert client.get("/?q%00=a").status_code == 400
    assert client.get("/export.csv?region=a%00b").status_code == 400


def test_a_form_posted_with_a_nul_byte_answers_400(client):
    partnership = make_partnership()
    contact = client.post(
        f"/partnerships/{partnership.slug}/contact/",
        {"name": "A\x00B", "email": "a@example.org", "message": "Hello"},
    )
    assert contact.status_code == 400

    client.force_login(make_user())
    registration = client.post(
        "/partnerships/new/",
        form_data(
            name="Bolton health libraries",
            summary="Working together.",
            members=[{"name": "a\x00b", "town": "Bolton", "role": "lead"}],
        ),
    )
    assert registration.status_code == 400


def test_ordinary_values_still_work(client):
    assert client.get("/places/?q=bol").status_code == 200
    assert client.get("/?q=library").status_code == 200
