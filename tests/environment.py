"""Environment for the test run, loaded as a pytest plugin (`-p tests.environment`) so that it is
in place before pytest-django reads the settings.

Tests run with DEBUG off, as production does, but over plain HTTP, with a throwaway key, in-memory
email and a tile server that the browser tests stub (there is no network)."""

import os

TEST_ENVIRONMENT = {
    "DEBUG": "false",
    "SECRET_KEY": "test-only-secret-key-that-is-long-enough-for-django-checks-0123456789",
    "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
    # The test client's own host, so links made with and without a request agree.
    "SITE_URL": "http://testserver",
    "SECURE_SSL_REDIRECT": "false",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    # Tiles come from a host that does not exist; the browser tests answer it with a stub tile.
    "MAP_TILE_URL": "https://tiles.invalid/{z}/{x}/{y}.png",
    "GEOCODER": "offline",
}

for name, value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(name, value)
