"""The moderators' queue, review page and decisions."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curation import moderation
from partnerships import services
from partnerships.models import (
    Decision,
    ModerationEvent,
    PublicationState,
    RevisionState,
)
from partnerships.snapshots import snapshot_of
from tests.factories import make_agreement, make_contact, make_partnership, make_user

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def make_moderator(**overrides):
    user = make_user(**{"is_staff": True, **overrides})
    user.user_permissions.add(Permission.objects.get(codename="moderate_partnership"))
    return user


@pytest.fixture
def moderator():
    return make_moderator()


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


def submit_new(editor=None, **fields):
    """A new partnership its editor has submitted for review."""
    editor = editor or make_user()
    partnership = make_partnership(publication_state=PublicationState.DRAFT, **fields)
    partnership.editors.add(editor)
    services.submit_for_review(partnership, user=editor)
    return partnership


def submit_edit(partnership=None, editor=None, **fields):
    """Changes to a published partnership, submitted for review."""
    partnership = partnership or make_partnership()
    editor = editor or make_user()
    partnership.editors.add(editor)
    data = snapshot_of(partnership)
    data["fields"].update(fields)
    services.save_edit(partnership, data=data, user=editor)
    services.submit_for_review(partnership, user=editor)
    return partnership


def queue_url():
    return reverse("curation:queue")


def review_url(partnership):
    return reverse("curation:review", args=[partnership.pk])


def action_url(action, partnership):
    return reverse(f"curation:{action}", args=[partnership.pk])


# The queue


def test_the_queue_lists_new_submissions_and_edits_but_not_drafts_or_published_entries(
    moderator_client,
):
    new = submit_new(name="Wigan health libraries")
    edited = submit_edit(make_partnership(name="Bolton network"), summary="A new summary.")
    make_partnership(name="Quiet published entry")
    make_partnership(name="Unsubmitted draft", publication_state=PublicationState.DRAFT)
    being_edited = make_partnership(name="Edited but not submitted")
    services.save_edit(being_edited, data=snapshot_of(being_edited), user=make_user())

    response = moderator_client.get(queue_url())

    assert response.status_code == 200
    assert list(response.context["page"]) == [new, edited]
    content = response.text
    assert "New partnership" in content
    assert "Changes to a published entry" in content
    for absent in ["Quiet published entry", "Unsubmitted draft", "Edited but not submitted"]:
        assert absent not in content


def test_the_queue_shows_who_submitted_and_when_oldest_first(moderator_client):
    first_editor, second_editor = make_user(), make_user()
    later = submit_new(editor=second_editor)
    earlier = submit_edit(editor=first_editor, name="Renamed")
    ModerationEvent.objects.filter(partnership=earlier).update(
        created_at=timezone.now() - timezone.timedelta(days=3)
    )

    response = moderator_client.get(queue_url())

    assert list(response.context["page"]) == [earlier, later]
    assert first_editor.email in response.text
    assert second_editor.email in response.text
    assert response.text.index(first_editor.email) < response.text.index(second_editor.email)


def test_the_queue_says_when_nothing_is_waiting(moderator_client):
    make_partnership()

    response = moderator_client.get(queue_url())

    assert "Nothing is waiting for review." in response.text


def test_the_queue_is_paginated(moderator_client, monkeypatch):
    monkeypatch.setattr(moderation, "QUEUE_PAGE_SIZE", 2)
    for _ in range(3):
        submit_new()

    first = moderator_client.get(queue_url())
    second = moderator_client.get(queue_url(), {"page": 2})

    assert len(first.context["page"]) == 2
    assert "Page 1 of 2" in first.text
    assert len(second.context["page"]) == 1


@pytest.mark.parametrize("pending", [2, 10])
def test_the_queue_costs_the_same_queries_for_2_or_10_entries(moderator_client, pending):
    for n in range(pending):
        if n % 2:
            submit_edit(summary=f"Summary {n}")
        else:
            submit_new()

    with CaptureQueriesContext(connection) as queries:
        response = moderator_client.get(queue_url())

    assert len(response.context["page"]) == pending
    # Session, user, the moderator's permissions (user and group), the nav count, the page
    # count, the page and the prefetched submissions.
    assert len(queries) == 8


def test_the_navigation_shows_moderators_how_many_entries_wait(client, moderator):
    submit_new()
    submit_edit(name="Renamed")
    client.force_login(moderator)

    content = client.get("/").text

    assert f'href="{queue_url()}"' in content
    assert "Moderation" in content
    assert '<span class="nav-count">2<span class="visually-hidden"> waiting</span>' in content


def test_the_navigation_has_no_moderation_link_for_others(client):
    submit_new()
    client.force_login(make_user(is_staff=True))

    assert queue_url() not in client.get("/").text


# The review page


def test_the_review_of_an_edit_shows_only_the_changed_fields(moderator_client):
    partnership = submit_edit(
        make_partnership(name="Old name", area_name="Bolton", meeting_frequency="Monthly"),
        name="New name",
        meeting_frequency="Quarterly",
    )

    response = moderator_client.get(review_url(partnership))

    assert response.status_code == 200
    assert [row[0] for row in response.context["changes"]] == ["Name", "Meeting frequency"]
    content = response.text
    assert '<th scope="col">Field</th>' in content
    assert '<th scope="col">Published now</th>' in content
    assert '<th scope="col">Proposed</th>' in content
    assert "Old name" in content and "New name" in content
    assert "Monthly" in content and "Quarterly" in content
    assert '<th scope="row">Area</th>' not in content


def test_the_review_of_a_new_submission_shows_everything_including_private_contacts(
    moderator_client,
):
    partnership = make_partnership(
        members=2, publication_state=PublicationState.DRAFT, aims="Share training."
    )
    make_contact(partnership, name="Public lead", email="lead@example.org", is_lead=True)
    make_contact(partnership, consent=False, name="Private deputy", email="deputy@example.org")
    agreement = make_agreement(partnership, title="Our memorandum", document="agreements/x.pdf")
    make_agreement(partnership, title="Draft terms", is_public=False)
    editor = make_user()
    partnership.editors.add(editor)
    services.submit_for_review(partnership, user=editor)

    content = moderator_client.get(review_url(partnership)).text

    assert "Share training." in content
    for membership in partnership.memberships.all():
        assert membership.organisation.name in content
    assert "deputy@example.org" in content
    assert "Private: not published" in content
    assert "Our memorandum" in content and "Draft terms" in content
    assert reverse("editor:agreement_document", args=[agreement.pk]) in content


def test_the_review_reads_an_agreements_signing_once_with_its_review_date(moderator_client):
    partnership = make_partnership(publication_state=PublicationState.DRAFT)
    make_agreement(
        partnership,
        title="Our memorandum",
        signed_on=datetime.date(2026, 1, 15),
        review_due=datetime.date(2099, 1, 15),
    )
    editor = make_user()
    partnership.editors.add(editor)
    services.submit_for_review(partnership, user=editor)

    content = moderator_client.get(review_url(partnership)).text

    assert "signed, signed" not in content
    assert "signed 15 January 2026, review due 15 January 2099" in content


def test_the_review_links_documents_in_a_proposed_revision(moderator_client):
    partnership = make_partnership()
    data = snapshot_of(partnership)
    data["agreements"].append(
        {"kind": "mou", "title": "New memorandum", "status": "signed", "document": "a.pdf"}
    )
    editor = make_user()
    partnership.editors.add(editor)
    services.save_edit(partnership, data=data, user=editor)
    services.submit_for_review(partnership, user=editor)

    content = moderator_client.get(review_url(partnership)).text

    assert reverse("editor:revision_document", args=[partnership.pk, 0]) in content


def test_the_review_page_shows_the_history_of_decisions(moderator_client, moderator):
    editor = make_user()
    partnership = submit_new(editor=editor)
    services.request_changes(partnership, moderator=moderator, message="Add your aims, please.")
    services.submit_for_review(partnership, user=editor)

    response = moderator_client.get(review_url(partnership))

    events = list(response.context["events"])
    assert [event.decision for event in events] == [
        Decision.SUBMITTED,
        Decision.CHANGES_REQUESTED,
        Decision.SUBMITTED,
    ]
    assert "Add your aims, please." in response.text
    assert moderator.email in response.text
    assert editor.email in response.text


# Decisions


def test_approving_a_new_submission_publishes_it_and_emails_its_editors(
    moderator_client, moderator, mailoutbox, django_capture_on_commit_callbacks
):
    editor = make_user()
    partnership = submit_new(editor=editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(
            action_url("approve", partnership), {"approve-message": "Welcome aboard."}
        )

    assert response.status_code == 302
    assert response["Location"] == queue_url()
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.PUBLISHED
    assert partnership.last_verified_at is not None
    [email] = mailoutbox
    assert email.to == [editor.email]
    assert "Welcome aboard." in email.body
    assert partnership.name in email.subject


def test_an_edit_stays_off_the_public_page_until_it_is_approved(moderator_client, client):
    partnership = submit_edit(make_partnership(summary="The old summary."), summary="Brand new.")

    before = Client().get(partnership.get_absolute_url()).text
    assert "The old summary." in before
    assert "Brand new." not in before

    moderator_client.post(action_url("approve", partnership))

    after = Client().get(partnership.get_absolute_url()).text
    assert "Brand new." in after
    assert "The old summary." not in after
    assert partnership.revisions.get().state == RevisionState.APPROVED


def test_requesting_changes_sends_the_message_back_to_the_editors(
    moderator_client, mailoutbox, django_capture_on_commit_callbacks
):
    editor = make_user()
    partnership = submit_new(editor=editor)

    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(
            action_url("request_changes", partnership),
            {"changes-message": "Please name your lead organisation."},
        )

    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.CHANGES_REQUESTED
    [email] = mailoutbox
    assert email.to == [editor.email]
    assert "Please name your lead organisation." in email.body
    assert reverse("editor:edit", args=[partnership.pk]) in email.body


def test_requesting_changes_on_an_edit_keeps_the_published_version(moderator_client):
    partnership = submit_edit(make_partnership(name="Kept name"), name="Proposed name")

    moderator_client.post(
        action_url("request_changes", partnership), {"changes-message": "Not quite."}
    )

    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.PUBLISHED
    assert partnership.name == "Kept name"
    assert partnership.revisions.get().state == RevisionState.CHANGES_REQUESTED


@pytest.mark.parametrize(
    ("action", "field"), [("request_changes", "changes-message"), ("reject", "reject-message")]
)
def test_sending_back_or_rejecting_needs_a_message(moderator_client, mailoutbox, action, field):
    partnership = submit_new()

    response = moderator_client.post(action_url(action, partnership), {field: "   "})

    assert response.status_code == 400
    assert "error-message" in response.text
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.PENDING
    assert not ModerationEvent.objects.exclude(decision=Decision.SUBMITTED).exists()


def test_rejecting_a_new_submission_archives_it_and_emails_the_reason(
    moderator_client, mailoutbox, django_capture_on_commit_callbacks
):
    editor = make_user()
    partnership = submit_new(editor=editor)

    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(
            action_url("reject", partnership), {"reject-message": "This is a single library."}
        )

    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.ARCHIVED
    [email] = mailoutbox
    assert email.to == [editor.email]
    assert "This is a single library." in email.body
    assert "archived" in email.body


def test_rejecting_an_edit_drops_it_and_keeps_the_published_page(moderator_client):
    partnership = submit_edit(make_partnership(name="Published name"), name="Vandalised name")

    moderator_client.post(action_url("reject", partnership), {"reject-message": "Spam."})

    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.PUBLISHED
    assert partnership.revisions.get().state == RevisionState.REJECTED
    page = Client().get(partnership.get_absolute_url()).text
    assert "Published name" in page
    assert "Vandalised name" not in page
    assert partnership not in services.awaiting_review()


def test_each_decision_records_who_decided_what_and_when(moderator_client, moderator):
    partnership = submit_new()
    before = timezone.now()

    moderator_client.post(action_url("approve", partnership), {"approve-message": "Lovely."})

    event = ModerationEvent.objects.get(decision=Decision.APPROVED)
    assert event.partnership == partnership
    assert event.actor == moderator
    assert event.message == "Lovely."
    assert before <= event.created_at <= timezone.now()


def test_a_decision_on_an_entry_no_longer_waiting_is_refused_plainly(moderator_client):
    partnership = submit_new()
    moderator_client.post(action_url("approve", partnership))

    response = moderator_client.post(
        action_url("reject", partnership), {"reject-message": "Too late."}, follow=True
    )

    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.PUBLISHED
    assert "is not waiting for review any more" in response.text


# Who may moderate


def moderation_requests(partnership):
    return [
        ("get", queue_url()),
        ("get", review_url(partnership)),
        ("post", action_url("approve", partnership)),
        ("post", action_url("request_changes", partnership)),
        ("post", action_url("reject", partnership)),
    ]


@pytest.mark.parametrize("who", ["regular user", "staff without the permission"])
def test_everyone_signed_in_but_moderators_gets_404_on_every_moderation_url(client, who):
    # Someone signed out is sent to sign in instead (issue 8, defect 15).
    partnership = submit_new()
    users = {
        "regular user": make_user(),
        "staff without the permission": make_user(is_staff=True),
    }
    client.force_login(users[who])

    for _method, url in moderation_requests(partnership):
        # Whatever the method: not even a 405 gives the address away.
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"changes-message": "x", "reject-message": "x"}).status_code == 404

    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.PENDING


def test_a_non_staff_user_with_the_permission_gets_404(client):
    client.force_login(make_moderator(is_staff=False))

    assert client.get(queue_url()).status_code == 404


def test_superusers_and_staff_with_the_permission_may_moderate(client):
    for user in [make_moderator(), make_user(is_superuser=True)]:
        client.force_login(user)
        assert client.get(queue_url()).status_code == 200


def test_actions_refuse_a_post_without_a_csrf_token(moderator):
    partnership = submit_new()
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)

    for _method, url in moderation_requests(partnership)[2:]:
        response = client.post(url, {"changes-message": "x", "reject-message": "x"})
        assert response.status_code == 403

    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.PENDING


def test_actions_accept_a_post_with_the_csrf_token_from_the_review_page(moderator):
    partnership = submit_new()
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    client.get(review_url(partnership))

    response = client.post(
        action_url("approve", partnership),
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )

    assert response.status_code == 302
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.PUBLISHED


def test_actions_do_not_answer_get(moderator_client):
    partnership = submit_new()

    assert moderator_client.get(action_url("approve", partnership)).status_code == 405


# Hostile text


TEXT_FIELDS = [
    "name",
    "summary",
    "description",
    "aims",
    "area_name",
    "mailing_list",
    "meeting_frequency",
]


def test_every_text_field_is_shown_escaped_in_the_diff_and_the_history(moderator_client, moderator):
    partnership = submit_edit(**{name: f"{name} {SCRIPT}" for name in TEXT_FIELDS})
    services.request_changes(partnership, moderator=moderator, message=SCRIPT)
    services.submit_for_review(partnership, user=partnership.editors.get())

    response = moderator_client.get(review_url(partnership))

    assert len(response.context["changes"]) == len(TEXT_FIELDS)
    assert SCRIPT not in response.text
    for name in TEXT_FIELDS:
        assert f"{name} {ESCAPED}" in response.text
    assert f"<td>{ESCAPED}</td>" in response.text


def test_a_hostile_name_is_shown_escaped_in_the_queue(moderator_client):
    submit_new(name=f"New {SCRIPT}")

    queue = moderator_client.get(queue_url()).text

    assert SCRIPT not in queue
    assert f"New {ESCAPED}" in queue


def test_a_new_submission_with_hostile_text_is_shown_escaped(moderator_client):
    partnership = submit_new(**{name: f"{name} {SCRIPT}" for name in TEXT_FIELDS})
    make_contact(partnership, name=SCRIPT, job_title=SCRIPT, phone=SCRIPT)
    make_agreement(partnership, title=SCRIPT, summary=SCRIPT)

    review = moderator_client.get(review_url(partnership)).text

    assert SCRIPT not in review
    for name in TEXT_FIELDS:
        assert f"{name} {ESCAPED}" in review


# The editors see the moderator's message (issue 8, defect 9)


@pytest.mark.parametrize("edit", [False, True], ids=["new entry", "edit of a published one"])
def test_the_editors_see_the_request_for_changes_on_their_pages(client, moderator, edit):
    editor = make_user()
    partnership = submit_edit(editor=editor) if edit else submit_new(editor=editor)
    services.request_changes(
        partnership, moderator=moderator, message="Please name your <lead> organisation."
    )
    client.force_login(editor)
    today = timezone.localdate().strftime("%-d %B %Y")

    for url in [
        reverse("editor:edit", args=[partnership.pk]),
        reverse("editor:my_partnerships"),
        reverse("editor:preview", args=[partnership.pk]),
    ]:
        page = " ".join(client.get(url).content.decode().split())
        assert "A moderator asked for changes" in page, url
        assert "Please name your &lt;lead&gt; organisation." in page, url
        assert today in page, url

    # Once they submit again the message has been dealt with.
    services.submit_for_review(partnership, user=editor)
    page = client.get(reverse("editor:my_partnerships")).content.decode()
    assert "Please name your" not in page


def test_my_partnerships_reads_the_messages_in_a_constant_number_of_queries(client, moderator):
    editor = make_user()
    client.force_login(editor)

    def queries():
        partnership = submit_new(editor=editor)
        services.request_changes(partnership, moderator=moderator, message="Fix it.")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("editor:my_partnerships")).status_code == 200
        return len(captured)

    assert queries() == queries()


@pytest.mark.parametrize("who", ["signed out", "inactive moderator"])
def test_someone_signed_out_is_sent_to_sign_in_from_every_moderation_url(client, who):
    # An inactive account's session does not count as signed in.
    if who == "inactive moderator":
        client.force_login(make_moderator(is_active=False))
    partnership = submit_new()
    for _method, url in moderation_requests(partnership):
        for response in [client.get(url), client.post(url, {"changes-message": "x"})]:
            assert response.status_code == 302, url
            assert response["Location"].startswith(f"{reverse('account_login')}?next="), url
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.PENDING
