"""Registering a partnership and editing it: the form that works without JavaScript."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships import services
from partnerships.models import (
    Contact,
    Organisation,
    Partnership,
    PublicationState,
    RevisionState,
    Role,
    Sector,
)
from tests.editing import PDF, form_data, input_value, member_row, pdf
from tests.factories import (
    make_agreement,
    make_contact,
    make_organisation,
    make_partnership,
    make_user,
)

pytestmark = pytest.mark.django_db

NEW = reverse("editor:new")


def text(response):
    """The page's content with runs of white space made single spaces."""
    return " ".join(response.content.decode().split())


@pytest.fixture
def user(client):
    user = make_user()
    client.force_login(user)
    return user


def full_registration(action="draft", **overrides):
    fields = dict(
        name="Bolton Health Information Partnership",
        summary="Libraries in Bolton working together.",
        aims="Better health information for everyone.",
        area_name="Bolton",
        region="north-west",
        activities=["health-information-week"],
        channels=["virtual-meetings"],
        members=[
            {"name": "bolton libraries", "town": "BOLTON", "role": Role.LEAD},
            {"name": "Bolton College", "town": "Bolton", "sector": Sector.FURTHER_EDUCATION},
        ],
        contacts=[
            {
                "name": "Ann Lead",
                "job_title": "Librarian",
                "email": "ann@example.org",
                "is_lead": True,
                "consent_to_publish": True,
            }
        ],
        agreements=[
            {
                "kind": "mou",
                "title": "Memorandum of understanding",
                "status": "signed",
                "signed_on": "2025-01-31",
                "parties": ["0", "1"],
                "is_public": True,
                "document": pdf("Our MoU (final).pdf"),
            }
        ],
    )
    return form_data(action, **{**fields, **overrides})


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_empty_form_shows_every_section_and_the_consent_wording(client, user):
    content = client.get(NEW).content.decode()
    assert content.count("<h1>") == 1
    for text in [
        "Member organisation 1",
        "Contact 1",
        "Agreement 1",
        "I have permission to publish these contact details in the directory",
        "Save draft",
        "Save and submit for review",
        "Add more rows",
    ]:
        assert text in content


def test_registering_with_two_members_a_lead_contact_and_a_pdf(client, user, settings):
    existing = make_organisation(name="Bolton Libraries", town="Bolton")
    response = client.post(NEW, full_registration())
    assert response.status_code == 302, response.content.decode()[:3000]

    partnership = Partnership.objects.get(name="Bolton Health Information Partnership")
    assert partnership.publication_state == PublicationState.DRAFT
    assert list(partnership.editors.all()) == [user]
    assert partnership.region.slug == "north-west"
    assert list(partnership.activities.values_list("slug", flat=True)) == [
        "health-information-week"
    ]
    roles = {m.organisation.name: m.role for m in partnership.memberships.all()}
    assert roles == {"Bolton Libraries": Role.LEAD, "Bolton College": Role.MEMBER}
    assert partnership.memberships.get(role=Role.LEAD).organisation == existing
    college = Organisation.objects.get(name="Bolton College")
    assert college.sector == Sector.FURTHER_EDUCATION
    assert college.town == "Bolton"
    assert Organisation.objects.filter(name__iexact="bolton libraries").count() == 1

    contact = partnership.contacts.get()
    assert contact.is_lead and contact.consent_to_publish
    assert contact.consented_at is not None

    agreement = partnership.agreements.get()
    assert set(agreement.parties.all()) == {existing, college}
    name = agreement.document.name
    assert name.startswith("agreements/") and name.endswith(".pdf")
    assert "MoU" not in name and "final" not in name
    stored = settings.MEDIA_ROOT / name
    assert stored.read_bytes() == PDF


def test_a_draft_needs_only_a_name_and_a_summary(client, user):
    response = client.post(NEW, form_data(name="Wigan readers", summary="Reading together."))
    assert response.status_code == 302
    partnership = Partnership.objects.get(name="Wigan readers")
    assert partnership.publication_state == PublicationState.DRAFT
    assert partnership.memberships.count() == 0


