"""Confirming that an entry is still right: the "Confirm it is still right" button on "My
partnerships", and the emailed link that works without signing in (partnerships/
confirmation_links.py, editor views `confirm` and `confirm_link`); and the public "Review
overdue" on agreements past their review date."""

import datetime

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from editor import invitations
from partnerships import confirmation_links, freshness
from partnerships.confirmation_links import LinkRefused, Refusal
from partnerships.models import (
    AgreementStatus,
    ChangeKind,
    ChangeSet,
    ConfirmationLink,
    Reminder,
    ReminderKind,
)
from tests.factories import (
    make_agreement,
    make_contact,
    make_moderator,
    make_partnership,
    make_user,
)

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
A_YEAR_AGO = datetime.timedelta(days=365)


@pytest.fixture
def partnership():
    return make_partnership(members=2, last_verified_at=timezone.now() - A_YEAR_AGO)


def refusal(token, partnership, **kwargs):
    with pytest.raises(LinkRefused) as caught:
        confirmation_links.use_link(token, partnership, **kwargs)
    return caught.value


def confirm_url(token):
    return reverse("editor:confirm_link", kwargs={"token": token})


# The link ----------------------------------------------------------------------------------------


def test_a_link_confirms_its_entry_once(partnership):
    token = confirmation_links.make_link(partnership, "lead@example.org")

    link = confirmation_links.use_link(token, partnership)

    assert link.used_at is not None
    assert refusal(token, partnership).reason == Refusal.USED
    assert ConfirmationLink.objects.get().used_at == link.used_at


def test_a_link_works_for_30_days_and_not_after(partnership):
    sent = timezone.now()
    token = confirmation_links.make_link(partnership, "lead@example.org", now=sent)
    link = ConfirmationLink.objects.get()
    assert link.expires_at == sent + datetime.timedelta(days=30)

    expired = refusal(token, partnership, now=sent + datetime.timedelta(days=30, seconds=1))
    assert expired.reason == Refusal.EXPIRED
    assert "30 days" in expired.message

    confirmation_links.use_link(token, partnership, now=sent + datetime.timedelta(days=29))


def test_a_link_does_not_confirm_another_entry(partnership):
    other = make_partnership()
    token = confirmation_links.make_link(partnership, "lead@example.org")

    assert refusal(token, other).reason == Refusal.OTHER_ENTRY
    other.refresh_from_db()
    partnership.refresh_from_db()
    assert other.last_verified_at is None
    assert ConfirmationLink.objects.get().used_at is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: token.split(":")[0],
        lambda token: "not-a-token",
    ],
)
def test_a_tampered_link_is_refused(partnership, tamper):
    token = confirmation_links.make_link(partnership, "lead@example.org")

    assert refusal(tamper(token), partnership).reason == Refusal.INVALID


def test_a_token_signed_for_another_purpose_or_naming_another_link_is_refused(partnership):
    other = make_partnership()
    confirmation_links.make_link(other, "other@example.org")
    other_link = ConfirmationLink.objects.get()
    invitation = invitations.make_token(partnership, "lead@example.org")
    # Signed for this purpose, but naming a link that belongs to another entry.
    forged = signing.dumps({"l": other_link.pk, "p": partnership.pk}, salt=confirmation_links._SALT)

    assert refusal(invitation, partnership).reason == Refusal.INVALID
    assert refusal(forged, partnership).reason == Refusal.INVALID


def test_confirming_by_link_updates_last_confirmed_and_records_the_address(partnership):
    reminder = Reminder.objects.create(
        partnership=partnership, kind=ReminderKind.CONFIRM_FIRST, cycle="x"
    )
    token = confirmation_links.make_link(partnership, "lead@example.org")
    now = timezone.now()

    confirmation_links.use_link(token, partnership, now=now)

    partnership.refresh_from_db()
    reminder.refresh_from_db()
    assert partnership.last_verified_at == now
    assert reminder.answered_at == now
    change = ChangeSet.objects.get(kind=ChangeKind.CONFIRMATION)
    assert change.author is None
    assert "lead@example.org" in change.reason


def test_a_link_to_an_entry_no_longer_listed_is_refused(partnership):
    token = confirmation_links.make_link(partnership, "lead@example.org")
    partnership.publication_state = "archived"
    partnership.save()

    assert refusal(token, partnership).reason == Refusal.NOT_LISTED


# The link's page ---------------------------------------------------------------------------------


def test_opening_the_link_shows_the_entry_and_confirms_nothing(client, partnership):
    make_contact(partnership, name="Published Person", is_lead=True)
    make_contact(partnership, consent=False, name="Private Person")
    make_agreement(partnership, title="Public MoU")
    make_agreement(partnership, title="Private MoU", is_public=False)
    before = partnership.last_verified_at
    token = confirmation_links.make_link(partnership, "lead@example.org")

    response = client.get(confirm_url(token))
    response = client.head(confirm_url(token))
    response = client.get(confirm_url(token))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert partnership.name in html
    assert partnership.summary in html
    for membership in partnership.memberships.all():
        assert membership.organisation.name in html
    assert "Published Person" in html and "Public MoU" in html
    assert "Private Person" not in html and "Private MoU" not in html
    assert "Yes, this is still right" in html
    assert reverse("editor:edit", args=[partnership.pk]) in html
    assert response["Cache-Control"] == "private, no-store"
    partnership.refresh_from_db()
    assert partnership.last_verified_at == before
    assert ConfirmationLink.objects.get().used_at is None


