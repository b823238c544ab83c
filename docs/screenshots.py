"""Retake the README's screenshots from a running directory (`make run` in another terminal).

    .venv/bin/python docs/screenshots.py [http://127.0.0.1:8000]

Headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium) opens each page at a laptop's width
and saves the top of it (the height given below) as a PNG beside this file. Requests to other
hosts (map tiles) are refused, so maps show a plain background, as the README says."""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

# File name: (page, height in pixels).
SHOTS = {
    "directory.png": ("/", 1100),
    # The same page in Welsh, beside the English one in the README.
    "directory-cy.png": ("/cy/", 1100),
    "stats.png": ("/stats/", 1500),
    "coverage.png": ("/stats/coverage/", 2300),
}
HERE = Path(__file__).resolve().parent


def main(base):
    own = urlsplit(base).netloc
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if urlsplit(route.request.url).netloc == own else route.abort()
            ),
        )
        for name, (path, height) in SHOTS.items():
            page.set_viewport_size({"width": 1280, "height": height})
            page.goto(base.rstrip("/") + path, wait_until="networkidle")
            page.screenshot(path=HERE / name)
            print(f"{name}: {path}")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
