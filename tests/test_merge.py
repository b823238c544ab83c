"""Merging duplicate organisations and partnerships (partnerships/merging.py) and the curators'
screens around it (curation/): the possible duplicates page, "not duplicates", the merge form,
its confirmation and its result."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curation import duplicates
from partnerships import history, matching, merging, services
from partnerships.models import (
    Activity,
    ChangeKind,
    CommunicationChannel,
    DuplicateCandidate,
    Membership,
    NotDuplicate,
    Organisation,
    Partnership,
    PublicationState,
    Revision,
    RevisionState,
    Role,
    Version,
)
from partnerships.snapshots import snapshot_of
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
def curator():
    return make_moderator()


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


def trust_pair():
    """One hospital trust typed two ways by two leads, in the same town."""
    short = make_organisation(name="Bolton NHS FT", town="Bolton", sector="nhs")
    full = make_organisation(
        name="Bolton NHS Foundation Trust",
        town="Bolton",
        sector="nhs",
        website="https://www.boltonft.nhs.uk/",
    )
    return short, full


def member(partnership, organisation, role=Role.MEMBER, joined_year=None):
    return Membership.objects.create(
        partnership=partnership, organisation=organisation, role=role, joined_year=joined_year
    )


def version():
    return services.published_data_version()


# Merging organisations --------------------------------------------------------------------------


def test_two_memberships_of_one_partnership_become_one_with_the_stronger_role():
    short, full = trust_pair()
    partnership = make_partnership(name="Bolton Health Information Partnership")
    member(partnership, short, Role.MEMBER, joined_year=2015)
    member(partnership, full, Role.LEAD, joined_year=2018)
    other_partnership = make_partnership(name="Bolton Health Information Week")
    member(other_partnership, short, Role.ASSOCIATE)

    result = merging.merge_organisations(
        survivor=short, other=full, choices={}, user=make_moderator()
    )

    kept = partnership.memberships.get()
    assert (kept.organisation, kept.role, kept.joined_year) == (short, Role.LEAD, 2015)
    assert other_partnership.memberships.get().organisation == short
    assert not full.memberships.exists()
    assert result.folded == 1
    assert result.before_survivor == merging.Counts(members=2, contacts=0, agreements=0)
    assert result.before_other == merging.Counts(members=1, contacts=0, agreements=0)
    assert result.after == merging.Counts(members=2, contacts=0, agreements=0)
    assert set(result.partnerships) == {partnership}


def test_contacts_agreement_parties_and_open_revisions_move_to_the_survivor():
    short, full = trust_pair()
    libraries = make_organisation(name="Bolton Libraries", town="Bolton")
    partnership = make_partnership()
    member(partnership, full, Role.LEAD)
    member(partnership, libraries)
    contact = make_contact(partnership, organisation=full)
    elsewhere = make_partnership()
    member(elsewhere, short)
    both = make_agreement(elsewhere)
    both.parties.set([short, full])
    theirs = make_agreement(partnership)
    theirs.parties.set([full, libraries])
    # An edit waiting for review names the trust as a member, a contact's employer and a party;
    # a revision already decided is history and stays as it was.
    editor = make_user()
    partnership.editors.add(editor)
    data = snapshot_of(partnership)
    data["members"].append({"organisation": short.pk, "role": Role.MEMBER, "joined_year": 2020})
    services.save_edit(partnership, data=data, user=editor)
    services.submit_for_review(partnership, user=editor)
    decided = Revision.objects.create(
        partnership=elsewhere, data={"members": [{"organisation": full.pk, "role": "lead"}]},
        state=RevisionState.APPROVED,
    )  # fmt: skip

    result = merging.merge_organisations(
        survivor=short, other=full, choices={}, user=make_moderator()
    )

    contact.refresh_from_db()
    assert contact.organisation == short
    assert set(both.parties.all()) == {short}
    assert set(theirs.parties.all()) == {short, libraries}
    proposal = partnership.revisions.pending().get().data
    assert proposal["members"] == [
        {"organisation": short.pk, "role": Role.LEAD, "joined_year": 2020},
        {"organisation": libraries.pk, "role": Role.MEMBER, "joined_year": None},
    ]
    assert [c["organisation"] for c in proposal["contacts"]] == [short.pk]
    assert proposal["agreements"][0]["parties"] == sorted([short.pk, libraries.pk])
    decided.refresh_from_db()
    assert decided.data["members"][0]["organisation"] == full.pk
    assert result.revisions == 1
    assert result.before_survivor == merging.Counts(members=1, contacts=0, agreements=1)
    assert result.before_other == merging.Counts(members=1, contacts=1, agreements=2)
    assert result.after == merging.Counts(members=2, contacts=1, agreements=2)
    assert set(result.partnerships) == {partnership, elsewhere}


def test_the_survivor_takes_the_chosen_values_and_the_other_is_kept_as_it_was_marked_merged():
    short, full = trust_pair()
    before = version()

    merging.merge_organisations(
        survivor=short,
        other=full,
        choices={"name": merging.OTHER, "website": merging.OTHER, "town": merging.SURVIVOR},
        user=make_moderator(),
    )

    short.refresh_from_db()
    full.refresh_from_db()
    assert (short.name, short.slug, short.website) == (
        "Bolton NHS Foundation Trust",
        "bolton-nhs-ft",
        "https://www.boltonft.nhs.uk/",
    )
    assert short.merged_into is None
    assert full.name == "Bolton NHS Foundation Trust"
    assert full.merged_into == short
    assert full.merged_at is not None
    assert Organisation.objects.current().get(name="Bolton NHS Foundation Trust") == short
    assert version() == before + 1


def test_a_merge_that_cannot_be_done_changes_nothing():
    short, full = trust_pair()
    merging.merge_organisations(survivor=short, other=full, choices={}, user=None)
    third = make_organisation(name="Bolton Foundation Trust", town="Bolton")
    before = version()

    for survivor, other in [(third, full), (full, third), (third, third)]:
        with pytest.raises(merging.MergeRefused):
            merging.merge_organisations(survivor=survivor, other=other, choices={}, user=None)
    with pytest.raises(merging.MergeRefused, match="Unknown fields: slug"):
        merging.merge_organisations(
            survivor=third, other=short, choices={"slug": merging.OTHER}, user=None
        )

    short.refresh_from_db()
    assert short.merged_into is None
    assert version() == before


def test_a_merged_organisations_old_address_redirects_permanently_to_the_survivor(client):
    short, full = trust_pair()
    member(make_partnership(), short)
    member(make_partnership(), full)
    third = make_organisation(name="Bolton Foundation Trust", town="Bolton")
    old_url = full.get_absolute_url()
    assert client.get(old_url).status_code == 200

    merging.merge_organisations(survivor=short, other=full, choices={}, user=None)
    merging.merge_organisations(survivor=third, other=short, choices={}, user=None)
    member(make_partnership(), third)

    for merged in (full, short):
        response = client.get(merged.get_absolute_url())
        assert response.status_code == 301
        assert response["Location"] == third.get_absolute_url()
    assert client.get(third.get_absolute_url()).status_code == 200


def test_a_merged_organisation_never_redirects_to_one_the_public_cannot_see(client):
    short, full = trust_pair()
    member(make_partnership(publication_state=PublicationState.DRAFT), short)
    member(make_partnership(publication_state=PublicationState.PENDING), full)

    merging.merge_organisations(survivor=short, other=full, choices={}, user=None)

    assert client.get(full.get_absolute_url()).status_code == 404


def test_an_organisation_merge_is_one_version_on_each_side_and_of_each_partnership_it_touched():
    short, full = trust_pair()
    partnership = make_partnership()
    member(partnership, full)
    curator = make_moderator()

    result = merging.merge_organisations(
        survivor=short, other=full, choices={}, user=curator, reason="One trust, two spellings"
    )

    for entry in (short, full, partnership):
        merges = Version.objects.of(entry).filter(change_set__kind=ChangeKind.MERGE)
        assert merges.count() == 1, entry
        assert merges.get().change_set == result.change_set
    assert result.change_set.author == curator
    assert result.change_set.reason == "One trust, two spellings"


def test_undoing_an_organisation_merge_puts_both_back_as_they_were(client):
    short, full = trust_pair()
    libraries = make_organisation(name="Bolton Libraries", town="Bolton")
    partnership = make_partnership(name="Bolton Health Information Partnership")
    member(partnership, short, Role.MEMBER, joined_year=2015)
    member(partnership, full, Role.LEAD, joined_year=2018)
    member(partnership, libraries)
    contact = make_contact(partnership, organisation=full)
    agreement = make_agreement(partnership)
    agreement.parties.set([full, libraries])
    before = snapshot_of(partnership)
    old_url = full.get_absolute_url()

    result = merging.merge_organisations(
        survivor=short, other=full, choices={"website": merging.OTHER}, user=make_moderator()
    )
    assert client.get(old_url).status_code == 301

    history.undo(result.change_set, user=make_moderator())

    full.refresh_from_db()
    short.refresh_from_db()
    assert full.merged_into is None and full.merged_at is None
    assert short.website == ""
    assert client.get(old_url).status_code == 200
    assert full in Organisation.objects.public()
    roles = {m.organisation: (m.role, m.joined_year) for m in partnership.memberships.all()}
    assert roles == {
        short: (Role.MEMBER, 2015),
        full: (Role.LEAD, 2018),
        libraries: (Role.MEMBER, None),
    }
    assert partnership.contacts.get(name=contact.name).organisation == full
    assert set(partnership.agreements.get().parties.all()) == {full, libraries}
    after = snapshot_of(partnership)
    # The same entry, though rows deleted by the merge come back with new ids (and so later).
    for key in ("fields", "activities", "channels"):
        assert after[key] == before[key], key
    by_organisation = lambda members: sorted(members, key=lambda m: m["organisation"])  # noqa: E731
    assert by_organisation(after["members"]) == by_organisation(before["members"])


def test_undoing_a_partnership_merge_brings_the_other_back_with_what_it_had(client):
    network, copy = partnership_pair()
    trust, college = make_organisation(), make_organisation()
    member(network, trust)
    member(copy, trust, Role.LEAD)
    member(copy, college)
    make_agreement(copy, title="Our memorandum")
    old_url = copy.get_absolute_url()
    result = merging.merge_partnerships(survivor=network, other=copy, choices={}, user=None)
    assert client.get(old_url).status_code == 301

    history.undo(result.change_set, user=make_moderator())

    copy.refresh_from_db()
    network.refresh_from_db()
    assert (copy.publication_state, copy.merged_into) == (PublicationState.PUBLISHED, None)
    assert client.get(old_url).status_code == 200
    assert {m.organisation: m.role for m in copy.memberships.all()} == {
        trust: Role.LEAD,
        college: Role.MEMBER,
    }
    assert [a.title for a in copy.agreements.all()] == ["Our memorandum"]
    assert {m.organisation for m in network.memberships.all()} == {trust}
    assert not network.agreements.exists()


def test_a_curator_undoes_a_merge_from_its_result_page(curator_client, client):
    short, full = trust_pair()
    partnership = make_partnership()
    member(partnership, short)
    # "first" is the lower id: the trust typed in full survives.
    choices = {
        "survivor": "second",
        "field_name": "second",
        "field_website": "second",
        "confirm": "yes",
    }
    done = curator_client.post(merge_url("organisations", short, full), choices)
    assert done.status_code == 302
    result_page = curator_client.get(done["Location"])
    undo_url = result_page.context["undo_url"]
    assert undo_url and undo_url in result_page.text

    page = curator_client.get(undo_url)
    assert page.status_code == 200
    assert short.name in page.text and partnership.name in page.text
    undone_page = curator_client.post(undo_url, {"reason": "Not the same trust after all"})

    assert undone_page.status_code == 302
    short.refresh_from_db()
    assert short.merged_into is None
    assert partnership.memberships.get().organisation == short
    undone = Version.objects.of(short).newest_first().first().change_set
    assert (undone.kind, undone.reason) == (ChangeKind.RESTORE, "Not the same trust after all")


# Merging partnerships ---------------------------------------------------------------------------


def partnership_pair():
    network = make_partnership(
        name="Bolton Health Information Partnership",
        area_name="Bolton",
        summary="The network.",
        last_verified_at=timezone.now() - timezone.timedelta(days=30),
    )
    copy = make_partnership(
        name="Bolton Health Information Network",
        area_name="Bolton",
        summary="The same network, registered again.",
        website="https://bolton-hip.example.org/",
        last_verified_at=timezone.now(),
    )
    return network, copy


def test_merging_partnerships_moves_members_contacts_agreements_and_editors():
    network, copy = partnership_pair()
    trust, libraries, college = (make_organisation() for _ in range(3))
    member(network, trust, Role.MEMBER, joined_year=2012)
    member(network, libraries)
    member(copy, trust, Role.LEAD, joined_year=2019)
    member(copy, college, Role.ASSOCIATE)
    make_contact(network)
    moved_contact = make_contact(copy, organisation=college)
    moved_agreement = make_agreement(copy)
    moved_agreement.parties.set([college])
    week = Activity.objects.get(slug="health-information-week")
    copy.activities.add(week)
    copy.channels.add(CommunicationChannel.objects.first())
    their_editor = make_user()
    copy.editors.add(their_editor)
    before = version()

    result = merging.merge_partnerships(
        survivor=network, other=copy, choices={"website": merging.OTHER}, user=make_moderator()
    )

    network.refresh_from_db()
    copy.refresh_from_db()
    roles = {m.organisation: (m.role, m.joined_year) for m in network.memberships.all()}
    assert roles == {
        trust: (Role.LEAD, 2012),
        libraries: (Role.MEMBER, None),
        college: (Role.ASSOCIATE, None),
    }
    assert moved_contact in network.contacts.all()
    assert moved_agreement in network.agreements.all()
    assert set(moved_agreement.parties.all()) == {college}
    assert week in network.activities.all()
    assert network.channels.count() == 1
    assert their_editor in network.editors.all()
    assert network.website == "https://bolton-hip.example.org/"
    assert network.summary == "The network."
    assert network.last_verified_at == copy.last_verified_at
    assert (copy.publication_state, copy.merged_into) == (PublicationState.MERGED, network)
    assert copy.name == "Bolton Health Information Network"
    assert result.before_survivor == merging.Counts(members=2, contacts=1, agreements=0)
    assert result.before_other == merging.Counts(members=2, contacts=1, agreements=1)
    assert result.after == merging.Counts(members=3, contacts=2, agreements=1)
    assert result.folded == 1
    assert result.partnerships == [network, copy]
    assert version() == before + 1


def test_a_merged_partnership_leaves_every_list_and_its_address_redirects(client):
    network, copy = partnership_pair()
    editor = make_user()
    copy.editors.add(editor)
    old_url = copy.get_absolute_url()

    merging.merge_partnerships(survivor=network, other=copy, choices={}, user=None)

    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == network.get_absolute_url()
    assert copy not in Partnership.objects.published()
    export = b"".join(client.get("/export.csv").streaming_content).decode()
    assert "Bolton Health Information Partnership" in export
    assert "Bolton Health Information Network" not in export
    assert "Bolton Health Information Network" not in client.get("/").text
    client.force_login(editor)
    mine = client.get(reverse("editor:my_partnerships")).text
    assert "Bolton Health Information Partnership" in mine
    assert "Bolton Health Information Network" not in mine
    assert client.get(reverse("editor:edit", args=[copy.pk])).status_code == 404


def test_the_survivors_open_revision_keeps_what_moved_in():
    network, copy = partnership_pair()
    trust = make_organisation()
    member(copy, trust, Role.LEAD)
    moved = make_contact(copy)
    editor = make_user()
    network.editors.add(editor)
    data = snapshot_of(network)
    data["fields"]["description"] = "Proposed by the editors."
    services.save_edit(network, data=data, user=editor)

    merging.merge_partnerships(
        survivor=network,
        other=copy,
        choices={"summary": merging.OTHER, "description": merging.OTHER},
        user=None,
    )
    services.submit_for_review(network, user=editor)
    services.approve(network, moderator=make_moderator())

    network.refresh_from_db()
    assert network.summary == "The same network, registered again."
    assert network.description == "Proposed by the editors."
    assert network.memberships.get().organisation == trust
    assert list(network.contacts.all()) == [moved]


@pytest.mark.parametrize("problem", ["unpublished survivor", "other being edited"])
def test_a_partnership_merge_that_would_lose_something_is_refused(problem):
    network, copy = partnership_pair()
    if problem == "unpublished survivor":
        Partnership.objects.filter(pk=network.pk).update(publication_state=PublicationState.PENDING)
        network.refresh_from_db()
    else:
        services.save_edit(copy, data=snapshot_of(copy), user=make_user())

    with pytest.raises(merging.MergeRefused):
        merging.merge_partnerships(survivor=network, other=copy, choices={}, user=None)

    copy.refresh_from_db()
    assert copy.publication_state == PublicationState.PUBLISHED


def test_a_merged_partnership_cannot_be_archived_published_or_submitted():
    network, copy = partnership_pair()
    merging.merge_partnerships(survivor=network, other=copy, choices={}, user=None)

    assert services.archive_partnerships(Partnership.objects.all()) == 1
    assert services.publish_partnerships(Partnership.objects.all()) == 1
    copy.refresh_from_db()
    with pytest.raises(ValueError, match="merged"):
        services.submit_for_review(copy, user=make_user())
    copy.refresh_from_db()
    assert copy.publication_state == PublicationState.MERGED


# The possible duplicates page -------------------------------------------------------------------


def duplicates_url(**query):
    url = reverse("curation:duplicates")
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def test_the_page_lists_pairs_best_first_with_why_they_match(curator_client):
    typo = make_organisation(name="Doncaster Libaries", town="Doncaster")
    libraries = make_organisation(name="Doncaster Libraries", town="Doncaster")
    short, full = trust_pair()
    matching.refresh_duplicate_candidates()

    response = curator_client.get(duplicates_url())

    assert response.status_code == 200
    pairs = list(response.context["page"])
    assert [pair.entries for pair in pairs] == [(short, full), (typo, libraries)]
    assert [pair.score for pair in pairs] == [100, 86]
    content = response.text
    assert "Names match after normalising: “bolton”" in content
    assert "Same town: Bolton" in content
    assert content.index("Bolton NHS FT") < content.index("Doncaster Libaries")
    merge_url = reverse("curation:merge", args=["organisations", short.pk, full.pk])
    assert f'href="{merge_url}"' in content
    assert reverse("curation:not_duplicates", args=["organisations", short.pk, full.pk]) in content


def test_the_partnerships_tab_lists_partnership_pairs(curator_client):
    trust_pair()
    network, copy = partnership_pair()
    matching.refresh_duplicate_candidates()

    response = curator_client.get(duplicates_url(kind="partnerships"))

    assert [pair.entries for pair in response.context["page"]] == [(network, copy)]
    assert 'aria-current="page">Partnerships<' in response.text


def make_pairs(n, start=0):
    for i in range(start, start + n):
        make_organisation(name=f"Library {i} of Wigan", town="Wigan")
        make_organisation(name=f"Wigan Library {i}", town="Wigan")
        network = make_partnership(name=f"Network {i}", area_name=f"Town {i}")
        copy = make_partnership(name=f"The network {i}", area_name=f"Town {i}")
        network.region = copy.region = None
    matching.refresh_duplicate_candidates()


@pytest.mark.parametrize("kind", ["organisations", "partnerships"])
def test_the_page_costs_the_same_queries_for_2_or_20_pairs(curator_client, kind):
    make_pairs(2)
    with CaptureQueriesContext(connection) as few:
        assert curator_client.get(duplicates_url(kind=kind)).status_code == 200
    make_pairs(18, start=2)
    assert DuplicateCandidate.objects.filter(kind=kind[:-1]).count() == 20

    with CaptureQueriesContext(connection) as many:
        response = curator_client.get(duplicates_url(kind=kind))

    assert len(response.context["page"]) == 20
    assert len(many) == len(few)


def test_the_page_runs_a_fixed_number_of_queries(curator_client, django_assert_num_queries):
    make_pairs(3)
    # Session, user, the user's two permission reads, the moderation link's count, the last
    # scan, the number of pairs and one page of pairs with both entries.
    with django_assert_num_queries(8):
        curator_client.get(duplicates_url())


def test_the_page_is_paginated(curator_client, monkeypatch):
    monkeypatch.setattr(duplicates, "PAGE_SIZE", 2)
    make_pairs(3)

    response = curator_client.get(duplicates_url(kind="organisations", page=2))

    assert len(response.context["page"]) == 1
    assert "Page 2 of 2" in response.text


def test_not_duplicates_removes_the_pair_for_good(curator_client, curator):
    short, full = trust_pair()
    matching.refresh_duplicate_candidates()
    url = reverse("curation:not_duplicates", args=["organisations", full.pk, short.pk])

    assert curator_client.get(url).status_code == 405
    response = curator_client.post(url, {"page": "1"})

    assert response.status_code == 302
    assert response["Location"] == duplicates_url(kind="organisations")
    assert NotDuplicate.objects.get().decided_by == curator
    assert not DuplicateCandidate.objects.exists()
    listed = curator_client.get(response["Location"])
    assert "will not be suggested as duplicates again" in listed.text
    matching.refresh_duplicate_candidates()
    assert "Bolton NHS FT" not in curator_client.get(duplicates_url()).text


def test_looking_again_runs_in_the_background_or_at_once(curator_client, settings):
    trust_pair()
    url = reverse("curation:duplicates_scan")

    response = curator_client.post(url, {"kind": "organisations"}, follow=True)
    assert "Looking for duplicates again in the background" in response.text
    assert not DuplicateCandidate.objects.exists()

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    response = curator_client.post(url, {"kind": "organisations"}, follow=True)
    assert "1 pairs of organisations and 0 pairs of partnerships" in response.text
    assert DuplicateCandidate.objects.count() == 1


# The merge screens ------------------------------------------------------------------------------


def merge_url(kind, first, second):
    return reverse("curation:merge", args=[kind, first.pk, second.pk])


def test_the_merge_form_shows_both_values_of_each_differing_field(curator_client):
    short, full = trust_pair()
    partnership = make_partnership()
    member(partnership, short)
    member(partnership, full)

    response = curator_client.get(merge_url("organisations", short, full))

    assert response.status_code == 200
    form = response.context["form"]
    assert [choice.name for choice, _field in form.field_rows()] == ["name", "website"]
    content = response.text
    assert "https://www.boltonft.nhs.uk/" in content
    assert "(empty)" in content
    assert "1 place lists both of them" in content


def test_a_curator_merges_two_organisations_through_check_and_result(curator_client, client):
    short, full = trust_pair()
    partnership = make_partnership()
    member(partnership, short, Role.MEMBER)
    member(partnership, full, Role.LEAD)
    make_contact(partnership, organisation=full)
    choices = {"survivor": "second", "field_name": "second", "field_website": "first"}

    check = curator_client.post(merge_url("organisations", short, full), choices)

    assert check.status_code == 200
    assert "Check the merge" in check.text
    assert f"“Bolton NHS FT” (#{short.pk}) will be merged into" in check.text
    assert not Organisation.objects.filter(merged_into__isnull=False).exists()
    counts = check.context["preview"]
    assert (counts.first, counts.second, counts.after) == (
        merging.Counts(1, 0, 0),
        merging.Counts(1, 1, 0),
        merging.Counts(1, 1, 0),
    )

    done = curator_client.post(
        merge_url("organisations", short, full), {**choices, "confirm": "yes"}
    )

    assert done.status_code == 302
    short.refresh_from_db()
    full.refresh_from_db()
    assert short.merged_into == full
    assert full.website == ""
    assert partnership.memberships.get().role == Role.LEAD
    result = curator_client.get(done["Location"])
    assert result.status_code == 200
    assert [row[1] for row in result.context["columns"]] == [
        {"members": 1, "contacts": 1, "agreements": 0},
        {"members": 1, "contacts": 0, "agreements": 0},
        {"members": 1, "contacts": 1, "agreements": 0},
    ]
    assert short.get_absolute_url() in result.text
    assert "1 place listed both" in result.text
    assert client.get(short.get_absolute_url())["Location"] == full.get_absolute_url()


def test_a_curator_merges_two_partnerships(curator_client, client):
    network, copy = partnership_pair()
    choices = {"survivor": "first", "field_name": "first", "field_summary": "second",
               "field_website": "second", "confirm": "yes"}  # fmt: skip

    response = curator_client.post(merge_url("partnerships", network, copy), choices)

    assert response.status_code == 302
    network.refresh_from_db()
    assert network.summary == "The same network, registered again."
    assert client.get(copy.get_absolute_url())["Location"] == network.get_absolute_url()


def test_the_merge_form_says_why_a_merge_cannot_be_done(curator_client):
    network, copy = partnership_pair()
    services.save_edit(copy, data=snapshot_of(copy), user=make_user())

    response = curator_client.post(
        merge_url("partnerships", network, copy),
        {"survivor": "first", "field_name": "first", "field_summary": "first",
         "field_website": "first", "confirm": "yes"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "have changes that are not yet published" in response.text
    assert not Partnership.objects.filter(publication_state=PublicationState.MERGED).exists()


def test_a_tampered_result_address_shows_no_counts(curator_client):
    short, full = trust_pair()
    merging.merge_organisations(survivor=short, other=full, choices={}, user=None)
    url = reverse("curation:merged", args=["organisations", full.pk])

    response = curator_client.get(f"{url}?result=forged")

    assert response.status_code == 200
    assert response.context["summary"] is None
    assert (
        curator_client.get(reverse("curation:merged", args=["organisations", short.pk])).status_code
        == 404
    )


# Who may ---------------------------------------------------------------------------------------


def curation_urls():
    short, full = trust_pair()
    change_set = history.record(short, kind=ChangeKind.ADMIN_EDIT).change_set
    return [
        ("get", duplicates_url()),
        ("post", reverse("curation:duplicates_scan")),
        ("post", reverse("curation:not_duplicates", args=["organisations", short.pk, full.pk])),
        ("get", merge_url("organisations", short, full)),
        ("post", merge_url("organisations", short, full)),
        ("get", reverse("curation:merged", args=["organisations", short.pk])),
        ("get", reverse("curation:undo_change", args=[change_set.pk])),
        ("post", reverse("curation:undo_change", args=[change_set.pk])),
    ]


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for method, url in curation_urls():
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


@pytest.mark.parametrize("who", ["editor", "staff without the permission"])
def test_everyone_but_curators_gets_a_404(client, who):
    user = make_user(is_staff=who != "editor")
    partnership = make_partnership()
    partnership.editors.add(user)
    client.force_login(user)

    for method, url in curation_urls():
        assert getattr(client, method)(url).status_code == 404, url
    assert not NotDuplicate.objects.exists()


def test_an_unknown_kind_or_entry_is_a_404(curator_client):
    short, full = trust_pair()

    assert (
        curator_client.get(
            reverse("curation:merge", args=["people", short.pk, full.pk])
        ).status_code
        == 404
    )
    assert (
        curator_client.get(
            reverse("curation:merge", args=["organisations", short.pk, 999_999])
        ).status_code
        == 404
    )
    assert (
        curator_client.get(
            reverse("curation:merge", args=["organisations", short.pk, short.pk])
        ).status_code
        == 404
    )


def test_a_partnership_cannot_be_marked_merged_or_brought_back_by_hand():
    from django.core.exceptions import ValidationError

    network, copy = partnership_pair()
    network.publication_state = PublicationState.MERGED
    with pytest.raises(ValidationError, match="Only a merge"):
        network.full_clean()

    merging.merge_partnerships(survivor=network, other=copy, choices={}, user=None)
    copy.refresh_from_db()
    copy.publication_state = PublicationState.PUBLISHED
    with pytest.raises(ValidationError, match="Only a merge"):
        copy.full_clean()
