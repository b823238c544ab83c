"""Erasing a person: their contacts go, and their name, email and phone are found nowhere after,
in any text or JSON column of any table, history and revisions included."""

import json

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse

from partnerships import erasure, history, services
from partnerships.models import (
    ChangeKind,
    ChangeSet,
    Contact,
    Decision,
    JoinRequest,
    ModerationEvent,
    Partnership,
    Version,
)
from partnerships.snapshots import snapshot_of
from tests.factories import make_contact, make_moderator, make_partnership, make_user

pytestmark = pytest.mark.django_db

NAME = "Zoë Fairweather-Quill"
EMAIL = "zoe.fairweather@example.org"
PHONE = "01632 960 417"
VALUES = [NAME, EMAIL, PHONE]

TEXT_TYPES = (models.CharField, models.TextField, models.JSONField)


def stored_text():
    """Every text and JSON value of every row of every model, as text: (label, text) pairs."""
    found = []
    for model in apps.get_models():
        fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, TEXT_TYPES) and not field.generated
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list(*(f.attname for f in fields)):
            for field, value in zip(fields, row, strict=True):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                found.append((f"{model._meta.label}.{field.name}", text))
    return found


def traces(values=VALUES):
    """Where any of `values` is stored, as typed or escaped inside JSON text."""
    forms = {value: {value.lower(), json.dumps(value)[1:-1].lower()} for value in values}
    return sorted(
        {
            (label, value)
            for label, text in stored_text()
            for value in values
            if any(form in text.lower() for form in forms[value])
        }
    )


def a_person_everywhere():
    """A contact whose details were copied into the history, a decided and a pending revision,
    another partnership's contact list, a moderator's message, a reason, the admin's log and a
    partnership's own text."""
    moderator = make_moderator()
    editor = make_user()
    partnership = make_partnership(members=1, name="Riverside Health Information Network")
    partnership.editors.add(editor)
    make_contact(partnership, name="Library team", email="library@example.org")
    contact = make_contact(
        partnership, name=NAME, email=EMAIL, phone=PHONE, job_title="Outreach librarian"
    )
    history.record(partnership, kind=ChangeKind.CREATED, user=moderator)

    # An approved edit and a pending one, both holding the contact.
    data = snapshot_of(partnership)
    data["fields"]["summary"] = "Updated summary."
    services.save_edit(partnership, data=data, user=editor)
    services.submit_for_review(partnership, user=editor)
    services.approve(partnership, moderator=moderator, message=f"Thanks, {NAME}.")
    data = snapshot_of(partnership)
    data["fields"]["aims"] = f"Ask {NAME} on {PHONE}."
    services.save_edit(partnership, data=data, user=editor)
    services.submit_for_review(partnership, user=editor)

    # The same person listed by another partnership, and mentioned in free text.
    other = make_partnership(
        name="County Libraries Network", mailing_list=EMAIL, description=f"Run by {NAME}."
    )
    make_contact(other, name="Z. Fairweather", email=EMAIL.upper())
    history.record(other, kind=ChangeKind.ADMIN_EDIT, reason=f"Phone {PHONE} checked.")
    ModerationEvent.objects.create(
        partnership=other, decision=Decision.SUBMITTED, actor=editor, message=f"Call {EMAIL}."
    )
    # Before being listed, the person asked another partnership if their library could join.
    JoinRequest.objects.create(
        partnership=other,
        organisation_name="Riverside Library",
        sector="public-library",
        name=NAME,
        email=EMAIL,
        message=f"Or ring me on {PHONE}.",
    )
    LogEntry.objects.create(
        user=moderator,
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=str(contact.pk),
        object_repr=NAME,
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"name": "contact", "object": NAME}}]),
    )
    return partnership, other, contact, moderator


def test_the_search_finds_the_person_before_erasure():
    """The search below is not vacuous: before erasure it finds the details in every place."""
    a_person_everywhere()

    labels = {label for label, _ in traces()}

    assert labels >= {
        "partnerships.Contact.name",
        "partnerships.Contact.email",
        "partnerships.Contact.phone",
        "partnerships.Version.snapshot",
        "partnerships.Revision.data",
        "partnerships.ModerationEvent.message",
        "partnerships.ChangeSet.reason",
        "partnerships.Partnership.description",
        "partnerships.Partnership.mailing_list",
        "partnerships.JoinRequest.name",
        "partnerships.JoinRequest.email",
        "partnerships.JoinRequest.message",
        "admin.LogEntry.object_repr",
        "admin.LogEntry.change_message",
    }


