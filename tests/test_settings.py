import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def start_django(**env):
    """Start Django in a fresh interpreter with the given environment and report the outcome."""
    environment = {k: v for k, v in os.environ.items() if k not in env}
    environment.update(env)
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={k: v for k, v in environment.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEBUG", "maybe"), ("EMAIL_PORT", "twenty-five"), ("GEOCODER", "google")],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name, value):
    result = start_django(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.splitlines()[-1]


def test_secret_key_is_required_when_debug_is_off():
    result = start_django(DEBUG="false", SECRET_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_site_url_is_required_when_debug_is_off():
    # Commands and background tasks have no request to take the site's address from.
    result = start_django(DEBUG="false", SITE_URL=None)
    assert result.returncode != 0
    assert "SITE_URL must be set" in result.stderr


def test_good_values_start_django():
    result = start_django(DEBUG="true", SECRET_KEY=None)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_the_policy_has_no_unsafe_inline(settings):
    flattened = " ".join(" ".join(map(str, v)) for v in settings.SECURE_CSP.values())
    assert "unsafe-inline" not in flattened
    assert "unsafe-eval" not in flattened


def test_pages_carry_security_headers(client, db):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_deployment_checks_pass_with_production_settings():
    production = {
        "DEBUG": "false",
        "SECRET_KEY": "x7Jp2-production-like-secret-Qm9vLz4rT0wYc8NfGh1KsVd6EaUi3BoZlPnRtXq5",
        "ALLOWED_HOSTS": "directory.example.org",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "SECURE_SSL_REDIRECT": "true",
        "STATICFILES_BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    }
    environment = {**os.environ, **production}
    if connection.vendor == "postgresql":
        # The check connects to the database: give it the test run's, which exists.
        settings_dict = connection.settings_dict
        environment["DATABASE_URL"] = (
            f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@"
            f"{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
        )
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
