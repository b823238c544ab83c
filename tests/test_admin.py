"""The curator's admin: every page renders, search and actions work, lists stay cheap."""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnerships import history
from partnerships.models import (
    Activity,
    ActivityGroup,
    Agreement,
    ChangeKind,
    ChangeSet,
    ClaimRequest,
    CommunicationChannel,
    ConfirmationLink,
    Contact,
    DataVersion,
    Decision,
    DuplicateCandidate,
    DuplicateKind,
    DuplicateScan,
    GeocodeCache,
    ImportedRecord,
    ImportMapping,
    ImportRun,
    JoinRequest,
    MapGridCell,
    MapSummary,
    Membership,
    ModerationEvent,
    NotDuplicate,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    Place,
    ProblemReport,
    PublicationState,
    Region,
    Reminder,
    ReminderKind,
    Revision,
    Version,
)
from tests.factories import (
    make_agreement,
    make_contact,
    make_organisation,
    make_partnership,
    make_place,
    make_region,
    make_user,
)

pytestmark = pytest.mark.django_db

PARTNERSHIP_MODELS = [
    model for model in admin.site._registry if model._meta.app_label == "partnerships"
]


def admin_url(model, view, *args):
    return reverse(f"admin:partnerships_{model._meta.model_name}_{view}", args=args)


def make_one(model):
    """One saved object of `model`, with its relations filled in, for its change page."""
    partnership = make_partnership(members=2, region=make_region())
    builders = {
        Region: lambda: partnership.region,
        Activity: lambda: Activity.objects.create(
            name="Health Information Week stall", group=ActivityGroup.EVENTS
        ),
        CommunicationChannel: lambda: CommunicationChannel.objects.create(name="Carrier pigeon"),
        Organisation: lambda: partnership.memberships.first().organisation,
        OrganisationIdentifier: lambda: OrganisationIdentifier.objects.create(
            organisation=partnership.memberships.first().organisation, scheme="ods", value="RMC"
        ),
        Partnership: lambda: partnership,
        Membership: lambda: partnership.memberships.first(),
        Contact: lambda: make_contact(partnership),
        Agreement: lambda: make_agreement(partnership),
        Place: lambda: make_place("Bolton", 53.578, -2.429, region=partnership.region),
        GeocodeCache: lambda: GeocodeCache.objects.create(
            query="bolton, united kingdom", latitude=53.578, longitude=-2.429
        ),
        Revision: lambda: Revision.objects.create(partnership=partnership, data={}),
        ModerationEvent: lambda: ModerationEvent.objects.create(
            partnership=partnership, decision=Decision.SUBMITTED
        ),
        DataVersion: lambda: DataVersion.objects.get_or_create(pk=DataVersion.SINGLETON)[0],
        MapSummary: lambda: MapSummary.objects.get_or_create(pk=MapSummary.SINGLETON)[0],
        MapGridCell: lambda: MapGridCell.objects.create(
            fine_y=267,
            fine_x=-13,
            count=1,
            latitude_sum=53.5,
            longitude_sum=-2.5,
            south=53.5,
            north=53.5,
            west=-2.5,
            east=-2.5,
        ),
        ChangeSet: lambda: history.record(partnership, kind=ChangeKind.CREATED).change_set,
        Version: lambda: history.record(partnership, kind=ChangeKind.CREATED),
        DuplicateCandidate: lambda: DuplicateCandidate.objects.create(
            **DuplicateCandidate.fields_for(
                *(m.organisation for m in partnership.memberships.all())
            ),
            score=90,
            reasons=["names match after normalising: “bolton”"],
        ),
        NotDuplicate: lambda: NotDuplicate.objects.create(
            kind=DuplicateKind.PARTNERSHIP,
            partnership_a=partnership,
            partnership_b=make_partnership(),
        ),
        DuplicateScan: lambda: DuplicateScan.objects.create(finished_at=timezone.now()),
        ImportRun: lambda: ImportRun.objects.create(
            kind="organisations",
            source="NW list",
            file_name="nw.csv",
            data=b"Name\nBolton Library\n",
            headers=["Name"],
            mapping=["name"],
        ),
        ImportMapping: lambda: ImportMapping.objects.create(
            name="NW list", kind="organisations", columns={"name": "name"}
        ),
        ImportedRecord: lambda: ImportedRecord.objects.create(
            kind="organisations", source="NW list", key="NW-1", organisation=make_organisation()
        ),
        ProblemReport: lambda: ProblemReport.objects.create(
            partnership=partnership, reason="contact", explanation="The lead has retired."
        ),
        ClaimRequest: lambda: ClaimRequest.objects.create(
            partnership=partnership, user=make_user(), reason="I chair it."
        ),
        JoinRequest: lambda: JoinRequest.objects.create(
            partnership=partnership,
            organisation_name="Bolton Central Library",
            sector="public-library",
            name="Alex Librarian",
            email="alex@example.net",
        ),
        Reminder: lambda: Reminder.objects.create(
            partnership=partnership,
            kind=ReminderKind.CONFIRM_FIRST,
            cycle="2025-01-10T09:00:00+00:00",
            recipients=["lead@example.org"],
        ),
        ConfirmationLink: lambda: ConfirmationLink.objects.create(
            partnership=partnership,
            sent_to="lead@example.org",
            expires_at=timezone.now() + datetime.timedelta(days=30),
        ),
    }
    return builders[model]()


