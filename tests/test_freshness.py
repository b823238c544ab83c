"""When an entry counts as confirmed, stale or in need of a curator, and confirming one
(partnerships/freshness.py)."""

import datetime

import pytest
from django.utils import timezone

from partnerships import freshness
from partnerships.models import ChangeKind, ChangeSet, Partnership, Reminder, ReminderKind
from tests.factories import make_partnership, make_user

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (
            datetime.datetime(2026, 3, 31, 9, tzinfo=UTC),
            1,
            datetime.datetime(2026, 2, 28, 9, tzinfo=UTC),
        ),
        (
            datetime.datetime(2024, 3, 31, 9, tzinfo=UTC),
            1,
            datetime.datetime(2024, 2, 29, 9, tzinfo=UTC),
        ),
        (
            datetime.datetime(2026, 1, 15, tzinfo=UTC),
            12,
            datetime.datetime(2025, 1, 15, tzinfo=UTC),
        ),
        (
            datetime.datetime(2026, 1, 15, tzinfo=UTC),
            18,
            datetime.datetime(2024, 7, 15, tzinfo=UTC),
        ),
    ],
)
def test_months_before_counts_calendar_months(moment, months, expected):
    assert freshness.months_before(moment, months) == expected


def test_an_entry_is_stale_after_12_months_and_needs_a_curator_after_18():
    now = datetime.datetime(2026, 11, 30, 12, tzinfo=UTC)
    partnership = make_partnership(last_verified_at=datetime.datetime(2025, 11, 30, 13, tzinfo=UTC))
    assert not freshness.is_stale(partnership, now=now)
    partnership.last_verified_at = datetime.datetime(2025, 11, 30, 11, tzinfo=UTC)
    assert freshness.is_stale(partnership, now=now)
    assert not freshness.needs_attention(partnership, now=now)
    partnership.last_verified_at = datetime.datetime(2025, 5, 29, tzinfo=UTC)
    assert freshness.needs_attention(partnership, now=now)


def test_an_entry_never_confirmed_counts_from_when_it_was_listed():
    partnership = make_partnership()
    Partnership.objects.filter(pk=partnership.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    partnership.refresh_from_db()
    assert freshness.is_stale(partnership)
    assert not freshness.confirmed_within(Partnership.objects.all(), 12).exists()
    assert freshness.not_confirmed_within(Partnership.objects.all(), 12).get() == partnership


def test_confirming_stamps_last_confirmed_records_who_and_answers_reminders():
    editor = make_user()
    partnership = make_partnership(last_verified_at=timezone.now() - datetime.timedelta(days=400))
    reminder = Reminder.objects.create(
        partnership=partnership, kind=ReminderKind.CONFIRM_FIRST, cycle="x"
    )
    now = timezone.now()
    freshness.confirm(partnership, user=editor, now=now)
    partnership.refresh_from_db()
    reminder.refresh_from_db()
    assert partnership.last_verified_at == now
    assert reminder.answered_at == now
    change = ChangeSet.objects.get(kind=ChangeKind.CONFIRMATION)
    assert change.author == editor
    assert change.versions.get().partnership == partnership
    assert not freshness.is_stale(partnership)
