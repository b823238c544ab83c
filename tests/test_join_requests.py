"""Ask to join: a visitor asks for their organisation to join a published partnership, its
editors accept (through the normal edit and moderation path) or decline."""

import time

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from directory.forms import fill_token
from partnerships import join_requests, services
from partnerships.models import (
    JoinRequest,
    JoinRequestState,
    Membership,
    Organisation,
    PublicationState,
    RevisionState,
    Role,
    Sector,
)
from tests.factories import (
    make_contact,
    make_membership,
    make_organisation,
    make_partnership,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sending(django_capture_on_commit_callbacks):
    """Emails go once the transaction commits: inside `with sending():` they are sent."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def editor():
    return make_user(email="lead@example.org", first_name="Lee", last_name="Lead")


@pytest.fixture
def partnership(editor):
    partnership = make_partnership(members=1, name="Bolton health libraries")
    make_contact(partnership, is_lead=True, email="lead-contact@example.org")
    partnership.editors.add(editor)
    return partnership


@pytest.fixture
def curator():
    user = make_user(email="curator@example.org", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="moderate_partnership"))
    return user


def join_url(partnership):
    return reverse("directory:join", args=[partnership.slug])


def form_data(partnership, **overrides):
    """What a person who took ten seconds over the form posts."""
    return {
        "organisation_name": "Bolton Central Library",
        "sector": Sector.PUBLIC_LIBRARY,
        "town": "Bolton",
        "name": "Alex Librarian",
        "email": "alex@example.net",
        "message": "We run health information sessions and would like to take part.",
        "leave_empty": "",
        "started": fill_token(f"join:{partnership.pk}", issued_at=time.time() - 10),
        **overrides,
    }


def ask(client, partnership, **overrides):
    return client.post(join_url(partnership), form_data(partnership, **overrides))


def decision_url(join_request):
    return reverse("editor:join_request", args=[join_request.pk])


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def a_request(partnership, **overrides):
    fields = {
        "organisation_name": "Bolton Central Library",
        "sector": Sector.PUBLIC_LIBRARY,
        "town": "Bolton",
        "name": "Alex Librarian",
        "email": "alex@example.net",
    }
    fields.update(overrides)
    return join_requests.request_to_join(partnership, **fields)


# Asking


def test_the_partnership_page_offers_ask_to_join(client, partnership):
    response = client.get(partnership.get_absolute_url())

    assert join_url(partnership) in response.text


def test_the_form_has_every_field_labelled_one_h1_and_a_hidden_honeypot(client, partnership):
    response = client.get(join_url(partnership))

    assert response.status_code == 200
    assert response.text.count("<h1") == 1
    for name in ("organisation_name", "sector", "town", "name", "email", "message"):
        assert f'<label for="join-{name}"' in response.text
    assert 'class="honeypot" aria-hidden="true"' in response.text
    assert "style=" not in response.text


def test_a_request_is_recorded_and_the_editors_are_emailed(
    client, partnership, mailoutbox, sending
):
    with sending():
        response = ask(client, partnership)

    assert response.status_code == 302
    assert response["Location"] == partnership.get_absolute_url()
    join_request = JoinRequest.objects.get()
    assert join_request.partnership == partnership
    assert join_request.organisation_name == "Bolton Central Library"
    assert join_request.state == JoinRequestState.PENDING
    assert join_request.user is None
    (message,) = mailoutbox
    assert message.to == ["lead@example.org"]
    assert "Bolton Central Library" in message.subject
    assert "alex@example.net" in message.body
    assert decision_url(join_request) in message.body


def test_the_success_message_says_what_happens_next(client, partnership, mailoutbox):
    response = client.post(join_url(partnership), form_data(partnership), follow=True)

    assert "has gone to the partnership&#x27;s editors" in response.text
    assert "They will reply to you at alex@example.net" in response.text
    assert "once the directory&#x27;s curators have reviewed the change" in response.text


def test_without_editors_the_curators_are_told(client, curator, mailoutbox, sending):
    partnership = make_partnership(name="Nobody edits this")

    with sending():
        ask(client, partnership)

    (message,) = mailoutbox
    assert message.to == ["curator@example.org"]
    assert "Nobody edits" in message.body
    assert "you, the directory's curators" in message.body


def test_a_signed_in_person_finds_their_name_and_address_filled_in_and_is_recorded(
    partnership, mailoutbox
):
    person = make_user(email="sam@example.net", first_name="Sam", last_name="Smith")
    client = signed_in(person)

    page = client.get(join_url(partnership))
    ask(client, partnership, name="Sam Smith", email="sam@example.net")

    assert 'value="Sam Smith"' in page.text
    assert 'value="sam@example.net"' in page.text
    assert JoinRequest.objects.get().user == person


def test_an_exactly_matching_public_organisation_is_linked(client, partnership, mailoutbox):
    other = make_partnership()
    library = make_organisation(name="Bolton Central Libraries", town="Bolton")
    make_membership(other, library)

    ask(client, partnership, organisation_name="bolton central library")

    assert JoinRequest.objects.get().organisation == library


def test_an_organisation_in_no_published_partnership_is_not_linked(client, partnership, mailoutbox):
    draft = make_partnership(publication_state=PublicationState.DRAFT)
    make_membership(draft, make_organisation(name="Bolton Central Library"))

    ask(client, partnership)

    assert JoinRequest.objects.get().organisation is None


def test_an_organisation_already_a_member_is_told_so(client, partnership, mailoutbox):
    member = partnership.memberships.get().organisation

    response = ask(client, partnership, organisation_name=member.name)

    assert response.status_code == 400
    assert "is already a member" in response.text
    assert not JoinRequest.objects.exists()
    assert mailoutbox == []


def test_asking_twice_for_one_organisation_is_refused_plainly(client, partnership, mailoutbox):
    ask(client, partnership)

    response = ask(client, partnership, organisation_name="Bolton Central Libraries")

    assert response.status_code == 400
    assert "You have already asked for Bolton Central Libraries to join" in response.text
    assert JoinRequest.objects.count() == 1


@pytest.mark.parametrize(
    "state", [PublicationState.DRAFT, PublicationState.PENDING, PublicationState.ARCHIVED]
)
def test_an_unpublished_partnership_cannot_be_asked(client, mailoutbox, state):
    partnership = make_partnership(publication_state=state)

    assert client.get(join_url(partnership)).status_code == 404
    assert ask(client, partnership).status_code == 404
    assert not JoinRequest.objects.exists()


# Anti-spam


def test_a_filled_honeypot_is_refused_and_nothing_is_sent(client, partnership, mailoutbox):
    response = ask(client, partnership, leave_empty="http://spam.example")

    assert response.status_code == 400
    assert "looked automated" in response.text
    assert not JoinRequest.objects.exists()
    assert mailoutbox == []


def test_a_request_faster_than_a_person_can_type_is_refused(client, partnership, mailoutbox):
    response = ask(client, partnership, started=fill_token(f"join:{partnership.pk}"))

    assert response.status_code == 400
    assert "faster than a person can fill in the form" in response.text
    assert not JoinRequest.objects.exists()


def test_a_token_from_another_form_is_refused(client, partnership, mailoutbox):
    contact_token = fill_token(partnership.pk, issued_at=time.time() - 10)

    response = ask(client, partnership, started=contact_token)

    assert response.status_code == 400
    assert not JoinRequest.objects.exists()


def test_the_sixth_request_in_an_hour_from_one_address_is_refused(partnership, mailoutbox):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(5):
        assert ask(client, partnership, email=f"person{n}@example.net").status_code == 302

    response = ask(client, partnership, email="another@example.net")

    assert response.status_code == 429
    assert "at most 5 requests an hour" in response.text
    assert JoinRequest.objects.count() == 5


def test_the_sixth_request_in_an_hour_from_one_sender_is_refused(partnership, mailoutbox):
    for n in range(5):
        client = Client(REMOTE_ADDR=f"203.0.113.{n}")
        response = ask(client, partnership, organisation_name=f"Library {n}")
        assert response.status_code == 302

    response = ask(Client(REMOTE_ADDR="203.0.113.99"), partnership, organisation_name="Another")

    assert response.status_code == 429
    assert JoinRequest.objects.count() == 5


# Editors see and decide


def test_my_partnerships_shows_the_number_waiting_and_links_each(partnership, editor):
    first = a_request(partnership)
    second = a_request(partnership, organisation_name="Bolton College", sector=Sector.ACADEMIC)
    join_requests.decline(second, user=editor)
    a_request(partnership, organisation_name="Bolton Carers")

    response = signed_in(editor).get(reverse("editor:my_partnerships"))

    assert "2 requests to join" in response.text
    assert decision_url(first) in response.text
    assert decision_url(second) not in response.text


def test_the_request_page_shows_the_request_to_its_editor(partnership, editor):
    join_request = a_request(partnership, message="We <b>would</b> like to join")

    response = signed_in(editor).get(decision_url(join_request))

    assert response.status_code == 200
    assert "Bolton Central Library asks to join Bolton health libraries" in response.text
    assert "We &lt;b&gt;would&lt;/b&gt; like to join" in response.text
    assert ">Accept</button>" in response.text
    assert response.text.count("<h1") == 1


def test_other_people_get_404_and_cannot_decide(partnership, mailoutbox):
    join_request = a_request(partnership)
    stranger = signed_in(make_user())
    other_editor = make_user()
    make_partnership().editors.add(other_editor)

    for client in (stranger, signed_in(other_editor)):
        assert client.get(decision_url(join_request)).status_code == 404
        response = client.post(decision_url(join_request), {"decision": "accept"})
        assert response.status_code == 404
    assert Client().get(decision_url(join_request)).status_code == 302  # to sign in
    join_request.refresh_from_db()
    assert join_request.state == JoinRequestState.PENDING
    assert (
        signed_in(other_editor)
        .get(reverse("editor:my_partnerships"))
        .text.count(decision_url(join_request))
        == 0
    )


def test_accepting_a_published_entry_goes_to_the_moderators_and_leaves_the_page_alone(
    client, partnership, editor, curator, mailoutbox, sending
):
    join_request = a_request(partnership)

    with sending():
        response = signed_in(editor).post(
            decision_url(join_request), {"decision": "accept", "reply": "Welcome aboard!"}
        )

    assert response.status_code == 302
    join_request.refresh_from_db()
    assert join_request.state == JoinRequestState.ACCEPTED
    assert join_request.decided_by == editor
    organisation = join_request.organisation
    assert organisation.name == "Bolton Central Library"
    assert organisation.sector == Sector.PUBLIC_LIBRARY
    revision = partnership.revisions.get()
    assert revision.state == RevisionState.PENDING
    assert {"organisation": organisation.pk, "role": Role.MEMBER, "joined_year": None} in (
        revision.data["members"]
    )
    # The public page is unchanged until a curator approves.
    assert not Membership.objects.filter(organisation=organisation).exists()
    assert "Bolton Central Library" not in client.get(partnership.get_absolute_url()).text
    queue = signed_in(curator).get(reverse("curation:queue"))
    assert "Bolton health libraries" in queue.text
    to_requester = [m for m in mailoutbox if m.to == ["alex@example.net"]]
    to_curators = [m for m in mailoutbox if m.to == ["curator@example.org"]]
    assert len(to_requester) == 1
    assert "accepted" in to_requester[0].subject
    assert "Welcome aboard!" in to_requester[0].body
    assert len(to_curators) == 1  # "Changes to review"

    services.approve(partnership, moderator=curator)

    assert partnership.memberships.filter(organisation=organisation).exists()
    assert "Bolton Central Library" in client.get(partnership.get_absolute_url()).text


def test_accepting_keeps_the_matched_organisation(partnership, editor, mailoutbox):
    library = make_organisation(name="Bolton Central Library", town="Bolton")
    make_membership(make_partnership(), library)
    join_request = a_request(partnership)

    join_requests.accept(join_request, user=editor)

    assert partnership.revisions.get().data["members"][-1]["organisation"] == library.pk
    assert Organisation.objects.filter(name="Bolton Central Library").count() == 1


def test_accepting_after_the_organisation_was_merged_adds_the_one_it_was_merged_into(
    partnership, editor, mailoutbox
):
    library = make_organisation(name="Bolton Central Library", town="Bolton")
    make_membership(make_partnership(), library)
    join_request = a_request(partnership)
    kept = make_organisation(name="Bolton Library and Museum", town="Bolton")
    Organisation.objects.filter(pk=library.pk).update(merged_into=kept, merged_at=timezone.now())

    join_requests.accept(join_request, user=editor)

    assert partnership.revisions.get().data["members"][-1]["organisation"] == kept.pk
    assert not Organisation.objects.filter(name="Bolton Central Library", merged_into=None).exists()


def test_accepting_for_a_draft_saves_it_in_place(partnership, editor, mailoutbox):
    join_request = a_request(partnership)
    partnership.publication_state = PublicationState.DRAFT
    partnership.save()

    join_requests.accept(join_request, user=editor)

    join_request.refresh_from_db()
    assert partnership.memberships.filter(organisation=join_request.organisation).exists()
    assert not partnership.revisions.exists()
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.DRAFT


def test_declining_emails_the_reply_and_changes_nothing(partnership, editor, mailoutbox, sending):
    join_request = a_request(partnership)

    with sending():
        response = signed_in(editor).post(
            decision_url(join_request),
            {"decision": "decline", "reply": "We only take NHS members."},
        )

    assert response.status_code == 302
    join_request.refresh_from_db()
    assert join_request.state == JoinRequestState.DECLINED
    assert join_request.reply == "We only take NHS members."
    assert not partnership.revisions.exists()
    (message,) = mailoutbox
    assert message.to == ["alex@example.net"]
    assert "We only take NHS members." in message.body


def test_deciding_twice_is_refused(partnership, editor, mailoutbox, sending):
    join_request = a_request(partnership)
    client = signed_in(editor)
    client.post(decision_url(join_request), {"decision": "decline"})

    with sending():
        response = client.post(decision_url(join_request), {"decision": "accept"}, follow=True)

    assert "decided already" in response.text
    join_request.refresh_from_db()
    assert join_request.state == JoinRequestState.DECLINED
    assert not partnership.revisions.exists()
    assert mailoutbox == []
    with pytest.raises(join_requests.JoinRefused):
        join_requests.accept(join_request, user=editor)


def test_a_curator_may_decide_a_request_to_a_partnership_nobody_edits(curator, mailoutbox):
    partnership = make_partnership(members=1)
    join_request = a_request(partnership)

    response = signed_in(curator).post(decision_url(join_request), {"decision": "accept"})

    assert response.status_code == 302
    assert partnership.revisions.get().state == RevisionState.PENDING


def test_the_admin_lists_join_requests_read_only(admin_client, partnership):
    a_request(partnership)

    listing = admin_client.get(reverse("admin:partnerships_joinrequest_changelist"))

    assert listing.status_code == 200
    assert "Bolton Central Library" in listing.text
    assert admin_client.get(reverse("admin:partnerships_joinrequest_add")).status_code == 403
