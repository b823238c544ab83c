"""The domain: partnerships, the organisations in them, their contacts and agreements, and the
vocabularies and gazetteer they are described with."""

import secrets
import uuid
from functools import reduce
from operator import and_
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    StringAgg,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerships import identifiers
from partnerships.distance import NearQuerySet
from partnerships.identifiers import Scheme
from partnerships.languages import Bilingual
from partnerships.mapgrid import FineCell
from partnerships.search import (
    CONFIG,
    MEMBER_NAME_SEPARATOR,
    WELSH_CONFIG,
    SearchDocument,
    SearchDocumentField,
    SearchIndex,
    search_words,
)

FIRST_YEAR = 1900
LAST_YEAR = 2100


class Country(models.TextChoices):
    ENGLAND = "england", _("England")
    SCOTLAND = "scotland", _("Scotland")
    WALES = "wales", _("Wales")
    NORTHERN_IRELAND = "northern-ireland", _("Northern Ireland")
    IRELAND = "ireland", _("Ireland")


class LocationPrecision(models.TextChoices):
    ADDRESS = "address", _("Street address")
    POSTCODE = "postcode", _("Postcode")
    TOWN = "town", _("Town or city")
    POSTCODE_AREA = "pc-area", _("Postcode area")
    REGION = "region", _("Region")
    MANUAL = "manual", _("Set by hand")


class LocationSource(models.TextChoices):
    GAZETTEER = "gazetteer", _("Offline gazetteer")
    NOMINATIM = "nominatim", _("Nominatim (OpenStreetMap)")
    MANUAL = "manual", _("Entered by hand")
    MEMBERS = "members", _("Derived from member organisations")
    IMPORTED = "imported", _("Given by an imported list or feed")


# Slugs that would be shadowed by a fixed URL beside them (/partnerships/new/).
RESERVED_SLUGS = {"new"}


def unique_slug(instance, value, max_length=80):
    """A slug for `value` that no other row of the instance's model uses yet."""
    base = slugify(value)[:max_length].strip("-") or "entry"
    slug, n = base, 2
    others = type(instance)._default_manager.exclude(pk=instance.pk)
    while slug in RESERVED_SLUGS or others.filter(slug=slug).exists():
        suffix = f"-{n}"
        slug = f"{base[: max_length - len(suffix)]}{suffix}"
        n += 1
    return slug


class SluggedModel(models.Model):
    """Fills a blank slug from the name on save, keeping slugs unique."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self, self.name, self._meta.get_field("slug").max_length)
        super().save(*args, **kwargs)


def coordinate_constraints(prefix):
    return [
        models.CheckConstraint(
            condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
            name=f"{prefix}_latitude_range",
        ),
        models.CheckConstraint(
            condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
            name=f"{prefix}_longitude_range",
        ),
        models.CheckConstraint(
            condition=Q(latitude__isnull=True, longitude__isnull=True)
            | Q(latitude__isnull=False, longitude__isnull=False),
            name=f"{prefix}_coordinates_paired",
        ),
    ]


class Located(models.Model):
    """A point on the map with a record of how it was found, shared by organisations and
    partnerships. Geocoding fills these fields through `services.py`, never on save."""

    latitude = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text=_("Decimal degrees, north positive (e.g. 53.578 for Bolton)."),
    )
    longitude = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text=_("Decimal degrees, east positive (e.g. -2.429 for Bolton)."),
    )
    location_precision = models.CharField(
        _("location precision"), max_length=10, choices=LocationPrecision.choices, blank=True
    )
    location_source = models.CharField(
        _("location source"), max_length=10, choices=LocationSource.choices, blank=True
    )
    geocoded_at = models.DateTimeField(_("geocoded at"), null=True, blank=True, editable=False)
    location_ambiguous = models.BooleanField(
        _("location ambiguous"),
        default=False,
        help_text=_(
            "Several towns share the name and the region did not settle which one is meant."
        ),
    )
    geocode_failed_at = models.DateTimeField(
        _("geocode failed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the last geocoding attempt failed."),
    )
    geocode_error = models.CharField(
        _("geocode error"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_("Why the last geocoding attempt failed, or what it had to fall back on."),
    )

    class Meta:
        abstract = True

    @property
    def is_located(self):
        return self.latitude is not None and self.longitude is not None


class Region(Bilingual, SluggedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_cy = models.CharField(
        _("name in Welsh"), max_length=100, blank=True, help_text=_("The official Welsh name.")
    )
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    country = models.CharField(_("country"), max_length=20, choices=Country.choices)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["country", "name"]

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("directory:region", kwargs={"slug": self.slug})


class ActivityGroup(models.TextChoices):
    RESOURCES = "resources", _("Sharing resources and collections")
    SKILLS = "skills", _("Sharing skills and training")
    SIGNPOSTING = "signposting", _("Signposting and referral")
    EVENTS = "events", _("Events and campaigns")
    READING = "reading", _("Reading and wellbeing")
    LIBRARY_IT = "library-it", _("Library and IT collaboration")


class Activity(Bilingual, SluggedModel):
    BILINGUAL_FIELDS = ("name", "description")

    name = models.CharField(_("name"), max_length=120, unique=True)
    name_cy = models.CharField(_("name in Welsh"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    group = models.CharField(_("group"), max_length=20, choices=ActivityGroup.choices)
    description = models.TextField(_("description"), blank=True)
    description_cy = models.TextField(_("description in Welsh"), blank=True)

    class Meta:
        verbose_name = _("activity")
        ordering = ["group", "name"]
        verbose_name_plural = _("activities")

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("directory:activity", kwargs={"slug": self.slug})


class CommunicationChannel(Bilingual, SluggedModel):
    name = models.CharField(_("name"), max_length=80, unique=True)
    name_cy = models.CharField(_("name in Welsh"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("communication channel")
        verbose_name_plural = _("communication channels")
        ordering = ["name"]

    def __str__(self):
        return self.display_name


class Sector(models.TextChoices):
    NHS = "nhs", _("NHS trust or health library")
    PUBLIC_LIBRARY = "public-library", _("Public library")
    ACADEMIC = "academic", _("Academic library")
    FURTHER_EDUCATION = "further-education", _("Further education college")
    LOCAL_AUTHORITY = "local-authority", _("Local authority or public health")
    SOCIAL_CARE = "social-care", _("Social care")
    VOLUNTARY = "voluntary", _("Voluntary and community sector")
    PATIENT_VOICE = "patient-voice", _("Patient and public voice")
    GOVERNMENT = "government", _("Government or national body")
    OTHER = "other", _("Other")


class OrganisationQuerySet(NearQuerySet):
    def current(self):
        """Organisations not merged into another one (a merged one keeps its row, so that its
        old address can redirect to the one it was merged into)."""
        return self.filter(merged_into__isnull=True)

    def public(self):
        """Organisations that belong to at least one published partnership."""
        return (
            self.current()
            .filter(memberships__partnership__publication_state=PublicationState.PUBLISHED)
            .distinct()
        )

    def visible_to(self, user):
        """Organisations `user` may be offered by name: the public ones, those of the
        partnerships they edit, and those no partnership names yet (kept by the curators).
        An organisation that only other people's unpublished partnerships name is left out."""
        mine = Partnership.objects.editable_by(user).values("pk")
        return (
            self.current()
            .filter(
                Q(memberships__isnull=True)
                | Q(memberships__partnership__publication_state=PublicationState.PUBLISHED)
                | Q(memberships__partnership__in=mine)
            )
            .distinct()
        )

    def located(self):
        return self.filter(latitude__isnull=False, longitude__isnull=False)

    def needs_location(self):
        """Entries with no point on the map, or whose last geocoding attempt failed."""
        return self.filter(Q(latitude__isnull=True) | Q(geocode_failed_at__isnull=False))

    def geocode_failed(self):
        return self.filter(geocode_failed_at__isnull=False)