def model_id(model):
    return model.__name__


def test_every_partnerships_model_has_an_admin():
    assert set(PARTNERSHIP_MODELS) == set(apps.get_app_config("partnerships").get_models())


@pytest.mark.parametrize("model", PARTNERSHIP_MODELS, ids=model_id)
def test_the_changelist_renders_with_data(admin_client, model):
    make_one(model)

    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model", PARTNERSHIP_MODELS, ids=model_id)
def test_the_add_page_renders_where_adding_by_hand_is_allowed(
    admin_client, django_user_model, model, rf
):
    request = rf.get("/")
    request.user = django_user_model.objects.get(username="curator")
    can_add = admin.site._registry[model].has_add_permission(request)

    response = admin_client.get(admin_url(model, "add"))

    # The gazetteer is loaded by a command and geocoder answers come from the geocoder, rather
    # than being typed in; revisions and moderation events are written by the editing and
    # moderation screens; the published-data version is bumped by the services, and the map
    # summary is built from the partnerships. History is written by every write path, never
    # by hand; duplicate pairs come from the scan and the curators' duplicates page; imports and
    # their saved mappings come from the curators' import screens, and where each imported entry
    # came from from the imports; visitors' reports and requests to manage an entry from the public
    # pages (the curators' screens resolve and decide them, emailing the people; the editors
    # decide requests to join in "My partnerships"); reminders and
    # confirmation links are sent by the reminders job. Identifiers are edited on their
    # organisation's page, so that each change is in its history.
    written_by_the_site = (
        OrganisationIdentifier,
        Place,
        GeocodeCache,
        Revision,
        ModerationEvent,
        DataVersion,
        MapSummary,
        MapGridCell,
        ChangeSet,
        Version,
        DuplicateCandidate,
        NotDuplicate,
        DuplicateScan,
        ImportRun,
        ImportMapping,
        ImportedRecord,
        ProblemReport,
        ClaimRequest,
        JoinRequest,
        Reminder,
        ConfirmationLink,
    )
    assert can_add == (model not in written_by_the_site)
    assert response.status_code == (200 if can_add else 403)


@pytest.mark.parametrize("model", PARTNERSHIP_MODELS, ids=model_id)
def test_the_change_page_renders(admin_client, model):
    obj = make_one(model)

    response = admin_client.get(admin_url(model, "change", obj.pk))

    assert response.status_code == 200
    assert str(obj) in response.text


def test_places_cannot_be_added_by_hand(admin_client):
    changelist = admin_client.get(admin_url(Place, "changelist"))

    assert admin_url(Place, "add") not in changelist.text
    assert admin_client.get(admin_url(Place, "add")).status_code == 403


