"""Snapshots, revisions and moderation services: what the editing and moderation screens rely on."""

import pytest

from partnerships import services
from partnerships.models import (
    Decision,
    ModerationEvent,
    Partnership,
    PublicationState,
    RevisionState,
    Role,
)
from partnerships.snapshots import apply_snapshot, diff, snapshot_of
from tests.factories import (
    make_agreement,
    make_contact,
    make_organisation,
    make_partnership,
    make_user,
)

pytestmark = pytest.mark.django_db


def a_snapshot(**fields):
    organisation = make_organisation(name="Bolton Libraries")
    return {
        "fields": {
            "name": "Bolton HIP",
            "summary": "Libraries together.",
            "region": "north-west",
            **fields,
        },
        "activities": ["health-information-week"],
        "channels": ["virtual-meetings"],
        "members": [{"organisation": organisation.pk, "role": Role.LEAD, "joined_year": 2019}],
        "contacts": [
            {
                "name": "Library team",
                "email": "team@example.org",
                "is_lead": True,
                "consent_to_publish": True,
                "consented_at": "2026-11-01T10:00:00+00:00",
            }
        ],
        "agreements": [
            {
                "kind": "mou",
                "title": "Memorandum",
                "status": "signed",
                "signed_on": "2025-01-31",
                "is_public": True,
                "parties": [organisation.pk],
            }
        ],
    }


def test_a_snapshot_written_and_read_back_is_the_same():
    partnership = make_partnership(members=2)
    make_contact(partnership)
    make_agreement(partnership)
    before = snapshot_of(partnership)
    apply_snapshot(partnership, before)
    assert snapshot_of(Partnership.objects.get(pk=partnership.pk)) == before


def test_creating_a_partnership_makes_a_draft_its_creator_edits():
    user = make_user()
    partnership = services.create_partnership(data=a_snapshot(), user=user)
    assert partnership.publication_state == PublicationState.DRAFT
    assert list(partnership.editors.all()) == [user]
    assert partnership.region.slug == "north-west"
    assert partnership.memberships.get().role == Role.LEAD
    assert partnership.contacts.get().consented_at is not None
    assert partnership.agreements.get().parties.count() == 1


def test_an_edit_to_a_published_partnership_waits_for_approval():
    user, moderator = make_user(), make_user(is_superuser=True)
    partnership = make_partnership(name="Old name")
    partnership.editors.add(user)
    data = snapshot_of(partnership)
    data["fields"]["name"] = "New name"

    services.save_edit(partnership, data=data, user=user)
    services.submit_for_review(partnership, user=user)
    partnership.refresh_from_db()
    assert partnership.name == "Old name"
    assert partnership.publication_state == PublicationState.PUBLISHED
    assert [
        row[0] for row in diff(snapshot_of(partnership), services.working_copy(partnership))
    ] == ["Name"]

    services.approve(partnership, moderator=moderator)
    partnership.refresh_from_db()
    assert partnership.name == "New name"
    assert partnership.revisions.get().state == RevisionState.APPROVED
    assert list(ModerationEvent.objects.values_list("decision", flat=True)) == [
        Decision.APPROVED,
        Decision.SUBMITTED,
    ]


def test_a_new_submission_can_be_sent_back_and_rejected(
    mailoutbox, django_capture_on_commit_callbacks
):
    user, moderator = make_user(), make_user(is_superuser=True)
    partnership = services.create_partnership(data=a_snapshot(), user=user)
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_for_review(partnership, user=user)
        services.request_changes(partnership, moderator=moderator, message="Add your aims.")
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.CHANGES_REQUESTED
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_for_review(partnership, user=user)
        services.reject(partnership, moderator=moderator, reason="Not a partnership.")
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.ARCHIVED
    assert any("Add your aims." in m.body for m in mailoutbox)
    assert any("Not a partnership." in m.body and m.to == [user.email] for m in mailoutbox)


def test_only_pending_entries_can_be_decided():
    moderator = make_user(is_superuser=True)
    partnership = make_partnership(publication_state=PublicationState.DRAFT)
    with pytest.raises(ValueError):
        services.approve(partnership, moderator=moderator)


def test_editable_by_gives_editors_their_own_and_moderators_everything():
    editor, stranger, moderator = make_user(), make_user(), make_user(is_superuser=True)
    mine = make_partnership(publication_state=PublicationState.DRAFT)
    mine.editors.add(editor)
    other = make_partnership(publication_state=PublicationState.DRAFT)
    assert list(Partnership.objects.editable_by(editor)) == [mine]
    assert list(Partnership.objects.editable_by(stranger)) == []
    assert set(Partnership.objects.editable_by(moderator)) == {mine, other}