class Organisation(Bilingual, SluggedModel, Located):
    name = models.CharField(_("name"), max_length=200)
    name_cy = models.CharField(
        _("name in Welsh"),
        max_length=200,
        blank=True,
        help_text=_("The organisation's Welsh name, if it has one."),
    )
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(
        _("email"),
        blank=True,
        help_text=_("A general enquiries address (a team's, never a person's)."),
    )
    address = models.CharField(
        _("address"), max_length=255, blank=True, help_text=_("Street address, if public.")
    )
    town = models.CharField(_("town"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    country = models.CharField(
        _("country"), max_length=20, choices=Country.choices, default=Country.ENGLAND
    )
    region = models.ForeignKey(
        Region, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("region")
    )
    match_name = models.CharField(
        _("match name"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("The name as duplicate matching compares it (partnerships/matching.py)."),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="merged_from",
        help_text=_("The organisation this one was merged into; its address redirects there."),
        verbose_name=_("merged into"),
    )
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True, editable=False)
    uuid = models.UUIDField(
        _("public id"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_(
            "The organisation's id in the Open Referral UK feed: never changes, even when "
            "the name or address does."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="organisation_lat_lon"),
            models.Index(fields=["sector"], name="organisation_sector"),
            models.Index(fields=["match_name"], name="organisation_match_name"),
        ]
        constraints = [
            *coordinate_constraints("organisation"),
            models.CheckConstraint(
                condition=~Q(merged_into=F("pk")), name="organisation_not_merged_into_itself"
            ),
        ]

    def __str__(self):
        return f"{self.display_name} ({self.town})" if self.town else self.display_name

    def save(self, *args, **kwargs):
        from partnerships.matching import organisation_key  # matching imports this module

        self.match_name = organisation_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "match_name"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("directory:organisation", kwargs={"slug": self.slug})

    @property
    def is_merged(self):
        return self.merged_into_id is not None


class OrganisationIdentifierQuerySet(models.QuerySet):
    def of_scheme(self, scheme, values):
        """Identifiers of `scheme` among `values` (stored forms; see identifiers.normalise)."""
        return self.filter(scheme=scheme, value__in=values)


class OrganisationIdentifier(models.Model):
    """A typed identifier of an organisation (an ODS code, a charity number…): unique within
    its scheme, so it names one organisation. `partnerships.identifiers` checks the format."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="identifiers",
        verbose_name=_("organisation"),
    )
    scheme = models.CharField(_("scheme"), max_length=20, choices=Scheme.choices)
    scheme_name = models.CharField(
        _("scheme name"),
        max_length=60,
        blank=True,
        help_text=_("For “Other”: whose identifier it is, e.g. “Library Services Unit code”."),
    )
    value = models.CharField(_("value"), max_length=100)

    objects = OrganisationIdentifierQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation identifier")
        verbose_name_plural = _("organisation identifiers")
        ordering = ["scheme", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "scheme_name", "value"],
                name="one_organisation_per_identifier",
                violation_error_message=_(
                    "Another organisation in the directory has this identifier."
                ),
            ),
            models.CheckConstraint(
                condition=Q(scheme="other") & ~Q(scheme_name="")
                | ~Q(scheme="other") & Q(scheme_name=""),
                name="identifier_scheme_name_only_for_other",
                violation_error_message=_("Say whose identifier it is (only for “Other”)."),
            ),
        ]

    def __str__(self):
        return f"{self.scheme_label}: {self.value}"

    @property
    def scheme_label(self):
        return self.scheme_name if self.scheme == Scheme.OTHER else self.get_scheme_display()

    @property
    def register_url(self):
        return identifiers.register_url(self.scheme, self.value)

    @property
    def register_name(self):
        return identifiers.register_name(self.scheme)

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.scheme == Scheme.OTHER and not self.scheme_name.strip():
            raise ValidationError({"scheme_name": _("Say whose identifier it is.")})
        if self.scheme != Scheme.OTHER:
            self.scheme_name = ""
        if self.scheme and self.value:
            try:
                self.value = identifiers.normalise(self.scheme, self.value)
            except ValidationError as error:
                raise ValidationError({"value": error.messages}) from error


class Kind(models.TextChoices):
    NETWORK = "network", _("Cross-sector network")
    SLA = "sla", _("Service level agreement")
    PROJECT = "project", _("Joint project")
    LIBRARY_IT = "library-it", _("Library and IT collaboration")


class Formality(models.TextChoices):
    INFORMAL = "informal", _("Informal")
    FORMAL = "formal", _("Formal")


class Status(models.TextChoices):
    FORMING = "forming", _("Forming")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    CLOSED = "closed", _("Closed")


class Scope(models.TextChoices):
    LOCAL = "local", _("Local")
    COUNTY = "county", _("County or city")
    REGIONAL = "regional", _("Regional")
    NATIONAL = "national", _("National")


class MeetingFormat(models.TextChoices):
    IN_PERSON = "in-person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid")
    NONE = "none", _("Does not meet")


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Pending review")
    PUBLISHED = "published", _("Published")
    CHANGES_REQUESTED = "changes-requested", _("Changes requested")
    ARCHIVED = "archived", _("Archived")
    MERGED = "merged", _("Merged into another entry")


# The edges of the map, and the order that walks in from each (`extent_from_edges`).
MAP_EDGES = [
    ("south", "latitude"),
    ("north", "-latitude"),
    ("west", "longitude"),
    ("east", "-longitude"),
]
# How far `extent_from_edges` walks in from each edge, in steps: 32 partnerships, then up to 256.
# When one in twenty match (the fewest a broad search finds among 100,000), the first step finds
# an edge four times in five, and all 256 miss it about once in 500,000 searches.
EDGE_STEPS = (32, 256)


class PartnershipQuerySet(NearQuerySet):
    def published(self):
        """Only what the public may see: reviewed and published entries."""
        return self.filter(publication_state=PublicationState.PUBLISHED)

    def closed(self):
        """Archived entries that were once public: their address keeps a page saying they are
        no longer listed. Approving and publishing stamp `last_verified_at`; a new submission
        that was rejected (also archived) never has it, so it stays a 404."""
        return self.filter(
            publication_state=PublicationState.ARCHIVED, last_verified_at__isnull=False
        )

    def current(self):
        """Everything but the entries merged into another one."""
        return self.exclude(publication_state=PublicationState.MERGED)

    def editable_by(self, user):
        """What `user` may edit and see unpublished: their own partnerships, or everything for a
        moderator. Anyone else gets nothing (so a draft is a 404 to them, not a 403). An entry
        merged into another is nobody's to edit: its editors edit the one it was merged into."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_perm("partnerships.moderate_partnership"):
            return self.current()
        return self.current().filter(editors=user)

    def located(self):
        return self.filter(latitude__isnull=False, longitude__isnull=False)

    def needs_location(self):
        """Entries with no point on the map, or whose last geocoding attempt failed."""
        return self.filter(Q(latitude__isnull=True) | Q(geocode_failed_at__isnull=False))

    def geocode_failed(self):
        return self.filter(geocode_failed_at__isnull=False)

    def matching(self, text):
        """Partnerships where every word of `text` (see `search_words`) is in the partnership's
        name, summary or area or in a member organisation's name, annotated with a
        `search_rank` (higher is better: on PostgreSQL full-text rank, the name counting most,
        members' names least; elsewhere the number of words in the name). Text without words
        matches everything.

        Members' names are read from the partnership's own row (`member_names`, kept by
        `refresh_member_names`), so a search is one GIN index lookup on one table on
        PostgreSQL, however many partnerships match."""
        words = search_words(text)
        if not words:
            return self
        if connections[self.db].vendor == "postgresql":
            # Each word as English (stemmed) or as Welsh (as written: PostgreSQL has no Welsh
            # stemmer), in one tsquery so the GIN index answers it.
            every_word = reduce(
                and_,
                [
                    SearchQuery(word, config=CONFIG) | SearchQuery(word, config=WELSH_CONFIG)
                    for word in words
                ],
            )
            return self.filter(search_document=every_word).annotate(
                search_rank=SearchRank(F("search_document"), every_word)
            )
        for word in words:
            self = self.filter(
                Q(name__icontains=word)
                | Q(name_cy__icontains=word)
                | Q(summary__icontains=word)
                | Q(summary_cy__icontains=word)
                | Q(area_name__icontains=word)
                | Q(member_names__icontains=word)
            )
        in_name = [Case(When(name__icontains=word, then=1), default=0) for word in words]
        return self.annotate(search_rank=reduce(lambda a, b: a + b, in_name) * 1.0)

    def count_and_extent(self, limit=None):
        """How many partnerships this queryset holds, and the extent of those on the map (a dict
        of west, south, east and north, each None when none is located), in one pass over them
        (MIN and MAX skip the unlocated). With a `limit`, it reads no more than limit + 1 of
        them: a count of limit + 1 then means "more than `limit`", and the extent comes from the
        edges of the map (`extent_from_edges`), so that a word in every one of 100,000
        partnerships costs about as much as a rare one."""
        counted = self.order_by() if limit is None else self.order_by()[: limit + 1]
        totals = counted.aggregate(
            count=Count("pk"),
            west=Min("longitude"),
            south=Min("latitude"),
            east=Max("longitude"),
            north=Max("latitude"),
        )
        count = totals.pop("count")
        if limit is not None and count > limit:
            totals = self.extent_from_edges()
        return count, totals

    def extent_from_edges(self):
        """The extent of the located partnerships in this queryset, read from the located
        partnerships nearest each edge of the map (an index walk each) and which of those this
        queryset holds. The first of an edge's partnerships that it holds is exactly that edge
        of its extent, since every partnership nearer the edge is among them. The walks go
        EDGE_STEPS at a time, up to EDGE_ROWS from each edge: for a large part of the directory
        spread over the country, the first step finds all four edges. When an edge's EDGE_ROWS
        hold none of it (a large search in one region), it reads them all instead."""
        located = Partnership.objects.using(self.db).located()
        extent, start = {}, 0
        for end in EDGE_STEPS:
            nearest = {
                edge: located.order_by(order).values_list("pk", order.lstrip("-"))[start:end]
                for edge, order in MAP_EDGES
                if edge not in extent
            }
            nearest = {edge: list(rows) for edge, rows in nearest.items()}
            ids = {pk for rows in nearest.values() for pk, _ in rows}
            held = set(self.order_by().filter(pk__in=ids).values_list("pk", flat=True))
            for edge, rows in nearest.items():
                value = next((value for pk, value in rows if pk in held), None)
                if value is not None:
                    extent[edge] = value
            if len(extent) == len(MAP_EDGES):
                return extent
            start = end
        return self.order_by().aggregate(
            west=Min("longitude"),
            south=Min("latitude"),
            east=Max("longitude"),
            north=Max("latitude"),
        )

    def refresh_member_names(self):
        """Write the names of each partnership's member organisations into its `member_names`
        (what a search matches members by), for every partnership in this queryset. The one
        place that keeps them true: call it, in the same transaction, after any write that adds,
        removes or moves a membership or renames an organisation (for an organisation, on
        `organisation.partnerships.all()`). Returns how many partnerships it
        wrote.

        The partnerships' rows are locked first, in id order, so that two transactions changing
        one partnership's members take turns and the second reads the first's members."""
        features = connections[self.db].features
        names = (
            Membership.objects.using(self.db)
            .filter(partnership=OuterRef("pk"))
            .order_by()
            .values("partnership")
            .annotate(
                # Each member's English name, and its Welsh name (if any) on the next line.
                names=StringAgg(
                    Case(
                        When(organisation__name_cy="", then=F("organisation__name")),
                        default=Concat(
                            "organisation__name",
                            Value(MEMBER_NAME_SEPARATOR),
                            "organisation__name_cy",
                            output_field=models.TextField(),
                        ),
                        output_field=models.TextField(),
                    ),
                    delimiter=Value(MEMBER_NAME_SEPARATOR),
                    # The same order every time where the database can say so (SQLite 3.44+).
                    order_by=(
                        ("organisation__name", "organisation_id")
                        if features.supports_aggregate_order_by_clause
                        else None
                    ),
                )
            )
            .values("names")
        )
        with transaction.atomic(using=self.db):
            if features.has_select_for_update:
                # Locked in a statement of its own: the update below then starts after any
                # other writer of these rows has committed, and sees its members.
                list(
                    self.select_for_update(no_key=True, of=("self",))
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
            return (
                Partnership.objects.using(self.db)
                .filter(pk__in=self.order_by().values("pk"))
                .update(member_names=Coalesce(Subquery(names), Value("")))
            )

    def with_members(self):
        """Memberships with their organisations, and the region, in a constant number of
        queries, plus a `member_count` annotation for lists."""
        return self.select_related("region").prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("organisation"),
            )
        )

    def with_public_contacts_and_agreements(self):
        """Prefetches what a public page may show of a partnership's contacts and agreements,
        and nothing else: `public_contacts` (those who agreed to be published) and
        `public_agreements` (with their parties)."""
        return self.prefetch_related(
            Prefetch(
                "contacts",
                queryset=Contact.objects.public().select_related("organisation"),
                to_attr="public_contacts",
            ),
            Prefetch(
                "agreements",
                queryset=Agreement.objects.public().prefetch_related("parties"),
                to_attr="public_agreements",
            ),
        )

    def with_member_count(self):
        """Annotates `member_count`. A subquery, so that it stays right when the queryset is
        already filtered through memberships (e.g. an organisation's partnerships)."""
        members = (
            Membership.objects.filter(partnership=OuterRef("pk"))
            .order_by()
            .values("partnership")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(member_count=Coalesce(Subquery(members), 0))


class Partnership(Bilingual, SluggedModel, Located):
    BILINGUAL_FIELDS = ("name", "summary", "description", "aims")

    name = models.CharField(_("name"), max_length=200)
    name_cy = models.CharField(
        _("name in Welsh"),
        max_length=200,
        blank=True,
        help_text=_("The partnership's Welsh name, if it has one."),
    )
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.NETWORK)
    # A summary in English, in Welsh or in both (the editing form asks for at least one).
    summary = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("One or two sentences shown in lists and on the map."),
    )
    summary_cy = models.CharField(_("summary in Welsh"), max_length=300, blank=True)
    description = models.TextField(
        _("description"), blank=True, help_text=_("What the partnership is and does.")
    )
    description_cy = models.TextField(_("description in Welsh"), blank=True)
    aims = models.TextField(_("aims and objectives"), blank=True)
    aims_cy = models.TextField(_("aims and objectives in Welsh"), blank=True)
    formality = models.CharField(
        _("formality"), max_length=10, choices=Formality.choices, default=Formality.INFORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    established_year = models.PositiveSmallIntegerField(
        _("established year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
        help_text=_("The year the partnership started, if known."),
    )
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.LOCAL)
    area_name = models.CharField(
        _("area name"),
        max_length=120,
        blank=True,
        help_text=_("The place the partnership serves, e.g. “Bolton”."),
    )
    region = models.ForeignKey(
        Region, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("region")
    )
    website = models.URLField(_("website"), blank=True)
    mailing_list = models.CharField(
        _("mailing list"),
        max_length=255,
        blank=True,
        help_text=_("An address or web page for joining the list."),
    )
    meeting_frequency = models.CharField(
        _("meeting frequency"),
        max_length=100,
        blank=True,
        help_text=_("For example “Quarterly” or “Every two months”."),
    )
    meeting_format = models.CharField(
        _("meeting format"), max_length=10, choices=MeetingFormat.choices, blank=True
    )
    channels = models.ManyToManyField(
        CommunicationChannel, blank=True, related_name="partnerships", verbose_name=_("channels")
    )
    activities = models.ManyToManyField(
        Activity, blank=True, related_name="partnerships", verbose_name=_("activities")
    )
    organisations = models.ManyToManyField(
        Organisation,
        through="Membership",
        related_name="partnerships",
        verbose_name=_("organisations"),
    )
    publication_state = models.CharField(
        _("publication state"),
        max_length=20,
        choices=PublicationState.choices,
        default=PublicationState.DRAFT,
    )
    last_verified_at = models.DateTimeField(
        _("last verified at"),
        null=True,
        blank=True,
        help_text=_("When an editor or curator last confirmed the entry."),
    )
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="edited_partnerships",
        verbose_name=_("editors"),
    )
    match_name = models.CharField(
        _("match name"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("The name as duplicate matching compares it (partnerships/matching.py)."),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="merged_from",
        help_text=_("The partnership this one was merged into; its address redirects there."),
        verbose_name=_("merged into"),
    )
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True, editable=False)
    uuid = models.UUIDField(
        _("public id"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_(
            "The partnership's id in the Open Referral UK feed: never changes, even when "
            "the name or address does."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The member organisations' names, one a line, for search: written only by
    # `PartnershipQuerySet.refresh_member_names` (see `save`).
    member_names = models.TextField(_("member names"), blank=True, default="", editable=False)
    # What a search matches, kept by the database: the name weighs most in the ranking, then the
    # area, then the summary, then the members' names (see partnerships/search.py).
    search_document = models.GeneratedField(
        expression=SearchDocument(
            "name",
            "area_name",
            "summary",
            "member_names",
            welsh={"name_cy": "A", "summary_cy": "C"},
        ),
        output_field=SearchDocumentField(),
        db_persist=True,
        verbose_name=_("search document"),
    )

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        ordering = ["name"]
        indexes = [
            # Lists by name; with the id, a deep page of the Open Referral API (ordered by name
            # and id) is read from the index alone on PostgreSQL instead of sorting every row.
            models.Index(
                fields=["publication_state", "name", "id"], name="partnership_state_name_id"
            ),
            models.Index(fields=["latitude", "longitude"], name="partnership_lat_lon"),
            # near() on published partnerships: the state, then the box's latitude range, with
            # the longitude checked in the index, so only the box's rows are read.
            models.Index(
                fields=["publication_state", "latitude", "longitude"],
                name="partnership_state_lat_lon",
            ),
            # With the one above, for walking in from each edge of the map (extent_from_edges).
            models.Index(fields=["longitude"], name="partnership_longitude"),
            models.Index(fields=["last_verified_at"], name="partnership_verified"),
            # The Open Referral UK feed's `modified_after`, on published partnerships.
            models.Index(
                fields=["publication_state", "updated_at"], name="partnership_state_updated"
            ),
            models.Index(fields=["match_name"], name="partnership_match_name"),
            SearchIndex(fields=["search_document"], name="partnership_search"),
            # Map clusters at national and regional zoom (directory.mapdata).
            models.Index(
                F("publication_state"),
                FineCell("latitude"),
                FineCell("longitude"),
                F("latitude"),
                F("longitude"),
                name="partnership_map_grid",
            ),
        ]
        permissions = [("moderate_partnership", "Can review, publish and reject partnerships")]
        constraints = [
            *coordinate_constraints("partnership"),
            models.CheckConstraint(
                condition=Q(established_year__isnull=True)
                | Q(established_year__gte=FIRST_YEAR, established_year__lte=LAST_YEAR),
                name="partnership_established_year_range",
            ),
            # "Merged" and a successor go together: a merge sets both, a restore clears both.
            models.CheckConstraint(
                condition=Q(publication_state=PublicationState.MERGED, merged_into__isnull=False)
                | (~Q(publication_state=PublicationState.MERGED) & Q(merged_into__isnull=True)),
                name="partnership_merged_has_successor",
                violation_error_message=_(
                    "Only a merge marks a partnership “merged into another entry”: use the "
                    "curators' duplicates page."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=F("pk")), name="partnership_not_merged_into_itself"
            ),
        ]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        """Keeps `match_name` in step with the name, and saves every field but `member_names`,
        which only `refresh_member_names` writes: an instance read before a member organisation
        was renamed or a membership changed must not write the old names back."""
        from partnerships.matching import partnership_key  # matching imports this module

        self.match_name = partnership_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "match_name"}
        elif update_fields is None and not self._state.adding:
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.attname
                for field in self._meta.concrete_fields
                if not field.primary_key
                and not field.generated
                and field.attname not in deferred
                and field.attname != "member_names"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("directory:partnership", kwargs={"slug": self.slug})

    @property
    def is_merged(self):
        return self.merged_into_id is not None

    @property
    def is_published(self):
        return self.publication_state == PublicationState.PUBLISHED

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.established_year and self.established_year > timezone.now().year:
            raise ValidationError({"established_year": _("The year cannot be in the future.")})
        if (self.publication_state == PublicationState.MERGED) != self.is_merged:
            raise ValidationError(
                {
                    "publication_state": _(
                        "Only a merge marks a partnership merged, and only a "
                        "restore of an earlier version brings a merged one back."
                    )
                }
            )


class Role(models.TextChoices):
    LEAD = "lead", _("Lead")
    MEMBER = "member", _("Member")
    ASSOCIATE = "associate", _("Associate")


# How much a role says about an organisation's part in a partnership: when a merge leaves one
# organisation in a partnership twice, the membership with the stronger role is kept.
ROLE_STRENGTH = {Role.LEAD: 3, Role.MEMBER: 2, Role.ASSOCIATE: 1}


def stronger_role(a, b):
    """The stronger of two roles (lead > member > associate)."""
    return max(a, b, key=lambda role: ROLE_STRENGTH.get(role, 0))


# Leads first, then members, then associates.
ROLE_ORDER = Case(
    When(role=Role.LEAD, then=Value(0)),
    When(role=Role.MEMBER, then=Value(1)),
    default=Value(2),
)


class Membership(models.Model):
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("partnership"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_year = models.PositiveSmallIntegerField(
        _("joined year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = [ROLE_ORDER, "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "organisation"], name="one_membership_per_organisation"
            ),
            models.CheckConstraint(
                condition=Q(joined_year__isnull=True)
                | Q(joined_year__gte=FIRST_YEAR, joined_year__lte=LAST_YEAR),
                name="membership_joined_year_range",
            ),
        ]

    def __str__(self):
        return gettext("%(organisation)s in %(partnership)s (%(role)s)") % {
            "organisation": self.organisation,
            "partnership": self.partnership,
            "role": self.get_role_display(),
        }


class ContactQuerySet(models.QuerySet):
    def public(self):
        """Contacts who agreed to be published. Nothing else is ever shown to the public."""
        return self.filter(consent_to_publish=True)

    def with_email(self):
        """Contacts a message can reach. The directory's contact form writes to them without
        showing their address, so consent to publish is not needed for this."""
        return self.exclude(email="")


class Contact(models.Model):
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("partnership"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("organisation"),
    )
    name = models.CharField(
        _("name"), max_length=150, help_text=_("A person or a role, e.g. “Library team”.")
    )
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_lead = models.BooleanField(_("lead contact"), default=False)
    consent_to_publish = models.BooleanField(
        _("consent to publish"),
        default=False,
        help_text=_("Only contacts who agreed to be published appear on public pages and exports."),
    )
    consented_at = models.DateTimeField(_("consented at"), null=True, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_lead", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_to_publish=False) | Q(consented_at__isnull=False),
                name="contact_consent_has_time",
            )
        ]

    def __str__(self):
        return self.name

    def to_public_dict(self):
        """The only shape in which a contact leaves the server: an explicit allowlist, and
        nothing at all without consent."""
        if not self.consent_to_publish:
            return None
        return {
            "name": self.name,
            "job_title": self.job_title,
            "email": self.email,
            "phone": self.phone,
            "is_lead": self.is_lead,
        }


class AgreementKind(models.TextChoices):
    MOU = "mou", _("Memorandum of understanding")
    SLA = "sla", _("Service level agreement")
    TERMS_OF_REFERENCE = "tor", _("Terms of reference")
    DATA_SHARING = "data-sharing", _("Data sharing agreement")
    OTHER = "other", _("Other")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Superseded")


def agreement_upload_to(instance, filename):
    """A random name that reveals nothing and cannot be guessed; only the extension is kept."""
    suffix = PurePath(filename).suffix.lower()[:5]
    return f"agreements/{secrets.token_urlsafe(24)}{suffix}"


class AgreementQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_public=True)

    def shared_examples(self):
        """The toolkit's library: public agreements that their partnership offers other networks
        as examples, on published partnerships only."""
        return self.public().filter(
            shareable_example=True, partnership__publication_state=PublicationState.PUBLISHED
        )


class Agreement(models.Model):
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="agreements",
        verbose_name=_("partnership"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AgreementKind.choices)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.SIGNED
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    review_due = models.DateField(_("review due"), null=True, blank=True)
    parties = models.ManyToManyField(
        Organisation, blank=True, related_name="agreements", verbose_name=_("parties")
    )
    summary = models.TextField(_("summary"), blank=True)
    document = models.FileField(_("document"), upload_to=agreement_upload_to, blank=True)
    is_public = models.BooleanField(
        _("public"), default=False, help_text=_("Public agreements can be read by anyone.")
    )
    shareable_example = models.BooleanField(
        _("shareable example"),
        default=False,
        help_text=_("Other networks may use this as an example to adapt."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["kind", "title"]
        # The daily reminders look for agreements whose review falls due in 30 days.
        indexes = [models.Index(fields=["review_due"], name="agreement_review_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_on__isnull=True)
                | Q(review_due__isnull=True)
                | Q(review_due__gte=models.F("signed_on")),
                name="agreement_review_after_signing",
            )
        ]

    def __str__(self):
        return self.title


# Country names for place labels, and the names people type after a comma ("Newport, Ireland").
COUNTRY_NAMES = {"GB": "United Kingdom", "IE": "Ireland"}
COUNTRY_ALIASES = {"GB": {"uk", "great britain", "britain"}, "IE": {"eire", "republic of ireland"}}
# Typed place names longer than this are cut: no town name is, and LIKE patterns stay small.
PLACE_QUERY_MAX_LENGTH = 100
PLACE_QUERY_MIN_LENGTH = 2
RESOLVE_CANDIDATES = 50


def split_place_text(text):
    """The normalised name, then the normalised hints after it: "Newport, South East, England"
    gives ("newport", ["south east", "england"])."""
    # Imported here because geocoding imports this module.
    from partnerships.geocoding import normalise_place_name

    name, *hints = str(text or "")[:PLACE_QUERY_MAX_LENGTH].split(",")
    return normalise_place_name(name), [hint for hint in map(normalise_place_name, hints) if hint]


def _hint_score(place, hints):
    """How many of the hints name the place's nation or province, region or country."""
    from partnerships.geocoding import normalise_place_name

    code = place.country_code
    areas = {
        normalise_place_name(place.admin_area),
        code.lower(),
        normalise_place_name(COUNTRY_NAMES.get(code, "")),
        *COUNTRY_ALIASES.get(code, ()),
    }
    if place.region_id:
        areas.add(normalise_place_name(place.region.name))
    return sum(hint in areas for hint in hints)


class PlaceQuerySet(models.QuerySet):
    def search(self, text, limit=10):
        """At most `limit` places for an autocomplete box: names that start with the text, then
        names with a later word that starts with it ("upon" finds Newcastle upon Tyne), larger
        towns first in each group. Accent-, case- and hyphen-blind; text of fewer than two letters
        finds nothing. Only the part before a comma is searched, so a chosen label ("Bolton,
        England") still finds its place."""
        name, _hints = split_place_text(text)
        if len(name) < PLACE_QUERY_MIN_LENGTH:
            return self.none()
        # startswith / contains escape % and _ in `name`, so they match only themselves.
        starts = Q(search_name__startswith=name)
        return (
            self.filter(starts | Q(search_name__contains=f" {name}"))
            .annotate(match_rank=Case(When(starts, then=Value(0)), default=Value(1)))
            .select_related("region")
            .order_by("match_rank", "-population", "name", "pk")[:limit]
        )

    def resolve(self, text):
        """The one place a typed name most likely means, or None. An exact name wins over a
        prefix; among equals, a place matching the hints after a comma ("Newport, Wales"), then
        the most populous. Used on the server, so the near-me search works without JavaScript."""
        name, hints = split_place_text(text)
        if not name:
            return None
        exact = list(self.filter(search_name=name).select_related("region"))
        if exact:
            return max(
                exact,
                key=lambda place: (_hint_score(place, hints), place.population, -place.geonameid),
            )
        # Candidates come best first; max() keeps the first of equals.
        candidates = self.search(name, limit=RESOLVE_CANDIDATES)
        return max(candidates, key=lambda place: _hint_score(place, hints), default=None)


class Place(models.Model):
    """A town from the GeoNames gazetteer, loaded by `manage.py load_places`, so that the directory
    can place entries and answer "near a town" without any network."""

    geonameid = models.PositiveIntegerField(_("geonameid"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    search_name = models.CharField(
        _("search name"),
        max_length=200,
        db_index=True,
        help_text=_("Lower-case ASCII name for prefix search."),
    )
    country_code = models.CharField(_("country code"), max_length=2)
    admin_area = models.CharField(
        _("admin area"), max_length=100, blank=True, help_text=_("Nation or province.")
    )
    region = models.ForeignKey(
        Region, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("region")
    )
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    population = models.PositiveIntegerField(_("population"), default=0)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["-population", "name"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="place_lat_lon")]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90), name="place_latitude_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_range",
            ),
        ]

    def __str__(self):
        return f"{self.name}, {self.admin_area}" if self.admin_area else self.name

    @property
    def label(self):
        """Enough to tell towns of one name apart in a list: "Newport, South East, England",
        "Newport, Wales", "Newport, Munster, Ireland". Reads the region: select it with the
        place."""
        parts = [self.name]
        if self.region_id and self.region.name != self.admin_area:
            parts.append(self.region.name)
        if self.admin_area:
            parts.append(self.admin_area)
        if self.country_code != "GB":
            parts.append(COUNTRY_NAMES.get(self.country_code, self.country_code))
        return ", ".join(parts)

    def to_dict(self):
        """The public JSON shape of a place, an explicit allowlist."""
        return {
            "name": self.name,
            "admin_area": self.admin_area,
            "country": self.country_code,
            "lat": self.latitude,
            "lon": self.longitude,
            "label": self.label,
        }


class GeocodeCache(models.Model):
    """Nominatim's answer to one query, kept so that the same query is never sent twice (its usage
    policy asks clients to cache). A row without coordinates records that nothing matched. Only
    answers are kept, never failures such as timeouts, so those are asked again on a retry.
    Delete a row to ask again."""

    query = models.CharField(_("query"), max_length=500, unique=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    result_class = models.CharField(
        _("result class"), max_length=50, blank=True, help_text=_("OSM class, e.g. place.")
    )
    result_type = models.CharField(
        _("result type"), max_length=50, blank=True, help_text=_("OSM type, e.g. town.")
    )
    place_rank = models.PositiveSmallIntegerField(_("place rank"), null=True, blank=True)
    display_name = models.CharField(_("display name"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name_plural = _("geocoder answers")
        ordering = ["query"]
        verbose_name = _("geocoder answer")
        constraints = coordinate_constraints("geocodecache")

    def __str__(self):
        return self.query

    @property
    def matched(self):
        return self.latitude is not None


class RevisionState(models.TextChoices):
    DRAFT = "draft", _("Being edited")
    PENDING = "pending", _("Pending review")
    CHANGES_REQUESTED = "changes-requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class RevisionQuerySet(models.QuerySet):
    def open(self):
        """Revisions still in play: being edited, waiting for review or sent back."""
        return self.filter(
            state__in=[
                RevisionState.DRAFT,
                RevisionState.PENDING,
                RevisionState.CHANGES_REQUESTED,
            ]
        )

    def pending(self):
        return self.filter(state=RevisionState.PENDING)


class Revision(models.Model):
    """A proposed new version of a published partnership, kept apart from the live rows so that
    the public keeps seeing the last approved version until a moderator approves this one.

    `data` is a snapshot in the shape `partnerships.snapshots.snapshot_of()` makes; approving
    applies it to the live rows with `snapshots.apply_snapshot()`."""

    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="revisions",
        verbose_name=_("partnership"),
    )
    data = models.JSONField(_("data"))
    state = models.CharField(
        _("state"), max_length=20, choices=RevisionState.choices, default=RevisionState.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-created_at"]
        constraints = [
            # At most one open revision per partnership: editors all work on the same proposal.
            models.UniqueConstraint(
                fields=["partnership"],
                condition=Q(state__in=["draft", "pending", "changes-requested"]),
                name="one_open_revision_per_partnership",
            )
        ]

    def __str__(self):
        return gettext("Revision of %(partnership)s (%(state)s)") % {
            "partnership": self.partnership,
            "state": self.get_state_display(),
        }


class Decision(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted for review")
    APPROVED = "approved", _("Approved and published")
    CHANGES_REQUESTED = "changes-requested", _("Changes requested")
    REJECTED = "rejected", _("Rejected")


class ModerationEvent(models.Model):
    """Who did what to a partnership's review, and when: the moderation audit trail."""

    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="moderation_events",
        verbose_name=_("partnership"),
    )
    revision = models.ForeignKey(
        Revision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("revision"),
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("moderation event")
        verbose_name_plural = _("moderation events")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_decision_display()}: {self.partnership}"


class DataVersion(models.Model):
    """A number that changes whenever anything the public sees changes: one row, bumped by
    `services.published_data_changed()` from every write path. Cached public answers (map data,
    result counts, the map's extent) and their ETags are keyed by it, so they are reused until
    the data changes and never served stale after. It lives in the database, so every app server
    sees the same number."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(_("id"), primary_key=True, default=SINGLETON)
    value = models.PositiveBigIntegerField(_("value"), default=1)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name_plural = _("published data versions")
        verbose_name = _("published data version")

    def __str__(self):
        return f"version {self.value}"


class MapSummary(models.Model):
    """Which published-data version the map summary (`MapGridCell`) was built from, and how many
    partnerships were published then. One row. The summary is used only while its version is
    the current one, so it is never read stale (see `partnerships.mapsummary`)."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(_("id"), primary_key=True, default=SINGLETON)
    version = models.PositiveBigIntegerField(_("version"), default=0)
    published = models.PositiveIntegerField(_("published"), default=0)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)

    class Meta:
        verbose_name = _("map summary")
        verbose_name_plural = _("map summary")

    def __str__(self):
        return f"map summary of version {self.version}"


class MapGridCell(models.Model):
    """The published, located partnerships in one cell of the fine map grid
    (`partnerships.mapgrid`): how many, the sums of their coordinates (for the cell's centre)
    and their extent. A few thousand rows at most, however large the directory: the national
    map reads these instead of every partnership."""

    fine_y = models.IntegerField(_("fine y"))
    fine_x = models.IntegerField(_("fine x"))
    count = models.PositiveIntegerField(_("count"))
    latitude_sum = models.FloatField(_("latitude sum"))
    longitude_sum = models.FloatField(_("longitude sum"))
    south = models.FloatField(_("south"))
    north = models.FloatField(_("north"))
    west = models.FloatField(_("west"))
    east = models.FloatField(_("east"))

    class Meta:
        verbose_name = _("map grid cell")
        verbose_name_plural = _("map grid cells")
        constraints = [
            models.UniqueConstraint(fields=["fine_y", "fine_x"], name="map_grid_cell_unique")
        ]

    def __str__(self):
        return f"cell {self.fine_y},{self.fine_x}: {self.count}"


# History: every applied change to a partnership or an organisation, kept as a version ------------


class ChangeKind(models.TextChoices):
    EXISTING = "existing", _("As it was before its history began")
    CREATED = "created", _("Created")
    EDIT = "edit", _("Edited by its editors")
    APPROVAL = "approval", _("Approved by a moderator")
    ADMIN_EDIT = "admin-edit", _("Edited in the admin")
    PUBLISH = "publish", _("Published")
    ARCHIVE = "archive", _("Archived")
    RESTORE = "restore", _("Restored from an earlier version")
    MERGE = "merge", _("Merged")
    IMPORT = "import", _("Imported")
    CONFIRMATION = "confirmation", _("Confirmed as still correct")
    CLAIM = "claim", _("A request to manage it approved")
    ERASURE = "erasure", _("A person's details erased")


class ChangeSet(models.Model):
    """One action that changed the directory (an approval, an admin save, a merge, an import…):
    who did it, when, why, and the versions of every entry it changed. `partnerships.history`
    writes them; use `history.change()` rather than creating one by hand."""

    kind = models.CharField(_("kind"), max_length=20, choices=ChangeKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("change set")
        verbose_name_plural = _("change sets")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at"], name="changeset_newest_first")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    def record(self, entry, *, restored_from=None, always=False):
        """Record `entry` (a Partnership or an Organisation) as it is now, after the write, as a
        version in this change set; `always` records it even when it is as its latest version
        (a merge is a step in the survivor's history whether or not its own fields changed).
        See `partnerships.history.change`."""
        from partnerships import history  # the history module builds on these models

        return history.record_in(self, entry, restored_from=restored_from, always=always)


class VersionQuerySet(models.QuerySet):
    def of(self, entry):
        """The versions of one partnership or organisation."""
        if isinstance(entry, Partnership):
            return self.filter(partnership=entry)
        if isinstance(entry, Organisation):
            return self.filter(organisation=entry)
        raise TypeError(f"No history is kept for {type(entry).__name__}.")

    def newest_first(self):
        return self.order_by("-number")


class Version(models.Model):
    """A partnership or an organisation as it was after one change: the whole entry as a
    snapshot (`partnerships.snapshots`, the format pending revisions use too), numbered 1, 2, 3…
    per entry. A partnership's version also keeps the lifecycle fields the snapshot leaves out
    (publication state, last verified), so that restoring it brings an archived entry back."""

    change_set = models.ForeignKey(
        ChangeSet, on_delete=models.CASCADE, related_name="versions", verbose_name=_("change set")
    )
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="versions",
        verbose_name=_("partnership"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="versions",
        verbose_name=_("organisation"),
    )
    number = models.PositiveIntegerField(_("number"))
    snapshot = models.JSONField(_("snapshot"))
    publication_state = models.CharField(
        _("publication state"), max_length=20, choices=PublicationState.choices, blank=True
    )
    last_verified_at = models.DateTimeField(_("last verified at"), null=True, blank=True)
    # Whether the entry was merged away, and into which entry of its own kind (an id rather than a
    # key: the successor is a partnership or an organisation, like the entry).
    merged_into = models.PositiveIntegerField(_("merged into"), null=True, blank=True)
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)
    restored_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("restored from"),
    )

    objects = VersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(partnership__isnull=False, organisation__isnull=True)
                | Q(partnership__isnull=True, organisation__isnull=False),
                name="version_of_one_entry",
            ),
            # These unique indexes also serve "the versions of X, newest first" (read backwards).
            models.UniqueConstraint(
                fields=["partnership", "number"], name="one_version_number_per_partnership"
            ),
            models.UniqueConstraint(
                fields=["organisation", "number"], name="one_version_number_per_organisation"
            ),
        ]

    def __str__(self):
        return gettext("Version %(number)s of %(entry)s") % {
            "number": self.number,
            "entry": self.entry,
        }

    @property
    def entry(self):
        return self.partnership if self.partnership_id else self.organisation

    @property
    def entry_id(self):
        return self.partnership_id or self.organisation_id


