"""Reminders to keep entries current (partnerships/reminders.py), run with a controlled clock:
who is asked, on which day, never twice; the follow-ups stop once someone confirms or edits;
the curators are told after the last one; agreements are reminded of 30 days before their review;
the `send_reminders` command queues the task that sends them."""

import datetime
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from partnerships import confirmation_links, reminders, services
from partnerships.models import (
    AgreementStatus,
    ConfirmationLink,
    Partnership,
    PublicationState,
    Reminder,
    ReminderKind,
)
from partnerships.snapshots import snapshot_of
from tests.factories import (
    make_agreement,
    make_contact,
    make_moderator,
    make_partnership,
    make_user,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
SCRIPT = "<script>alert(1)</script>"
CONFIRMED = datetime.datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
# A daily run an hour after 11 calendar months have passed.
DUE = datetime.datetime(2025, 12, 10, 10, 0, tzinfo=UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://directory.example.org"


def reads_english(user):
    """`user`, who last used the site in English, so emails to them are in English only."""
    Profile.remember_language(user, "en-gb")
    return user


@pytest.fixture
def curator():
    return reads_english(make_moderator(email="curator@example.org"))


@pytest.fixture
def partnership():
    partnership = make_partnership(name="Bolton health libraries", last_verified_at=CONFIRMED)
    partnership.editors.add(
        reads_english(make_user(email="ann@example.org")),
        reads_english(make_user(email="bob@example.org")),
    )
    return partnership


def run(moment):
    mail.outbox.clear()
    return reminders.send_due_reminders(now=moment)


def kinds(partnership):
    return list(
        Reminder.objects.filter(partnership=partnership)
        .order_by("sent_at", "pk")
        .values_list("kind", flat=True)
    )


def link_in(message):
    return re.search(r"https://directory\.example\.org(/confirm/[^/\s]+/)", message.body).group(1)


def test_editors_are_asked_on_the_day_11_months_after_the_last_confirmation(partnership, curator):
    assert run(DUE - datetime.timedelta(hours=2)) == {}
    assert mail.outbox == []

    sent = run(DUE)

    assert sent == {ReminderKind.CONFIRM_FIRST: 1}
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert all(len(message.to) == 1 for message in mail.outbox)
    reminder = Reminder.objects.get()
    assert reminder.kind == ReminderKind.CONFIRM_FIRST
    assert reminder.recipients == ["ann@example.org", "bob@example.org"]
    assert reminder.cycle == CONFIRMED.isoformat()
    assert reminder.sent_at == DUE
    # Each recipient has a link of their own, recorded as sent to them.
    links = {message.to[0]: link_in(message) for message in mail.outbox}
    assert len(set(links.values())) == 2
    assert sorted(ConfirmationLink.objects.values_list("sent_to", flat=True)) == sorted(links)
    message = mail.outbox[0]
    assert message.subject == 'Is "Bolton health libraries" still right?'
    assert "10 January 2025" in message.body
    assert reverse("editor:edit", args=[partnership.pk]) in message.body


def test_nobody_gets_the_same_reminder_twice(partnership, curator):
    run(DUE)
    assert run(DUE) == {}
    assert run(DUE + DAY) == {}
    assert mail.outbox == []
    assert kinds(partnership) == [ReminderKind.CONFIRM_FIRST]


def test_the_follow_ups_go_after_2_and_4_weeks_then_the_curators_after_5(partnership, curator):
    run(DUE)
    schedule = {
        13: None,
        14: ReminderKind.CONFIRM_SECOND,
        27: None,
        28: ReminderKind.CONFIRM_LAST,
        34: None,
        35: ReminderKind.CURATORS,
        36: None,
        90: None,
    }
    for days, expected in schedule.items():
        sent = run(DUE + days * DAY)
        assert sent == ({expected: 1} if expected else {}), days

    assert kinds(partnership) == [
        ReminderKind.CONFIRM_FIRST,
        ReminderKind.CONFIRM_SECOND,
        ReminderKind.CONFIRM_LAST,
        ReminderKind.CURATORS,
    ]


def test_each_follow_up_says_which_it_is(partnership, curator):
    run(DUE)
    run(DUE + 14 * DAY)
    assert mail.outbox[0].subject.startswith("Reminder: is")
    run(DUE + 28 * DAY)
    assert mail.outbox[0].subject.startswith("Last reminder: is")
    assert "curators" in mail.outbox[0].body


def test_the_curators_are_told_which_entry_nobody_answered_for(partnership, curator):
    other_curator = reads_english(make_moderator(email="second@example.org"))
    make_user(email="not-a-curator@example.org")
    for days in (0, 14, 28):
        run(DUE + days * DAY)

    run(DUE + 35 * DAY)

    [message] = mail.outbox
    assert sorted(message.to) == ["curator@example.org", other_curator.email]
    assert "Bolton health libraries" in message.subject
    assert f"https://directory.example.org{partnership.get_absolute_url()}" in message.body
    assert "three reminders were not answered" in message.body
    reminder = Reminder.objects.get(kind=ReminderKind.CURATORS)
    assert reminder.recipients == sorted(["curator@example.org", other_curator.email])


def test_a_confirmation_from_the_emailed_link_stops_the_reminders(
    partnership, curator, client, monkeypatch
):
    run(DUE)
    with monkeypatch.context() as clock:
        clock.setattr(timezone, "now", lambda: DUE + DAY)
        response = client.post(link_in(mail.outbox[0]))
    assert response.status_code == 200

    for days in (14, 28, 35, 60):
        assert run(DUE + days * DAY) == {}
    assert Reminder.objects.get().answered_at is not None
    partnership.refresh_from_db()
    assert partnership.last_verified_at == DUE + DAY


def test_the_next_cycle_starts_11_months_after_the_confirmation(partnership, curator):
    run(DUE)
    confirmed = DUE + 3 * DAY
    token = confirmation_links.make_link(partnership, "ann@example.org", now=confirmed)
    confirmation_links.use_link(token, partnership, now=confirmed)

    assert run(DUE + 14 * DAY) == {}
    assert run(datetime.datetime(2026, 11, 13, 9, tzinfo=UTC)) == {}
    assert run(datetime.datetime(2026, 11, 13, 11, tzinfo=UTC)) == {ReminderKind.CONFIRM_FIRST: 1}
    assert Reminder.objects.filter(kind=ReminderKind.CONFIRM_FIRST).count() == 2


def test_an_edit_stops_the_reminders(partnership, curator):
    run(DUE)
    editor = partnership.editors.first()
    services.save_edit(partnership, data=snapshot_of(partnership), user=editor)

    for days in (14, 28, 35):
        assert run(DUE + days * DAY) == {}
    assert Reminder.objects.get().answered_at is not None


def test_an_approved_edit_counts_as_a_confirmation(partnership, curator):
    run(DUE)
    editor = partnership.editors.first()
    services.save_edit(partnership, data=snapshot_of(partnership), user=editor)
    services.submit_for_review(partnership, user=editor)
    services.approve(partnership, moderator=curator)

    partnership.refresh_from_db()
    assert timezone.now() - partnership.last_verified_at < datetime.timedelta(minutes=1)
    assert Reminder.objects.get().answered_at is not None


def test_an_entry_never_confirmed_counts_from_when_it_was_listed(curator):
    partnership = make_partnership()
    partnership.editors.add(make_user(email="ann@example.org"))
    Partnership.objects.filter(pk=partnership.pk).update(created_at=CONFIRMED)

    assert run(DUE - DAY) == {}
    assert run(DUE) == {ReminderKind.CONFIRM_FIRST: 1}
    assert "has not been confirmed since it was listed on 10 January 2025" in mail.outbox[0].body
    assert Reminder.objects.get().cycle == CONFIRMED.isoformat()


def test_entries_not_published_are_never_reminded(curator):
    for state in (PublicationState.DRAFT, PublicationState.PENDING, PublicationState.ARCHIVED):
        entry = make_partnership(publication_state=state, last_verified_at=CONFIRMED)
        entry.editors.add(make_user())

    assert run(DUE + 60 * DAY) == {}
    assert not Reminder.objects.exists()


def test_inactive_editors_are_not_written_to(partnership, curator):
    partnership.editors.filter(email="bob@example.org").update(is_active=False)

    run(DUE)

    assert [message.to for message in mail.outbox] == [["ann@example.org"]]


def test_without_editors_the_lead_contact_who_agreed_to_be_published_is_asked(curator):
    partnership = make_partnership(last_verified_at=CONFIRMED)
    make_contact(partnership, is_lead=True, email="lead@example.org")
    make_contact(partnership, email="member@example.org")
    make_contact(partnership, consent=False, is_lead=True, email="private-lead@example.org")

    run(DUE)

    assert [message.to for message in mail.outbox] == [["lead@example.org"]]
    assert Reminder.objects.get().recipients == ["lead@example.org"]
    assert ConfirmationLink.objects.get().sent_to == "lead@example.org"


def test_with_nobody_to_ask_the_curators_are_told_at_once_and_only_once(curator):
    partnership = make_partnership(name="Orphan network", last_verified_at=CONFIRMED)
    make_contact(partnership, consent=False, is_lead=True, email="private-lead@example.org")

    assert run(DUE) == {ReminderKind.CURATORS: 1}

    [message] = mail.outbox
    assert message.to == ["curator@example.org"]
    assert "Orphan network" in message.body
    assert "no editors and no lead contact" in message.body
    assert kinds(partnership) == [ReminderKind.CURATORS]
    for days in (1, 14, 28, 35):
        assert run(DUE + days * DAY) == {}


def test_several_entries_for_the_curators_come_in_one_email(curator):
    for name in ("First orphan", "Second orphan"):
        make_partnership(name=name, last_verified_at=CONFIRMED)

    assert run(DUE) == {ReminderKind.CURATORS: 2}

    [message] = mail.outbox
    assert message.subject == "2 entries nobody has confirmed"
    assert "First orphan" in message.body and "Second orphan" in message.body


def test_without_curators_nothing_is_recorded_so_they_are_told_later(partnership):
    make_partnership(name="Orphan network", last_verified_at=CONFIRMED)

    assert run(DUE) == {ReminderKind.CONFIRM_FIRST: 1}
    assert not Reminder.objects.filter(kind=ReminderKind.CURATORS).exists()

    make_moderator(email="curator@example.org")
    assert run(DUE + DAY) == {ReminderKind.CURATORS: 1}


def test_a_reminder_raced_by_another_run_is_not_sent_again(partnership, curator, monkeypatch):
    original = reminders.recipients_for

    def recorded_meanwhile(entry):
        # Another run records the same reminder between this run's query and its send.
        Reminder.objects.create(
            partnership=entry,
            kind=ReminderKind.CONFIRM_FIRST,
            cycle=reminders.cycle_of(entry),
            sent_at=DUE - DAY,
        )
        return original(entry)

    monkeypatch.setattr(reminders, "recipients_for", recorded_meanwhile)

    assert run(DUE) == {}
    assert mail.outbox == []
    assert not ConfirmationLink.objects.exists()
    assert Reminder.objects.count() == 1


def test_entries_that_are_not_due_cost_no_queries(partnership, curator):
    def queries_for_a_run(moment):
        with CaptureQueriesContext(connection) as queries:
            run(moment)
        return len(queries)

    make_partnership(last_verified_at=DUE)  # confirmed recently: not due
    few = queries_for_a_run(DUE)
    for _ in range(10):
        make_partnership(last_verified_at=DUE)
    many = queries_for_a_run(DUE + 14 * DAY)

    assert Reminder.objects.count() == 2
    assert many == few


# Agreements ------------------------------------------------------------------------------------


def test_an_agreement_is_reminded_of_30_days_before_its_review(partnership, curator):
    partnership.last_verified_at = DUE
    partnership.save()
    agreement = make_agreement(
        partnership, title="Library MoU", review_due=datetime.date(2026, 3, 1)
    )

    assert run(datetime.datetime(2026, 1, 29, 12, tzinfo=UTC)) == {}
    assert run(datetime.datetime(2026, 1, 30, 12, tzinfo=UTC)) == {ReminderKind.AGREEMENT_REVIEW: 1}

    [message] = mail.outbox
    assert sorted(message.to) == ["ann@example.org", "bob@example.org"]
    assert message.subject == "Review due on 1 March 2026: Library MoU"
    reminder = Reminder.objects.get()
    assert reminder.agreement == agreement
    assert reminder.cycle == f"{agreement.pk}:2026-03-01"
    assert run(datetime.datetime(2026, 2, 10, 12, tzinfo=UTC)) == {}


def test_a_new_review_date_gets_its_own_reminder(partnership, curator):
    partnership.last_verified_at = DUE
    partnership.save()
    agreement = make_agreement(partnership, review_due=datetime.date(2026, 3, 1))
    run(datetime.datetime(2026, 2, 1, 12, tzinfo=UTC))
    agreement.review_due = datetime.date(2026, 3, 20)
    agreement.save()

    assert run(datetime.datetime(2026, 2, 20, 12, tzinfo=UTC)) == {ReminderKind.AGREEMENT_REVIEW: 1}


def test_agreements_past_review_expired_or_of_unpublished_entries_are_not_reminded(curator):
    published = make_partnership(last_verified_at=DUE)
    published.editors.add(make_user())
    draft = make_partnership(publication_state=PublicationState.DRAFT)
    draft.editors.add(make_user())
    orphan = make_partnership(last_verified_at=DUE)
    today = datetime.date(2026, 2, 1)
    make_agreement(published, review_due=today - DAY)
    make_agreement(published, review_due=today + DAY, status=AgreementStatus.EXPIRED)
    make_agreement(draft, review_due=today + DAY)
    make_agreement(orphan, review_due=today + DAY)

    assert run(datetime.datetime(2026, 2, 1, 12, tzinfo=UTC)) == {}
    assert not Reminder.objects.exists()


# Emails with hostile names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", [f"Bolton {SCRIPT} network", 'The "quoted" & <b>bold</b> network', "Two\nlines\r\nname"]
)
def test_every_reminder_email_keeps_hostile_names_as_plain_text(name, curator):
    asked = make_partnership(name=name, last_verified_at=CONFIRMED)
    asked.editors.add(make_user(email="ann@example.org"))
    orphan = make_partnership(name=f"Orphan {name}", last_verified_at=CONFIRMED)
    make_agreement(asked, title=f"MoU {name}", review_due=datetime.date(2026, 1, 5))
    assert orphan

    run(DUE)

    assert len(mail.outbox) == 3  # the request, the curators' list, the agreement review
    one_line = " ".join(name.split())
    for message in mail.outbox:
        assert "\n" not in message.subject and "\r" not in message.subject
        assert message.subject == message.subject.strip()
        assert "&lt;" not in message.subject + message.body
        assert "&quot;" not in message.body and "&#x27;" not in message.body
        assert one_line in message.subject + message.body


# The scheduled job -----------------------------------------------------------------------------


def test_the_command_queues_the_task_which_the_immediate_backend_runs_at_once(
    partnership, curator, settings, capsys, monkeypatch
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(timezone, "now", lambda: DUE)

    call_command("send_reminders")

    assert sorted(message.to[0] for message in mail.outbox) == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert "confirm-1: 1" in capsys.readouterr().out


def test_the_command_only_queues_with_a_worker_backend(partnership, curator, settings, capsys):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    call_command("send_reminders")

    assert mail.outbox == []
    [result] = default_task_backend.results
    assert result.task.name == "send_reminders"
    assert "queued" in capsys.readouterr().out


# The admin ---------------------------------------------------------------------------------------


def test_curators_can_read_reminders_and_links_in_the_admin_but_not_change_them(
    admin_client, partnership
):
    run(DUE)
    reminder = Reminder.objects.get()
    link = ConfirmationLink.objects.first()

    for model, row in (("reminder", reminder), ("confirmationlink", link)):
        changelist = admin_client.get(reverse(f"admin:partnerships_{model}_changelist"))
        assert changelist.status_code == 200
        assert "Bolton health libraries" in changelist.content.decode()
        assert admin_client.get(reverse(f"admin:partnerships_{model}_add")).status_code == 403
        change = admin_client.get(reverse(f"admin:partnerships_{model}_change", args=[row.pk]))
        assert change.status_code == 200
        assert 'name="_save"' not in change.content.decode()


def test_a_long_list_for_the_curators_names_the_first_and_counts_the_rest(curator, monkeypatch):
    monkeypatch.setattr(reminders, "CURATORS_LIST_LIMIT", 2)
    for name in ("First orphan", "Second orphan", "Third orphan"):
        make_partnership(name=name, last_verified_at=CONFIRMED)

    assert run(DUE) == {ReminderKind.CURATORS: 3}

    [message] = mail.outbox
    assert message.subject == "3 entries nobody has confirmed"
    assert "First orphan" in message.body and "Second orphan" in message.body
    assert "Third orphan" not in message.body
    assert "and 1 more" in message.body
    assert Reminder.objects.filter(kind=ReminderKind.CURATORS).count() == 3