def test_erasing_a_person_leaves_no_trace_of_their_name_email_or_phone_in_any_table():
    partnership, other, contact, moderator = a_person_everywhere()

    erasure.erase([contact], user=moderator)

    assert traces() == []
    assert JoinRequest.objects.get().organisation_name == "Riverside Library"
    assert list(partnership.contacts.values_list("name", flat=True)) == ["Library team"]
    assert not other.contacts.exists()  # the same email address: the same person


def test_erasure_keeps_everything_else_and_records_one_erasure_change():
    partnership, other, contact, moderator = a_person_everywhere()
    versions_before = Version.objects.count()

    change_set = erasure.erase([contact], user=moderator)

    assert change_set.kind == ChangeKind.ERASURE
    assert change_set.author == moderator
    assert change_set.reason == ""
    assert {v.partnership_id for v in change_set.versions.all()} == {partnership.pk, other.pk}
    assert Version.objects.count() == versions_before + 2
    other.refresh_from_db()
    assert other.description == "Run by [erased]."
    assert other.mailing_list == "[erased]"
    assert partnership.revisions.pending().get().data["fields"]["aims"] == (
        "Ask [erased] on [erased]."
    )


def test_restoring_an_old_version_after_erasure_does_not_bring_the_person_back():
    partnership, _, contact, moderator = a_person_everywhere()
    erasure.erase([contact], user=moderator)

    first = Version.objects.of(partnership).get(number=1)
    history.restore(first, user=moderator)

    assert list(partnership.contacts.values_list("name", flat=True)) == ["Library team"]
    assert traces() == []


def test_a_namesake_in_another_partnership_keeps_their_entry():
    _, _, contact, moderator = a_person_everywhere()
    stranger = make_partnership()
    namesake = make_contact(stranger, name=NAME, email="someone.else@example.org")

    erasure.erase([contact], user=moderator)

    assert Contact.objects.filter(pk=namesake.pk).exists()
    assert traces([EMAIL, PHONE]) == []


def test_the_admin_action_asks_first_listing_every_contact_and_copy(admin_client):
    _, _, contact, _ = a_person_everywhere()
    changelist = reverse("admin:partnerships_contact_changelist")

    page = admin_client.post(
        changelist, {"action": "erase_everywhere", "_selected_action": [contact.pk]}
    )

    assert page.status_code == 200
    assert "Erase this person&#x27;s details everywhere?" in page.text
    assert "Riverside Health Information Network" in page.text
    assert "County Libraries Network" in page.text
    assert "Versions in the history: " in page.text
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_the_admin_action_erases_once_confirmed_and_its_message_names_no_one(admin_client):
    a_person_everywhere()
    contact = Contact.objects.get(email=EMAIL)
    changelist = reverse("admin:partnerships_contact_changelist")

    response = admin_client.post(
        changelist,
        {"action": "erase_everywhere", "_selected_action": [contact.pk], "erase": "yes"},
        follow=True,
    )

    assert (
        "2 contacts were deleted and the person&#x27;s details erased everywhere." in response.text
    )
    assert traces() == []
    assert ChangeSet.objects.filter(kind=ChangeKind.ERASURE).count() == 1


def test_the_contact_page_has_an_erase_button_that_asks_then_erases(admin_client):
    _, _, contact, _ = a_person_everywhere()
    change_page = admin_client.get(reverse("admin:partnerships_contact_change", args=[contact.pk]))
    erase_url = reverse("admin:partnerships_contact_erase", args=[contact.pk])

    confirm = admin_client.get(erase_url)
    done = admin_client.post(erase_url, {"erase": "yes"})

    assert erase_url in change_page.text
    assert "Erase everywhere" in confirm.text
    assert done.status_code == 302
    assert traces() == []


def test_only_curators_who_may_delete_contacts_can_erase(client):
    _, _, contact, _ = a_person_everywhere()
    client.force_login(make_moderator())  # staff, but without the permission to delete contacts

    response = client.post(
        reverse("admin:partnerships_contact_erase", args=[contact.pk]), {"erase": "yes"}
    )

    assert response.status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_erasure_bumps_the_published_data_version():
    _, _, contact, moderator = a_person_everywhere()
    before = services.published_data_version()

    erasure.erase([contact], user=moderator)

    assert services.published_data_version() > before
    assert Partnership.objects.filter(contacts__email__iexact=EMAIL).count() == 0