# Duplicates -----------------------------------------------------------------------------------
#
# `partnerships.matching` finds pairs of organisations or partnerships that are probably one and
# the same; the curators' duplicates page lists them and either merges them
# (`partnerships.merging`) or dismisses them as not duplicates, which is remembered.


class DuplicateKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisations")
    PARTNERSHIP = "partnership", _("Partnerships")


class EntryPair(models.Model):
    """Two organisations or two partnerships, in a fixed order (the lower id first), so a pair
    is one row whichever way round it is named."""

    kind = models.CharField(_("kind"), max_length=12, choices=DuplicateKind.choices)
    organisation_a = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation a"),
    )
    organisation_b = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation b"),
    )
    partnership_a = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partnership a"),
    )
    partnership_b = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partnership b"),
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind=DuplicateKind.ORGANISATION,
                    organisation_a__isnull=False,
                    organisation_b__isnull=False,
                    partnership_a__isnull=True,
                    partnership_b__isnull=True,
                    organisation_a__lt=F("organisation_b"),
                )
                | Q(
                    kind=DuplicateKind.PARTNERSHIP,
                    partnership_a__isnull=False,
                    partnership_b__isnull=False,
                    organisation_a__isnull=True,
                    organisation_b__isnull=True,
                    partnership_a__lt=F("partnership_b"),
                ),
                name="%(class)s_one_kind_in_order",
            ),
            models.UniqueConstraint(
                fields=["organisation_a", "organisation_b"],
                condition=Q(kind=DuplicateKind.ORGANISATION),
                name="%(class)s_one_row_per_organisation_pair",
            ),
            models.UniqueConstraint(
                fields=["partnership_a", "partnership_b"],
                condition=Q(kind=DuplicateKind.PARTNERSHIP),
                name="%(class)s_one_row_per_partnership_pair",
            ),
        ]

    @staticmethod
    def fields_for(first, second):
        """The field values naming the pair of `first` and `second` (two organisations or two
        partnerships), whichever order they come in."""
        low, high = sorted([first, second], key=lambda entry: entry.pk)
        if isinstance(first, Organisation):
            return {
                "kind": DuplicateKind.ORGANISATION,
                "organisation_a": low,
                "organisation_b": high,
            }
        return {"kind": DuplicateKind.PARTNERSHIP, "partnership_a": low, "partnership_b": high}

    @staticmethod
    def involving(model, pk):
        """A filter for the pairs that name the organisation or partnership `pk`."""
        prefix = "organisation" if model is Organisation else "partnership"
        return Q(**{f"{prefix}_a": pk}) | Q(**{f"{prefix}_b": pk})

    @property
    def entries(self):
        if self.kind == DuplicateKind.ORGANISATION:
            return self.organisation_a, self.organisation_b
        return self.partnership_a, self.partnership_b


