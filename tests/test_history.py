"""History: every applied change to a partnership or an organisation is one version, the curators'
history pages show them in words, any version can be restored, and deleting archives."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships import history, services
from partnerships.models import (
    Agreement,
    ChangeKind,
    ChangeSet,
    Contact,
    Membership,
    Organisation,
    Partnership,
    PublicationState,
    Role,
    Version,
)
from partnerships.snapshots import diff, snapshot_of
from tests.admin_forms import change_form_data
from tests.editing import pdf
from tests.factories import (
    make_agreement,
    make_contact,
    make_moderator,
    make_organisation,
    make_partnership,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator():
    return make_moderator()


@pytest.fixture
def moderator_client(moderator):
    client = Client()
    client.force_login(moderator)
    return client


def versions(entry):
    return list(Version.objects.of(entry).select_related("change_set").order_by("number"))


def kinds(entry):
    return [version.change_set.kind for version in versions(entry)]


def history_url(partnership):
    return reverse("curation:partnership_history", args=[partnership.pk])


def restore_url(version):
    name = "partnership" if version.partnership_id else "organisation"
    return reverse(f"curation:{name}_restore", args=[version.entry_id, version.number])


def admin_change_url(entry):
    return reverse(f"admin:partnerships_{entry._meta.model_name}_change", args=[entry.pk])


def three_versions():
    """A partnership with three recorded versions: first with member A and an agreement, then
    renamed with member B added, then with a new description, A removed and the agreement
    removed."""
    a = make_organisation(name="Alpha Library Service")
    b = make_organisation(name="Beta NHS Foundation Trust")
    partnership = make_partnership(name="First name", description="The first description.")
    Membership.objects.create(partnership=partnership, organisation=a, role=Role.LEAD)
    make_agreement(partnership, title="Original memorandum")
    history.record(partnership, kind=ChangeKind.CREATED)

    partnership.name = "Second name"
    partnership.save()
    Membership.objects.create(partnership=partnership, organisation=b, role=Role.MEMBER)
    history.record(partnership, kind=ChangeKind.ADMIN_EDIT)

    partnership.description = "The third description."
    partnership.save()
    partnership.memberships.filter(organisation=a).delete()
    partnership.agreements.all().delete()
    history.record(partnership, kind=ChangeKind.ADMIN_EDIT)
    services.published_data_changed()
    return partnership


# Recording: one version per applied change, with its author and kind --------------------------


def test_approving_a_new_submission_records_one_version_by_the_moderator(moderator):
    editor = make_user()
    partnership = make_partnership(publication_state=PublicationState.DRAFT)
    partnership.editors.add(editor)
    services.submit_for_review(partnership, user=editor)

    services.approve(partnership, moderator=moderator, message="Welcome aboard.")

    baseline, approval = versions(partnership)
    assert baseline.change_set.kind == ChangeKind.EXISTING
    assert baseline.publication_state == PublicationState.PENDING
    assert approval.change_set.kind == ChangeKind.APPROVAL
    assert approval.change_set.author == moderator
    assert approval.change_set.reason == "Welcome aboard."
    assert approval.publication_state == PublicationState.PUBLISHED
    assert approval.number == 2


def test_approving_an_edit_records_one_version_holding_the_new_text(moderator):
    editor = make_user()
    partnership = make_partnership(name="Before the edit")
    partnership.editors.add(editor)
    data = snapshot_of(partnership)
    data["fields"]["name"] = "After the edit"
    services.save_edit(partnership, data=data, user=editor)
    services.submit_for_review(partnership, user=editor)
    assert versions(partnership) == []  # nothing applied yet: a pending revision is no version

    services.approve(partnership, moderator=moderator)

    assert kinds(partnership) == [ChangeKind.EXISTING, ChangeKind.APPROVAL]
    baseline, approval = versions(partnership)
    assert baseline.snapshot["fields"]["name"] == "Before the edit"
    assert approval.snapshot["fields"]["name"] == "After the edit"
    assert approval.change_set.author == moderator


def test_registering_and_editing_a_draft_are_recorded_as_the_editors_changes():
    editor = make_user()
    data = {
        "fields": {"name": "A new network", "summary": "Working together."},
        "members": [],
        "contacts": [],
        "agreements": [],
    }
    partnership = services.create_partnership(data=data, user=editor)
    data["fields"]["summary"] = "Working together on health information."
    services.save_edit(partnership, data=data, user=editor)

    assert kinds(partnership) == [ChangeKind.CREATED, ChangeKind.EDIT]
    assert {version.change_set.author for version in versions(partnership)} == {editor}


def test_an_admin_save_with_an_inline_change_records_one_version_by_the_curator(admin_client):
    partnership = make_partnership(members=1, name="Admin network")
    newcomer = make_organisation(name="Newcomer College")
    page = admin_client.get(admin_change_url(partnership))
    data = change_form_data(page)
    data["summary"] = "A summary changed in the admin."
    data["memberships-1-organisation"] = str(newcomer.pk)
    data["memberships-1-role"] = Role.ASSOCIATE
    data["change_reason"] = "Newcomer College joined in March."

    response = admin_client.post(admin_change_url(partnership), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert kinds(partnership) == [ChangeKind.EXISTING, ChangeKind.ADMIN_EDIT]
    edit = versions(partnership)[-1]
    assert edit.change_set.author.username == "curator"
    assert edit.change_set.reason == "Newcomer College joined in March."
    assert edit.snapshot["fields"]["summary"] == "A summary changed in the admin."
    assert {m["organisation"] for m in edit.snapshot["members"]} >= {newcomer.pk}


def test_an_admin_save_without_a_change_records_no_version(admin_client):
    partnership = make_partnership(members=1)
    history.record(partnership, kind=ChangeKind.CREATED)
    page = admin_client.get(admin_change_url(partnership))

    admin_client.post(admin_change_url(partnership), change_form_data(page))

    assert kinds(partnership) == [ChangeKind.CREATED]


def test_adding_a_contact_in_its_own_admin_page_is_a_version_of_its_partnership(admin_client):
    partnership = make_partnership()
    response = admin_client.post(
        reverse("admin:partnerships_contact_add"),
        {"partnership": partnership.pk, "name": "Library team", "email": "team@example.org"},
    )

    assert response.status_code == 302
    assert kinds(partnership) == [ChangeKind.EXISTING, ChangeKind.ADMIN_EDIT]
    assert [c["name"] for c in versions(partnership)[-1].snapshot["contacts"]] == ["Library team"]


def test_an_organisation_edited_in_the_admin_is_one_change_with_the_partnerships_it_touches(
    admin_client,
):
    partnership = make_partnership(members=1)
    organisation = partnership.memberships.get().organisation
    page = admin_client.get(admin_change_url(organisation))
    data = change_form_data(page)
    data["name"] = "Renamed Library Service"
    data["memberships-0-role"] = Role.MEMBER

    response = admin_client.post(admin_change_url(organisation), data)

    assert response.status_code == 302
    [change_set] = ChangeSet.objects.filter(kind=ChangeKind.ADMIN_EDIT)
    assert {(v.partnership_id, v.organisation_id) for v in change_set.versions.all()} == {
        (None, organisation.pk),
        (partnership.pk, None),
    }
    assert versions(organisation)[-1].snapshot["fields"]["name"] == "Renamed Library Service"
    assert versions(partnership)[-1].snapshot["members"][0]["role"] == Role.MEMBER


def test_deleting_an_organisation_in_the_admin_is_a_version_of_each_partnership_naming_it(
    admin_client,
):
    partnership = make_partnership(members=2)
    organisation = partnership.memberships.first().organisation
    elsewhere = make_partnership()
    make_contact(elsewhere, organisation=organisation)
    untouched = make_partnership(members=1)

    admin_client.post(
        reverse("admin:partnerships_organisation_delete", args=[organisation.pk]), {"post": "yes"}
    )

    assert not Organisation.objects.filter(pk=organisation.pk).exists()
    assert kinds(partnership) == [ChangeKind.EXISTING, ChangeKind.ADMIN_EDIT]
    assert len(versions(partnership)[-1].snapshot["members"]) == 1
    assert kinds(elsewhere) == [ChangeKind.EXISTING, ChangeKind.ADMIN_EDIT]
    assert versions(untouched) == []


def test_an_admin_address_with_a_bad_id_is_still_not_found(admin_client):
    response = admin_client.get("/admin/partnerships/partnership/not-a-number/change/")

    assert response.status_code == 302  # the admin's own "does not exist" redirect


def test_the_publish_and_archive_actions_each_record_one_version_by_the_curator(admin_client):
    partnership = make_partnership(publication_state=PublicationState.DRAFT)
    changelist = reverse("admin:partnerships_partnership_changelist")

    admin_client.post(changelist, {"action": "publish", "_selected_action": [partnership.pk]})
    admin_client.post(changelist, {"action": "archive", "_selected_action": [partnership.pk]})
    admin_client.post(changelist, {"action": "archive", "_selected_action": [partnership.pk]})

    assert kinds(partnership) == [ChangeKind.EXISTING, ChangeKind.PUBLISH, ChangeKind.ARCHIVE]
    assert [v.publication_state for v in versions(partnership)] == [
        PublicationState.DRAFT,
        PublicationState.PUBLISHED,
        PublicationState.ARCHIVED,
    ]
    assert {v.change_set.author.username for v in versions(partnership)[1:]} == {"curator"}


def test_rejecting_a_new_submission_records_the_archive_with_the_reason(moderator):
    editor = make_user()
    partnership = make_partnership(publication_state=PublicationState.DRAFT)
    partnership.editors.add(editor)
    services.submit_for_review(partnership, user=editor)

    services.reject(partnership, moderator=moderator, reason="Not a partnership.")

    archive = versions(partnership)[-1]
    assert archive.change_set.kind == ChangeKind.ARCHIVE
    assert archive.change_set.reason == "Rejected: Not a partnership."


def test_an_entry_changed_before_history_existed_gets_a_baseline_to_go_back_to(moderator):
    partnership = make_partnership(name="Known before history")

    services.archive_partnerships(Partnership.objects.filter(pk=partnership.pk), user=moderator)
    baseline = versions(partnership)[0]
    history.restore(baseline, user=moderator)

    partnership.refresh_from_db()
    assert baseline.change_set.kind == ChangeKind.EXISTING
    assert baseline.change_set.author is None
    assert partnership.publication_state == PublicationState.PUBLISHED
    assert kinds(partnership) == [ChangeKind.EXISTING, ChangeKind.ARCHIVE, ChangeKind.RESTORE]


def test_recording_one_entry_twice_in_one_change_keeps_one_version():
    partnership = make_partnership()
    with history.change(ChangeKind.IMPORT) as change_set:
        change_set.record(partnership)
        partnership.name = "Renamed during the import"
        partnership.save()
        change_set.record(partnership)

    [version] = versions(partnership)
    assert version.snapshot["fields"]["name"] == "Renamed during the import"


def test_a_change_that_records_nothing_leaves_no_change_set():
    partnership = make_partnership()
    history.record(partnership, kind=ChangeKind.CREATED)

    with history.change(ChangeKind.CONFIRMATION) as change_set:
        assert change_set.record(partnership) is None

    assert change_set.pk is None
    assert not ChangeSet.objects.filter(kind=ChangeKind.CONFIRMATION).exists()


def test_version_numbers_count_per_entry():
    first, second = make_partnership(), make_partnership()
    organisation = make_organisation()
    for entry in (first, second, organisation, first):
        entry.name += " (renamed)"
        entry.save()
        history.record(entry, kind=ChangeKind.ADMIN_EDIT)

    assert [v.number for v in versions(first)] == [1, 2]
    assert [v.number for v in versions(second)] == [1]
    assert [v.number for v in versions(organisation)] == [1]


def test_a_version_is_of_exactly_one_entry():
    change_set = ChangeSet.objects.create(kind=ChangeKind.IMPORT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Version.objects.create(change_set=change_set, number=1, snapshot={})


# Restoring ------------------------------------------------------------------------------------


def test_restoring_version_1_of_three_brings_back_the_old_page_and_makes_version_4(
    moderator_client, moderator, client
):
    partnership = three_versions()
    version_1 = versions(partnership)[0]

    confirm = moderator_client.get(restore_url(version_1))
    response = moderator_client.post(restore_url(version_1), {"reason": "Vandalised."})

    assert confirm.status_code == 200
    assert response.status_code == 302 and response["Location"] == history_url(partnership)
    page = client.get(Partnership.objects.get(pk=partnership.pk).get_absolute_url()).text
    assert "First name" in page and "Second name" not in page
    assert "The first description." in page and "The third description." not in page
    assert "Alpha Library Service" in page and "Beta NHS Foundation Trust" not in page
    assert "Original memorandum" in page
    version_4 = versions(partnership)[-1]
    assert version_4.number == 4
    assert version_4.change_set.kind == ChangeKind.RESTORE
    assert version_4.change_set.author == moderator
    assert version_4.change_set.reason == "Vandalised."
    assert version_4.restored_from == version_1
    assert version_4.snapshot["fields"] == version_1.snapshot["fields"]


def test_the_restore_page_shows_what_will_change_in_words_before_anything_changes(
    moderator_client,
):
    partnership = three_versions()
    version_1 = versions(partnership)[0]

    page = moderator_client.get(restore_url(version_1)).text

    assert "<h1>Restore version 1 of Second name?</h1>" in page
    assert "Changed from “Second name” to “First name”" in page
    assert "Added Alpha Library Service (Lead)" in page
    assert "Removed Beta NHS Foundation Trust (Member)" in page
    assert "Original memorandum" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert len(versions(partnership)) == 3
    assert Partnership.objects.get(pk=partnership.pk).name == "Second name"


def test_restoring_bumps_the_published_data_version(moderator):
    partnership = three_versions()
    before = services.published_data_version()

    history.restore(versions(partnership)[0], user=moderator)

    assert services.published_data_version() == before + 1


def test_an_archived_entry_restored_from_history_is_public_again(moderator_client, client):
    partnership = make_partnership(name="Archived by mistake")
    url = partnership.get_absolute_url()
    services.archive_partnerships(Partnership.objects.filter(pk=partnership.pk))
    assert client.get(url).status_code == 404
    published = versions(partnership)[0]

    moderator_client.post(restore_url(published))

    assert client.get(url).status_code == 200
    assert Partnership.objects.get(pk=partnership.pk).publication_state == "published"


def test_restoring_brings_back_a_deleted_contact_and_the_agreement_document(moderator):
    partnership = make_partnership()
    make_contact(partnership, name="Ada Lovelace", email="ada@example.org")
    agreement = make_agreement(partnership, document=pdf())
    document = agreement.document.name
    history.record(partnership, kind=ChangeKind.CREATED)
    partnership.contacts.all().delete()
    partnership.agreements.all().delete()
    history.record(partnership, kind=ChangeKind.ADMIN_EDIT)

    history.restore(versions(partnership)[0], user=moderator)

    assert list(Contact.objects.filter(partnership=partnership).values_list("name", flat=True)) == [
        "Ada Lovelace"
    ]
    assert Agreement.objects.get(partnership=partnership).document.name == document


def test_restoring_an_organisation_version_brings_back_its_fields(moderator):
    organisation = make_organisation(name="Bolton Library Service", town="Bolton")
    history.record(organisation, kind=ChangeKind.CREATED)
    organisation.name, organisation.town = "Wrong name", "Wigan"
    organisation.save()
    history.record(organisation, kind=ChangeKind.ADMIN_EDIT)

    restored = history.restore(versions(organisation)[0], user=moderator)

    organisation.refresh_from_db()
    assert (organisation.name, organisation.town) == ("Bolton Library Service", "Bolton")
    assert restored.number == 3


def test_undoing_a_change_set_restores_every_entry_it_wrote_in_one_new_change(moderator):
    first = make_partnership(name="First before")
    second = make_partnership(name="Second before")
    history.baseline(first, second)
    with history.change(ChangeKind.MERGE, user=moderator) as merge:
        for entry in (first, second):
            entry.name = entry.name.replace("before", "after")
            entry.save()
            merge.record(entry)

    undoing = history.undo(merge, user=moderator)

    assert Partnership.objects.get(pk=first.pk).name == "First before"
    assert Partnership.objects.get(pk=second.pk).name == "Second before"
    assert undoing.kind == ChangeKind.RESTORE
    assert undoing.versions.count() == 2
    assert "Undoes “Merged”" in undoing.reason


def test_undoing_the_creation_of_a_partnership_archives_it(moderator):
    partnership = make_partnership()
    created = history.record(partnership, kind=ChangeKind.IMPORT)

    history.undo(created.change_set, user=moderator)

    assert Partnership.objects.get(pk=partnership.pk).publication_state == "archived"


def test_a_document_only_an_old_version_names_is_kept_by_the_clean_up(settings, moderator):
    partnership = make_partnership()
    agreement = make_agreement(partnership, document=pdf())
    name = agreement.document.name
    history.record(partnership, kind=ChangeKind.CREATED)
    agreement.delete()
    history.record(partnership, kind=ChangeKind.ADMIN_EDIT)
    settings.TIME_ZONE = "UTC"

    call_command("clear_unused_documents", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert agreement.document.storage.exists(name)


# The words diff ------------------------------------------------------------------------------


def test_the_diff_names_each_changed_field_and_lists_members_and_agreements_in_words():
    partnership = three_versions()
    first, second, third = versions(partnership)

    second_changes = {c.label: c.words for c in history.changes_between(first, second)}
    third_changes = {c.label: c.words for c in history.changes_between(second, third)}

    assert second_changes == {
        "Name": ["changed from “First name” to “Second name”"],
        "Members": ["added Beta NHS Foundation Trust (Member)"],
    }
    assert third_changes["Description"] == [
        "changed from “The first description.” to “The third description.”"
    ]
    assert third_changes["Members"] == ["removed Alpha Library Service (Lead)"]
    [removed] = third_changes["Agreements"]
    assert removed.startswith("removed Memorandum of understanding: Original memorandum")


def test_the_diff_says_which_details_of_a_contact_changed():
    partnership = make_partnership()
    contact = make_contact(partnership, name="Library team", phone="01204 333000")
    before = snapshot_of(partnership)
    contact.phone = "01204 444000"
    contact.job_title = "Outreach"
    contact.save()

    [change] = diff(before, snapshot_of(partnership))

    assert change.label == "Contacts"
    assert change.words == [
        "Library team: job title set to “Outreach”, "
        "phone changed from “01204 333000” to “01204 444000”"
    ]


# The history pages -----------------------------------------------------------------------------


def test_the_history_page_lists_versions_newest_first_with_who_what_and_why(
    moderator_client, moderator
):
    partnership = three_versions()
    history.restore(versions(partnership)[0], user=moderator, reason="Back to the start.")

    page = moderator_client.get(history_url(partnership)).text

    assert page.count("<h1>") == 1
    positions = [page.index(f'id="version-{n}"') for n in (4, 3, 2, 1)]
    assert positions == sorted(positions)
    assert "Restored from an earlier version" in page
    assert "restored from version 1" in page
    assert "Back to the start." in page
    assert moderator.email in page
    assert "Added Beta NHS Foundation Trust (Member)" in page
    assert "{" not in page.split("<main", 1)[1].split("</main>")[0]  # never raw JSON
    # Every version but the newest (the entry as it is) can be restored.
    assert restore_url(versions(partnership)[0]) in page
    assert restore_url(versions(partnership)[-1]) not in page


def test_the_history_page_is_paginated(moderator_client, monkeypatch):
    from curation import history as history_views

    monkeypatch.setattr(history_views, "PAGE_SIZE", 2)
    partnership = three_versions()

    second_page = moderator_client.get(history_url(partnership), {"page": 2}).text

    assert 'id="version-1"' in second_page and 'id="version-3"' not in second_page
    assert "The first version recorded" in second_page


def test_hostile_text_is_shown_escaped_in_the_history_and_the_restore_page(moderator_client):
    partnership = make_partnership(name="<script>alert(1)</script>")
    history.record(partnership, kind=ChangeKind.CREATED)
    partnership.summary = "<img src=x onerror=alert(1)>"
    partnership.save()
    history.record(partnership, kind=ChangeKind.ADMIN_EDIT, reason="<b>bold</b>")

    pages = [
        moderator_client.get(history_url(partnership)).text,
        moderator_client.get(restore_url(versions(partnership)[0])).text,
    ]

    for page in pages:
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in pages[0]


def test_an_organisation_has_a_history_page(moderator_client):
    organisation = make_organisation(name="Leeds Library Service", town="Leeds")
    history.record(organisation, kind=ChangeKind.CREATED)
    organisation.town = "Wakefield"
    organisation.save()
    history.record(organisation, kind=ChangeKind.ADMIN_EDIT)

    page = moderator_client.get(
        reverse("curation:organisation_history", args=[organisation.pk])
    ).text

    assert "<h1>History of Leeds Library Service</h1>" in page
    assert "Changed from “Leeds” to “Wakefield”" in page


def test_the_admin_pages_and_the_review_page_link_to_the_history(admin_client, moderator_client):
    partnership = make_partnership(members=1)
    organisation = partnership.memberships.get().organisation

    assert history_url(partnership) in admin_client.get(admin_change_url(partnership)).text
    assert (
        reverse("curation:organisation_history", args=[organisation.pk])
        in admin_client.get(admin_change_url(organisation)).text
    )
    review = moderator_client.get(reverse("curation:review", args=[partnership.pk])).text
    assert history_url(partnership) in review


def test_a_revision_in_the_admin_reads_as_changes_in_words_not_data(admin_client):
    partnership = make_partnership(name="Live name")
    data = snapshot_of(partnership)
    data["fields"]["name"] = "Proposed name"
    revision = partnership.revisions.create(data=data)

    page = admin_client.get(reverse("admin:partnerships_revision_change", args=[revision.pk]))

    assert "changed from “Live name” to “Proposed name”" in page.text
    assert "&quot;fields&quot;" not in page.text and '"fields"' not in page.text


def history_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def grow_history(partnership, organisation, count):
    for n in range(count):
        partnership.summary = f"Summary number {n}"
        partnership.save()
        Membership.objects.update_or_create(
            partnership=partnership,
            organisation=organisation,
            defaults={"role": Role.MEMBER if n % 2 else Role.ASSOCIATE},
        )
        history.record(partnership, kind=ChangeKind.ADMIN_EDIT)


def test_the_history_pages_cost_the_same_queries_for_3_or_30_versions(moderator_client):
    counts = {}
    for size in (3, 30):
        partnership = make_partnership(members=1)
        partnership.editors.add(make_user())
        organisation = make_organisation()
        grow_history(partnership, organisation, size)
        assert len(versions(partnership)) == size
        counts[size] = history_queries(moderator_client, history_url(partnership))

    assert counts[3] == counts[30]


def test_the_editors_history_page_costs_the_same_queries_for_3_or_30_versions(client):
    editor = make_user()
    client.force_login(editor)
    counts = {}
    for size in (3, 30):
        partnership = make_partnership(members=1)
        partnership.editors.add(editor)
        grow_history(partnership, make_organisation(), size)
        url = reverse("editor:history", args=[partnership.pk])
        counts[size] = history_queries(client, url)

    assert counts[3] == counts[30]


# Who may see and restore ---------------------------------------------------------------------


@pytest.fixture
def recorded():
    partnership = three_versions()
    editor = make_user()
    partnership.editors.add(editor)
    return partnership, editor


def curator_urls(partnership):
    first = versions(partnership)[0]
    organisation = make_organisation()
    history.record(organisation, kind=ChangeKind.CREATED)
    return [
        history_url(partnership),
        restore_url(first),
        reverse("curation:organisation_history", args=[organisation.pk]),
        restore_url(versions(organisation)[0]),
    ]


@pytest.mark.parametrize("who", ["editor", "stranger", "staff without the permission"])
def test_only_curators_reach_history_and_restore_everyone_else_gets_404(client, recorded, who):
    partnership, editor = recorded
    user = {
        "editor": editor,
        "stranger": make_user(),
        "staff without the permission": make_user(is_staff=True),
    }[who]
    client.force_login(user)

    for url in curator_urls(partnership):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x"}).status_code == 404, url

    assert len(versions(partnership)) == 3
    assert Partnership.objects.get(pk=partnership.pk).name == "Second name"


def test_someone_signed_out_is_sent_to_sign_in_from_the_history_pages(client, recorded):
    partnership, _ = recorded
    for url in [*curator_urls(partnership), reverse("editor:history", args=[partnership.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login")), url


def test_restoring_needs_a_post_with_the_csrf_token(moderator, recorded):
    partnership, _ = recorded
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)

    assert client.post(restore_url(versions(partnership)[0])).status_code == 403
    assert len(versions(partnership)) == 3


def test_editors_see_their_partnerships_published_history_read_only(client, recorded):
    partnership, editor = recorded
    draft_only = versions(partnership)[1]
    Version.objects.filter(pk=draft_only.pk).update(publication_state=PublicationState.DRAFT)
    client.force_login(editor)

    page = client.get(reverse("editor:history", args=[partnership.pk]))

    assert page.status_code == 200
    text = page.text
    assert 'id="version-3"' in text and 'id="version-1"' in text
    assert 'id="version-2"' not in text  # never published
    assert "Restore this version" not in text
    assert "/moderation/" not in text.split("<main", 1)[1]
    my_partnerships = client.get(reverse("editor:my_partnerships")).text
    assert reverse("editor:history", args=[partnership.pk]) in my_partnerships


def test_editors_see_who_of_them_changed_it_and_only_that_a_curator_did(client, moderator):
    editor = make_user(email="lead@example.org")
    partnership = make_partnership(publication_state=PublicationState.DRAFT)
    partnership.editors.add(editor)
    services.submit_for_review(partnership, user=editor)
    services.approve(partnership, moderator=moderator, message="Internal note.")
    partnership.summary = "Changed by a curator."
    partnership.save()
    history.record(partnership, kind=ChangeKind.ADMIN_EDIT, user=moderator, reason="Private.")
    client.force_login(editor)

    text = client.get(reverse("editor:history", args=[partnership.pk])).text

    assert "by a curator" in text
    assert moderator.email not in text
    assert "Private." not in text


def test_other_users_get_404_on_an_editors_history_page(client, recorded):
    partnership, _ = recorded
    client.force_login(make_user())

    assert client.get(reverse("editor:history", args=[partnership.pk])).status_code == 404


# Deleting archives --------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    """A curator who may delete partnerships in the admin, but is not a superuser."""
    from django.contrib.auth.models import Permission

    user = make_moderator()
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_partnership", "change_partnership", "delete_partnership"]
        )
    )
    client.force_login(user)
    return client


def test_deleting_a_partnership_in_the_admin_archives_it_for_staff(staff_client, client):
    partnership = make_partnership(name="Mistaken deletion")
    delete_url = reverse("admin:partnerships_partnership_delete", args=[partnership.pk])

    page = staff_client.get(delete_url)
    response = staff_client.post(delete_url, {"reason": "Closed last year."})

    assert page.status_code == 200
    assert "will be <strong>archived</strong>" in page.text
    assert response.status_code == 302
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.ARCHIVED
    archive = versions(partnership)[-1]
    assert archive.change_set.kind == ChangeKind.ARCHIVE
    assert archive.change_set.reason == "Closed last year."
    assert Client().get(partnership.get_absolute_url()).status_code == 404


def test_the_delete_action_archives_for_staff(staff_client):
    partnership = make_partnership()

    staff_client.post(
        reverse("admin:partnerships_partnership_changelist"),
        {"action": "delete_selected", "_selected_action": [partnership.pk]},
    )

    assert Partnership.objects.get(pk=partnership.pk).publication_state == "archived"


def test_a_superuser_is_warned_then_deletes_for_good(admin_client):
    partnership = make_partnership(name="Test entry to delete")
    history.record(partnership, kind=ChangeKind.CREATED)
    delete_url = reverse("admin:partnerships_partnership_delete", args=[partnership.pk])

    page = admin_client.get(delete_url).text
    admin_client.post(delete_url, {"post": "yes"})

    assert "Deleting cannot be undone." in page and "whole history" in page
    assert "Archive instead" in page
    assert not Partnership.objects.filter(pk=partnership.pk).exists()
    assert not Version.objects.filter(partnership_id=partnership.pk).exists()


def test_a_superuser_can_archive_from_the_warning_page(admin_client):
    partnership = make_partnership()
    delete_url = reverse("admin:partnerships_partnership_delete", args=[partnership.pk])

    admin_client.post(delete_url, {"archive_instead": "1"})

    assert Partnership.objects.get(pk=partnership.pk).publication_state == "archived"


def test_a_superusers_bulk_delete_page_warns_that_the_history_goes_too(admin_client):
    partnership = make_partnership()

    page = admin_client.post(
        reverse("admin:partnerships_partnership_changelist"),
        {"action": "delete_selected", "_selected_action": [partnership.pk]},
    )

    assert "whole history" in page.text
    assert Partnership.objects.filter(pk=partnership.pk).exists()


def test_history_survives_for_organisations_whose_partnership_is_archived(moderator):
    partnership = make_partnership(members=1)
    organisation = partnership.memberships.get().organisation
    history.record(organisation, kind=ChangeKind.CREATED)

    services.archive_partnerships(Partnership.objects.filter(pk=partnership.pk), user=moderator)

    assert Organisation.objects.filter(pk=organisation.pk).exists()
    assert len(versions(organisation)) == 1
