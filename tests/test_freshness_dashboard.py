"""The curators' side of keeping entries current: the "Needs attention" list (confirm it myself,
archive) and the freshness dashboard (counts by region, reminders, open reports and claims, each
linking to the list behind it). Moderators only."""

import datetime
import re

import pytest
from django.utils import timezone

from partnerships import freshness
from partnerships.models import (
    ChangeKind,
    ChangeSet,
    ClaimRequest,
    Partnership,
    ProblemReport,
    PublicationState,
    Region,
    Reminder,
    ReminderKind,
    ReportReason,
)
from tests.factories import make_moderator, make_partnership, make_user

pytestmark = pytest.mark.django_db


def months_ago(months, *, days=0):
    return freshness.months_before(timezone.now(), months) - datetime.timedelta(days=days)


@pytest.fixture
def curator(client):
    user = make_moderator()
    client.force_login(user)
    return user


def text(response):
    assert response.status_code == 200
    return response.content.decode()


def cells(content, label):
    """The numbers in the table row headed `label`."""
    row = re.search(rf'<th scope="row">{re.escape(str(label))}</th>(.*?)</tr>', content, re.S)
    assert row, label
    return [int(n.replace(",", "")) for n in re.findall(r"<td>(?:<a [^>]*>)?([\d,]+)", row[1])]


# Who may see them


@pytest.mark.parametrize(
    "url", ["/moderation/attention/", "/moderation/freshness/", "/moderation/attention/1/confirm/"]
)
def test_only_moderators_see_the_screens(client, url):
    assert client.get(url).status_code == 302  # signed out: sign in first
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_the_curators_navigation_links_both_screens(client, curator):
    content = text(client.get("/"))
    assert 'href="/moderation/attention/"' in content
    assert 'href="/moderation/freshness/"' in content


# Needs attention


def test_the_attention_list_holds_entries_not_confirmed_for_18_months_oldest_first(client, curator):
    make_partnership(name="Stale only", last_verified_at=months_ago(14))
    make_partnership(name="Forgotten", last_verified_at=months_ago(19))
    make_partnership(name="Long forgotten", last_verified_at=months_ago(30))
    make_partnership(
        name="Archived",
        last_verified_at=months_ago(30),
        publication_state=PublicationState.ARCHIVED,
    )
    never = make_partnership(name="Never confirmed")
    Partnership.objects.filter(pk=never.pk).update(created_at=months_ago(20))
    content = text(client.get("/moderation/attention/"))
    names = re.findall(r'<th scope="row"><a href="/partnerships/[^"]*">(.*?)</a>', content)
    assert names == ["Long forgotten", "Never confirmed", "Forgotten"]
    assert "Never (listed" in content


def test_the_attention_list_can_be_narrowed_to_a_region(client, curator):
    north_west = Region.objects.get(slug="north-west")
    make_partnership(name="In the north west", region=north_west, last_verified_at=months_ago(20))
    make_partnership(name="Elsewhere", last_verified_at=months_ago(20))
    content = text(client.get("/moderation/attention/?region=north-west"))
    assert "In the north west" in content
    assert "Elsewhere" not in content
    content = text(client.get("/moderation/attention/?region=none"))
    assert "Elsewhere" in content
    assert "In the north west" not in content


