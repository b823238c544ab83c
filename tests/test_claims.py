"""Asking to manage a partnership that nobody edits ("Claim this listing"), and the curators'
queue that approves (the person becomes an editor, recorded in the history) or refuses."""

import pytest
from django.urls import reverse

from partnerships import claims, emails
from partnerships.models import (
    ChangeKind,
    ClaimRequest,
    ClaimState,
    PublicationState,
    Version,
)
from tests.factories import make_moderator, make_partnership, make_user

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
HOSTILE = f"Bolton {SCRIPT} \"quoted\" & 'single'\nBcc: victim@example.org"


@pytest.fixture
def orphan():
    """A published partnership that nobody edits, as an import leaves it."""
    return make_partnership(name="Bolton health libraries")


@pytest.fixture
def person():
    return make_user(email="librarian@example.org")


@pytest.fixture
def curator():
    return make_moderator(email="curator@example.org")


@pytest.fixture
def sending(django_capture_on_commit_callbacks):
    """Emails go once the transaction commits: inside `with sending():` they are sent."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def claim_url(partnership):
    return reverse("directory:claim_partnership", args=[partnership.slug])


def ask(client, partnership, reason="I chair its steering group."):
    return client.post(claim_url(partnership), {"reason": reason})


# Asking -----------------------------------------------------------------------------------------


def test_a_partnership_without_editors_offers_to_be_managed(client, orphan):
    response = client.get(orphan.get_absolute_url())

    assert "Are you involved in this partnership?" in response.text
    assert f'href="{claim_url(orphan)}"' in response.text


def test_a_partnership_with_editors_does_not_offer_it(client, orphan, person):
    orphan.editors.add(person)

    response = client.get(orphan.get_absolute_url())

    assert "Are you involved in this partnership?" not in response.text


def test_someone_signed_out_is_sent_to_sign_in_and_back(client, orphan):
    for response in (client.get(claim_url(orphan)), ask(client, orphan)):
        assert response.status_code == 302
        assert response.url == f"{reverse('account_login')}?next={claim_url(orphan)}"
    assert not ClaimRequest.objects.exists()


def test_a_signed_in_person_asks_with_a_reason(client, orphan, person):
    client.force_login(person)
    assert client.get(claim_url(orphan)).status_code == 200

    response = client.post(claim_url(orphan), {"reason": "I chair it."}, follow=True)

    assert response.redirect_chain == [(orphan.get_absolute_url(), 302)]
    assert "your request has gone to the directory" in response.text
    claim = ClaimRequest.objects.get()
    assert (claim.partnership, claim.user, claim.reason) == (orphan, person, "I chair it.")
    assert claim.state == ClaimState.PENDING
    assert not orphan.editors.exists()


def test_a_request_needs_a_reason(client, orphan, person):
    client.force_login(person)

    response = ask(client, orphan, reason="   ")

    assert response.status_code == 400
    assert "Say how you are involved in the partnership." in response.text
    assert not ClaimRequest.objects.exists()


def test_asking_twice_gets_a_friendly_message_not_a_second_request(client, orphan, person):
    client.force_login(person)
    ask(client, orphan)

    page = client.get(claim_url(orphan))
    again = client.post(claim_url(orphan), {"reason": "Again"}, follow=True)

    assert "You asked to manage this partnership on" in page.text
    assert again.status_code == 200
    assert ClaimRequest.objects.count() == 1


def test_the_service_refuses_a_second_pending_request(orphan, person):
    claims.request_claim(orphan, user=person, reason="First")

    with pytest.raises(claims.ClaimRefused, match="already asked"):
        claims.request_claim(orphan, user=person, reason="Second")


def test_a_partnership_with_editors_cannot_be_claimed(client, orphan, person):
    orphan.editors.add(make_user())
    client.force_login(person)

    response = ask(client, orphan)

    assert response.status_code == 302
    assert not ClaimRequest.objects.exists()
    with pytest.raises(claims.ClaimRefused, match="already has editors"):
        claims.request_claim(orphan, user=person, reason="Please")


def test_an_unpublished_partnership_cannot_be_claimed(client, person):
    draft = make_partnership(publication_state=PublicationState.DRAFT)
    client.force_login(person)

    assert ask(client, draft).status_code == 404
    assert not ClaimRequest.objects.exists()


# Deciding ---------------------------------------------------------------------------------------


@pytest.fixture
def claim(orphan, person):
    return claims.request_claim(orphan, user=person, reason=f"I chair it {SCRIPT}")


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


def test_the_queue_lists_pending_requests_first(curator_client, orphan, curator):
    decided = claims.request_claim(make_partnership(), user=make_user(), reason="a")
    claims.refuse_claim(decided, curator=curator, note="No")
    pending = claims.request_claim(orphan, user=make_user(), reason="b")

    response = curator_client.get(reverse("curation:claims"))

    assert response.status_code == 200
    assert [c.pk for c in response.context["page"]] == [pending.pk, decided.pk]
    assert "1 request is waiting" in response.text


def test_the_request_page_shows_who_asks_and_why(curator_client, claim):
    response = curator_client.get(reverse("curation:claim", args=[claim.pk]))

    assert response.status_code == 200
    assert "librarian@example.org" in response.text
    assert "I chair it &lt;script&gt;" in response.text
    assert reverse("curation:claim_approve", args=[claim.pk]) in response.text


def test_approval_makes_an_editor_records_it_and_emails_them(
    curator_client, claim, orphan, person, mailoutbox, sending, settings
):
    with sending():
        response = curator_client.post(
            reverse("curation:claim_approve", args=[claim.pk]), {"approve-note": "Welcome."}
        )

    assert response.status_code == 302
    assert list(orphan.editors.all()) == [person]
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED
    assert claim.decided_by.email == "curator@example.org"
    assert claim.note == "Welcome."
    version = Version.objects.of(orphan).newest_first().first()
    assert version.change_set.kind == ChangeKind.CLAIM
    assert version.change_set.author.email == "curator@example.org"
    assert "librarian@example.org may now edit it." in version.change_set.reason
    [message] = mailoutbox
    assert message.to == ["librarian@example.org"]
    # In Welsh and English: the person has no stored language.
    assert message.subject.endswith(" / You can now edit Bolton health libraries")
    assert "Welcome." in message.body
    assert f"{settings.SITE_URL}{reverse('editor:edit', args=[orphan.pk])}" in message.body


def test_the_new_editor_can_edit_the_partnership(client, claim, orphan, person, curator):
    claims.approve_claim(claim, curator=curator)
    client.force_login(person)

    assert client.get(reverse("editor:edit", args=[orphan.pk])).status_code == 200


def test_refusal_needs_a_reason_and_emails_it(curator_client, claim, orphan, mailoutbox, sending):
    url = reverse("curation:claim_refuse", args=[claim.pk])
    assert curator_client.post(url, {"refuse-note": ""}).status_code == 400

    with sending():
        response = curator_client.post(url, {"refuse-note": "We could not confirm your role."})

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.REFUSED
    assert not orphan.editors.exists()
    [message] = mailoutbox
    assert message.to == ["librarian@example.org"]
    assert "We could not confirm your role." in message.body


def test_a_request_is_decided_once(curator_client, claim, curator):
    claims.refuse_claim(claim, curator=curator, note="No")

    response = curator_client.post(
        reverse("curation:claim_approve", args=[claim.pk]), {"approve-note": ""}, follow=True
    )

    assert "decided already" in response.text
    claim.refresh_from_db()
    assert claim.state == ClaimState.REFUSED
    with pytest.raises(ValueError):
        claims.approve_claim(claim, curator=curator)


def test_after_a_refusal_the_person_may_ask_again(claim, orphan, person, curator):
    claims.refuse_claim(claim, curator=curator, note="Tell us more")

    again = claims.request_claim(orphan, user=person, reason="I am its secretary.")

    assert again.state == ClaimState.PENDING


@pytest.mark.parametrize("who", ["person", "someone else", "an editor elsewhere"])
def test_only_curators_see_or_decide_requests(client, claim, orphan, person, who):
    user = {"person": person, "someone else": make_user()}.get(who)
    if user is None:
        user = make_user()
        make_partnership().editors.add(user)
    client.force_login(user)

    assert client.get(reverse("curation:claims")).status_code == 404
    assert client.get(reverse("curation:claim", args=[claim.pk])).status_code == 404
    approve = client.post(reverse("curation:claim_approve", args=[claim.pk]), {})
    assert approve.status_code == 404
    claim.refresh_from_db()
    assert claim.state == ClaimState.PENDING
    assert not orphan.editors.exists()


# Emails with hostile names ----------------------------------------------------------------------


@pytest.mark.parametrize("template", ["claim_approved", "claim_refused"])
def test_the_decision_emails_keep_hostile_text_as_text(mailoutbox, template):
    partnership = make_partnership(name=HOSTILE)
    claim = ClaimRequest(
        partnership=partnership, user=make_user(), reason="x", note=f'Note {SCRIPT} & "q"'
    )

    emails.send(template, {"claim": claim, "partnership": partnership}, ["p@example.org"])

    [message] = mailoutbox
    assert "\n" not in message.subject
    assert "Bolton <script>alert(1)</script>" in message.subject
    assert "&lt;" not in message.subject + message.body
    assert "&amp;" not in message.body
    assert "&quot;" not in message.body
    assert f'Note {SCRIPT} & "q"' in message.body
    assert message.recipients() == ["p@example.org"]
    assert message.message()["Bcc"] is None
