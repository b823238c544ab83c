"""The national picture: figures about the published partnerships a directory search matches.

Each figure is one aggregate query over the partnerships `PartnershipFilter` gives the directory
list (`search.qs`), however many there are, and comes back as a `Figure`: the numbers the chart,
the table and the CSV download all show, so the three can never disagree. Every figure lists
every value of its vocabulary, zeros included, in a fixed order (the choices' order, the regions'
order), so that the tables of two searches line up row for row.

The words of a figure (its title, its headings, the names of regions, sectors and the rest) are
kept lazy, so one cached answer serves the English and the Welsh page: each is put into words in
the reader's language when it is shown (`Figure.rows`, `Figure.labels`). The CSV download's
heading row stays in English (`Figure.headings`), a machine format whatever the page's language.

Only published partnerships are counted (the filter starts from `published()`), and of their
agreements only the public ones: a private agreement is not shown anywhere, so counting it
would reveal that it exists.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.models import Count, Q
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from directory import caching
from partnerships.languages import localised_name
from partnerships.models import (
    Activity,
    Agreement,
    AgreementKind,
    AgreementStatus,
    CommunicationChannel,
    Country,
    Formality,
    Kind,
    Membership,
    Organisation,
    Partnership,
    Region,
    Scope,
    Sector,
    Status,
)

NOT_GIVEN = _("Not given")
# A vocabulary entry's name in the reader's language, decided when it is shown.
lazy_name = lazy(localised_name, str)


@dataclass(frozen=True)
class Figure:
    """One figure: `columns` name the columns, each of `cells` is a label followed by one number
    per further column. `kind` is "bars" (one number a row) or "grid" (a number per column).
    The words are lazy: `labels` and `rows` give them in the reader's language, `headings` in
    English for the CSV download."""

    slug: str
    title: str
    explanation: str
    columns: tuple
    cells: tuple
    kind: str = "bars"

    @property
    def labels(self):
        """The column headings in the reader's language."""
        return tuple(str(column) for column in self.columns)

    @property
    def headings(self):
        """The column headings in English: the CSV download's stable heading row."""
        with translation.override(settings.LANGUAGE_CODE):
            return tuple(str(column) for column in self.columns)

    @property
    def rows(self):
        """Each row's label in the reader's language, then its numbers."""
        return tuple((str(row[0]), *row[1:]) for row in self.cells)

    @property
    def total(self):
        """The sum of every number in the figure (for a grid, of every cell)."""
        return sum(sum(row[1:]) for row in self.cells)

    @property
    def is_empty(self):
        return self.total == 0


@dataclass(frozen=True)
class Summary:
    partnerships: int
    organisations: int


@dataclass(frozen=True)
class Statistics:
    """What the statistics page shows for one search: the summary line and the figures."""

    summary: Summary
    figures: tuple

    def figure(self, slug):
        return next((figure for figure in self.figures if figure.slug == slug), None)


def _within(partnerships):
    """The partnerships of `partnerships` (a filtered queryset, possibly ordered and annotated
    by a search) as a plain queryset to aggregate over: `pk IN (the search)`, so the search's
    ordering and annotations never reach a GROUP BY."""
    return Partnership.objects.filter(pk__in=partnerships.order_by().values("pk"))


def _choice_rows(choices, counts):
    return tuple((label, counts.get(value, 0)) for value, label in choices)


def _count_by(partnerships, field):
    # Straight from the search: a GROUP BY on the partnerships' own fields keeps none of its
    # annotations (tested with words and a place), and skips `_within`'s second pass over them.
    rows = partnerships.order_by().values(field).annotate(n=Count("pk"))
    return {row[field]: row["n"] for row in rows}


def summary(partnerships):
    """How many partnerships, and how many distinct member organisations, in one query."""
    totals = _within(partnerships).aggregate(
        partnerships=Count("pk", distinct=True),
        organisations=Count("memberships__organisation", distinct=True),
    )
    return Summary(**totals)


def by_region(partnerships, *, total):
    """Partnerships in each region, every region in order, then those with none (`total`, the
    number of partnerships, less those in a region: a partnership has one region at most)."""
    regions = Region.objects.annotate(
        n=Count("partnership", filter=Q(partnership__in=_within(partnerships).values("pk")))
    ).order_by(*Region._meta.ordering)
    rows = tuple(
        (lazy_name(name, name_cy), n)
        for name, name_cy, n in regions.values_list("name", "name_cy", "n")
    )
    rows += ((NOT_GIVEN, total - sum(n for _name, n in rows)),)
    return Figure(
        "regions",
        _("Partnerships by region"),
        _("The region each partnership gave as its own; “Not given” counts those without one."),
        (_("Region"), _("Partnerships")),
        rows,
    )


