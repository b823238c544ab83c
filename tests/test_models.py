import pytest
from django.db import IntegrityError, transaction

from partnerships.models import Membership, Partnership, PublicationState
from tests.factories import make_organisation, make_partnership

pytestmark = pytest.mark.django_db


def test_an_organisation_can_join_a_partnership_only_once():
    partnership = make_partnership()
    organisation = make_organisation()
    Membership.objects.create(partnership=partnership, organisation=organisation)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(partnership=partnership, organisation=organisation)


@pytest.mark.parametrize(("latitude", "longitude"), [(95, 0), (-91, 0), (50, 181), (50, None)])
def test_the_database_rejects_impossible_coordinates(latitude, longitude):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_organisation(latitude=latitude, longitude=longitude)


def test_validation_explains_an_impossible_latitude():
    partnership = Partnership(name="Somewhere", summary="x", latitude=95, longitude=0)
    with pytest.raises(Exception) as error:
        partnership.full_clean()
    assert "latitude" in error.value.message_dict


def test_the_database_rejects_a_duplicate_slug():
    make_partnership(slug="bolton")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_partnership(slug="bolton")


def test_a_blank_slug_is_filled_and_kept_unique():
    first = make_partnership(name="Leeds LIS Partnership Group")
    second = make_partnership(name="Leeds LIS Partnership Group")
    assert first.slug == "leeds-lis-partnership-group"
    assert second.slug == "leeds-lis-partnership-group-2"


def test_the_database_rejects_an_unlikely_founding_year():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_partnership(established_year=1066)


def test_validation_rejects_a_founding_year_in_the_future():
    partnership = Partnership(name="Future", summary="x", established_year=2099)
    with pytest.raises(Exception) as error:
        partnership.full_clean()
    assert "established_year" in error.value.message_dict


@pytest.mark.parametrize(
    "state",
    [
        PublicationState.DRAFT,
        PublicationState.PENDING,
        PublicationState.CHANGES_REQUESTED,
        PublicationState.ARCHIVED,
    ],
)
def test_published_never_returns_unpublished_entries(state):
    hidden = make_partnership(publication_state=state)
    shown = make_partnership()
    published = list(Partnership.objects.published())
    assert shown in published
    assert hidden not in published


def test_with_members_loads_members_in_a_constant_number_of_queries(django_assert_num_queries):
    for _ in range(5):
        make_partnership(members=4)
    with django_assert_num_queries(2):
        partnerships = list(Partnership.objects.with_members())
        names = [m.organisation.name for p in partnerships for m in p.memberships.all()]
    assert len(names) == 20


def test_leads_are_listed_before_members():
    partnership = make_partnership(members=3)
    roles = [m.role for m in Partnership.objects.with_members().get().memberships.all()]
    assert roles[0] == "lead"
    assert partnership.memberships.count() == 3


def test_member_count_is_right_for_an_organisations_partnerships():
    partnership = make_partnership(members=3)
    organisation = partnership.memberships.first().organisation
    listed = organisation.partnerships.with_member_count().get()
    assert listed.member_count == 3


def test_a_partnership_called_new_does_not_hide_behind_the_registration_page():
    assert make_partnership(name="New").slug == "new-2"
