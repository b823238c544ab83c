"""/healthz: what a load balancer sees."""

from unittest import mock

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


def test_it_answers_ok_when_the_database_and_the_cache_answer(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies


def test_it_answers_503_when_the_database_is_unreachable(client):
    with mock.patch.object(
        connection, "cursor", side_effect=OperationalError("could not connect to server")
    ):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable", "cache": "ok"}
    assert "could not connect" not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_it_answers_503_when_the_cache_raises(client):
    with mock.patch("config.health.cache.set", side_effect=ConnectionError("redis is down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}


def test_it_answers_503_when_the_cache_forgets_what_was_just_set(client):
    with mock.patch("config.health.cache.get", return_value=None):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["cache"] == "unavailable"


def test_it_holds_no_data_from_the_directory(client):
    from tests.factories import make_partnership, make_user

    make_user(email="someone@example.org")
    make_partnership(name="A partnership with a name")

    body = client.get("/healthz").content.decode()

    assert "example.org" not in body
    assert "partnership" not in body.lower()


def test_a_load_balancer_can_probe_it_over_plain_http_when_https_is_enforced(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    # Everything else still goes to HTTPS.
    assert client.get("/").status_code == 301


def test_only_get_and_head_are_answered(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