def test_partnership_search_finds_a_member_organisation(admin_client):
    wanted = make_partnership(name="Bolton health libraries")
    Membership.objects.create(
        partnership=wanted, organisation=make_organisation(name="Royal Bolton Hospital")
    )
    make_partnership(name="Leeds reading network", members=2)

    response = admin_client.get(admin_url(Partnership, "changelist"), {"q": "royal bolton"})

    assert list(response.context["cl"].result_list) == [wanted]


def test_organisation_search_matches_the_town(admin_client):
    wanted = make_organisation(name="Central Library", town="Wigan")
    make_organisation(name="Central Library", town="Leeds")

    response = admin_client.get(admin_url(Organisation, "changelist"), {"q": "wigan"})

    assert list(response.context["cl"].result_list) == [wanted]


def test_place_search_matches_the_name(admin_client):
    wanted = make_place("Bolton", 53.578, -2.429)
    make_place("Wigan", 53.545, -2.637)

    response = admin_client.get(admin_url(Place, "changelist"), {"q": "bolt"})

    assert list(response.context["cl"].result_list) == [wanted]


def test_the_publish_action_publishes_and_stamps_unverified_entries(admin_client):
    verified_at = timezone.now() - timezone.timedelta(days=400)
    draft = make_partnership(publication_state=PublicationState.DRAFT)
    pending = make_partnership(
        publication_state=PublicationState.PENDING, last_verified_at=verified_at
    )
    untouched = make_partnership(publication_state=PublicationState.DRAFT)

    response = admin_client.post(
        admin_url(Partnership, "changelist"),
        {"action": "publish", "_selected_action": [draft.pk, pending.pk]},
        follow=True,
    )

    draft.refresh_from_db()
    pending.refresh_from_db()
    untouched.refresh_from_db()
    assert draft.publication_state == PublicationState.PUBLISHED
    assert draft.last_verified_at is not None
    assert pending.publication_state == PublicationState.PUBLISHED
    assert pending.last_verified_at == verified_at
    assert untouched.publication_state == PublicationState.DRAFT
    assert "2 partnerships were published." in response.text


def test_the_archive_action_archives_and_counts_only_real_changes(admin_client):
    published = make_partnership()
    archived = make_partnership(publication_state=PublicationState.ARCHIVED)

    response = admin_client.post(
        admin_url(Partnership, "changelist"),
        {"action": "archive", "_selected_action": [published.pk, archived.pk]},
        follow=True,
    )

    published.refresh_from_db()
    assert published.publication_state == PublicationState.ARCHIVED
    assert "1 partnership was archived." in response.text


def test_the_partnership_change_page_shows_members_contacts_and_agreements(admin_client):
    partnership = make_partnership(members=1)
    make_contact(partnership, name="Knowledge and library service")
    make_agreement(partnership, title="Bolton memorandum of understanding")

    response = admin_client.get(admin_url(Partnership, "change", partnership.pk))

    inline_models = [inline.formset.model for inline in response.context["inline_admin_formsets"]]
    assert inline_models == [Membership, Contact, Agreement]
    assert partnership.memberships.get().organisation.name in response.text
    assert "Knowledge and library service" in response.text
    assert "Bolton memorandum of understanding" in response.text
    for legend in ["Basics", "Description", "Where", "How it works", "Publication"]:
        assert legend in response.text


def test_the_partnership_list_shows_member_counts(admin_client):
    make_partnership(members=3)

    response = admin_client.get(admin_url(Partnership, "changelist"))

    assert [p.member_count for p in response.context["cl"].result_list] == [3]


def test_the_activity_group_filter_keeps_one_row_and_true_counts(admin_client):
    partnership = make_partnership(members=2)
    partnership.activities.set(Activity.objects.filter(group=ActivityGroup.EVENTS)[:2])

    response = admin_client.get(
        admin_url(Partnership, "changelist"), {"activity_group": ActivityGroup.EVENTS}
    )

    assert [(p, p.member_count) for p in response.context["cl"].result_list] == [(partnership, 2)]


