"""Request ids and error log lines: one line per error, the request id in it, no personal data."""

import io
import logging

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from config import urls as config_urls
from config.requestid import OneLineFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


def boom(request):
    raise ValueError(f"no partnership for {request.GET.get('email')}")


def fine(request):
    logging.getLogger("directory").info("Something worth noting.")
    return HttpResponse("fine")


urlpatterns = [
    path("boom/", boom),
    path("fine/", fine),
    *config_urls.urlpatterns,
]


@pytest.fixture
def log_output():
    """What the configured console handler writes, with its own filter and formatter."""
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, OneLineFormatter)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)


@pytest.mark.urls("tests.test_logging")
def test_an_error_is_one_line_with_the_request_id_and_no_query_string(browser, caplog, log_output):
    with caplog.at_level(logging.INFO):
        response = browser.get(
            "/boom/?email=someone%40example.org",
            HTTP_X_REQUEST_ID="lb-1234.abc_DEF",
            HTTP_COOKIE="sessionid=secret-session",
        )

    assert response.status_code == 500
    assert response["X-Request-ID"] == "lb-1234.abc_DEF"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].name == "django.request"
    lines = log_output.getvalue().splitlines()
    assert len(lines) == 1
    [line] = lines
    assert "ERROR django.request request_id=lb-1234.abc_DEF" in line
    assert "Internal Server Error: /boom/" in line
    assert "method=GET" in line
    assert "status=500" in line
    assert "exception=ValueError at tests/test_logging.py" in line
    assert "someone" not in line
    assert "example.org" not in line
    assert "secret-session" not in line


@pytest.mark.urls("tests.test_logging")
def test_a_response_gets_a_new_request_id_when_none_or_a_strange_one_comes_in(browser):
    first = browser.get("/fine/")["X-Request-ID"]
    second = browser.get("/fine/")["X-Request-ID"]
    forged = browser.get("/fine/", HTTP_X_REQUEST_ID="x" * 65)["X-Request-ID"]
    injected = browser.get("/fine/", HTTP_X_REQUEST_ID="abc\r\nSet-Cookie: a=b")["X-Request-ID"]

    assert len(first) == 32
    assert first != second
    assert forged != "x" * 65 and len(forged) == 32
    assert "abc" not in injected and len(injected) == 32


@pytest.mark.urls("tests.test_logging")
def test_application_log_lines_written_during_a_request_carry_its_id(browser, log_output):
    response = browser.get("/fine/", HTTP_X_REQUEST_ID="req-42")

    assert response.status_code == 200
    assert log_output.getvalue().splitlines() == [
        line for line in log_output.getvalue().splitlines() if "request_id=req-42" in line
    ]
    assert "INFO directory request_id=req-42 Something worth noting." in log_output.getvalue()


@pytest.mark.urls("tests.test_logging")
def test_a_forged_line_break_in_the_path_stays_on_one_line(browser, log_output):
    browser.get("/boom/%0A2030-01-01 ERROR forged line")
    browser.get("/boom/")

    lines = log_output.getvalue().splitlines()
    assert len(lines) == 2
    assert all(line.split(" ")[2] in {"WARNING", "ERROR"} for line in lines)


def test_a_record_outside_any_request_has_a_placeholder_id():
    record = logging.LogRecord("partnerships", logging.INFO, __file__, 1, "Loaded %s", (3,), None)

    RequestIdFilter().filter(record)

    assert OneLineFormatter().format(record).endswith("INFO partnerships request_id=- Loaded 3")
