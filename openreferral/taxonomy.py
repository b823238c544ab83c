"""The taxonomies this directory publishes in its Open Referral UK feed, with stable ids.

A partnership's type, formality, status, scope, activities and channels, a member organisation's
sector and role, and a contact's part are each a term of one of these taxonomies, attached to the
service, location or contact as an HSDS `attribute`. Each term's `term` is the directory's own code
for it (a choice's value or an activity's slug) and its id is derived from the taxonomy and that
code (`ids.taxonomy_term`), so ids never change when a label is reworded.

    for taxonomy in published():            # two queries (activities, channels)
        taxonomy.terms                       # [Term, ...]
    index = TermIndex()                      # by id, and by (taxonomy key, code)
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.utils import translation

from partnerships.models import (
    Activity,
    CommunicationChannel,
    Formality,
    Kind,
    Role,
    Scope,
    Sector,
    Status,
)

from . import ids

VERSION = "1"
LEAD_CONTACT = "lead"


@dataclass(frozen=True)
class Term:
    taxonomy_key: str
    code: str
    name: str
    description: str = ""

    @cached_property
    def id(self):
        return ids.taxonomy_term(self.taxonomy_key, self.code)


@dataclass
class Taxonomy:
    key: str
    name: str
    description: str
    terms: list = field(default_factory=list)

    @cached_property
    def id(self):
        return ids.taxonomy(self.key)


# (key, name, description, choices) of the taxonomies made from fixed choices.
_FROM_CHOICES = [
    (
        "partnership-types",
        "Partnership types",
        "What kind of partnership an entry is.",
        Kind.choices,
    ),
    (
        "formality",
        "Formality",
        "Whether the partnership has a formal agreement.",
        Formality.choices,
    ),
    (
        "partnership-status",
        "Partnership status",
        "Where the partnership is in its life.",
        [*Status.choices],
    ),
    ("scope", "Scope", "How wide an area the partnership covers.", Scope.choices),
    ("sectors", "Member sectors", "The sector a member organisation belongs to.", Sector.choices),
    (
        "membership-roles",
        "Membership roles",
        "An organisation's part in a partnership: the lead, a member or an associate.",
        Role.choices,
    ),
    (
        "contact-roles",
        "Contact roles",
        "A published contact's part in the partnership.",
        [(LEAD_CONTACT, "Lead contact")],
    ),
]


def published():
    """Every taxonomy, with its terms, in a fixed order: two queries."""
    taxonomies = [
        Taxonomy(
            "activities",
            "Partnership activities",
            "What health information partnerships do together.",
            [
                Term("activities", slug, name, description)
                for slug, name, description in Activity.objects.order_by(
                    "group", "name"
                ).values_list("slug", "name", "description")
            ],
        ),
        Taxonomy(
            "channels",
            "Ways of keeping in touch",
            "How a partnership's members keep in touch between meetings.",
            [
                Term("channels", slug, name)
                for slug, name in CommunicationChannel.objects.order_by("name").values_list(
                    "slug", "name"
                )
            ],
        ),
    ]
    with translation.override("en"):  # English, like the taxonomies' own names
        for key, name, description, choices in _FROM_CHOICES:
            terms = [Term(key, value, str(label)) for value, label in choices]
            taxonomies.append(Taxonomy(key, name, description, terms))
    return taxonomies


class TermIndex:
    """The published taxonomies and terms, found by id or by (taxonomy key, code)."""

    def __init__(self, taxonomies=None):
        self.taxonomies = published() if taxonomies is None else taxonomies
        self.by_key = {taxonomy.key: taxonomy for taxonomy in self.taxonomies}
        self.taxonomy_by_id = {taxonomy.id: taxonomy for taxonomy in self.taxonomies}
        self.term_by_id = {}
        self.term_by_code = {}
        self._term_records = {}
        for taxonomy in self.taxonomies:
            for term in taxonomy.terms:
                self.term_by_id[term.id] = term
                self.term_by_code[(taxonomy.key, term.code)] = term

    def term(self, taxonomy_key, code):
        """The term for a directory code (e.g. ("sectors", "nhs")), or None."""
        return self.term_by_code.get((taxonomy_key, code))

    def terms(self):
        return [term for taxonomy in self.taxonomies for term in taxonomy.terms]

    def term_record(self, term):
        """A term as the feed shows it (HSDS `taxonomy_term`): made once per index and shared,
        so callers must not change it."""
        record = self._term_records.get(term.id)
        if record is None:
            record = self._term_records[term.id] = self._make_term_record(term)
        return record

    def _make_term_record(self, term):
        taxonomy = self.by_key[term.taxonomy_key]
        record = {
            "id": term.id,
            "name": term.name,
            "description": term.description or f"{taxonomy.name}: {term.name}.",
            "taxonomy": taxonomy.name,
            "taxonomy_id": taxonomy.id,
            "term": term.code,
        }
        return record

    def taxonomy_record(self, taxonomy):
        """A taxonomy as the feed shows it (HSDS `taxonomy`)."""
        return {
            "id": taxonomy.id,
            "name": taxonomy.name,
            "description": taxonomy.description,
            "version": VERSION,
        }

    def attribute(self, link_id, link_type, taxonomy_key, code):
        """An HSDS `attribute` linking the record `link_id` to the term, or None for a code the
        taxonomy does not have."""
        term = self.term(taxonomy_key, code)
        if term is None:
            return None
        return {
            "id": ids.attribute(link_id, term.id),
            "link_id": link_id,
            "link_type": link_type,
            "taxonomy_term_id": term.id,
            "taxonomy_term": self.term_record(term),
        }

    def code_of(self, attribute):
        """(taxonomy key, code) of an HSDS attribute read from a feed, by its term's id or, for a
        term of this directory's taxonomies named by `taxonomy` and `term`, by those; else None."""
        term_record = attribute.get("taxonomy_term") or {}
        term = self.term_by_id.get(
            str(attribute.get("taxonomy_term_id") or term_record.get("id") or "")
        )
        if term is None:
            taxonomy = next(
                (
                    t
                    for t in self.taxonomies
                    if t.name == term_record.get("taxonomy")
                    or t.id == str(term_record.get("taxonomy_id") or "")
                ),
                None,
            )
            if taxonomy is not None:
                term = self.term_by_code.get((taxonomy.key, str(term_record.get("term") or "")))
        return (term.taxonomy_key, term.code) if term else None
