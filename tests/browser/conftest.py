"""Real Chromium through Playwright. These tests never skip: if Chromium is missing or cannot start,
they fail, so CI cannot pass without having run them."""

import base64
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client

from tests.factories import make_moderator

# Playwright's sync API runs an event loop in the test thread; Django's guard against ORM calls
# from async contexts would otherwise refuse the test's own database calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(item.fspath).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)
            # Browser tests use a real server thread, so each one needs a real transaction.
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session", autouse=True)
def _close_connections_opened_under_playwright(playwright):
    """Once Playwright's sync API has started, test code runs in another context (greenlets
    carry their own), so Django opens new database connections there that the test database
    teardown, back in the first context, cannot see; on PostgreSQL such a session stopped the
    test database from being dropped. Close them while Playwright is still running."""
    yield
    from django.db import connections

    connections.close_all()


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is required for the browser tests but {CHROMIUM} does not exist. "
            "Install Debian's chromium package or set CHROMIUM_PATH.",
            pytrace=False,
        )
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


# A 1 x 1 grey PNG: what the stub tile server answers.
STUB_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mN4+f/LfwAJYAPTQ4VNnQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def tile_requests():
    """Tile URLs the page asked the (stubbed) tile server for."""
    return []


@pytest.fixture
def offsite_requests(page, live_server, settings, tile_requests):
    """Every request the page makes to a host other than the test server; they are refused.
    Requests to the configured tile server are answered with a stub tile instead: it is the one
    outside service a map page may use, and it is a setting."""
    own = urlsplit(live_server.url).netloc
    tiles = urlsplit(settings.MAP_TILE_URL).netloc
    refused = []

    def route(route):
        url = route.request.url
        host = urlsplit(url).netloc
        if host == own or url.startswith(("data:", "blob:")):
            route.continue_()
        elif tiles and host == tiles:
            tile_requests.append(url)
            route.fulfill(status=200, content_type="image/png", body=STUB_TILE)
        else:
            refused.append(url)
            route.abort()

    page.route("**/*", route)
    return refused


@pytest.fixture
def site(live_server, page, offsite_requests):
    """The live site, opened in Chromium, with a helper to load a path."""

    class Site:
        url = live_server.url

        def open(self, path):
            response = page.goto(live_server.url + path)
            assert response is not None and response.ok, f"{path}: {response and response.status}"
            return response

    yield Site()
    assert offsite_requests == [], f"The page asked other hosts for {offsite_requests}"


@pytest.fixture
def axe_violations(page):
    """Runs axe-core (bundled, offline) against the current page for WCAG 2.2 AA."""
    axe = Axe()

    def check():
        # A page whose stylesheet is still loading is judged unstyled (the skip link then sits
        # beside the site name as a tiny target), so wait until the page has fully loaded.
        page.wait_for_load_state("load")
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        return [
            f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in results.response["violations"]
        ]

    return check


@pytest.fixture
def console_errors(page):
    """Errors the page logs, including CSP violations."""
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def sign_in(page, live_server, user):
    """Sign `user` in to the browser: the test client's session cookie, handed to the page."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return user


@pytest.fixture
def curator(page, live_server):
    """A signed-in curator."""
    return sign_in(page, live_server, make_moderator())
