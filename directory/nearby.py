"""Organisations near a place: "find partners near you" and an organisation page's "Organisations
near here". Only public organisations (members of published partnerships) are listed, each with
the published partnerships it is in, read for a whole page at once."""

from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from partnerships.languages import localised_name
from partnerships.models import Membership, Organisation, PublicationState, Sector
from partnerships.public_records import PageAddress

# "Find NHS libraries near here": each sector as a plural, for the links from an organisation.
SECTOR_PLURALS = {
    Sector.NHS: _("NHS trust and health libraries"),
    Sector.PUBLIC_LIBRARY: _("public libraries"),
    Sector.ACADEMIC: _("academic libraries"),
    Sector.FURTHER_EDUCATION: _("further education colleges"),
    Sector.LOCAL_AUTHORITY: _("local authority and public health teams"),
    Sector.SOCIAL_CARE: _("social care organisations"),
    Sector.VOLUNTARY: _("voluntary and community organisations"),
    Sector.PATIENT_VOICE: _("patient and public voice groups"),
    Sector.GOVERNMENT: _("government and national bodies"),
    Sector.OTHER: _("other organisations"),
}
# An organisation page lists at most this many neighbours, within this distance.
NEIGHBOURS = 10
NEIGHBOURS_KM = 25


def public_organisations_near(latitude, longitude, km, *, sector=""):
    """Public, located organisations within `km` of the point, nearest first, each annotated
    with `distance_km`, with their region; of `sector` only, when given."""
    organisations = Organisation.objects.public().select_related("region")
    if sector:
        organisations = organisations.filter(sector=sector)
    return organisations.near(latitude, longitude, km)


def with_partnerships(organisations):
    """The `organisations` (a list), each given `published_partnerships`: [(name, url), ...] of
    the published partnerships it is a member of, by name (the Welsh name on Welsh pages when
    there is one). One query, whatever their number."""
    by_organisation = defaultdict(list)
    page_address = PageAddress()
    ids = [organisation.pk for organisation in organisations]
    if ids:
        rows = (
            Membership.objects.filter(
                organisation_id__in=ids,
                partnership__publication_state=PublicationState.PUBLISHED,
            )
            .order_by("partnership__name", "partnership_id")
            .values_list(
                "organisation_id", "partnership__name", "partnership__name_cy", "partnership__slug"
            )
        )
        for organisation_id, name, name_cy, slug in rows:
            by_organisation[organisation_id].append(
                (localised_name(name, name_cy), page_address(slug))
            )
    for organisation in organisations:
        organisation.published_partnerships = by_organisation[organisation.pk]
    return organisations


def neighbours_of(organisation):
    """The nearest public organisations within NEIGHBOURS_KM of `organisation` (located), at
    most NEIGHBOURS of them, itself left out."""
    return list(
        public_organisations_near(
            organisation.latitude, organisation.longitude, NEIGHBOURS_KM
        ).exclude(pk=organisation.pk)[:NEIGHBOURS]
    )


def sector_links(organisation):
    """(sector value, "NHS trust and health libraries") for each sector, the organisation's own
    last: what a public library is most likely looking for comes first."""
    own = organisation.sector
    return [(value, SECTOR_PLURALS[value]) for value in Sector.values if value != own] + [
        (own, SECTOR_PLURALS.get(own, SECTOR_PLURALS[Sector.OTHER]))
    ]


def near_text(organisation):
    """What "Find ... near here" puts in the Near box for a located `organisation`: its town,
    with its region as a hint for towns that share a name ("Newport, Wales"), or its point when
    it has no town."""
    if organisation.town:
        if organisation.region_id:
            return f"{organisation.town}, {organisation.region.name}"
        return organisation.town
    return f"{organisation.latitude:.5f},{organisation.longitude:.5f}"