def test_a_draft_without_a_name_or_summary_says_what_is_missing(client, user):
    response = client.post(NEW, form_data())
    content = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in content
    assert 'href="#id_name"' in content and 'href="#id_summary"' in content
    assert Partnership.objects.count() == 0


def test_saving_and_submitting_sends_it_for_review(client, user):
    make_organisation(name="Bolton Libraries", town="Bolton")
    response = client.post(NEW, full_registration("submit"))
    assert response.status_code == 302
    partnership = Partnership.objects.get()
    assert partnership.publication_state == PublicationState.PENDING
    assert services.awaiting_review().get() == partnership


def test_submitting_needs_a_member_and_a_lead_contact_with_an_email(client, user):
    response = client.post(NEW, form_data("submit", name="Lonely", summary="Only me."))
    content = response.content.decode()
    assert response.status_code == 400
    assert "Add at least one member organisation" in content
    assert "Add a lead contact with an email address" in content
    assert 'href="#members"' in content and 'href="#contacts"' in content
    assert Partnership.objects.count() == 0


def test_a_similar_organisation_in_the_same_town_is_suggested_not_created(client, user):
    libraries = make_organisation(name="Bolton Libraries", town="Bolton")
    make_organisation(name="Bolton Library", town="Wigan")
    member = {"name": "Bolton Library", "town": "Bolton", "sector": Sector.PUBLIC_LIBRARY}
    data = form_data(name="Bolton readers", summary="Reading.", members=[member])

    response = client.post(NEW, data)
    content = response.content.decode()
    assert response.status_code == 400
    assert "Use Bolton Libraries, Bolton" in content
    assert "No, create a new organisation" in content
    assert Partnership.objects.count() == 0
    assert not Organisation.objects.filter(name="Bolton Library", town="Bolton").exists()

    response = client.post(NEW, {**data, "members-0-match": str(libraries.pk)})
    assert response.status_code == 302
    assert Partnership.objects.get().memberships.get().organisation == libraries
    assert not Organisation.objects.filter(name="Bolton Library", town="Bolton").exists()


def test_choosing_a_new_organisation_creates_it(client, user):
    make_organisation(name="The Bolton NHS Foundation Trust Library", town="Bolton")
    member = {"name": "Bolton Library", "town": "Bolton", "sector": Sector.PUBLIC_LIBRARY}
    data = form_data(name="Bolton readers", summary="Reading.", members=[member])
    assert "Use The Bolton NHS Foundation Trust Library" in client.post(NEW, data).content.decode()

    response = client.post(NEW, {**data, "members-0-match": "new"})
    assert response.status_code == 302
    created = Partnership.objects.get().memberships.get().organisation
    assert (created.name, created.town, created.sector) == (
        "Bolton Library",
        "Bolton",
        Sector.PUBLIC_LIBRARY,
    )


def test_a_new_organisation_needs_a_sector(client, user):
    data = form_data(name="X", summary="Y", members=[{"name": "Brand new", "town": "Leigh"}])
    content = client.post(NEW, data).content.decode()
    assert "Choose the sector of “Brand new”" in content
    assert not Organisation.objects.filter(name="Brand new").exists()


