import pytest
from django.core.management import call_command

from partnerships.models import Activity, CommunicationChannel, Region


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_every_install_starts_with_the_vocabularies():
    assert Region.objects.count() == 10
    assert set(Region.objects.values_list("country", flat=True)) == {
        "england",
        "scotland",
        "wales",
        "northern-ireland",
    }
    assert Activity.objects.filter(slug="reading-well-books-on-prescription").exists()
    assert Activity.objects.values("group").distinct().count() == 6
    assert CommunicationChannel.objects.count() == 9
