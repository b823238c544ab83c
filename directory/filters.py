"""The one filter behind the directory list, the map data, the exports and any JSON, so that they
can never disagree about which partnerships match."""

import re
from collections.abc import Sequence
from functools import cached_property

import django_filters
from django import forms
from django.db.models import Case, F, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from partnerships import freshness
from partnerships.languages import readers_name, reading_welsh
from partnerships.models import (
    Activity,
    Agreement,
    AgreementKind,
    CommunicationChannel,
    Formality,
    Kind,
    Membership,
    Partnership,
    Place,
    Region,
    Scope,
    Sector,
    Status,
)
from partnerships.search import MATCH_LIMIT, search_words

RADIUS_CHOICES = [(5, "5 km"), (10, "10 km"), (25, "25 km"), (50, "50 km"), (100, "100 km")]
DEFAULT_RADIUS = 25
SORT_CHOICES = [
    # The default, so that emptying the Near box after a search near a town simply sorts by name
    # (a sticky "Distance" would turn that search into an error). Near a place, nearest first
    # (the place is what the person narrowed by); otherwise, with search words, the best match
    # first; otherwise by name. Short enough to show in full in the box on a phone.
    ("", _("Nearest, best match or name")),
    ("relevance", _("Best match")),
    ("name", _("Name")),
    ("distance", _("Distance")),
    ("recent", _("Recently confirmed")),
]
COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
MAX_QUERY_LENGTH = 200


class PartnershipFilterForm(forms.Form):
    """Checks the parts of a search that depend on each other and turns the `near` text (a place
    name or "lat,lon") into a point, so a place that cannot be found is an error the user sees."""

    near_point = None
    near_place = None

    def clean(self):
        data = super().clean()
        near, lat, lon = data.get("near"), data.get("lat"), data.get("lon")
        point = None
        if self.has_error("lat") or self.has_error("lon"):
            # "Enter a number." already says what is wrong; "give both" would only confuse.
            pass
        elif (lat is None) != (lon is None):
            self.add_error(
                "lat" if lat is None else "lon", gettext("Give both latitude and longitude.")
            )
        elif near:
            # A place the person typed wins over `lat` and `lon`, which a search form only
            # carries along unseen from an address that gave them.
            match = COORDINATES.match(near)
            if match:
                point = self._point(float(match[1]), float(match[2]), field="near")
            else:
                place = Place.objects.resolve(near)
                if place is None:
                    self.add_error(
                        "near",
                        gettext(
                            "We could not find a town called “%(place)s”. Check the spelling, "
                            "or try a nearby town."
                        )
                        % {"place": near},
                    )
                else:
                    point = (place.latitude, place.longitude)
                    self.near_place = place
        elif lat is not None:
            point = self._point(lat, lon, field="lat")
        self.near_point = point
        if data.get("sort") == "distance" and point is None and not self.errors:
            self.add_error(
                "sort", gettext("Sorting by distance needs a town or place to search near.")
            )
        if data.get("sort") == "relevance" and not search_words(data.get("q") or ""):
            self.add_error("sort", gettext("Sorting by best match needs words to search for."))
        return data

    def _point(self, lat, lon, *, field):
        if not -90 <= lat <= 90 or not -180 <= lon <= 180:
            self.add_error(
                field, gettext("Latitude must be between -90 and 90 and longitude -180 and 180.")
            )
            return None
        return (lat, lon)


# The vocabularies' filters, and what their rows are grouped by before their names.
VOCABULARY_ORDER = {"region": ["country"], "activity": ["group"], "channel": []}


def _confirmed_label():
    months = freshness.STALE_AFTER
    return ngettext(
        "Confirmed in the last %(months)s month", "Confirmed in the last %(months)s months", months
    ) % {"months": months}


def _any_member(queryset, **conditions):
    """Partnerships with at least one membership matching `conditions`, without duplicate rows
    (a subquery rather than a join, so counts and map clusters stay right)."""
    members = Membership.objects.filter(**conditions).values("partnership_id")
    return queryset.filter(pk__in=members)


class PartnershipFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=MAX_QUERY_LENGTH,
        help_text=_("Words from a partnership's name, summary, area or member organisations."),
    )
    near = django_filters.CharFilter(
        label=_("Near"),
        method="noop",
        max_length=MAX_QUERY_LENGTH,
        help_text=_("A town or city, e.g. Bolton, or a latitude and longitude."),
        # Suggestions from the gazetteer fill a native <datalist> (place-suggest.js); without
        # JavaScript the typed name is resolved on the server all the same.
        widget=forms.TextInput(
            attrs={
                "list": "place-suggestions",
                "autocomplete": "off",
                "data-suggest-url": reverse_lazy("directory:places"),
            }
        ),
    )
    radius = django_filters.TypedChoiceFilter(
        label=_("Within"),
        choices=RADIUS_CHOICES,
        coerce=int,
        method="noop",
        empty_value=DEFAULT_RADIUS,
    )
    lat = django_filters.NumberFilter(label=_("Latitude"), method="noop")
    lon = django_filters.NumberFilter(label=_("Longitude"), method="noop")
    region = django_filters.ModelChoiceFilter(
        label=_("Region"),
        queryset=Region.objects.all(),
        to_field_name="slug",
        empty_label=_("Any region"),
    )
    sector = django_filters.ChoiceFilter(
        label=_("Member sector"),
        choices=Sector.choices,
        method="filter_sector",
        empty_label=_("Any"),
    )
    activity = django_filters.ModelMultipleChoiceFilter(
        label=_("Activities"),
        queryset=Activity.objects.all(),
        to_field_name="slug",
        method="filter_activity",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Partnerships doing any of the chosen activities."),
    )
    kind = django_filters.ChoiceFilter(label=_("Type"), choices=Kind.choices, empty_label=_("Any"))
    formality = django_filters.ChoiceFilter(
        label=_("Formality"), choices=Formality.choices, empty_label=_("Any")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, empty_label=_("Any")
    )
    scope = django_filters.ChoiceFilter(
        label=_("Scope"), choices=Scope.choices, empty_label=_("Any")
    )
    agreement = django_filters.ChoiceFilter(
        label=_("Has a published agreement"),
        choices=AgreementKind.choices,
        method="filter_agreement",
        empty_label=_("Any or none"),
    )
    channel = django_filters.ModelChoiceFilter(
        label=_("Keeps in touch by"),
        queryset=CommunicationChannel.objects.all(),
        to_field_name="slug",
        method="filter_channel",
        empty_label=_("Any"),
    )
    confirmed = django_filters.BooleanFilter(
        label=lazy(_confirmed_label, str)(),
        method="filter_confirmed",
        widget=forms.CheckboxInput,
        help_text=_("Leave out entries nobody has confirmed are still right for a year or more."),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=SORT_CHOICES, method="noop", empty_label=None
    )

    class Meta:
        model = Partnership
        fields = []
        form = PartnershipFilterForm

    def __init__(self, data=None, queryset=None, **kwargs):
        if queryset is None:
            queryset = Partnership.objects.published()
        if data is not None:
            # Show the defaults that apply, so the form says what the results are.
            data = data.copy()
            if not data.get("radius"):
                data["radius"] = str(DEFAULT_RADIUS)
        super().__init__(data, queryset, **kwargs)
        if reading_welsh():
            for name, groups in VOCABULARY_ORDER.items():
                choices = self.filters[name]
                choices.queryset = choices.queryset.order_by(*groups, readers_name())

    # Set by `filter_queryset`: the words searched for, and whether the results are in order of
    # best match; and by `listed` when they matched too many to rank (more than MATCH_LIMIT) and
    # are listed by name instead.
    words = ()
    ranks_by_best_match = False
    too_many_to_rank = False

    def noop(self, queryset, name, value):
        """Fields that are applied together in `filter_queryset` (near, radius, sort)."""
        return queryset

    def search(self, queryset, name, value):
        return queryset.matching(value)

    def filter_sector(self, queryset, name, value):
        return _any_member(queryset, organisation__sector=value)

    def filter_activity(self, queryset, name, value):
        if not value:
            return queryset
        through = Partnership.activities.through.objects.filter(activity__in=value)
        return queryset.filter(pk__in=through.values("partnership_id"))

    def filter_channel(self, queryset, name, value):
        through = Partnership.channels.through.objects.filter(communicationchannel=value)
        return queryset.filter(pk__in=through.values("partnership_id"))

    def filter_agreement(self, queryset, name, value):
        # Only public agreements count: filtering on a private one would reveal that it exists.
        agreements = Agreement.objects.public().filter(kind=value).values("partnership_id")
        return queryset.filter(pk__in=agreements)

    def filter_confirmed(self, queryset, name, value):
        if not value:
            return queryset
        return freshness.confirmed_within(queryset, freshness.STALE_AFTER)

    @property
    def near_point(self):
        """The (latitude, longitude) searched near, or None."""
        return self.form.near_point if self.is_bound and self.is_valid() else None

    @property
    def near_place(self):
        """The gazetteer town searched near, when the search named one."""
        return self.form.near_place if self.near_point else None

    @property
    def radius_km(self):
        return self.form.cleaned_data.get("radius") or DEFAULT_RADIUS

    def narrows(self):
        """Whether a valid search leaves anything out: False when it lists every published
        partnership (nothing set but the order, or a radius with no place to measure from), so
        that national answers can come from the map summary."""
        return any(
            is_set(value)
            for name, value in self.form.cleaned_data.items()
            if name not in ("sort", "radius")
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        point = self.form.near_point
        words = self.words = search_words(self.form.cleaned_data.get("q") or "")
        sort = self.form.cleaned_data.get("sort") or (
            "distance" if point else "relevance" if words else "name"
        )
        # The default order puts current entries before stale ones; an order the person chose
        # is kept as it is. With the "confirmed" filter on there are no stale ones to move.
        self.stale_last = not self.form.cleaned_data.get("sort") and not (
            self.form.cleaned_data.get("confirmed")
        )
        if point:
            queryset = queryset.near(*point, km=self.form.cleaned_data.get("radius") or 25)
        if sort == "recent":
            # Never-confirmed entries last on every database (PostgreSQL sorts NULL first in DESC).
            return queryset.order_by(F("last_verified_at").desc(nulls_last=True), "name")
        if sort == "distance" and point:
            return self._ordered(queryset, "distance_km", "name")
        if sort == "relevance" and words:
            self.ranks_by_best_match = True
            return self._ordered(queryset, "-search_rank", "name")
        return self._ordered(queryset, "name")

    stale_last = False
    order = ()

    def _ordered(self, queryset, *order):
        self.order = order
        if self.stale_last:
            return current_first(queryset, *order)
        return queryset.order_by(*order)

    def pages(self, queryset, *, total=None):
        """`queryset` (this filter's `qs` or `listed`, with what the list shows) as a list pages
        it: in the default order, through `CurrentThenStale`, so that a page costs an index
        range rather than a sort of every match. `total`: how many, if known."""
        if not self.stale_last:
            return queryset
        pages = CurrentThenStale(queryset, *self.order)
        pages.total = total
        return pages

    def listed(self, queryset, count):
        """`queryset` (this filter's `qs`, `count` partnerships, or at least that many) in the
        order a list shows it: best match first only when at most MATCH_LIMIT match, since
        ranking reads every match (at 100,000 it would cost more than the rest of the page); by
        name beyond, with `too_many_to_rank` set so that the page can say so."""
        if self.ranks_by_best_match and count > MATCH_LIMIT:
            self.too_many_to_rank = True
            return self._ordered(queryset, "name")
        return queryset


class CurrentThenStale:
    """The pages of `partnerships` in `order`, current entries first and then stale ones, as
    `current_first` orders them, read as two ranges in `order`: the current entries from the
    start, then the stale ones. A sort on "is it stale" first could not use an index (at
    100,000 the first page by name took 630 ms instead of 5 ms on PostgreSQL); each range can
    (by name, the index on (publication_state, name)). A page that starts past the current
    entries counts them (one more query); every other page is one query, or two where it
    crosses from current to stale. Sliced like a queryset, by a paginator."""

    def __init__(self, partnerships, *order, now=None):
        cutoff = freshness.months_before(now or timezone.now(), freshness.STALE_AFTER)
        dated = partnerships.alias(confirmed_at=Coalesce("last_verified_at", "created_at"))
        self.partnerships = partnerships
        self.current = dated.filter(confirmed_at__gte=cutoff).order_by(*order)
        self.stale = dated.filter(confirmed_at__lt=cutoff).order_by(*order)

    # How many there are, when the paginator knows (it then saves the stale range's query on
    # a last page that holds only current entries).
    total = None

    def count(self):
        return self.partnerships.count()

    def __getitem__(self, window):
        if not isinstance(window, slice) or window.step is not None or window.stop is None:
            raise TypeError("CurrentThenStale is read by slices with an end, [start:stop].")
        # Read when first used, like a queryset's slice: a page whose rendering comes from the
        # cache costs no query.
        return _Lazy(lambda: self._read(window.start or 0, window.stop))

    def _read(self, start, stop):
        rows = list(self.current[start:stop])
        if len(rows) == stop - start or (
            self.total is not None and start + len(rows) >= self.total
        ):
            return rows
        # Short of a full page: the current entries end here, or ended before `start`.
        boundary = start + len(rows) if rows or start == 0 else self.current.count()
        return rows + list(self.stale[max(start - boundary, 0) : stop - boundary])


class _Lazy(Sequence):
    def __init__(self, read):
        self._read = read

    @cached_property
    def _rows(self):
        return self._read()

    def __getitem__(self, index):
        return self._rows[index]

    def __len__(self):
        return len(self._rows)


def current_first(partnerships, *order, now=None):
    """`partnerships` in `order`, the current ones before the stale ones (not confirmed for
    `freshness.STALE_AFTER` months), so that what is most likely right is seen first."""
    cutoff = freshness.months_before(now or timezone.now(), freshness.STALE_AFTER)
    confirmed_at = Coalesce("last_verified_at", "created_at")
    is_stale = Case(When(LessThan(confirmed_at, Value(cutoff)), then=Value(1)), default=Value(0))
    return partnerships.order_by(is_stale, *order)


def is_set(value):
    """Whether a cleaned filter value leaves anything out."""
    # An unticked checkbox (False) leaves nothing out.
    if value is None or value == "" or value is False:
        return False
    if isinstance(value, (list, tuple, QuerySet)):
        return len(value) > 0
    return True