class DuplicateCandidateQuerySet(models.QuerySet):
    def open(self):
        """Pairs still to look at: neither side merged since, and not dismissed (a scan that
        was already running when a pair was dismissed can write it back)."""
        dismissed = NotDuplicate.objects.filter(
            kind=OuterRef("kind"),
            organisation_a=OuterRef("organisation_a"),
            organisation_b=OuterRef("organisation_b"),
        )
        dismissed_partnerships = NotDuplicate.objects.filter(
            kind=OuterRef("kind"),
            partnership_a=OuterRef("partnership_a"),
            partnership_b=OuterRef("partnership_b"),
        )
        return self.filter(
            Q(organisation_a__merged_into__isnull=True, organisation_b__merged_into__isnull=True),
            Q(partnership_a__merged_into__isnull=True, partnership_b__merged_into__isnull=True),
        ).exclude(Exists(dismissed) | Exists(dismissed_partnerships))

    def best_first(self):
        return self.order_by("-score", "pk")


class DuplicateCandidate(EntryPair):
    """A pair that `manage.py find_duplicates` found probably to be one entry, with how sure
    it is (`score`, 0-100) and why, in words."""

    score = models.PositiveSmallIntegerField(
        _("score"),
        validators=[MaxValueValidator(100)],
        help_text=_("How alike the two are, 0 to 100."),
    )
    reasons = models.JSONField(
        _("reasons"), default=list, help_text=_("Why they match, as sentences.")
    )
    found_at = models.DateTimeField(_("found at"), default=timezone.now)

    objects = DuplicateCandidateQuerySet.as_manager()

    class Meta(EntryPair.Meta):
        verbose_name = _("duplicate candidate")
        verbose_name_plural = _("duplicate candidates")
        ordering = ["-score", "pk"]
        indexes = [models.Index(F("kind"), F("score").desc(), F("id"), name="duplicate_best_first")]

    def __str__(self):
        first, second = self.entries
        return f"{first} / {second} ({self.score})"


