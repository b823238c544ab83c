"""Who may edit what: editors and moderators only. Everyone else gets a 404 for anything that is
not public, and no form accepts another partnership's rows."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from editor import uploads
from partnerships import services
from partnerships.models import Contact, Organisation, PublicationState, RevisionState, Sector
from tests.editing import PDF, form_data
from tests.factories import (
    make_agreement,
    make_contact,
    make_organisation,
    make_partnership,
    make_user,
)

pytestmark = pytest.mark.django_db

SECRET = "Secret draft details"


def document():
    return uploads.store_document(SimpleUploadedFile("x.pdf", PDF))


@pytest.fixture
def draft():
    """A draft with an editor, a private agreement and an unapproved revision document."""
    editor = make_user()
    partnership = make_partnership(name=SECRET, publication_state=PublicationState.DRAFT, members=1)
    partnership.editors.add(editor)
    make_agreement(partnership, is_public=False, document=document())
    make_agreement(partnership, is_public=True, document=document())
    return partnership


def editor_urls(partnership):
    """Every editing route for `partnership`, with the method each is used with."""
    private = partnership.agreements.get(is_public=False)
    public = partnership.agreements.get(is_public=True)
    return [
        ("get", reverse("editor:edit", args=[partnership.pk])),
        ("post", reverse("editor:edit", args=[partnership.pk])),
        ("get", reverse("editor:preview", args=[partnership.pk])),
        ("post", reverse("editor:submit", args=[partnership.pk])),
        ("get", reverse("editor:editors", args=[partnership.pk])),
        ("post", reverse("editor:editors", args=[partnership.pk])),
        ("get", reverse("editor:revision_document", args=[partnership.pk, 0])),
        ("get", reverse("editor:agreement_document", args=[private.pk])),
        # Public agreement, but the partnership is not published yet.
        ("get", reverse("editor:agreement_document", args=[public.pk])),
    ]


def test_strangers_get_404_for_every_editing_route(client, draft):
    client.force_login(make_user())
    for method, url in editor_urls(draft):
        data = {"email": "x@example.org"} if method == "post" else None
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
        assert SECRET.encode() not in response.content
    draft.refresh_from_db()
    assert draft.publication_state == PublicationState.DRAFT


def test_anonymous_visitors_never_see_an_editing_route(client, draft):
    for method, url in editor_urls(draft):
        response = getattr(client, method)(url)
        assert response.status_code in (302, 404), (method, url)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("account_login"))
        assert SECRET.encode() not in response.content


def test_editors_and_moderators_reach_every_editing_route(client, draft):
    for user in (draft.editors.get(), make_user(is_superuser=True)):
        client.force_login(user)
        for method, url in editor_urls(draft):
            if method == "get":
                assert client.get(url).status_code == 200, url


def test_a_stranger_cannot_edit_a_published_entry(client):
    partnership = make_partnership(name="Published name")
    client.force_login(make_user())
    data = form_data("submit", name="Defaced", summary="Defaced")
    assert client.post(reverse("editor:edit", args=[partnership.pk]), data).status_code == 404
    partnership.refresh_from_db()
    assert partnership.name == "Published name"
    assert partnership.revisions.count() == 0
    assert client.get(partnership.get_absolute_url()).status_code == 200


def test_a_form_cannot_reach_another_partnerships_rows(client):
    mine = make_partnership(publication_state=PublicationState.DRAFT)
    editor = make_user()
    mine.editors.add(editor)
    theirs = make_partnership(members=1)
    their_organisation = theirs.memberships.get().organisation
    their_contact = make_contact(theirs, name="Their contact")
    their_agreement = make_agreement(theirs, title="Their agreement")
    client.force_login(editor)

    data = form_data(
        name=mine.name,
        summary=mine.summary,
        members=[
            {
                "organisation": str(their_organisation.pk),
                "name": "My own library",
                "town": "Leigh",
                "sector": Sector.PUBLIC_LIBRARY,
            }
        ],
        contacts=[{"id": str(their_contact.pk), "name": "Hijacked contact"}],
        agreements=[{"id": str(their_agreement.pk), "kind": "mou", "title": "Hijacked"}],
        initial={"members": 1, "contacts": 1, "agreements": 1},
    )
    assert client.post(reverse("editor:edit", args=[mine.pk]), data).status_code == 302

    their_contact.refresh_from_db()
    their_agreement.refresh_from_db()
    assert (their_contact.partnership, their_contact.name) == (theirs, "Their contact")
    assert (their_agreement.partnership, their_agreement.title) == (theirs, "Their agreement")
    assert list(theirs.memberships.values_list("organisation", flat=True)) == [
        their_organisation.pk
    ]
    their_organisation.refresh_from_db()
    assert their_organisation.name != "My own library"
    assert mine.contacts.get().name == "Hijacked contact"
    assert mine.agreements.get().title == "Hijacked"
    assert mine.memberships.get().organisation.name == "My own library"


def test_a_revision_keeps_no_ids_of_another_partnerships_rows(client):
    mine = make_partnership()
    editor = make_user()
    mine.editors.add(editor)
    theirs = make_partnership()
    their_contact = make_contact(theirs)
    client.force_login(editor)
    data = form_data(
        name=mine.name,
        summary=mine.summary,
        contacts=[{"id": str(their_contact.pk), "name": "Hijacked"}],
        initial={"contacts": 1},
    )
    client.post(reverse("editor:edit", args=[mine.pk]), data)
    revision = mine.revisions.get()
    assert "id" not in revision.data["contacts"][0]
    services.submit_for_review(mine, user=editor)
    services.approve(mine, moderator=make_user(is_superuser=True))
    assert Contact.objects.get(pk=their_contact.pk).partnership == theirs


def test_an_organisation_id_counts_only_with_its_own_name_and_town(client):
    editor = make_user()
    hidden = make_organisation(name="Draft-only organisation", town="Bury")
    client.force_login(editor)
    data = form_data(
        name="New one",
        summary="S",
        members=[{"organisation": str(hidden.pk), "name": "Another", "town": "Bury"}],
    )
    response = client.post(reverse("editor:new"), data)
    assert response.status_code == 400
    assert b"Draft-only organisation" not in response.content


def test_editors_can_remove_a_co_editor_but_not_the_last_one(client):
    partnership = make_partnership()
    first, second = make_user(), make_user()
    partnership.editors.add(first, second)
    client.force_login(first)
    url = reverse("editor:editors", args=[partnership.pk])
    page = client.get(url).content.decode()
    assert first.email in page and second.email in page

    client.post(url, {"action": "remove", "user": second.pk})
    assert list(partnership.editors.all()) == [first]
    response = client.post(url, {"action": "remove", "user": first.pk}, follow=True)
    assert list(partnership.editors.all()) == [first]
    assert "at least one editor" in response.content.decode()


def test_removing_someone_who_is_not_an_editor_is_not_found(client):
    partnership = make_partnership()
    first = make_user()
    partnership.editors.add(first)
    client.force_login(first)
    url = reverse("editor:editors", args=[partnership.pk])
    assert client.post(url, {"action": "remove", "user": make_user().pk}).status_code == 404


# My partnerships -------------------------------------------------------------------------------


def test_my_partnerships_lists_each_entry_with_its_state(client):
    editor = make_user()
    draft = make_partnership(name="A draft", publication_state=PublicationState.DRAFT)
    published = make_partnership(name="B published")
    pending = make_partnership(name="C published with changes")
    for partnership in (draft, published, pending):
        partnership.editors.add(editor)
    make_partnership(name="Not mine")
    services.save_edit(pending, data=services.working_copy(pending), user=editor)
    services.submit_for_review(pending, user=editor)
    client.force_login(editor)

    page = " ".join(client.get(reverse("editor:my_partnerships")).content.decode().split())
    assert "A draft</th> <td>Draft</td>" in page
    assert "B published</a></th> <td>Published</td>" in page
    assert "Published — changes pending review" in page
    assert "Not mine" not in page
    for partnership in (draft, published, pending):
        for name in ("edit", "preview", "editors"):
            assert reverse(f"editor:{name}", args=[partnership.pk]) in page
    assert reverse("editor:submit", args=[draft.pk]) in page
    assert reverse("editor:submit", args=[pending.pk]) not in page


def test_my_partnerships_has_an_empty_state(client):
    client.force_login(make_user())
    page = client.get(reverse("editor:my_partnerships")).content.decode()
    assert "You do not edit any partnerships yet" in page
    assert reverse("editor:new") in page


def test_my_partnerships_needs_sign_in_and_the_nav_links_it(client):
    assert client.get(reverse("editor:my_partnerships")).status_code == 302
    client.force_login(make_user())
    assert reverse("editor:my_partnerships") in client.get("/").content.decode()


def test_my_partnerships_runs_a_constant_number_of_queries(client):
    editor = make_user()
    client.force_login(editor)

    def queries_for(count):
        for _ in range(count):
            partnership = make_partnership(members=2)
            partnership.editors.add(editor)
            services.save_edit(partnership, data=services.working_copy(partnership), user=editor)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("editor:my_partnerships")).status_code == 200
        return len(queries)

    assert queries_for(2) == queries_for(8)


def test_submitting_from_my_partnerships_needs_a_complete_entry(client):
    editor = make_user()
    partnership = make_partnership(publication_state=PublicationState.DRAFT)
    partnership.editors.add(editor)
    client.force_login(editor)
    response = client.post(reverse("editor:submit", args=[partnership.pk]), follow=True)
    assert "Add at least one member organisation" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.DRAFT

    partnership.memberships.create(organisation=make_organisation())
    make_contact(partnership, is_lead=True)
    client.post(reverse("editor:submit", args=[partnership.pk]))
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.PENDING


def test_submitting_changes_to_a_published_entry_puts_the_revision_in_review(client):
    editor = make_user()
    partnership = make_partnership(members=1)
    make_contact(partnership, is_lead=True)
    partnership.editors.add(editor)
    services.save_edit(partnership, data=services.working_copy(partnership), user=editor)
    client.force_login(editor)
    client.post(reverse("editor:submit", args=[partnership.pk]))
    assert partnership.revisions.get().state == RevisionState.PENDING


# Hostile text ----------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_hostile_text_in_every_field_stays_text(client, mailoutbox):
    editor = make_user()
    client.force_login(editor)
    text_fields = [
        "summary",
        "aims",
        "description",
        "area_name",
        "mailing_list",
        "meeting_frequency",
    ]
    data = form_data(
        name=SCRIPT,
        **dict.fromkeys(text_fields, SCRIPT),
        members=[{"name": SCRIPT, "town": SCRIPT, "sector": Sector.OTHER}],
        contacts=[
            {
                "name": SCRIPT,
                "job_title": SCRIPT,
                "phone": SCRIPT[:40],
                "consent_to_publish": True,
            }
        ],
        agreements=[{"kind": "mou", "title": SCRIPT, "summary": SCRIPT, "is_public": True}],
    )
    assert client.post(reverse("editor:new"), data).status_code == 302
    partnership = editor.edited_partnerships.get()
    assert partnership.name == SCRIPT
    assert Organisation.objects.filter(name=SCRIPT, town=SCRIPT).exists()

    pages = {
        "edit": reverse("editor:edit", args=[partnership.pk]),
        "preview": reverse("editor:preview", args=[partnership.pk]),
        "mine": reverse("editor:my_partnerships"),
        "editors": reverse("editor:editors", args=[partnership.pk]),
    }
    for name, url in pages.items():
        page = client.get(url).content.decode()
        assert SCRIPT not in page, name
        assert ESCAPED in page, name
    # The edit form shows every field's hostile text escaped: 7 partnership fields, 2 member
    # fields, 3 contact fields and 2 agreement fields.
    assert client.get(pages["edit"]).content.decode().count(ESCAPED) >= 14

    # Emails are plain text: the name appears as typed, not HTML-escaped.
    client.post(pages["editors"], {"action": "invite", "email": "new@example.org"})
    body = mailoutbox[-1].subject + mailoutbox[-1].body
    assert SCRIPT in body
    assert "&lt;" not in body


# CSRF ------------------------------------------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused():
    editor = make_user()
    partnership = make_partnership(publication_state=PublicationState.DRAFT)
    partnership.editors.add(editor)
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    data = form_data(name="Changed", summary="Changed")
    for url, post in [
        (reverse("editor:new"), data),
        (reverse("editor:edit", args=[partnership.pk]), data),
        (reverse("editor:submit", args=[partnership.pk]), {}),
        (
            reverse("editor:editors", args=[partnership.pk]),
            {"action": "invite", "email": "x@example.org"},
        ),
    ]:
        assert client.post(url, post).status_code == 403, url
    partnership.refresh_from_db()
    assert partnership.name != "Changed"
    assert partnership.publication_state == PublicationState.DRAFT
    assert editor.edited_partnerships.count() == 1
