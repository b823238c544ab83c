"""The editors' screens and the account pages in Welsh: the registration form with its Welsh
fields, "My partnerships", invitations, and every account page (allauth's included)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from editor import invitations
from partnerships import confirmation_links, join_requests, services
from partnerships.models import Organisation, Partnership, PublicationState, Sector
from tests.editing import form_data
from tests.factories import make_organisation, make_partnership, make_user
from tests.welsh import assert_welsh, english_left

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-42"
NEW_CY = "/cy/partnerships/new/"
NEW_EN = "/partnerships/new/"
# "Sector" is the Welsh word as well as the English one (the project's glossary uses it), so the
# English word list in tests/welsh.py finds it on a Welsh page that names an organisation's sector.
WELSH_TOO = {"sector"}


def assert_welsh_page(response):
    """`assert_welsh`, allowing the words that are Welsh too."""
    html = response.content.decode()
    assert re.search(r'<html lang="cy"', html), "the page is not marked as Welsh"
    left = [
        place
        for place in english_left(html)
        if not set(place.rsplit("(", 1)[1].rstrip(")").split(", ")) <= WELSH_TOO
    ]
    assert not left, "English left on the Welsh page:\n" + "\n".join(left)


def text(response):
    return " ".join(response.content.decode().split())


@pytest.fixture
def editor(client):
    user = make_user(email="golygydd@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)
    return user


def welsh_partnership(editor, **fields):
    partnership = make_partnership(
        name="Partneriaeth Iechyd Caerdydd",
        name_cy="Partneriaeth Iechyd Caerdydd",
        summary_cy="Llyfrgelloedd Caerdydd yn cydweithio.",
        **fields,
    )
    partnership.editors.add(editor)
    return partnership


# The registration form -------------------------------------------------------------------------


def test_the_registration_form_is_in_welsh(client, editor):
    response = client.get(NEW_CY)
    assert response.status_code == 200
    assert_welsh_page(response)
    page = text(response)
    assert "Cofrestru partneriaeth" in page
    assert "Yn Gymraeg (dewisol)" in page


def test_the_registration_form_groups_the_welsh_fields(client, editor):
    content = client.get(NEW_EN).content.decode()
    group = content[content.index('id="welsh"') :]
    group = group[: group.index("</fieldset>")]
    assert "In Welsh (optional)" in group
    for name in ("name_cy", "summary_cy", "description_cy", "aims_cy"):
        assert f'name="{name}"' in group
    assert 'name="summary"' not in group


def test_posting_the_empty_form_on_a_welsh_page_gives_welsh_errors(client, editor):
    response = client.post(NEW_CY, form_data())
    assert response.status_code == 400
    assert_welsh_page(response)
    page = text(response)
    assert "Mae problem" in page
    assert "Rhowch grynodeb yn Saesneg neu yn Gymraeg." in page
    assert 'href="#id_summary"' in response.content.decode()
    assert not Partnership.objects.exists()


def test_a_partnership_with_only_a_welsh_summary_is_saved(client, editor):
    response = client.post(
        NEW_CY,
        form_data(name="Darllenwyr Wrecsam", summary_cy="Llyfrgelloedd yn darllen gyda'i gilydd."),
    )
    assert response.status_code == 302
    partnership = Partnership.objects.get(name="Darllenwyr Wrecsam")
    assert partnership.summary == ""
    assert partnership.summary_cy == "Llyfrgelloedd yn darllen gyda'i gilydd."
    assert partnership.publication_state == PublicationState.DRAFT


def test_a_partnership_without_a_summary_in_either_language_is_refused(client, editor):
    response = client.post(NEW_EN, form_data(name="Wigan readers", name_cy="Darllenwyr Wigan"))
    assert response.status_code == 400
    assert "Summary: Enter a summary in English or in Welsh." in text(response)
    assert not Partnership.objects.exists()


def test_the_welsh_texts_are_saved_with_the_english_ones(client, editor):
    client.post(
        NEW_EN,
        form_data(
            name="Cardiff readers",
            summary="Reading together.",
            name_cy="Darllenwyr Caerdydd",
            summary_cy="Darllen gyda'n gilydd.",
            description_cy="Disgrifiad hir.",
            aims_cy="Gwell gwybodaeth iechyd.",
        ),
    )
    partnership = Partnership.objects.get(name="Cardiff readers")
    assert partnership.name_cy == "Darllenwyr Caerdydd"
    assert partnership.summary_cy == "Darllen gyda'n gilydd."
    assert partnership.description_cy == "Disgrifiad hir."
    assert partnership.aims_cy == "Gwell gwybodaeth iechyd."
    # The edit page shows them again.
    edit = client.get(f"/partnerships/{partnership.pk}/edit/").content.decode()
    assert 'value="Darllenwyr Caerdydd"' in edit
    assert "Gwell gwybodaeth iechyd." in edit


def test_an_edit_to_a_published_partnership_keeps_its_welsh_texts_for_review(client, editor):
    partnership = make_partnership(name="Cardiff readers", summary="Reading together.")
    partnership.editors.add(editor)
    client.post(
        f"/partnerships/{partnership.pk}/edit/",
        form_data(name="Cardiff readers", summary="Reading together.", summary_cy="Darllen."),
    )
    partnership.refresh_from_db()
    assert partnership.summary_cy == ""  # the public still sees the published version
    assert services.working_copy(partnership)["fields"]["summary_cy"] == "Darllen."


def test_a_new_member_organisation_keeps_its_welsh_name(client, editor):
    client.post(
        NEW_EN,
        form_data(
            name="Cardiff readers",
            summary="Reading together.",
            members=[
                {
                    "name": "Cardiff Council Libraries",
                    "name_cy": "Llyfrgelloedd Cyngor Caerdydd",
                    "town": "Cardiff",
                    "sector": Sector.PUBLIC_LIBRARY,
                    "role": "lead",
                }
            ],
        ),
    )
    organisation = Organisation.objects.get(name="Cardiff Council Libraries")
    assert organisation.name_cy == "Llyfrgelloedd Cyngor Caerdydd"


def test_a_welsh_name_typed_for_an_existing_organisation_changes_nothing(client, editor):
    existing = make_organisation(name="Cardiff University", town="Cardiff")
    make_partnership(members=0).memberships.create(organisation=existing, role="lead")
    client.post(
        NEW_EN,
        form_data(
            name="Cardiff readers",
            summary="Reading together.",
            members=[{"name": "Cardiff University", "town": "Cardiff", "name_cy": "Anghywir"}],
        ),
    )
    existing.refresh_from_db()
    assert existing.name_cy == ""


def test_the_english_registration_form_is_unchanged(client, editor):
    page = text(client.get(NEW_EN))
    assert "Register a partnership" in page
    assert "Name of the partnership" in page
    assert "Save and submit for review" in page


# The preview ----------------------------------------------------------------------------------


def test_the_preview_shows_the_texts_in_the_other_language(client, editor):
    partnership = make_partnership(
        name="Cardiff readers",
        name_cy="Darllenwyr Caerdydd",
        summary="Reading together.",
        summary_cy="Darllen gyda'n gilydd.",
        publication_state=PublicationState.DRAFT,
    )
    partnership.editors.add(editor)
    english = client.get(f"/partnerships/{partnership.pk}/preview/").content.decode()
    assert "The entry in Welsh" in english
    assert '<dd lang="cy">Darllen gyda&#x27;n gilydd.</dd>' in english
    welsh = client.get(f"/cy/partnerships/{partnership.pk}/preview/").content.decode()
    assert "Y cofnod yn Saesneg" in welsh
    assert '<dd lang="en">Reading together.</dd>' in welsh


def test_the_preview_says_when_there_is_no_welsh_yet(client, editor):
    partnership = make_partnership(name="Cardiff readers", publication_state="draft")
    partnership.editors.add(editor)
    page = text(client.get(f"/partnerships/{partnership.pk}/preview/"))
    assert "The entry has no text in Welsh yet" in page


# My partnerships, editors and invitations ------------------------------------------------------


def test_my_partnerships_is_in_welsh(client, editor):
    welsh_partnership(editor)
    response = client.get("/cy/my/partnerships/")
    assert response.status_code == 200
    assert_welsh(response)
    assert "Fy mhartneriaethau" in text(response)


def test_my_partnerships_is_in_welsh_when_empty(client, editor):
    response = client.get("/cy/my/partnerships/")
    assert_welsh(response)
    assert "Nid ydych yn golygu unrhyw bartneriaethau eto." in text(response)


def test_a_welsh_draft_saved_says_so_in_welsh(client, editor):
    response = client.post(
        NEW_CY, form_data(name="Darllenwyr Wrecsam", summary_cy="Darllen."), follow=True
    )
    assert "Mae “Darllenwyr Wrecsam” wedi&#x27;i gadw fel drafft." in response.content.decode()


def test_the_editors_page_is_in_welsh(client, editor):
    partnership = welsh_partnership(editor)
    response = client.get(f"/cy/partnerships/{partnership.pk}/editors/")
    assert_welsh(response)
    assert "Gwahodd cyd-olygydd" in text(response)


def test_an_invitation_to_an_editor_is_refused_in_welsh(client, editor):
    partnership = welsh_partnership(editor)
    response = client.post(
        f"/cy/partnerships/{partnership.pk}/editors/",
        {"action": "invite", "email": editor.email},
    )
    assert response.status_code == 400
    assert_welsh(response)
    assert "Mae rhywun gyda&#x27;r cyfeiriad hwn eisoes yn golygu&#x27;r bartneriaeth." in (
        response.content.decode()
    )


def test_an_invalid_invitation_address_is_refused_in_welsh(client, editor):
    partnership = welsh_partnership(editor)
    response = client.post(
        f"/cy/partnerships/{partnership.pk}/editors/", {"action": "invite", "email": "nid-e-bost"}
    )
    assert response.status_code == 400
    assert_welsh(response)


def test_accepting_an_invitation_is_in_welsh(client, editor):
    partnership = make_partnership(name="Partneriaeth Iechyd Caerdydd")
    token = invitations.make_token(partnership, editor.email)
    response = client.get(f"/cy/invitations/{token}/")
    assert response.status_code == 200
    assert_welsh(response)
    assert "Derbyn y gwahoddiad" in text(response)


def test_a_bad_invitation_link_is_explained_in_welsh(client, editor):
    response = client.get("/cy/invitations/not-a-token/")
    assert response.status_code == 400
    assert_welsh(response)
    assert "Nid yw&#x27;r ddolen wahoddiad hon yn ddilys." in response.content.decode()


def test_accepting_an_invitation_says_so_in_welsh(client, editor):
    partnership = make_partnership(name="Partneriaeth Iechyd Caerdydd")
    token = invitations.make_token(partnership, editor.email)
    response = client.post(f"/cy/invitations/{token}/", follow=True)
    assert "Rydych bellach yn olygydd “Partneriaeth Iechyd Caerdydd”." in text(response)


def a_welsh_join_request(editor):
    partnership = welsh_partnership(editor)
    return join_requests.request_to_join(
        partnership,
        organisation_name="Llyfrgell Penarth",
        sector=Sector.PUBLIC_LIBRARY,
        town="Penarth",
        name="Siân Jones",
        email="sian@example.org",
        message="Hoffem ymuno.",
    )


def test_a_request_to_join_is_shown_in_welsh(client, editor):
    join_request = a_welsh_join_request(editor)
    response = client.get(f"/cy/my/join-requests/{join_request.pk}/")
    assert response.status_code == 200
    assert_welsh_page(response)
    assert "Mae Llyfrgell Penarth yn gofyn am gael ymuno â Partneriaeth Iechyd Caerdydd" in text(
        response
    )


def test_a_request_declined_in_welsh_says_so_in_welsh(client, editor):
    join_request = a_welsh_join_request(editor)
    response = client.post(
        f"/cy/my/join-requests/{join_request.pk}/", {"decision": "decline"}, follow=True
    )
    assert "Rydych wedi gwrthod y cais gan Llyfrgell Penarth." in text(response)


def test_the_history_page_is_in_welsh(client, editor):
    partnership = welsh_partnership(editor)
    response = client.get(f"/cy/partnerships/{partnership.pk}/history/")
    assert response.status_code == 200
    assert_welsh(response)
    assert "Hanes Partneriaeth Iechyd Caerdydd" in text(response)


def test_an_emailed_confirmation_link_opens_a_welsh_page(client):
    partnership = make_partnership(
        name="Partneriaeth Iechyd Caerdydd",
        name_cy="Partneriaeth Iechyd Caerdydd",
        summary="Libraries in Cardiff working together.",
        summary_cy="Llyfrgelloedd Caerdydd yn cydweithio.",
        area_name="Caerdydd",
    )
    token = confirmation_links.make_link(partnership, "arweinydd@example.org")
    response = client.get(f"/cy/confirm/{token}/")
    assert response.status_code == 200
    assert_welsh(response)
    assert "Llyfrgelloedd Caerdydd yn cydweithio." in text(response)
    done = client.post(f"/cy/confirm/{token}/")
    assert_welsh(done)


def test_a_used_confirmation_link_is_explained_in_welsh(client):
    response = client.get("/cy/confirm/not-a-token/")
    assert response.status_code == 400
    assert "Ni ellir defnyddio'r ddolen gadarnhau hon" in text(response)


# Account pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/cy/accounts/login/",
        "/cy/accounts/signup/",
        "/cy/accounts/password/reset/",
        "/cy/accounts/password/reset/done/",
        "/cy/accounts/confirm-email/",
        "/cy/accounts/inactive/",
        "/cy/accounts/password/reset/key/1-bad-token/",
    ],
)
def test_the_public_account_pages_are_in_welsh(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_welsh(response)


@pytest.mark.parametrize(
    "path",
    [
        "/cy/accounts/",
        "/cy/accounts/email/",
        "/cy/accounts/password/change/",
        "/cy/accounts/logout/",
        "/cy/accounts/delete/",
        "/cy/accounts/reauthenticate/",
    ],
)
def test_the_signed_in_account_pages_are_in_welsh(client, editor, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_welsh(response)


def test_sign_up_errors_are_in_welsh(client):
    response = client.post(
        "/cy/accounts/signup/",
        {"email": "newydd@example.org", "password1": PASSWORD, "password2": "arall-" + PASSWORD},
    )
    assert response.status_code == 200
    assert_welsh(response)
    assert "Rhaid i chi deipio&#x27;r un cyfrinair bob tro." in response.content.decode()


def test_a_short_password_is_refused_in_welsh(client):
    response = client.post(
        "/cy/accounts/signup/",
        {"email": "newydd@example.org", "password1": "byr", "password2": "byr"},
    )
    assert_welsh(response)
    assert "Mae&#x27;r cyfrinair hwn yn rhy fyr." in response.content.decode()


def test_a_wrong_password_is_refused_in_welsh(client, editor):
    client.logout()
    response = client.post(
        "/cy/accounts/login/", {"login": editor.email, "password": "anghywir-" + PASSWORD}
    )
    assert response.status_code == 200
    assert_welsh(response)
    assert "Nid yw&#x27;r cyfeiriad e-bost a/neu&#x27;r cyfrinair a roesoch yn gywir." in (
        response.content.decode()
    )


def test_signing_out_says_so_in_welsh(client, editor):
    response = client.post("/cy/accounts/logout/", follow=True)
    assert "Rydych wedi allgofnodi." in text(response)


def test_deleting_the_account_with_a_wrong_password_is_refused_in_welsh(client, editor):
    response = client.post("/cy/accounts/delete/", {"password": "anghywir"})
    assert response.status_code == 200
    assert_welsh(response)
    assert "Cyfrinair anghywir." in text(response)


def test_deleting_the_account_says_so_in_welsh(client, editor):
    response = client.post("/cy/accounts/delete/", {"password": PASSWORD}, follow=True)
    assert "Mae eich cyfrif wedi&#x27;i ddileu." in response.content.decode()


def test_a_password_reset_asked_for_in_welsh_is_emailed_in_welsh(client, editor):
    client.logout()
    client.post("/cy/accounts/password/reset/", {"email": editor.email})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Ailosod eich cyfrinair" in message.subject
    assert "Gofynnodd rhywun, chi gobeithio, am ailosod cyfrinair" in message.body
    assert "Cyfeiriadur Partneriaethau Gwybodaeth Iechyd" in message.body


def test_the_english_account_pages_are_unchanged(client):
    page = text(client.get("/accounts/login/"))
    assert "Sign in" in page
    assert "Partnership leads and editors sign in with their email address." in page
    assert 'lang="en-gb"' in client.get("/accounts/signup/").content.decode()