class NotDuplicate(EntryPair):
    """A pair a curator said are two different entries: never suggested again."""

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta(EntryPair.Meta):
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("pair marked not duplicates")
        verbose_name_plural = _("pairs marked not duplicates")

    def __str__(self):
        first, second = self.entries
        return gettext("%(first)s is not %(second)s") % {"first": first, "second": second}


class DuplicateScan(models.Model):
    """One run of the duplicate finder: when, and what it found."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    organisations = models.PositiveIntegerField(
        _("organisations"), default=0, help_text=_("Organisations compared.")
    )
    partnerships = models.PositiveIntegerField(
        _("partnerships"), default=0, help_text=_("Partnerships compared.")
    )
    organisation_pairs = models.PositiveIntegerField(_("organisation pairs"), default=0)
    partnership_pairs = models.PositiveIntegerField(_("partnership pairs"), default=0)

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")
        ordering = ["-started_at", "-pk"]
        get_latest_by = "started_at"

    def __str__(self):
        return gettext("Duplicate scan of %(started)s") % {
            "started": f"{self.started_at:%Y-%m-%d %H:%M}"
        }


# Imports ----------------------------------------------------------------------------------------
#
# `partnerships.imports` reads a spreadsheet of organisations or partnerships, matches each row to
# the directory, previews what would happen, and applies it in one transaction as one change set
# of the history; these models keep the runs, the saved column mappings and where each imported
# entry came from.


class ImportKind(models.TextChoices):
    ORGANISATIONS = "organisations", _("Organisations")
    PARTNERSHIPS = "partnerships", _("Partnerships")
    # A feed of services (openreferral/importing.py): its organisations, then its partnerships,
    # through the two kinds above, as one run and one change set.
    OPEN_REFERRAL = "open-referral", _("Open Referral UK feed (JSON)")


class ImportMapping(models.Model):
    """A saved column mapping (header → field), for the next file of the same shape."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    columns = models.JSONField(
        _("columns"),
        default=dict,
        help_text=_("Normalised column heading → the field it fills ('' to ignore)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="one_import_mapping_per_name")
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display().lower()})"


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded: columns to check")
    PREVIEWED = "previewed", _("Previewed: waiting to be confirmed")
    APPLIED = "applied", _("Imported")
    UNDONE = "undone", _("Imported, then undone")


