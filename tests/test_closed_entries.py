"""Entries that are no longer listed keep an address: a closed (archived) partnership has a page
saying so, a merged one redirects to the one it was merged into, and nothing unpublished ever
leaks through either."""

import pytest
from django.urls import reverse
from django.utils import timezone

from partnerships import merging, services
from partnerships.models import Partnership, PublicationState, Region
from tests.factories import make_agreement, make_contact, make_moderator, make_partnership

pytestmark = pytest.mark.django_db


def closed_partnership(**fields):
    """A partnership that was published, confirmed, and then archived."""
    partnership = make_partnership(
        name="Wigan Reading Network",
        summary="A summary that is no longer shown.",
        description="A description that is no longer shown.",
        area_name="Wigan",
        region=Region.objects.get(slug="north-west"),
        established_year=2014,
        last_verified_at=timezone.now() - timezone.timedelta(days=400),
        **fields,
    )
    make_contact(partnership, name="Jo Lead", email="jo.lead@example.org", is_lead=True)
    make_agreement(partnership, title="Wigan memorandum")
    services.archive_partnerships(Partnership.objects.filter(pk=partnership.pk))
    return partnership


def test_a_closed_partnership_says_so_with_status_410_and_nothing_private(client):
    partnership = closed_partnership()

    response = client.get(partnership.get_absolute_url())

    assert response.status_code == 410
    content = response.text
    assert content.count("<h1") == 1
    assert "<h1>Wigan Reading Network</h1>" in content
    assert "no longer listed in the directory" in content
    assert "2014" in content
    assert '<meta name="robots" content="noindex">' in content
    assert f'href="{reverse("directory:home")}"' in content
    for hidden in ["summary that is no longer", "description that is no", "Jo Lead",
                   "jo.lead@example.org", "Wigan memorandum"]:  # fmt: skip
        assert hidden not in content


def test_a_closed_partnership_is_in_no_list_search_map_or_download(client):
    closed_partnership()
    make_partnership(name="Wigan Health Libraries", area_name="Wigan", latitude=53.5,
                     longitude=-2.6)  # fmt: skip

    listed = client.get("/", {"q": "Wigan"}).text
    region = client.get(Region.objects.get(slug="north-west").get_absolute_url()).text
    csv = b"".join(client.get("/export.csv").streaming_content).decode()
    geojson = b"".join(client.get("/export.geojson").streaming_content).decode()

    assert "Wigan Health Libraries" in listed and "Wigan Health Libraries" in csv
    for text in (listed, region, csv, geojson):
        assert "Wigan Reading Network" not in text


@pytest.mark.parametrize(
    "state",
    [PublicationState.DRAFT, PublicationState.PENDING, PublicationState.CHANGES_REQUESTED],
)
def test_unpublished_entries_are_still_a_404(client, state):
    partnership = make_partnership(publication_state=state, last_verified_at=timezone.now())

    assert client.get(partnership.get_absolute_url()).status_code == 404


def test_a_rejected_submission_is_a_404_not_a_closed_page(client):
    partnership = make_partnership(publication_state=PublicationState.DRAFT)
    editor = make_moderator()
    partnership.editors.add(editor)
    services.submit_for_review(partnership, user=editor)
    services.reject(partnership, moderator=make_moderator(), reason="Not a partnership.")
    partnership.refresh_from_db()
    assert partnership.publication_state == PublicationState.ARCHIVED

    assert client.get(partnership.get_absolute_url()).status_code == 404


def test_the_contact_form_of_a_closed_partnership_is_a_404(client):
    partnership = closed_partnership()

    assert client.get(reverse("directory:contact", args=[partnership.slug])).status_code == 404


def test_a_partnership_merged_into_a_closed_one_leads_to_its_closed_page(client):
    survivor = make_partnership(name="Wigan network", last_verified_at=timezone.now())
    other = make_partnership(name="The Wigan network")
    merging.merge_partnerships(survivor=survivor, other=other, choices={}, user=None)
    services.archive_partnerships(Partnership.objects.filter(pk=survivor.pk))

    response = client.get(other.get_absolute_url(), follow=True)

    assert response.redirect_chain == [(survivor.get_absolute_url(), 301)]
    assert response.status_code == 410


def test_a_partnership_merged_into_an_unpublished_one_is_a_404(client):
    survivor = make_partnership(name="Wigan network", publication_state=PublicationState.DRAFT)
    other = make_partnership(name="The Wigan network", publication_state=PublicationState.DRAFT)
    merging.merge_partnerships(survivor=survivor, other=other, choices={}, user=None)

    assert client.get(other.get_absolute_url()).status_code == 404