def test_confirming_it_myself_stamps_today_and_records_who(client, curator):
    partnership = make_partnership(name="Forgotten", last_verified_at=months_ago(20))
    response = client.post(
        f"/moderation/attention/{partnership.pk}/confirm/",
        {"back": "/moderation/attention/?page=1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/moderation/attention/?page=1"
    assert "is confirmed as still right" in response.content.decode()
    partnership.refresh_from_db()
    assert timezone.now() - partnership.last_verified_at < datetime.timedelta(minutes=1)
    change = ChangeSet.objects.filter(kind=ChangeKind.CONFIRMATION).get()
    assert change.author == curator
    assert "Forgotten" not in text(client.get("/moderation/attention/"))


def test_archiving_takes_the_entry_off_the_public_directory_with_the_reason(client, curator):
    partnership = make_partnership(name="Forgotten", last_verified_at=months_ago(20))
    response = client.post(
        f"/moderation/attention/{partnership.pk}/archive/",
        {"reason": "The partnership ended in 2024.", "back": "https://evil.example/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/moderation/attention/"
    assert "is archived and no longer public" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.ARCHIVED
    change = ChangeSet.objects.filter(kind=ChangeKind.ARCHIVE).get()
    assert (change.author, change.reason) == (curator, "The partnership ended in 2024.")
    assert client.get(partnership.get_absolute_url()).status_code == 410


def test_archiving_without_a_reason_says_why_in_the_history(client, curator):
    partnership = make_partnership(last_verified_at=months_ago(20))
    client.post(f"/moderation/attention/{partnership.pk}/archive/", {"reason": ""})
    change = ChangeSet.objects.filter(kind=ChangeKind.ARCHIVE).get()
    assert change.reason.startswith("Archived from the Needs attention list: not confirmed since")


def test_the_actions_are_post_only_and_for_published_entries(client, curator):
    draft = make_partnership(publication_state=PublicationState.DRAFT)
    assert client.get(f"/moderation/attention/{draft.pk}/confirm/").status_code == 405
    assert client.post(f"/moderation/attention/{draft.pk}/confirm/").status_code == 404
    assert client.post(f"/moderation/attention/{draft.pk}/archive/").status_code == 404


# The dashboard


def build_directory():
    north_west = Region.objects.get(slug="north-west")
    for months in (1, 5, 9, 13, 17, 20):
        make_partnership(region=north_west, last_verified_at=months_ago(months))
    make_partnership(last_verified_at=months_ago(2))
    make_partnership(last_verified_at=months_ago(40))
    make_partnership(
        region=north_west,
        last_verified_at=months_ago(1),
        publication_state=PublicationState.DRAFT,
    )
    return north_west


def test_the_dashboard_counts_entries_by_region_and_how_recently_confirmed(client, curator):
    north_west = build_directory()
    content = text(client.get("/moderation/freshness/"))
    # last 6, last 12, last 18, older than 18, all published
    assert cells(content, north_west.name) == [2, 3, 5, 1, 6]
    assert cells(content, "No region") == [1, 1, 1, 1, 2]
    assert cells(content, "All regions") == [3, 4, 6, 2, 8]
    assert cells(content, "South West") == [0, 0, 0, 0, 0]


def test_each_count_links_to_the_list_behind_it(client, curator):
    build_directory()
    content = text(client.get("/moderation/freshness/"))
    links = {
        "/moderation/attention/?within=6&amp;region=north-west": 2,
        "/moderation/attention/?within=12&amp;region=north-west": 3,
        "/moderation/attention/?within=18&amp;region=north-west": 5,
        "/moderation/attention/?region=north-west": 1,
        "/moderation/attention/?within=all&amp;region=north-west": 6,
        "/moderation/attention/?within=6&amp;region=none": 1,
        "/moderation/attention/?within=all&amp;region=none": 2,
        "/moderation/attention/?within=12": 4,
        "/moderation/attention/": 2,
        "/moderation/attention/?within=all": 8,
    }
    for url, count in links.items():
        assert f'href="{url}">{count}</a>' in content, url
        # The list behind the link holds as many as the dashboard says.
        listed = text(client.get(url.replace("&amp;", "&")))
        assert f"{count} {'entry' if count == 1 else 'entries'}" in listed, url


def test_the_dashboard_counts_reminders_sent_and_answered_by_kind(client, curator):
    partnership = make_partnership()
    now = timezone.now()
    for n, (kind, sent, answered) in enumerate(
        [
            (ReminderKind.CONFIRM_FIRST, now - datetime.timedelta(days=3), now),
            (ReminderKind.CONFIRM_FIRST, now - datetime.timedelta(days=10), None),
            (ReminderKind.CONFIRM_FIRST, now - datetime.timedelta(days=90), now),
            (ReminderKind.CURATORS, now - datetime.timedelta(days=60), None),
        ]
    ):
        Reminder.objects.create(
            partnership=partnership, kind=kind, cycle=f"c{n}", sent_at=sent, answered_at=answered
        )
    content = text(client.get("/moderation/freshness/"))
    # sent in 30 days, of those answered, sent in all, of those answered
    assert cells(content, ReminderKind.CONFIRM_FIRST.label) == [2, 1, 3, 2]
    assert cells(content, ReminderKind.CURATORS.label) == [0, 0, 1, 0]
    assert cells(content, ReminderKind.AGREEMENT_REVIEW.label) == [0, 0, 0, 0]


def test_the_dashboard_counts_open_reports_and_pending_claims(client, curator):
    partnership = make_partnership()
    ProblemReport.objects.create(
        partnership=partnership, reason=ReportReason.CONTACT, explanation="Wrong email."
    )
    ProblemReport.objects.create(
        partnership=partnership, reason=ReportReason.OTHER, explanation="x", state="fixed"
    )
    ClaimRequest.objects.create(partnership=partnership, user=make_user(), reason="I lead it.")
    content = text(client.get("/moderation/freshness/"))
    assert re.search(
        r'Open problem reports</dt><dd><a href="/moderation/reports/\?state=open">1<', content
    )
    assert re.search(
        r'Requests to manage an entry</dt><dd><a href="/moderation/claims/">1<', content
    )


@pytest.mark.parametrize("size", [1, 12])
def test_the_dashboard_costs_the_same_queries_whatever_the_directory_holds(
    client, curator, django_assert_num_queries, size
):
    for n in range(size):
        partnership = make_partnership(last_verified_at=months_ago(n * 2))
        Reminder.objects.create(partnership=partnership, kind=ReminderKind.CONFIRM_FIRST, cycle="1")
    # Session, user and their two permission lookups, the moderation link's count; then one
    # each for reports, claims, freshness by region, regions, reminders.
    with django_assert_num_queries(10):
        client.get("/moderation/freshness/")