class ImportRun(models.Model):
    """One file imported (or being imported) by a curator: the file itself, how its columns were
    read, the dry run's preview, and once applied what it did and the change set that holds it."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    source = models.CharField(
        _("source"),
        max_length=100,
        help_text=_(
            "Where the list comes from, e.g. “North West networks spreadsheet”. Importing "
            "a corrected file under the same source updates what the first one created."
        ),
    )
    file_name = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField(_("data"), editable=False)
    members_file_name = models.CharField(
        _("members file name"),
        max_length=255,
        blank=True,
        help_text=_("A second file listing members, a row each."),
    )
    members_data = models.BinaryField(_("members data"), default=b"", blank=True, editable=False)
    headers = models.JSONField(_("headers"), default=list, editable=False)
    mapping = models.JSONField(
        _("mapping"), default=list, editable=False, help_text=_("Field of each column.")
    )
    default_sector = models.CharField(
        _("default sector"), max_length=20, choices=Sector.choices, blank=True
    )
    publish = models.BooleanField(
        _("publish"), default=False, help_text=_("Publish imported partnerships.")
    )
    skip_errors = models.BooleanField(
        _("skip errors"), default=False, help_text=_("Import the rows without errors.")
    )
    state = models.CharField(
        _("state"), max_length=20, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    preview = models.JSONField(_("preview"), default=dict, editable=False)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    not_placed = models.PositiveIntegerField(_("not placed"), default=0)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("run by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    change_set = models.ForeignKey(
        ChangeSet,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("change set"),
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undo_change_set = models.ForeignKey(
        ChangeSet,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("undo change set"),
    )

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at"], name="importrun_newest_first")]

    def __str__(self):
        return f"{self.file_name} ({self.get_kind_display().lower()}, {self.created_at:%Y-%m-%d})"


class ImportedRecord(models.Model):
    """Where an imported entry came from: the source and the source's own id for it (or a key
    made from the row), so that importing the source again updates instead of duplicating."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    source = models.CharField(_("source"), max_length=100)
    key = models.CharField(_("key"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partnership"),
    )
    first_run = models.ForeignKey(
        ImportRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first run"),
    )
    last_run = models.ForeignKey(
        ImportRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last run"),
    )

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source", "key"], name="one_entry_per_source_key"
            ),
            models.CheckConstraint(
                condition=Q(kind="organisations", organisation__isnull=False, partnership=None)
                | Q(kind="partnerships", partnership__isnull=False, organisation=None),
                name="imported_record_of_its_kind",
            ),
        ]

    def __str__(self):
        return f"{self.source} #{self.key}"