def test_only_the_button_confirms_and_then_thanks(client, partnership):
    token = confirmation_links.make_link(partnership, "lead@example.org")

    response = client.post(confirm_url(token))

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    partnership.refresh_from_db()
    assert timezone.now() - partnership.last_verified_at < datetime.timedelta(minutes=1)
    assert ConfirmationLink.objects.get().used_at is not None

    again = client.post(confirm_url(token))
    assert again.status_code == 410
    assert "already used" in again.content.decode()
    assert ChangeSet.objects.filter(kind=ChangeKind.CONFIRMATION).count() == 1


def test_the_button_needs_the_csrf_token(partnership):
    from django.test import Client

    token = confirmation_links.make_link(partnership, "lead@example.org")

    response = Client(enforce_csrf_checks=True).post(confirm_url(token))

    assert response.status_code == 403
    assert ConfirmationLink.objects.get().used_at is None


def test_a_refused_link_says_why_and_how_to_confirm_instead(client, partnership):
    token = confirmation_links.make_link(
        partnership, "lead@example.org", now=timezone.now() - datetime.timedelta(days=31)
    )

    expired = client.get(confirm_url(token))
    invalid = client.get(confirm_url(token + "x"))

    assert expired.status_code == 410
    assert "expired" in expired.content.decode()
    assert invalid.status_code == 400
    assert "not valid" in invalid.content.decode()
    for response in (expired, invalid):
        html = response.content.decode()
        assert html.count("<h1") == 1
        assert "My partnerships" in html
        assert reverse("editor:my_partnerships") in html


def test_hostile_names_stay_text_on_the_link_page(client):
    partnership = make_partnership(name=f'Bolton {SCRIPT} "quoted" network', summary=SCRIPT)
    token = confirmation_links.make_link(partnership, "lead@example.org")

    html = client.get(confirm_url(token)).content.decode()

    assert SCRIPT not in html
    assert "&lt;script&gt;" in html


# My partnerships ---------------------------------------------------------------------------------


def test_my_partnerships_shows_last_confirmed_and_the_button(client, partnership):
    editor = make_user()
    partnership.editors.add(editor)
    draft = make_partnership(publication_state="draft")
    draft.editors.add(editor)
    client.force_login(editor)

    html = client.get(reverse("editor:my_partnerships")).content.decode()

    assert "Last confirmed</th>" in html
    assert f"{timezone.localtime(partnership.last_verified_at):%-d %B %Y}" in html
    assert reverse("editor:confirm", args=[partnership.pk]) in html
    assert reverse("editor:confirm", args=[draft.pk]) not in html


def test_an_editor_confirms_from_my_partnerships(client, partnership):
    editor = make_user()
    partnership.editors.add(editor)
    client.force_login(editor)

    response = client.post(reverse("editor:confirm", args=[partnership.pk]), follow=True)

    assert "is confirmed as still right" in response.content.decode()
    partnership.refresh_from_db()
    assert timezone.now() - partnership.last_verified_at < datetime.timedelta(minutes=1)
    change = ChangeSet.objects.get(kind=ChangeKind.CONFIRMATION)
    assert change.author == editor
    assert not freshness.is_stale(partnership)


def test_someone_who_does_not_edit_the_entry_gets_a_404(client, partnership):
    before = partnership.last_verified_at
    client.force_login(make_user())

    response = client.post(reverse("editor:confirm", args=[partnership.pk]))

    assert response.status_code == 404
    partnership.refresh_from_db()
    assert partnership.last_verified_at == before


def test_a_curator_may_confirm_any_entry(client, partnership):
    client.force_login(make_moderator())

    client.post(reverse("editor:confirm", args=[partnership.pk]))

    partnership.refresh_from_db()
    assert timezone.now() - partnership.last_verified_at < datetime.timedelta(minutes=1)


def test_the_button_only_posts_and_needs_a_signed_in_user(client, partnership):
    url = reverse("editor:confirm", args=[partnership.pk])

    assert client.post(url).status_code == 302  # to sign in
    editor = make_user()
    partnership.editors.add(editor)
    client.force_login(editor)
    assert client.get(url).status_code == 405


def test_an_unpublished_entry_cannot_be_confirmed(client):
    editor = make_user()
    draft = make_partnership(publication_state="draft")
    draft.editors.add(editor)
    client.force_login(editor)

    response = client.post(reverse("editor:confirm", args=[draft.pk]), follow=True)

    assert "Only a published entry" in response.content.decode()
    draft.refresh_from_db()
    assert draft.last_verified_at is None


# Review overdue ----------------------------------------------------------------------------------


def test_an_agreement_past_its_review_date_shows_review_overdue(client, partnership):
    today = timezone.localdate()
    make_agreement(
        partnership,
        title="Overdue MoU",
        signed_on=today - datetime.timedelta(days=800),
        review_due=today - datetime.timedelta(days=1),
    )
    make_agreement(partnership, title="Current MoU", review_due=today)
    make_agreement(
        partnership,
        title="Expired MoU",
        status=AgreementStatus.EXPIRED,
        review_due=today - datetime.timedelta(days=1),
    )

    html = client.get(partnership.get_absolute_url()).content.decode()

    assert html.count("Review overdue") == 1
    overdue = html.index("Overdue MoU")
    assert overdue < html.index("Review overdue") < html.index("</li>", overdue)
    assert "review overdue since" in html