def test_a_validation_error_keeps_everything_typed_and_the_chosen_file(client, user, settings):
    make_organisation(name="Bolton Libraries", town="Bolton")
    data = full_registration(
        "submit",
        summary="",
        description="A long description & more",
        established_year="2012",
        meeting_frequency="Quarterly",
        website="https://bolton.example.org/",
    )
    response = client.post(NEW, data)
    content = response.content.decode()
    assert response.status_code == 400
    for typed in [
        "Bolton Health Information Partnership",
        "A long description &amp; more",
        "2012",
        "Quarterly",
        "https://bolton.example.org/",
        "bolton.example.org",
        "Ann Lead",
        "ann@example.org",
        "Librarian",
        "Memorandum of understanding",
        "2025-01-31",
        "Bolton College",
    ]:
        assert typed in content, typed
    assert 'name="contacts-0-consent_to_publish" checked' in content or (
        "checked" in content and "contacts-0-consent_to_publish" in content
    )
    assert "A document is attached to this agreement" in content
    token = input_value(content, "agreements-0-document_token")
    assert token

    # Sent again with the summary and without choosing the file again: the document is kept.
    resubmitted = {key: value for key, value in data.items() if key != "agreements-0-document"}
    resubmitted.update(summary="Now with a summary.", **{"agreements-0-document_token": token})
    response = client.post(NEW, resubmitted)
    assert response.status_code == 302, response.content.decode()[:2000]
    agreement = Partnership.objects.get().agreements.get()
    assert (settings.MEDIA_ROOT / agreement.document.name).read_bytes() == PDF


def test_a_tampered_document_token_is_refused(client, user):
    data = form_data(
        name="X",
        summary="Y",
        agreements=[
            {
                "kind": "mou",
                "title": "MoU",
                "status": "signed",
                "document_token": "agreements/x.pdf",
            }
        ],
    )
    content = client.post(NEW, data).content.decode()
    assert "choose it again" in content
    assert Partnership.objects.count() == 0


def test_a_document_token_belongs_to_the_person_who_chose_the_file(client, user):
    content = client.post(NEW, full_registration(summary="")).content.decode()
    token = input_value(content, "agreements-0-document_token")
    other = make_user()
    client.force_login(other)
    data = form_data(
        name="X",
        summary="Y",
        agreements=[{"kind": "mou", "title": "MoU", "status": "signed", "document_token": token}],
    )
    assert "choose it again" in client.post(NEW, data).content.decode()


def test_add_more_rows_shows_more_blank_rows_without_errors_or_saving(client, user):
    data = form_data(
        "more",
        name="Half typed",
        members=[{"name": "Bolton College"}],
        contacts=[{}],
        agreements=[{}],
    )
    response = client.post(NEW, data)
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" not in content
    assert "Member organisation 3" in content and "Contact 2" in content
    assert "Agreement 2" in content
    assert input_value(content, "members-0-name") == "Bolton College"
    assert input_value(content, "name") == "Half typed"
    assert Partnership.objects.count() == 0


def test_added_rows_start_with_the_usual_choices(client, user):
    """New rows are not blank selects showing their first option: a new member is a plain
    member (not "Lead") and a new agreement is signed, as on a fresh page."""
    data = form_data("more", name="Half typed", members=[{}], agreements=[{}])
    content = client.post(NEW, data).content.decode()
    for index in (1, 2):
        member_role = re.search(
            rf'<select name="members-{index}-role".*?</select>', content, re.S
        ).group(0)
        assert '<option value="member" selected>' in member_role
    status = re.search(r'<select name="agreements-1-status".*?</select>', content, re.S).group(0)
    assert '<option value="signed" selected>' in status


def test_the_edit_form_starts_from_the_saved_entry(client, user):
    partnership = make_partnership(members=2, publication_state=PublicationState.DRAFT)
    partnership.editors.add(user)
    content = client.get(reverse("editor:edit", args=[partnership.pk])).content.decode()
    assert input_value(content, "name") == partnership.name
    for membership in partnership.memberships.all():
        assert membership.organisation.name in content


def test_editing_a_draft_changes_it_in_place(client, user):
    partnership = services.create_partnership(
        data={"fields": {"name": "Old", "summary": "S"}}, user=user
    )
    response = client.post(
        reverse("editor:edit", args=[partnership.pk]), form_data(name="New", summary="S")
    )
    assert response.status_code == 302
    partnership.refresh_from_db()
    assert partnership.name == "New"
    assert partnership.revisions.count() == 0