def by_nation(partnerships):
    counts = _count_by(partnerships, "region__country")
    return Figure(
        "nations",
        _("Partnerships by nation"),
        _("The nation of each partnership's region."),
        (_("Nation"), _("Partnerships")),
        (*_choice_rows(Country.choices, counts), (NOT_GIVEN, counts.get(None, 0))),
    )


def by_kind(partnerships):
    return Figure(
        "kinds",
        _("Partnerships by type"),
        _("What kind of partnership each one is."),
        (_("Type"), _("Partnerships")),
        _choice_rows(Kind.choices, _count_by(partnerships, "kind")),
    )


def by_formality(partnerships):
    return Figure(
        "formality",
        _("Formal and informal partnerships"),
        _("Formal partnerships have a written agreement or terms of reference behind them."),
        (_("Formality"), _("Partnerships")),
        _choice_rows(Formality.choices, _count_by(partnerships, "formality")),
    )


def by_status(partnerships):
    return Figure(
        "status",
        _("Partnerships by status"),
        _("Whether each partnership is forming, active, dormant or closed, as it says itself."),
        (_("Status"), _("Partnerships")),
        _choice_rows(Status.choices, _count_by(partnerships, "status")),
    )


def by_scope(partnerships):
    return Figure(
        "scope",
        _("Partnerships by scope"),
        _("The area each partnership covers, from a town to the whole country."),
        (_("Scope"), _("Partnerships")),
        _choice_rows(Scope.choices, _count_by(partnerships, "scope")),
    )


def organisations_by_sector(partnerships):
    """Distinct member organisations of the partnerships, by sector: an organisation in three
    of them counts once."""
    rows = (
        Membership.objects.filter(partnership__in=_within(partnerships).values("pk"))
        .order_by()
        .values("organisation__sector")
        .annotate(n=Count("organisation", distinct=True))
    )
    counts = {row["organisation__sector"]: row["n"] for row in rows}
    return Figure(
        "sectors",
        _("Member organisations by sector"),
        _(
            "Organisations that are members of these partnerships, each counted once however "
            "many partnerships it belongs to."
        ),
        (_("Sector"), _("Organisations")),
        _choice_rows(Sector.choices, counts),
    )


SECTOR_ACTIVITY_SQL = """
SELECT pa.{activity}, ps.sector, COUNT(*)
FROM {activities} pa
JOIN (
    SELECT DISTINCT m.{member_partnership} AS partnership, o.{sector} AS sector
    FROM {memberships} m
    JOIN {organisations} o ON o.{organisation_pk} = m.{member_organisation}
    WHERE m.{member_partnership} IN ({ids})
) ps ON ps.partnership = pa.{partnership}
GROUP BY pa.{activity}, ps.sector
"""


def _sector_activity_counts(partnerships):
    """{(activity id, sector): partnerships} for `partnerships`, in one query: each
    partnership's sectors (from its members, once each) joined to its activities and counted.
    Written in SQL because the ORM cannot join a DISTINCT subquery; the equivalent ORM query,
    a COUNT(DISTINCT) over every membership and activity pair, took twice as long at 100,000
    partnerships (bench/stats.py)."""
    connection = connections[partnerships.db]
    quote = connection.ops.quote_name
    activities, membership = Partnership.activities.through._meta, Membership._meta
    organisation = Organisation._meta
    ids, params = _within(partnerships).values("pk").query.sql_with_params()
    # Table and column names from the models, quoted; every value is a parameter.
    sql = SECTOR_ACTIVITY_SQL.format(
        activities=quote(activities.db_table),
        activity=quote(activities.get_field("activity").column),
        partnership=quote(activities.get_field("partnership").column),
        memberships=quote(membership.db_table),
        member_partnership=quote(membership.get_field("partnership").column),
        member_organisation=quote(membership.get_field("organisation").column),
        organisations=quote(organisation.db_table),
        organisation_pk=quote(organisation.pk.column),
        sector=quote(organisation.get_field("sector").column),
        ids=ids,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(activity, sector): n for activity, sector, n in cursor.fetchall()}