# Keeping entries current ------------------------------------------------------------------------
#
# `partnerships.freshness` asks editors to confirm their entries (`Reminder`, by email with a
# `ConfirmationLink` that needs no password), marks entries not confirmed for a year, and takes
# visitors' `ProblemReport`s and signed-in people's `ClaimRequest`s to manage an entry with no
# editors, for the curators to decide.


class ConfirmationLink(models.Model):
    """One emailed link that confirms one partnership without signing in. The link carries a
    signed token naming this row (`partnerships.freshness`), so it confirms only this entry,
    works once (`used_at`) and not after `expires_at`."""

    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="confirmation_links",
        verbose_name=_("partnership"),
    )
    sent_to = models.EmailField(_("sent to"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("confirmation link")
        verbose_name_plural = _("confirmation links")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return gettext("Confirmation link for %(partnership)s to %(address)s") % {
            "partnership": self.partnership,
            "address": self.sent_to,
        }


class ReminderKind(models.TextChoices):
    CONFIRM_FIRST = "confirm-1", _("Asked to confirm")
    CONFIRM_SECOND = "confirm-2", _("Asked again after 2 weeks")
    CONFIRM_LAST = "confirm-3", _("Asked a last time after 4 weeks")
    CURATORS = "curators", _("Curators told nobody answered")
    AGREEMENT_REVIEW = "agreement-review", _("Agreement review due in 30 days")


class Reminder(models.Model):
    """A reminder that was sent: to whom, when and about what. `cycle` names what it is about
    (the confirmation it asks to renew, or an agreement's review date), and each kind of
    reminder is sent once per cycle; `answered_at` is when the entry was next confirmed or
    edited."""

    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("partnership"),
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        verbose_name=_("agreement"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    cycle = models.CharField(_("cycle"), max_length=60)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "kind", "cycle"], name="one_reminder_per_cycle"
            )
        ]
        indexes = [models.Index(fields=["-sent_at"], name="reminder_newest_first")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.partnership} ({self.sent_at:%Y-%m-%d})"