def test_consent_time_is_kept_when_a_contact_is_edited_again(client, user):
    partnership = make_partnership(publication_state=PublicationState.DRAFT)
    partnership.editors.add(user)
    contact = Contact.objects.create(
        partnership=partnership,
        name="Ann",
        email="ann@example.org",
        consent_to_publish=True,
        consented_at="2024-05-01T10:00:00+00:00",
    )
    data = form_data(
        name=partnership.name,
        summary=partnership.summary,
        contacts=[
            {
                "id": str(contact.pk),
                "name": "Ann Smith",
                "email": "ann@example.org",
                "consent_to_publish": True,
            }
        ],
        initial={"contacts": 1},
    )
    assert client.post(reverse("editor:edit", args=[partnership.pk]), data).status_code == 302
    contact.refresh_from_db()
    assert contact.name == "Ann Smith"
    assert contact.consented_at.year == 2024


def test_editing_a_published_entry_explains_review_and_keeps_the_public_page(client, user):
    moderator = make_user(is_superuser=True)
    partnership = make_partnership(name="Old name", members=1)
    partnership.editors.add(user)
    edit_url = reverse("editor:edit", args=[partnership.pk])
    assert "reviewed by a moderator before the public sees them" in text(client.get(edit_url))

    organisation = partnership.memberships.get().organisation
    data = form_data(
        "submit",
        name="New name",
        summary=partnership.summary,
        members=[member_row(organisation)],
        contacts=[{"name": "Lead", "email": "lead@example.org", "is_lead": True}],
        initial={"members": 1},
    )
    assert client.post(edit_url, data).status_code == 302

    public = client.get(partnership.get_absolute_url()).content.decode()
    assert "Old name" in public and "New name" not in public
    assert partnership.revisions.get().state == RevisionState.PENDING
    assert (
        "New name" in client.get(reverse("editor:preview", args=[partnership.pk])).content.decode()
    )

    services.approve(partnership, moderator=moderator)
    public = client.get(partnership.get_absolute_url()).content.decode()
    assert "New name" in public


def test_the_preview_shows_the_working_copy_with_a_banner(client, user):
    partnership = services.create_partnership(
        data={
            "fields": {"name": "Draft one", "summary": "A summary."},
            "contacts": [{"name": "Hidden person", "consent_to_publish": False}],
        },
        user=user,
    )
    content = client.get(reverse("editor:preview", args=[partnership.pk])).content.decode()
    assert "Preview — not public" in content
    assert "Draft one" in content and "A summary." in content
    assert "Hidden person" not in content
    assert content.count("<h1>") == 1


def test_the_preview_shows_an_agreements_review_date(client, user):
    partnership = services.create_partnership(
        data={
            "fields": {"name": "Draft one", "summary": "A summary."},
            "agreements": [
                {
                    "kind": "mou",
                    "title": "Our memorandum",
                    "status": "signed",
                    "signed_on": "2026-01-15",
                    "review_due": "2099-01-15",
                    "is_public": True,
                }
            ],
        },
        user=user,
    )
    content = client.get(reverse("editor:preview", args=[partnership.pk])).content.decode()
    assert "signed 15 January 2026, review due 15 January 2099" in content


def test_the_edit_page_runs_a_constant_number_of_queries(client, user):
    def queries_for(members):
        partnership = make_partnership(members=members)
        partnership.editors.add(user)
        for index in range(members):
            make_contact(partnership)
            if index % 2:
                make_agreement(partnership)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("editor:edit", args=[partnership.pk]))
        assert response.status_code == 200
        return len(queries)

    assert queries_for(2) == queries_for(10)


def test_a_contact_names_their_organisation_from_the_member_rows(client, user):
    make_organisation(name="Bolton Libraries", town="Bolton")
    contacts = [
        {
            "name": "Ann Lead",
            "organisation": "1",
            "email": "ann@example.org",
            "is_lead": True,
            "consent_to_publish": True,
        }
    ]
    response = client.post(NEW, full_registration(contacts=contacts, agreements=[]))
    assert response.status_code == 302, response.content.decode()[:3000]
    partnership = Partnership.objects.get(name="Bolton Health Information Partnership")
    assert partnership.contacts.get().organisation.name == "Bolton College"

    # The edit page starts with the same choice, by member row.
    content = client.get(reverse("editor:edit", args=[partnership.pk])).content.decode()
    assert '<option value="1" selected>Bolton College, Bolton</option>' in content

    services.publish_partnerships(Partnership.objects.filter(pk=partnership.pk))
    page = client.get(partnership.get_absolute_url()).content.decode()
    contact_section = page[page.index('id="contact-heading"') :]
    assert "Bolton College" in contact_section[: contact_section.index("</ul>")]


