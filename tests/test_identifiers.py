"""Organisations' identifiers (issue 11): checked by format with a clear message, unique in
their scheme, shown on the organisation's page with a link to the register, edited in the
admin, kept in the history, moved by a merge, and given and matched on the registration form."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from partnerships import history, identifiers, merging
from partnerships.identifiers import Scheme
from partnerships.models import (
    ChangeKind,
    Membership,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    Role,
    Sector,
    Version,
)
from partnerships.snapshots import diff_organisations, snapshot_of_organisation
from tests.admin_forms import change_form_data
from tests.editing import form_data, input_value
from tests.factories import make_moderator, make_organisation, make_partnership, make_user
from tests.test_registration import someone_elses_draft_naming

pytestmark = pytest.mark.django_db

NEW = reverse("editor:new")


def text(response):
    return " ".join(response.content.decode().split())


def identify(organisation, scheme, value, scheme_name=""):
    return OrganisationIdentifier.objects.create(
        organisation=organisation, scheme=scheme, scheme_name=scheme_name, value=value
    )


def held(organisation):
    return sorted(organisation.identifiers.values_list("scheme", "value"))


# Format ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "typed", "stored"),
    [
        (Scheme.ODS, " rmc ", "RMC"),
        (Scheme.ODS, "rmc01", "RMC01"),
        (Scheme.CHARITY_EW, "1 123 456", "1123456"),
        (Scheme.CHARITY_SC, "sc 012345", "SC012345"),
        (Scheme.CHARITY_SC, "12345", "SC012345"),
        (Scheme.CHARITY_NI, "nic100002", "NIC100002"),
        (Scheme.CHARITY_NI, "100002", "NIC100002"),
        (Scheme.COMPANY, "123456", "00123456"),
        (Scheme.COMPANY, "sc123456", "SC123456"),
        (Scheme.UKPRN, "10007783", "10007783"),
        (Scheme.ISIL, "gb-UkOxU", "GB-UkOxU"),
        (Scheme.GSS, "e08000001", "E08000001"),
        (Scheme.ROR, "https://ror.org/04XS57H96", "04xs57h96"),
        (Scheme.ROR, "04xs57h96", "04xs57h96"),
        (Scheme.OTHER, "  LSU   42 ", "LSU 42"),
    ],
)
def test_each_scheme_accepts_what_people_type_and_stores_it_tidied(scheme, typed, stored):
    assert identifiers.normalise(scheme, typed) == stored


@pytest.mark.parametrize(
    ("scheme", "typed", "explanation"),
    [
        (Scheme.ODS, "R", "an ODS code is 3 to 10 letters and digits"),
        (Scheme.CHARITY_EW, "012345", "6 or 7 digits"),
        (Scheme.CHARITY_SC, "SC1234567", "SC and 6 digits"),
        (Scheme.CHARITY_NI, "NIC12", "NIC and 6 digits"),
        (Scheme.COMPANY, "123456789", "8 digits, or 2 letters and 6 digits"),
        (Scheme.UKPRN, "20007783", "8 digits starting with 1"),
        (Scheme.ISIL, "UkOxU", "a country code, a hyphen"),
        (Scheme.GSS, "X08000001", "E, N, S, W or K and 8 digits"),
        (Scheme.ROR, "ror.org/123", "9 characters starting with 0"),
    ],
)
def test_a_badly_formed_identifier_is_refused_with_a_sentence_saying_why(
    scheme, typed, explanation
):
    with pytest.raises(ValidationError) as refused:
        identifiers.normalise(scheme, typed)
    [message] = refused.value.messages
    assert message.startswith(f"“{typed}” is not a valid ")
    assert explanation in message


def test_the_message_names_the_scheme_in_words():
    with pytest.raises(ValidationError) as refused:
        identifiers.normalise(Scheme.CHARITY_SC, "SC12")
    assert refused.value.messages == [
        "“SC12” is not a valid charity number (Scotland): a Scottish charity number is SC and 6 "
        "digits, such as SC012345."
    ]


def test_an_empty_identifier_asks_for_one():
    with pytest.raises(ValidationError) as refused:
        identifiers.normalise(Scheme.ODS, "  ")
    assert refused.value.messages == ["Enter the identifier."]


def test_the_model_check_tidies_the_value_and_explains_a_bad_one():
    identifier = OrganisationIdentifier(
        organisation=make_organisation(), scheme=Scheme.COMPANY, value="123456"
    )
    identifier.full_clean()
    assert identifier.value == "00123456"

    identifier.value = "not a number"
    with pytest.raises(ValidationError) as refused:
        identifier.full_clean()
    assert "is not a valid company number" in refused.value.message_dict["value"][0]


# Unique ------------------------------------------------------------------------------------------


def test_an_identifier_names_one_organisation():
    identify(make_organisation(), Scheme.ODS, "RMC")
    duplicate = OrganisationIdentifier(
        organisation=make_organisation(), scheme=Scheme.ODS, value="rmc"
    )
    with pytest.raises(ValidationError) as refused:
        duplicate.full_clean()
    assert "Another organisation in the directory has this identifier." in str(refused.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        identify(make_organisation(), Scheme.ODS, "RMC")


def test_the_same_value_in_two_schemes_is_two_identifiers():
    organisation = make_organisation()
    identify(organisation, Scheme.CHARITY_EW, "1123456")
    identify(make_organisation(), Scheme.OTHER, "1123456", scheme_name="Library code")
    assert organisation.identifiers.count() == 1


# The organisation's page -------------------------------------------------------------------------


def test_the_organisation_page_lists_its_identifiers_linked_to_their_registers(client):
    organisation = make_partnership(members=1).memberships.get().organisation
    identify(organisation, Scheme.ODS, "RMC")
    identify(organisation, Scheme.CHARITY_EW, "1123456")
    identify(organisation, Scheme.UKPRN, "10007783")

    content = text(client.get(organisation.get_absolute_url()))

    assert '<h2 id="identifiers-heading">Identifiers</h2>' in content
    assert (
        "<dt>NHS ODS code</dt><dd>RMC (<a "
        'href="https://directory.spineservices.nhs.uk/ORD/2-0-0/organisations/RMC" '
        'rel="noopener">NHS Organisation Data Service entry</a>)</dd>'
    ) in content
    assert "Charity Commission register entry</a>" in content
    # No register to link to by number: the number alone.
    assert "<dt>UK provider reference number (UKPRN)</dt><dd>10007783</dd>" in content


def test_an_organisation_without_identifiers_shows_no_empty_section(client):
    organisation = make_partnership(members=1).memberships.get().organisation
    assert "Identifiers" not in client.get(organisation.get_absolute_url()).content.decode()


def test_an_identifier_of_another_scheme_shows_whose_it_is(client):
    organisation = make_partnership(members=1).memberships.get().organisation
    identify(organisation, Scheme.OTHER, "LSU 42", scheme_name="Library Services Unit code")
    content = text(client.get(organisation.get_absolute_url()))
    assert "<dt>Library Services Unit code</dt><dd>LSU 42</dd>" in content


def test_the_organisation_page_costs_the_same_queries_with_more_identifiers(
    client, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    organisation = make_partnership(members=1).memberships.get().organisation
    identify(organisation, Scheme.ODS, "RMC")
    client.get(organisation.get_absolute_url())  # what the first request of all caches
    with CaptureQueriesContext(connection) as one:
        client.get(organisation.get_absolute_url())
    identify(organisation, Scheme.CHARITY_EW, "1123456")
    identify(organisation, Scheme.COMPANY, "01234567")
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(organisation.get_absolute_url())


# The admin ---------------------------------------------------------------------------------------


def admin_url(organisation):
    return reverse("admin:partnerships_organisation_change", args=[organisation.pk])


def with_identifier_rows(data, rows):
    data["identifiers-TOTAL_FORMS"] = str(len(rows))
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"identifiers-{index}-{key}"] = value
    return data


def test_a_curator_adds_an_identifier_in_the_admin_tidied_and_kept_in_the_history(
    admin_client,
):
    organisation = make_partnership(members=1).memberships.get().organisation
    data = change_form_data(admin_client.get(admin_url(organisation)))
    with_identifier_rows(data, [{"scheme": Scheme.CHARITY_SC, "value": "sc 012345"}])

    response = admin_client.post(admin_url(organisation), data)

    assert response.status_code == 302
    assert held(organisation) == [(Scheme.CHARITY_SC, "SC012345")]
    latest = Version.objects.of(organisation).newest_first().first()
    assert latest.snapshot["identifiers"] == [
        {"scheme": "charity-sc", "scheme_name": "", "value": "SC012345"}
    ]
    assert latest.change_set.kind == ChangeKind.ADMIN_EDIT
    page = admin_client.get(admin_url(organisation)).content.decode()
    assert "Scottish Charity Register (OSCR)</a>" in page


def test_the_admin_explains_a_bad_or_taken_identifier_and_saves_nothing(admin_client):
    identify(make_organisation(name="Holder"), Scheme.ODS, "RMC")
    organisation = make_organisation()
    data = change_form_data(admin_client.get(admin_url(organisation)))

    bad = with_identifier_rows(dict(data), [{"scheme": Scheme.GSS, "value": "X1"}])
    response = admin_client.post(admin_url(organisation), bad)
    assert response.status_code == 200
    assert "“X1” is not a valid Local authority GSS code" in response.content.decode()

    taken = with_identifier_rows(dict(data), [{"scheme": Scheme.ODS, "value": "rmc"}])
    response = admin_client.post(admin_url(organisation), taken)
    assert response.status_code == 200
    assert "Another organisation in the directory has this identifier." in (
        response.content.decode()
    )

    twice = with_identifier_rows(
        dict(data),
        [
            {"scheme": Scheme.ROR, "value": "04xs57h96"},
            {"scheme": Scheme.ROR, "value": "ror.org/04XS57H96"},
        ],
    )
    response = admin_client.post(admin_url(organisation), twice)
    assert response.status_code == 200
    assert "Please correct the duplicate data for scheme" in response.content.decode()

    other = with_identifier_rows(dict(data), [{"scheme": Scheme.OTHER, "value": "42"}])
    response = admin_client.post(admin_url(organisation), other)
    assert response.status_code == 200
    assert "Say whose identifier it is." in response.content.decode()
    assert not organisation.identifiers.exists()


def test_the_admin_finds_an_organisation_by_its_identifier(admin_client):
    wanted = make_organisation(name="Royal Bolton Hospital")
    identify(wanted, Scheme.ODS, "RMC")
    make_organisation(name="Elsewhere")
    response = admin_client.get(reverse("admin:partnerships_organisation_changelist"), {"q": "rmc"})
    assert list(response.context["cl"].result_list) == [wanted]


# History -----------------------------------------------------------------------------------------


def test_the_snapshot_holds_the_identifiers_sorted_and_none_when_there_are_none():
    organisation = make_organisation()
    assert "identifiers" not in snapshot_of_organisation(organisation)
    identify(organisation, Scheme.ODS, "RMC")
    identify(organisation, Scheme.CHARITY_EW, "1123456")
    assert snapshot_of_organisation(organisation)["identifiers"] == [
        {"scheme": "charity-ew", "scheme_name": "", "value": "1123456"},
        {"scheme": "ods", "scheme_name": "", "value": "RMC"},
    ]


def test_restoring_a_version_brings_its_identifiers_back():
    moderator = make_moderator()
    organisation = make_organisation()
    identify(organisation, Scheme.ODS, "RMC")
    history.record(organisation, kind=ChangeKind.ADMIN_EDIT)
    organisation.identifiers.all().delete()
    identify(organisation, Scheme.ODS, "RMC01")
    history.record(organisation, kind=ChangeKind.ADMIN_EDIT)

    history.restore(Version.objects.of(organisation).get(number=1), user=moderator)

    assert held(organisation) == [(Scheme.ODS, "RMC")]
    assert Version.objects.of(organisation).count() == 3


def test_a_version_from_before_identifiers_existed_still_applies_and_compares():
    moderator = make_moderator()
    organisation = make_organisation(name="Old name")
    history.record(organisation, kind=ChangeKind.ADMIN_EDIT)
    first = Version.objects.of(organisation).get()
    assert "identifiers" not in first.snapshot  # as every version stored before them

    # Saving without a change leaves no step, identifiers or not.
    assert history.record(organisation, kind=ChangeKind.ADMIN_EDIT) is None

    organisation.name = "New name"
    organisation.save()
    identify(organisation, Scheme.ODS, "RMC")
    history.record(organisation, kind=ChangeKind.ADMIN_EDIT)
    history.restore(first, user=moderator)

    organisation.refresh_from_db()
    assert organisation.name == "Old name"
    assert not organisation.identifiers.exists()


def test_the_history_says_in_words_which_identifiers_changed():
    before = {"fields": {"name": "Bolton"}}
    after = {
        "fields": {"name": "Bolton"},
        "identifiers": [
            {"scheme": "ods", "scheme_name": "", "value": "RMC"},
            {"scheme": "other", "scheme_name": "LSU code", "value": "42"},
        ],
    }
    [change] = diff_organisations(before, after)
    assert change.label == "Identifiers"
    assert change.words == ["added NHS ODS code RMC", "added LSU code 42"]

    [change] = diff_organisations(after, {"fields": {"name": "Bolton"}, "identifiers": []})
    assert change.words == ["removed NHS ODS code RMC", "removed LSU code 42"]
    assert diff_organisations(before, {"fields": {"name": "Bolton"}, "identifiers": []}) == []


def test_the_curators_history_page_shows_an_identifier_added(admin_client):
    organisation = make_partnership(members=1).memberships.get().organisation
    history.record(organisation, kind=ChangeKind.ADMIN_EDIT)
    identify(organisation, Scheme.ODS, "RMC")
    history.record(organisation, kind=ChangeKind.ADMIN_EDIT)
    response = admin_client.get(reverse("curation:organisation_history", args=[organisation.pk]))
    assert "<dt>Identifiers</dt><dd>Added NHS ODS code RMC </dd>" in text(response)


def test_a_restore_never_takes_an_identifier_another_organisation_holds_now():
    moderator = make_moderator()
    first, second = make_organisation(), make_organisation()
    identify(first, Scheme.ODS, "RMC")
    history.record(first, kind=ChangeKind.ADMIN_EDIT)
    first.identifiers.all().delete()
    history.record(first, kind=ChangeKind.ADMIN_EDIT)
    identify(second, Scheme.ODS, "RMC")

    history.restore(Version.objects.of(first).get(number=1), user=moderator)

    assert held(first) == []
    assert held(second) == [(Scheme.ODS, "RMC")]


# Merging -----------------------------------------------------------------------------------------


def test_a_merge_moves_the_identifiers_to_the_survivor_and_its_undo_puts_them_back():
    curator = make_moderator()
    survivor = make_organisation(name="Bolton NHS FT", town="Bolton")
    other = make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    identify(survivor, Scheme.ODS, "RMC")
    identify(other, Scheme.ODS, "RMC01")
    identify(other, Scheme.CHARITY_EW, "1123456")
    partnership = make_partnership()
    Membership.objects.create(partnership=partnership, organisation=other, role=Role.LEAD)

    result = merging.merge_organisations(survivor=survivor, other=other, choices={}, user=curator)

    assert held(survivor) == [
        (Scheme.CHARITY_EW, "1123456"),
        (Scheme.ODS, "RMC"),
        (Scheme.ODS, "RMC01"),
    ]
    assert held(other) == []

    history.undo(result.change_set, user=curator)

    assert held(survivor) == [(Scheme.ODS, "RMC")]
    assert held(other) == [(Scheme.CHARITY_EW, "1123456"), (Scheme.ODS, "RMC01")]
    assert Organisation.objects.get(pk=other.pk).merged_into is None


# The registration form ---------------------------------------------------------------------------


@pytest.fixture
def user(client):
    user = make_user()
    client.force_login(user)
    return user


def test_the_form_offers_an_identifier_type_and_an_identifier_for_each_member(client, user):
    content = client.get(NEW).content.decode()
    assert '<label for="id_members-0-identifier_scheme">Identifier type</label>' in content
    assert '<label for="id_members-0-identifier">Identifier</label>' in content
    assert '<option value="charity-sc">Charity number (Scotland)</option>' in content


def test_an_identifier_finds_the_organisation_whatever_name_is_typed(client, user):
    trust = make_partnership(members=1).memberships.get().organisation
    identify(trust, Scheme.ODS, "RMC")
    make_organisation(name="Bolton Trust", town="Bolton")  # what the name alone would find
    member = {
        "name": "Bolton Trust",
        "town": "Bolton",
        "identifier_scheme": Scheme.ODS,
        "identifier": " rmc ",
    }

    response = client.post(NEW, form_data(name="Mine", summary="Mine.", members=[member]))

    assert response.status_code == 302
    assert Partnership.objects.get(name="Mine").memberships.get().organisation == trust


def test_an_identifier_alone_is_enough_to_name_a_member(client, user):
    trust = make_partnership(members=1).memberships.get().organisation
    identify(trust, Scheme.CHARITY_EW, "1123456")
    member = {"identifier_scheme": Scheme.CHARITY_EW, "identifier": "1123456"}

    response = client.post(NEW, form_data(name="Mine", summary="Mine.", members=[member]))

    assert response.status_code == 302
    assert Partnership.objects.get(name="Mine").memberships.get().organisation == trust


def test_a_new_organisation_is_saved_with_the_identifier_given(client, user):
    member = {
        "name": "Bolton College",
        "town": "Bolton",
        "sector": Sector.FURTHER_EDUCATION,
        "identifier_scheme": Scheme.COMPANY,
        "identifier": "123456",
    }

    response = client.post(NEW, form_data(name="Mine", summary="Mine.", members=[member]))

    assert response.status_code == 302
    created = Partnership.objects.get(name="Mine").memberships.get().organisation
    assert created.name == "Bolton College"
    assert held(created) == [(Scheme.COMPANY, "00123456")]


def test_an_invalid_identifier_is_explained_and_everything_typed_is_kept(client, user):
    member = {
        "name": "Bolton College",
        "town": "Bolton",
        "sector": Sector.FURTHER_EDUCATION,
        "identifier_scheme": Scheme.CHARITY_SC,
        "identifier": "SC12",
    }

    response = client.post(NEW, form_data(name="Mine", summary="Mine.", members=[member]))

    content = response.content.decode()
    assert response.status_code == 400
    assert (
        "Member 1: Identifier: “SC12” is not a valid charity number (Scotland): a Scottish "
        "charity number is SC and 6 digits, such as SC012345."
    ) in content
    assert input_value(content, "members-0-identifier") == "SC12"
    assert input_value(content, "members-0-name") == "Bolton College"
    assert '<option value="charity-sc" selected>' in content
    assert not Organisation.objects.filter(name="Bolton College").exists()


def test_an_identifier_without_its_type_asks_for_the_type(client, user):
    member = {
        "name": "Bolton College",
        "town": "Bolton",
        "sector": Sector.FURTHER_EDUCATION,
        "identifier": "1123456",
    }
    response = client.post(NEW, form_data(name="Mine", summary="Mine.", members=[member]))
    assert response.status_code == 400
    assert "Choose the type of the identifier, or clear the identifier." in text(response)


def test_two_new_organisations_cannot_be_given_one_identifier(client, user):
    row = {"town": "Bolton", "sector": Sector.VOLUNTARY, "identifier_scheme": Scheme.CHARITY_EW}
    members = [
        {**row, "name": "Friends of Bolton Library", "identifier": "1123456"},
        {**row, "name": "Bolton Readers", "identifier": "1 123 456"},
    ]
    response = client.post(NEW, form_data(name="Mine", summary="Mine.", members=members))
    assert response.status_code == 400
    assert "Another row gives this identifier" in text(response)
    assert not OrganisationIdentifier.objects.exists()


def test_an_identifier_of_an_organisation_the_lead_may_not_see_reveals_nothing(client, user):
    hidden = someone_elses_draft_naming("DraftOrg Alpha", "Bolton")
    identify(hidden, Scheme.ODS, "RXX")
    member = {
        "name": "Another name",
        "town": "Leigh",
        "sector": Sector.NHS,
        "identifier_scheme": Scheme.ODS,
        "identifier": "rxx",
    }

    response = client.post(NEW, form_data(name="Mine", summary="Mine.", members=[member]))

    # Saved as for any identifier new to the directory, without linking the hidden one; the
    # identifier stays with its holder, and a curator's merge of the two brings it together.
    assert response.status_code == 302
    created = Partnership.objects.get(name="Mine").memberships.get().organisation
    assert created != hidden
    assert held(created) == []
    assert held(hidden) == [(Scheme.ODS, "RXX")]

    # Without a name, the row asks for one, as for an identifier nobody holds.
    nameless = {"identifier_scheme": Scheme.ODS, "identifier": "RXX"}
    response = client.post(NEW, form_data(name="Mine 2", summary="Mine.", members=[nameless]))
    content = text(response)
    assert "Enter the organisation&#x27;s name, or clear this row." in content
    assert "DraftOrg" not in content