def count_changelist_queries(client, model):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "model", [Partnership, Organisation, Membership, Contact, Agreement, Place], ids=model_id
)
def test_a_changelist_costs_the_same_queries_for_2_or_20_rows(admin_client, model):
    region = make_region()

    def add_partnerships(n):
        for _ in range(n):
            partnership = make_partnership(members=3, region=region)
            make_contact(partnership, organisation=partnership.memberships.first().organisation)
            make_agreement(partnership)
            make_place(f"Town {partnership.pk}", 53.5, -2.4, region=region)
        Organisation.objects.update(region=region)

    add_partnerships(2)
    few = count_changelist_queries(admin_client, model)
    add_partnerships(18)
    many = count_changelist_queries(admin_client, model)

    assert many == few


def test_ticking_consent_without_a_date_records_when_it_was_given(admin_client):
    partnership = make_partnership()

    response = admin_client.post(
        admin_url(Contact, "add"),
        {
            "partnership": partnership.pk,
            "name": "Library team",
            "email": "library@example.org",
            "consent_to_publish": "on",
            "consented_at_0": "",
            "consented_at_1": "",
        },
    )

    assert response.status_code == 302
    contact = Contact.objects.get(name="Library team")
    assert contact.consent_to_publish
    assert contact.consented_at is not None


def test_the_contact_list_says_whether_a_contact_is_public(admin_client):
    partnership = make_partnership()
    make_contact(partnership, consent=True)
    make_contact(partnership, consent=False)
    make_contact(make_partnership(publication_state=PublicationState.DRAFT), consent=True)

    response = admin_client.get(admin_url(Contact, "changelist"))

    model_admin = admin.site._registry[Contact]
    shown = sorted(model_admin.shown_publicly(c) for c in response.context["cl"].result_list)
    assert shown == [False, False, True]


ADMIN_PASSWORD = "a-long-test-password-42"


def admin_sign_in(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_admin_sign_in_locks_a_staff_account_after_repeated_failures_even_with_the_right_password(
    client, django_user_model
):
    django_user_model.objects.create_superuser(
        username="curator", email="curator@example.org", password=ADMIN_PASSWORD
    )
    for _ in range(5):
        failed = admin_sign_in(client, "curator", "a-wrong-guess")
        assert failed.status_code == 200
        assert b"Please enter the correct username and password" in failed.content

    refused = admin_sign_in(client, "curator", ADMIN_PASSWORD)

    assert refused.status_code == 200
    assert b"Too many failed login attempts. Try again later." in refused.content
    assert client.get("/admin/").status_code == 302  # still not signed in
    # Other accounts are not locked.
    django_user_model.objects.create_superuser(
        username="other", email="other@example.org", password=ADMIN_PASSWORD
    )
    assert admin_sign_in(client, "other", ADMIN_PASSWORD)["Location"] == "/admin/"


def test_admin_sign_in_refuses_more_than_ten_failures_a_minute_from_one_address(
    client, django_user_model
):
    django_user_model.objects.create_superuser(
        username="curator", email="curator@example.org", password=ADMIN_PASSWORD
    )
    for n in range(10):
        admin_sign_in(client, f"guess{n}", "a-wrong-guess")

    refused = admin_sign_in(client, "curator", ADMIN_PASSWORD)

    assert b"Too many failed login attempts. Try again later." in refused.content
    assert client.get("/admin/").status_code == 302


def test_a_successful_admin_sign_in_gives_back_its_attempt(client, django_user_model):
    django_user_model.objects.create_superuser(
        username="curator", email="curator@example.org", password=ADMIN_PASSWORD
    )
    for _ in range(4):
        admin_sign_in(client, "curator", "a-wrong-guess")
    for _ in range(3):
        assert admin_sign_in(Client(), "curator", ADMIN_PASSWORD)["Location"] == "/admin/"
