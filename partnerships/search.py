"""Free-text search: how the words of a search are read, and the full-text document and index
that PostgreSQL searches them in.

Both databases read a search the same way (`search_words`): the words are the runs of letters
and digits, at most MAX_WORDS of them, without the common English words that PostgreSQL's
"english" configuration ignores. Every word must then match the partnership's own text or the
name of one of its member organisations (see `PartnershipQuerySet.matching`).

The members' names are copied into the partnership's own row (`Partnership.member_names`, one
name a line), so a search reads one table: a generated column cannot see other tables, and a
search that also looked through memberships for every word cost a join over every match.
`PartnershipQuerySet.refresh_member_names` is the one place that writes them; every write path
that adds, removes or moves a membership or renames an organisation calls it (snapshots, the
admin, load_demo).

On PostgreSQL each partnership keeps its text as a stored `tsvector` (a generated column, so the
database keeps it right on every write) with a GIN index: matching is one index lookup, English
stemming lets "libraries" find "library", and ranking reads the stored vector instead of parsing
every matching row's text again (an expression index was measured at 750 ms for a word in every
row of 100,000, the stored vector at 55 ms). SQLite has no `tsvector`: there the column is always
NULL, the index is not created, and the words are matched with `icontains`.

Counting, ranking and finding the map's extent would still read every match, so a search
matching more than MATCH_LIMIT partnerships is "broad": its page counts no further than the
limit and says "more than" (`PartnershipQuerySet.count_and_extent`), finds the extent from the
edges of the map, lists the matches by name instead of best match first
(`PartnershipFilter.listed`) and pages through the first MATCH_LIMIT of them. A word found in
every one of 100,000 partnerships then costs about as much as a rare one.
"""

import re

from django.contrib.postgres.search import SearchVector, SearchVectorExact
from django.db import models
from django.db.models import Func

CONFIG = "english"
# Welsh text (`name_cy`, `summary_cy`) is indexed and searched word for word: PostgreSQL has no
# Welsh stemmer or stop list.
WELSH_CONFIG = "simple"
MAX_WORDS = 10
# A search matching more partnerships than this is broad: counted as "more than", listed by
# name instead of best match first, and paged through this far.
MATCH_LIMIT = 5_000
# Between two names in `Partnership.member_names`: no letter or digit, so no search word can
# match across two names.
MEMBER_NAME_SEPARATOR = "\n"
# PostgreSQL's english.stop (tsearch_data), so that SQLite ignores the same words.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had having do does did doing a an the
    and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now
    """.split()  # noqa: SIM905 (a list of 127 quoted words reads worse)
)
# Letters and digits: punctuation and operators (%, _, quotes, &, |, !, :*) only separate words,
# so nothing a person types reaches the database as syntax.
WORD = re.compile(r"[^\W_]+")


def search_words(text):
    """The words of a search that must all match, lower-cased, in order, without repeats."""
    words = []
    for word in WORD.findall(text.casefold()):
        if word not in STOP_WORDS and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


class SearchDocumentField(models.Field):
    """A column holding a full-text vector (`tsvector` on PostgreSQL), matched with
    `document=SearchQuery(...)`. Django's own SearchVectorField would do, but its system check
    asks for django.contrib.postgres in INSTALLED_APPS, which this project needs for nothing else
    and which SQLite installs could not sensibly list."""

    def db_type(self, connection):
        return "tsvector"


SearchDocumentField.register_lookup(SearchVectorExact)


class SearchDocument(Func):
    """The weighted full-text vector of some text columns on PostgreSQL (the first column weighs
    most, for ranking), NULL on other databases. Used as a generated column's expression.
    `welsh` maps Welsh columns to their weights; they are read with WELSH_CONFIG."""

    template = "(%(expressions)s)"
    arg_joiner = " || "

    def __init__(self, *columns, welsh=None):
        vectors = [
            SearchVector(column, config=CONFIG, weight="ABCD"[min(n, 3)])
            for n, column in enumerate(columns)
        ] + [
            SearchVector(column, config=WELSH_CONFIG, weight=weight)
            for column, weight in (welsh or {}).items()
        ]
        super().__init__(*vectors, output_field=SearchDocumentField())

    def as_sql(self, compiler, connection, **extra):
        if connection.vendor != "postgresql":
            return "NULL", []
        return super().as_sql(compiler, connection, **extra)


class SearchIndex(models.Index):
    """A GIN index on PostgreSQL; on other databases, where the search document is NULL and
    unused, no index at all (the statements are SQL comments).

    Without `fastupdate`: every write goes straight into the index instead of a pending list
    that each search then reads through until a VACUUM merges it. The directory is read far
    more than written, and with a pending list of 15,000 edited rows (under autovacuum's
    threshold at 100,000) the planner rightly gave up the index and scanned the table: 35 ms
    instead of 6 ms for a word in 4,000 rows."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return f"-- {self.name}: PostgreSQL only"
        statement = super().create_sql(model, schema_editor, using=" USING gin", **kwargs)
        statement.parts["extra"] = " WITH (fastupdate = off)" + statement.parts["extra"]
        return statement

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return f"-- {self.name}: PostgreSQL only"
        return super().remove_sql(model, schema_editor, **kwargs)
