import importlib

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

DB_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Uploaded files from a test never land in the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache, so rate-limit counts (failed sign-ins) never carry
    over from one test to the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _vocabularies(request):
    """Every test with a database starts with the regions, activities and channels that the data
    migration gives every install. Transactional tests (the browser tests) empty every table when
    they finish, migration data included, and pytest-django runs them in among the others, so the
    vocabulary is put back whenever it is missing."""
    if request.node.get_closest_marker("django_db") is None and not (
        DB_FIXTURES & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("_django_db_helper")
    if not apps.get_model("partnerships", "Region").objects.exists():
        migration = importlib.import_module("partnerships.migrations.0002_vocabularies")
        migration.add_vocabularies(apps, None)
        welsh = importlib.import_module("partnerships.migrations.0026_welsh_vocabularies")
        welsh.add_welsh_names(apps, None)


@pytest.fixture(autouse=True)
def _english_afterwards():
    """Each test starts and ends in English (the default), whatever language it switched to."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(
        username="curator", email="curator@example.org", password="a-long-test-password-42"
    )
    client.force_login(user)
    return client