class ReportReason(models.TextChoices):
    CLOSED = "closed", _("It has closed or no longer meets")
    CONTACT = "contact", _("The contact details are wrong")
    DETAILS = "details", _("Other details are wrong")
    DUPLICATE = "duplicate", _("It is a duplicate of another entry")
    OTHER = "other", _("Something else")


class ReportState(models.TextChoices):
    OPEN = "open", _("Open")
    FIXED = "fixed", _("Fixed")
    NOT_A_PROBLEM = "not-a-problem", _("Not a problem")
    MERGED = "merged", _("Merged with the other entry")


class ProblemReport(models.Model):
    """A visitor's report that a public entry (a partnership or an organisation) is wrong. Only
    curators and, by email, the entry's editors see it; the reporter's address is for a reply."""

    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="problem_reports",
        verbose_name=_("partnership"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="problem_reports",
        verbose_name=_("organisation"),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=ReportReason.choices)
    explanation = models.TextField(_("explanation"), max_length=2000)
    duplicate_of = models.ForeignKey(
        Partnership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The entry this one duplicates, when that is the problem."),
        verbose_name=_("duplicate of"),
    )
    email = models.EmailField(
        _("email"),
        blank=True,
        help_text=_("Where to tell the reporter what was done; never published."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=20, choices=ReportState.choices, default=ReportState.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    note = models.TextField(
        _("note"), blank=True, help_text=_("What the curator did, told to the reporter.")
    )

    class Meta:
        verbose_name = _("problem report")
        verbose_name_plural = _("problem reports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "-created_at"], name="report_state_newest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(partnership__isnull=False, organisation__isnull=True)
                | Q(partnership__isnull=True, organisation__isnull=False),
                name="report_about_one_entry",
            )
        ]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.entry}"

    @property
    def entry(self):
        return self.partnership or self.organisation


class ClaimState(models.TextChoices):
    PENDING = "pending", _("Waiting for a curator")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ClaimRequest(models.Model):
    """A signed-in person's request to manage a partnership that has no editors."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="claims", verbose_name=_("partnership")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="listing_claims",
        verbose_name=_("user"),
    )
    reason = models.TextField(
        _("reason"), max_length=2000, help_text=_("How the person is involved in the partnership.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=20, choices=ClaimState.choices, default=ClaimState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(
        _("note"), blank=True, help_text=_("The curator's reason, told to the person.")
    )

    class Meta:
        verbose_name = _("claim request")
        verbose_name_plural = _("claim requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "user"],
                condition=Q(state="pending"),
                name="one_pending_claim_per_person",
            )
        ]

    def __str__(self):
        return gettext("%(user)s asks to manage %(partnership)s") % {
            "user": self.user,
            "partnership": self.partnership,
        }


# Asking to join: an organisation asks a partnership's lead to be added as a member ----------------


class JoinRequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for the partnership")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class JoinRequest(models.Model):
    """A visitor's request, on behalf of their organisation, to join a published partnership. Its
    editors see it in "My partnerships"; accepting adds the organisation to the working copy
    through the normal edit path, so a published entry's change is moderated like any other."""

    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="join_requests",
        verbose_name=_("partnership"),
    )
    organisation_name = models.CharField(
        _("organisation name"),
        max_length=200,
        help_text=_("The organisation that would like to join."),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="join_requests",
        help_text=_("The directory's record of the organisation, when it has one."),
        verbose_name=_("organisation"),
    )
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    town = models.CharField(_("town"), max_length=100, blank=True)
    name = models.CharField(_("your name"), max_length=150)
    email = models.EmailField(_("your email address"))
    message = models.TextField(
        _("message"),
        max_length=2000,
        blank=True,
        help_text=_("What your organisation would bring or hopes for."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="join_requests",
        help_text=_("Who asked, when they were signed in."),
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=JoinRequestState.choices,
        default=JoinRequestState.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reply = models.TextField(
        _("reply"),
        max_length=2000,
        blank=True,
        help_text=_("The partnership's reply, sent to the person."),
    )

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["partnership", "state", "-created_at"], name="join_request_queue")
        ]

    def __str__(self):
        return gettext("%(organisation)s asks to join %(partnership)s") % {
            "organisation": self.organisation_name,
            "partnership": self.partnership,
        }
