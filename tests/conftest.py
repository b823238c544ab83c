import pytest
from django.core.cache import cache


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


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(
        username="curator", email="curator@example.org", password="a-long-test-password-42"
    )
    client.force_login(user)
    return client