def sector_by_activity(partnerships):
    """For each activity (a row) and sector (a column), the partnerships doing that activity
    with at least one member organisation of that sector: one query over the activity and
    membership tables (a partnership with two members of a sector counts once), and the
    activities' names and order from their own small table, so that every activity shows."""
    counts = _sector_activity_counts(partnerships)
    rows = tuple(
        (lazy_name(name, name_cy), *(counts.get((pk, sector), 0) for sector in Sector.values))
        for pk, name, name_cy in Activity.objects.values_list("pk", "name", "name_cy")
    )
    return Figure(
        "sector-activity",
        _("Activities by member sector"),
        _(
            "How many partnerships do each activity with at least one member organisation from "
            "each sector. A partnership with members from several sectors counts in each of "
            "them."
        ),
        (_("Activity"), *Sector.labels),
        rows,
        kind="grid",
    )


def channels(partnerships):
    rows = CommunicationChannel.objects.annotate(
        n=Count("partnerships", filter=Q(partnerships__in=_within(partnerships).values("pk")))
    ).order_by(*CommunicationChannel._meta.ordering)
    return Figure(
        "channels",
        _("How partnerships keep in touch"),
        _("Partnerships using each way of communicating; most use more than one."),
        (_("Channel"), _("Partnerships")),
        tuple(
            (lazy_name(name, name_cy), n)
            for name, name_cy, n in rows.values_list("name", "name_cy", "n")
        ),
    )


def _public_agreements(partnerships):
    return Agreement.objects.public().filter(partnership__in=_within(partnerships).values("pk"))


def agreements_by_kind(partnerships):
    rows = _public_agreements(partnerships).order_by().values("kind").annotate(n=Count("pk"))
    return Figure(
        "agreement-kinds",
        _("Published agreements by type"),
        _(
            "Agreements these partnerships have made public: memorandums of understanding, "
            "service level agreements, terms of reference and data sharing agreements."
        ),
        (_("Type of agreement"), _("Agreements")),
        _choice_rows(AgreementKind.choices, {row["kind"]: row["n"] for row in rows}),
    )


def agreements_by_status(partnerships):
    rows = _public_agreements(partnerships).order_by().values("status").annotate(n=Count("pk"))
    return Figure(
        "agreement-status",
        _("Published agreements by status"),
        _("Whether each public agreement is a draft, signed, expired or superseded."),
        (_("Status"), _("Agreements")),
        _choice_rows(AgreementStatus.choices, {row["status"]: row["n"] for row in rows}),
    )


def founded_per_year(partnerships):
    """Partnerships by the year they started, every year from the first to the last given,
    then those that did not say."""
    counts = _count_by(partnerships, "established_year")
    years = [year for year in counts if year is not None]
    rows = tuple(
        (str(year), counts.get(year, 0))
        for year in range(min(years, default=0), max(years, default=-1) + 1)
    )
    return Figure(
        "founded",
        _("Partnerships founded each year"),
        _("The year each partnership started, where it says; “Not given” counts the others."),
        (_("Year"), _("Partnerships")),
        (*rows, (NOT_GIVEN, counts.get(None, 0))),
    )


# The figures in the order the page shows them; their slugs name the CSV downloads.
FIGURES = [
    "regions",
    "nations",
    "kinds",
    "formality",
    "status",
    "scope",
    "sectors",
    "sector-activity",
    "channels",
    "agreement-kinds",
    "agreement-status",
    "founded",
]


def compute(partnerships):
    """Every figure for `partnerships` (a filtered queryset of published partnerships), in a
    fixed number of queries whatever their number: one for the summary, one per figure, and
    one for the activities' names."""
    totals = summary(partnerships)
    figures = (
        by_region(partnerships, total=totals.partnerships),
        by_nation(partnerships),
        by_kind(partnerships),
        by_formality(partnerships),
        by_status(partnerships),
        by_scope(partnerships),
        organisations_by_sector(partnerships),
        sector_by_activity(partnerships),
        channels(partnerships),
        agreements_by_kind(partnerships),
        agreements_by_status(partnerships),
        founded_per_year(partnerships),
    )
    return Statistics(summary=totals, figures=figures)


def depends_on_the_day(params):
    """Whether a search's figures change with the calendar as well as with the data: only when
    it keeps to entries confirmed in the last 12 months."""
    return bool(params.get("confirmed", "").strip())


def cached_statistics(params, search, version):
    """The statistics of `search` (a valid PartnershipFilter of the request's `params`),
    computed once per published-data version and search (the order and page of the results do
    not change them). The national figures are usually computed before anyone asks, by
    `directory.warming` after each refresh of the map summary. The figures' words are lazy,
    so English and Welsh pages share one answer."""
    return caching.cached(
        "statistics",
        version,
        [caching.normalised_query(params, ignore=("page", "sort"))],
        lambda: compute(search.qs),
        daily=depends_on_the_day(params),
        per_language=False,
    )