def test_choosing_an_organisation_alone_does_not_make_a_silent_blank_row(client, user):
    make_organisation(name="Bolton Libraries", town="Bolton")
    contacts = [{"organisation": "0"}]
    response = client.post(NEW, full_registration(contacts=contacts, agreements=[]))
    assert response.status_code == 400
    assert "Enter the contact&#x27;s name or role, or clear this row." in response.content.decode()


def test_an_organisation_a_contact_had_that_is_not_a_member_is_kept(client, user):
    partnership = make_partnership(members=1, publication_state=PublicationState.DRAFT)
    partnership.editors.add(user)
    elsewhere = make_organisation(name="Elsewhere Trust", town="Leeds")
    contact = make_contact(partnership, name="Ann", organisation=elsewhere)
    member = partnership.memberships.get()

    content = client.get(reverse("editor:edit", args=[partnership.pk])).content.decode()
    assert f'<option value="o{elsewhere.pk}" selected>Elsewhere Trust, Leeds</option>' in content

    def save(choice):
        data = form_data(
            name=partnership.name,
            summary=partnership.summary,
            members=[member_row(member.organisation)],
            contacts=[{"id": str(contact.pk), "name": "Ann", "organisation": choice}],
            initial={"members": 1, "contacts": 1},
        )
        response = client.post(reverse("editor:edit", args=[partnership.pk]), data)
        assert response.status_code == 302, response.content.decode()[:3000]
        contact.refresh_from_db()
        return contact.organisation

    assert save(f"o{elsewhere.pk}") == elsewhere
    assert save("0") == member.organisation
    # Once changed, the old organisation is no longer on offer, and a made-up one is refused.
    response = client.post(
        reverse("editor:edit", args=[partnership.pk]),
        form_data(
            name=partnership.name,
            summary=partnership.summary,
            contacts=[{"id": str(contact.pk), "name": "Ann", "organisation": f"o{elsewhere.pk}"}],
            initial={"contacts": 1},
        ),
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_an_agreement_party_that_is_not_a_member_is_kept(client, user):
    partnership = make_partnership(members=1, publication_state=PublicationState.DRAFT)
    partnership.editors.add(user)
    member = partnership.memberships.get().organisation
    elsewhere = make_organisation(name="Former Partner", town="York")
    agreement = make_agreement(partnership, title="MoU")
    agreement.parties.set([member, elsewhere])

    content = client.get(reverse("editor:edit", args=[partnership.pk])).content.decode()
    assert f'value="o{elsewhere.pk}"' in content and "Former Partner, York" in content

    data = form_data(
        name=partnership.name,
        summary=partnership.summary,
        members=[member_row(member)],
        agreements=[
            {
                "id": str(agreement.pk),
                "kind": agreement.kind,
                "title": "MoU",
                "status": agreement.status,
                "parties": ["0", f"o{elsewhere.pk}"],
            }
        ],
        initial={"members": 1, "agreements": 1},
    )
    response = client.post(reverse("editor:edit", args=[partnership.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(agreement.parties.all()) == {member, elsewhere}


# Checking before asking the database (issue 8, defect 5)


def test_a_nul_character_in_a_member_name_or_town_is_a_form_error_not_a_query(
    client, user, django_assert_num_queries
):
    from editor.forms import MemberForm

    for field in ("name", "town"):
        data = {"name": "Bolton Libraries", "town": "Bolton", field: "a\x00b"}
        with django_assert_num_queries(0):
            form = MemberForm(data=data, user=user)
        assert not form.is_valid()
        assert "Null characters are not allowed." in form.errors[field]

        # Over HTTP the request-wide guard (config/middleware.py) answers 400 before any form
        # runs; the form's own check above covers any other way in.
        member = {"name": "Bolton Libraries", "town": "Bolton", field: "a\x00b"}
        response = client.post(NEW, form_data(name="N", summary="S", members=[member]))
        assert response.status_code == 400
        assert Partnership.objects.count() == 0


# Another lead's draft stays private (issue 8, defect 6)


def someone_elses_draft_naming(name, town):
    draft = services.create_partnership(
        data={
            "fields": {"name": "Their draft", "summary": "Not public yet."},
            "members": [],
        },
        user=make_user(),
    )
    organisation = make_organisation(name=name, town=town)
    draft.memberships.create(organisation=organisation, role=Role.LEAD)
    return organisation


def test_an_organisation_only_another_leads_draft_names_is_never_offered(client, user):
    hidden = someone_elses_draft_naming("DraftOrg Alpha", "Bolton")
    member = {"name": "DraftOrg", "town": "Bolton", "sector": Sector.PUBLIC_LIBRARY}
    data = form_data(name="Mine", summary="Mine.", members=[member])

    response = client.post(NEW, data)
    assert response.status_code == 302
    assert "DraftOrg Alpha" not in client.get(NEW).content.decode()
    created = Partnership.objects.get(name="Mine").memberships.get().organisation
    assert created != hidden and created.name == "DraftOrg"


def test_typing_the_exact_name_of_a_hidden_organisation_makes_a_new_one_silently(client, user):
    hidden = someone_elses_draft_naming("DraftOrg Alpha", "Bolton")
    member = {"name": "draftorg alpha", "town": "bolton"}
    data = form_data(name="Mine", summary="Mine.", members=[member])

    # Exactly what a new organisation gets: the sector is asked for, nothing is named.
    response = client.post(NEW, data)
    content = response.content.decode()
    assert "Choose the sector of “draftorg alpha”, which is new to the directory." in content
    assert "DraftOrg Alpha" not in content
    assert str(hidden.pk) not in (input_value(content, "members-0-organisation") or "")

    # A forged id for it picks nothing either.
    member = {**member, "sector": Sector.PUBLIC_LIBRARY, "organisation": str(hidden.pk)}
    response = client.post(NEW, form_data(name="Mine", summary="Mine.", members=[member]))
    assert response.status_code == 302
    created = Partnership.objects.get(name="Mine").memberships.get().organisation
    assert created != hidden and created.name == "draftorg alpha"


def test_organisations_of_published_entries_and_of_my_own_drafts_are_offered(client, user):
    published = make_partnership(name="Public one")
    public = make_organisation(name="Bolton Central Library", town="Bolton")
    published.memberships.create(organisation=public, role=Role.LEAD)
    mine = services.create_partnership(
        data={"fields": {"name": "My draft", "summary": "S."}}, user=user
    )
    own = make_organisation(name="Bolton Health Library", town="Bolton")
    mine.memberships.create(organisation=own, role=Role.LEAD)

    members = [{"name": "Bolton Central Libraries", "town": "Bolton"}]
    content = client.post(NEW, form_data(name="N", summary="S", members=members)).content
    assert "Use Bolton Central Library, Bolton" in content.decode()
    members = [{"name": "Bolton Health Libraries", "town": "Bolton"}]
    content = client.post(NEW, form_data(name="N", summary="S", members=members)).content
    assert "Use Bolton Health Library, Bolton" in content.decode()


# The "already in the directory?" question (issue 8, defect 14)


def test_a_similar_organisation_is_asked_about_as_a_question_not_reported_as_an_error(client, user):
    make_organisation(name="Bolton Libraries", town="Bolton")
    member = {"name": "Bolton Library", "town": "Bolton"}
    response = client.post(NEW, form_data(name="N", summary="S", members=[member]))
    content = text(response)

    assert "There is a problem" not in content
    assert "One question before saving" in content
    assert "<legend>Is “Bolton Library” in Bolton already in the directory?</legend>" in content
    assert 'href="#id_members-0-match_0"' in content
    assert "Choose one of them" not in content and "field-error" not in content
    # Not asked for the sector either until the question is answered.
    assert "Choose the sector" not in content
    assert Partnership.objects.count() == 0


def test_the_chosen_organisation_names_the_row_for_contacts_and_agreements(client, user):
    libraries = make_organisation(name="Bolton Libraries", town="Bolton")
    member = {"name": "Bolton Library", "town": "Bolton", "match": str(libraries.pk)}
    # Something else is wrong (no summary), so the page comes back.
    data = form_data(name="N", members=[member], contacts=[{}], agreements=[{}])
    content = client.post(NEW, data).content.decode()

    assert '<option value="0">Bolton Libraries, Bolton</option>' in content
    assert 'name="agreements-0-parties" value="0"' in content
    assert "Bolton Libraries, Bolton</label>" in content
    assert "Bolton Library, Bolton" not in content
    assert input_value(content, "members-0-name") == "Bolton Libraries"
    assert input_value(content, "members-0-organisation") == str(libraries.pk)
    assert "already in the directory?" not in content


# Contacts and parties choose from the members typed on the page (issue 8, defect 13)


def test_without_javascript_one_submit_with_errors_offers_the_typed_members(client, user):
    members = [
        {"name": "Wigan Libraries", "town": "Wigan", "sector": Sector.PUBLIC_LIBRARY},
        {"name": "Wigan College", "town": "Wigan", "sector": Sector.FURTHER_EDUCATION},
    ]
    response = client.post(
        NEW, form_data(name="Wigan readers", members=members, contacts=[{}], agreements=[{}])
    )
    content = response.content.decode()
    assert response.status_code == 400  # no summary yet
    assert '<option value="0">Wigan Libraries, Wigan</option>' in content
    assert '<option value="1">Wigan College, Wigan</option>' in content
    assert 'name="agreements-0-parties" value="0"' in content
    assert 'name="agreements-0-parties" value="1"' in content


def test_without_javascript_saving_a_draft_then_offers_the_members(client, user):
    members = [{"name": "Wigan Libraries", "town": "Wigan", "sector": Sector.PUBLIC_LIBRARY}]
    response = client.post(NEW, form_data(name="Wigan readers", summary="S", members=members))
    assert response.status_code == 302
    partnership = Partnership.objects.get()
    content = client.get(reverse("editor:edit", args=[partnership.pk])).content.decode()
    assert '<option value="0">Wigan Libraries, Wigan</option>' in content
    assert 'name="agreements-0-parties" value="0"' in content


def test_the_preview_knows_a_lead_contact_with_an_email_can_be_written_to(client, user):
    # Issue 8, defect 12: the preview said no contact email was given.
    partnership = services.create_partnership(
        data={
            "fields": {"name": "Draft one", "summary": "A summary."},
            "contacts": [
                {"name": "Ann Lead", "email": "ann@example.org", "is_lead": True},
            ],
        },
        user=user,
    )
    content = client.get(reverse("editor:preview", args=[partnership.pk])).content.decode()
    assert "has not given a contact email address" not in content
    assert "Send a message to the partnership" in content
    assert "ann@example.org" not in content  # no consent to publish it

    empty = services.create_partnership(
        data={"fields": {"name": "Draft two", "summary": "S."}}, user=user
    )
    content = client.get(reverse("editor:preview", args=[empty.pk])).content.decode()
    assert "has not given a contact email address" in content


def test_my_partnerships_links_a_published_entry_to_its_public_page(client, user):
    # Issue 8, defect 19.
    published = make_partnership(name="Out there")
    published.editors.add(user)
    draft = services.create_partnership(
        data={"fields": {"name": "Not yet", "summary": "S."}}, user=user
    )
    content = client.get(reverse("editor:my_partnerships")).content.decode()
    assert f'<a href="{published.get_absolute_url()}">Public page' in content
    assert content.count(">Public page<") == 1
    assert draft.name in content
