"""Which organisations, and which partnerships, are probably the same one entered twice.

One matcher for the whole directory: the registration form asks it whether a typed member is
already in the directory (`likely_duplicates`), the curators' duplicates page lists the pairs
that `find_organisation_pairs` and `find_partnership_pairs` find (stored by
`refresh_duplicate_candidates`, which `manage.py find_duplicates` runs), and an import will ask it
the same questions.

How two organisations match, strongest first:

1. An identifier (an ODS code, a charity number) names one organisation: what comes in with one
   (an imported row, a typed member) is that organisation, whatever its name
   (`organisations_by_identifier`). Identifiers are unique, so two organisations never share one.
2. Their names are the same or nearly so once normalised (`organisation_key`: case, accents and
   punctuation ignored, "&" read as "and", "NHS Foundation Trust", "NHS FT", "NHS Trust" and
   "Trust" dropped, "Libraries", "Library Service" and "Library and Information Service" read
   as "Library", "Hospitals" as "Hospital", "Saint" as "St", "Borough Council" as "Council",
   "The", "and" and "of" dropped, word order ignored), and they are in the same town or within
   `NEAR_KM` of each other.

Partnerships match when their names are nearly the same once normalised (`partnership_key`) and
they serve the same area (the same area name, or within `PARTNERSHIP_NEAR_KM`; the same region
only when one of them has no area to compare), or when they share most of their members (a
Jaccard index of at least `MEMBER_OVERLAP`, with at least `MIN_SHARED_MEMBERS` in common).

Every match carries a score from 0 to 100 and its reasons in words.

Names are compared with rapidfuzz's Indel ratio (the same measure as difflib's
`SequenceMatcher.ratio`, computed in C++): the scan compares every name with every other in the
same town or grid cell, which is millions of comparisons in London-sized blocks and too slow for
difflib.

Scale: nothing here compares every entry with every other. Candidates are found inside blocks
(the same normalised name, the same town, neighbouring grid cells a few km wide, members shared
by a rare organisation) and only those are scored; the scan runs in a command or a background
task, never in a page request.
"""

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from django.db import connections, router, transaction
from django.utils import timezone
from rapidfuzz import fuzz, process

from partnerships.distance import haversine_km
from partnerships.geocoding import normalise_place_name
from partnerships.models import (
    DuplicateCandidate,
    DuplicateKind,
    DuplicateScan,
    Membership,
    NotDuplicate,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    PublicationState,
)

# Organisations within this distance of each other count as in one place.
NEAR_KM = 5
# Partnerships serve an area, often a town or a county: their points can be further apart.
PARTNERSHIP_NEAR_KM = 10
# How alike two normalised names must be (0-100) for the duplicates list.
ORGANISATION_THRESHOLD = 85
PARTNERSHIP_THRESHOLD = 90
# The registration form offers looser suggestions: a question the editor answers, not a claim.
SUGGESTION_THRESHOLD = 80
# Partnerships sharing most of their members: Jaccard index and a minimum overlap.
MEMBER_OVERLAP = 0.6
MIN_SHARED_MEMBERS = 2
# Evidence that weakens a match lowers its score by this much.
WEAK_PLACE_PENALTY = 20

_APOSTROPHES = re.compile("['\u2018\u2019`]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")

# (pattern, replacement) applied in order to the lower-case ASCII words of an organisation name.
ORGANISATION_PHRASES = [
    (r"\bnhs foundation trust\b", " "),
    (r"\bnhs f ?t\b", " "),
    (r"\bnhsft\b", " "),
    (r"\bnhs trust\b", " "),
    (r"\bfoundation trust\b", " "),
    (r"\btrust\b", " "),
    (r"\bnhs\b", " "),
    (
        r"\blibrar(?:y|ies)(?: and (?:information|knowledge))?(?: services?)?\b",
        "library",
    ),
    (r"\bhospitals\b", "hospital"),
    (r"\bsaint\b", "st"),
    (
        r"\b(?:metropolitan borough|county borough|borough|city|district|county) council\b",
        "council",
    ),
    (r"\bcentre\b|\bcenter\b", "centre"),
]
ORGANISATION_NOISE = {"the", "and", "of", "for"}

PARTNERSHIP_PHRASES = [
    (r"\blibraries\b", "library"),
    (r"\bhospitals\b", "hospital"),
    (r"\bservices\b", "service"),
    (r"\bsaint\b", "st"),
    # What kind of group it calls itself says little about which group it is.
    (
        r"\b(?:partnerships?|networks?|groups?|forums?|alliances?|collaborations?|consortium"
        r"|consortia|steering group)\b",
        "partnership",
    ),
]
PARTNERSHIP_NOISE = {"the", "and", "of", "for", "in"}

_COMPILED = {
    id(ORGANISATION_PHRASES): [(re.compile(p), r) for p, r in ORGANISATION_PHRASES],
    id(PARTNERSHIP_PHRASES): [(re.compile(p), r) for p, r in PARTNERSHIP_PHRASES],
}


# Names ------------------------------------------------------------------------------------------


def _plain_words(name):
    """Lower-case ASCII words: accents dropped, apostrophes removed ("St Mary's" gives "st
    marys"), "&" read as "and", any other punctuation a space."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    text = _APOSTROPHES.sub("", text).replace("&", " and ")
    return _NOT_WORD.sub(" ", text).strip()


def _canonical(name, phrases, noise):
    text = f" {_plain_words(name)} "
    for pattern, replacement in _COMPILED[id(phrases)]:
        text = pattern.sub(replacement, text)
    return [word for word in text.split() if word not in noise]


def organisation_words(name):
    """An organisation's name as the matcher reads it, in the name's own word order (for
    showing): "The Leeds Libraries & Information Service" gives "leeds library"."""
    return " ".join(_canonical(name, ORGANISATION_PHRASES, ORGANISATION_NOISE))


def organisation_key(name):
    """The normalised name that organisations are blocked and compared by: `organisation_words`
    in alphabetical order, so "University of Bolton" and "Bolton University" are one key.
    Stored in `Organisation.match_name`."""
    return " ".join(sorted(_canonical(name, ORGANISATION_PHRASES, ORGANISATION_NOISE)))[:200]


def partnership_words(name):
    """A partnership's name as the matcher reads it, in its own word order."""
    return " ".join(dict.fromkeys(_canonical(name, PARTNERSHIP_PHRASES, PARTNERSHIP_NOISE)))


def partnership_key(name):
    """The normalised name partnerships are compared by (each word once, alphabetical). Stored
    in `Partnership.match_name`."""
    return " ".join(sorted(set(_canonical(name, PARTNERSHIP_PHRASES, PARTNERSHIP_NOISE))))[:200]


_NUMBER = re.compile(r"\d+")


def name_score(first_key, second_key):
    """How alike two normalised names are, 0 to 100 (rapidfuzz's Indel ratio, as difflib's
    `SequenceMatcher.ratio` but in C++). Names with different numbers in them ("Ward 10
    Library", "Ward 11 Library") name different things, however alike the rest: 0."""
    if not first_key or not second_key:
        return 0
    if _NUMBER.findall(first_key) != _NUMBER.findall(second_key):
        return 0
    return round(fuzz.ratio(first_key, second_key))


def is_similar(first_name, second_name):
    """Whether two organisation names probably name one organisation (places aside)."""
    return (
        name_score(organisation_key(first_name), organisation_key(second_name))
        >= ORGANISATION_THRESHOLD
    )


def _name_reason(first_name, second_name, first_key, second_key, words, score):
    if first_key == second_key:
        return f"names match after normalising: “{words(first_name)}”"
    return (
        f"names {score}% alike after normalising: “{words(first_name)}” and “{words(second_name)}”"
    )


# Places -----------------------------------------------------------------------------------------


def _place_reason(first, second, near_km):
    """Why two entries are in one place ("same town: Bolton", "1.2 km apart"), or None.
    `first` and `second` have `town` (normalised), `label` (as typed), `latitude`,
    `longitude`."""
    if first.town and first.town == second.town:
        return f"same town: {first.label}"
    if None not in (first.latitude, first.longitude, second.latitude, second.longitude):
        km = haversine_km(first.latitude, first.longitude, second.latitude, second.longitude)
        if km <= near_km:
            return f"{km:.1f} km apart" if km >= 0.1 else "at the same point on the map"
    return None


def _has_place(entry):
    return bool(entry.town) or entry.latitude is not None


# Identifiers ------------------------------------------------------------------------------------
#
# An identifier (an ODS code, a charity number) is unique within its scheme, so two organisations
# never share one and the scan has no identifier pairs to find. Identifiers match what comes in
# (an imported row, a member typed on the registration form) to the one organisation they name,
# before any name is compared.


def organisations_by_identifier(identifiers):
    """{(scheme, scheme_name, value): organisation id} for those of `identifiers` (triples, values
    in their stored form) that a current organisation has, or that a merged one had (then the
    organisation it was merged into), in one query per scheme."""
    wanted = defaultdict(set)
    for scheme, _scheme_name, value in identifiers:
        wanted[scheme].add(value)
    found = {}
    for scheme, values in wanted.items():
        rows = OrganisationIdentifier.objects.of_scheme(scheme, values).values_list(
            "scheme", "scheme_name", "value", "organisation_id", "organisation__merged_into_id"
        )
        for row_scheme, scheme_name, value, organisation_id, merged_into_id in rows:
            found[row_scheme, scheme_name, value] = merged_into_id or organisation_id
    return found


def organisation_with_identifier(scheme, value, scheme_name=""):
    """The current organisation an identifier (stored form) names, or None."""
    pk = organisations_by_identifier([(scheme, scheme_name, value)]).get(
        (scheme, scheme_name, value)
    )
    return Organisation.objects.filter(pk=pk).first() if pk else None


# Comparing two entries --------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """Two entries (by id, lower first) that are probably one, how sure (0-100) and why."""

    first_id: int
    second_id: int
    score: int
    reasons: tuple


@dataclass(frozen=True)
class _Entry:
    pk: int
    name: str
    key: str
    town: str  # normalised, for comparing
    label: str  # as typed, for reasons
    latitude: float | None
    longitude: float | None
    region: str = ""
    region_name: str = ""


def _organisation_entry(values):
    pk, name, key, town, latitude, longitude = values
    return _Entry(
        pk=pk,
        name=name,
        key=key or organisation_key(name),
        town=normalise_place_name(town or ""),
        label=(town or "").strip(),
        latitude=latitude,
        longitude=longitude,
    )


ORGANISATION_VALUES = ["pk", "name", "match_name", "town", "latitude", "longitude"]


def _compare_organisation_entries(first, second):
    if first.pk > second.pk:
        first, second = second, first
    score = name_score(first.key, second.key)
    if score < ORGANISATION_THRESHOLD:
        return None
    reasons = [_name_reason(first.name, second.name, first.key, second.key,
                            organisation_words, score)]  # fmt: skip
    place = _place_reason(first, second, NEAR_KM)
    if place:
        reasons.append(place)
    elif first.key == second.key and not (_has_place(first) and _has_place(second)):
        reasons.append("one of them has no town to compare")
        score -= WEAK_PLACE_PENALTY
    else:
        return None
    return Match(first.pk, second.pk, score, tuple(reasons))


def compare_organisations(first, second):
    """The Match between two organisations, or None if they do not look like one."""
    return _compare_organisation_entries(
        *(
            _organisation_entry([getattr(o, name) for name in ORGANISATION_VALUES])
            for o in (first, second)
        )
    )


def exact_organisation(name, town, organisations):
    """The organisation among `organisations` with exactly this name and town, ignoring case."""
    return (
        organisations.filter(name__iexact=name.strip(), town__iexact=town.strip())
        .order_by("pk")
        .first()
    )


def likely_duplicates(name, town, organisations, limit=5):
    """Organisations among `organisations` that a typed name and town probably mean, most alike
    first, for the registration form's "already in the directory?" question: those in the same
    town whose normalised names are alike, or where the words of one (two or more of them) are
    all in the other ("Bolton Library" offers "Bolton Central Library"), and, when a town is
    typed, those of the same normalised name with no town of their own. Merged organisations
    are never offered."""
    key = organisation_key(name)
    if not key:
        return []
    town = town.strip()
    fields = ("pk", "name", "town", "match_name")
    candidates = list(organisations.current().filter(town__iexact=town).only(*fields)[:1000])
    if town:
        placeless = organisations.current().filter(match_name=key, town="")
        candidates += list(placeless.only(*fields)[:100])
    scored = {}
    for organisation in candidates:
        other = organisation.match_name or organisation_key(organisation.name)
        alike = name_score(key, other)
        contained = 0
        if alike and min(len(key.split()), len(other.split())) >= 2:
            contained = round(fuzz.token_set_ratio(key, other))
        if max(alike, contained) >= SUGGESTION_THRESHOLD:
            scored[organisation.pk] = (-alike, -contained, organisation.name, organisation.pk)
    order = sorted(scored, key=scored.get)[:limit]
    found = {organisation.pk: organisation for organisation in candidates}
    return [found[pk] for pk in order]


# Finding every pair (the scan) ------------------------------------------------------------------


def _alike_pairs(entries, others=None, threshold=ORGANISATION_THRESHOLD):
    """(first, second) for entries whose keys are at least `threshold` alike: within
    `entries`, or between `entries` and `others`. The comparisons run in rapidfuzz's C++."""
    if others is None:
        keys = [entry.key for entry in entries]
        for i, entry in enumerate(entries[:-1]):
            found = process.extract(
                entry.key, keys[i + 1 :], scorer=fuzz.ratio, score_cutoff=threshold, limit=None
            )
            for _key, _score, j in found:
                yield entry, entries[i + 1 + j]
        return
    keys = [entry.key for entry in others]
    for entry in entries:
        for _key, _score, j in process.extract(
            entry.key, keys, scorer=fuzz.ratio, score_cutoff=threshold, limit=None
        ):
            yield entry, others[j]


def _grid(entries, km):
    """Located entries by grid cell at least `km` wide, so that two entries within `km` of each
    other are always in the same or neighbouring cells. A degree of longitude shrinks towards
    the poles, so cells are as many degrees wide as `km` is at the northernmost entry."""
    located = [entry for entry in entries if entry.latitude is not None]
    if not located:
        return {}
    # 110 km to the degree and a furthest latitude rounded up leave a margin for rounding.
    lat_step = km / 110.0
    north = min(85.0, max(abs(entry.latitude) for entry in located) + 1)
    lon_step = lat_step / math.cos(math.radians(north))
    cells = defaultdict(list)
    for entry in located:
        cell = (math.floor(entry.latitude / lat_step), math.floor(entry.longitude / lon_step))
        cells[cell].append(entry)
    return cells


# The four neighbours after a cell in reading order: with the cell itself, every pair of
# adjacent cells is compared exactly once.
_FORWARD = [(0, 1), (1, -1), (1, 0), (1, 1)]


def _blocked_pairs(entries, km, threshold):
    """Candidate pairs of alike names in one block: the same town, the same or neighbouring
    grid cells, or, for an entry with neither town nor point, the same normalised name.
    Yields (first, second), a pair possibly more than once."""
    by_key, by_town = defaultdict(list), defaultdict(list)
    for entry in entries:
        if entry.key:
            by_key[entry.key].append(entry)
            if entry.town:
                by_town[entry.town].append(entry)
    for group in by_key.values():
        for placeless in (entry for entry in group if not _has_place(entry)):
            for other in group:
                if other.pk != placeless.pk:
                    yield placeless, other
    for group in by_town.values():
        if len(group) > 1:
            yield from _alike_pairs(group, threshold=threshold)
    cells = _grid([entry for entry in entries if entry.key], km)
    for (row, column), group in cells.items():
        if len(group) > 1:
            yield from _alike_pairs(group, threshold=threshold)
        for d_row, d_column in _FORWARD:
            neighbours = cells.get((row + d_row, column + d_column))
            if neighbours:
                yield from _alike_pairs(group, neighbours, threshold=threshold)


def find_organisation_pairs():
    """Every pair of current organisations that look like one, as Matches (not yet filtered
    against the pairs curators dismissed)."""
    entries = [
        _organisation_entry(values)
        for values in Organisation.objects.current().values_list(*ORGANISATION_VALUES)
    ]
    matches = {}
    for first, second in _blocked_pairs(entries, NEAR_KM, ORGANISATION_THRESHOLD):
        pair = tuple(sorted([first.pk, second.pk]))
        if pair in matches:
            continue
        match = _compare_organisation_entries(first, second)
        if match:
            matches[pair] = match
    return list(matches.values()), len(entries)


PARTNERSHIP_VALUES = [
    "pk",
    "name",
    "match_name",
    "area_name",
    "latitude",
    "longitude",
    "region__slug",
    "region__name",
]


def _partnership_entry(values):
    pk, name, key, area, latitude, longitude, region, region_name = values
    return _Entry(
        pk=pk,
        name=name,
        key=key or partnership_key(name),
        town=normalise_place_name(area or ""),
        label=(area or "").strip(),
        latitude=latitude,
        longitude=longitude,
        region=region or "",
        region_name=region_name or "",
    )


def _member_reason(first_members, second_members):
    """("4 of 5 members shared", Jaccard index) when the member sets overlap enough, else
    (None, index)."""
    shared = len(first_members & second_members)
    union = len(first_members | second_members)
    jaccard = shared / union if union else 0
    if shared >= MIN_SHARED_MEMBERS and jaccard >= MEMBER_OVERLAP:
        return f"{shared} of {union} members shared", jaccard
    return None, jaccard


def _compare_partnership_entries(first, second, first_members, second_members):
    if first.pk > second.pk:
        first, second = second, first
        first_members, second_members = second_members, first_members
    reasons, scores = [], []
    score = name_score(first.key, second.key)
    if score >= PARTNERSHIP_THRESHOLD:
        place = _place_reason(first, second, PARTNERSHIP_NEAR_KM)
        if place:
            scores.append(score)
        elif (
            first.region
            and first.region == second.region
            and not (_has_place(first) and _has_place(second))
        ):
            place = f"same region: {first.region_name}"
            scores.append(score - WEAK_PLACE_PENALTY)
        if place:
            reasons += [
                _name_reason(
                    first.name, second.name, first.key, second.key, partnership_words, score
                ),
                place,
            ]
    members, jaccard = _member_reason(first_members, second_members)
    if members:
        reasons.append(members)
        scores.append(round(100 * jaccard))
    if not scores:
        return None
    # Two kinds of evidence together are stronger than either.
    best = min(100, max(scores) + (10 if len(scores) > 1 else 0))
    return Match(first.pk, second.pk, best, tuple(reasons))


def _members_of(partnership_ids=None):
    memberships = Membership.objects.exclude(partnership__publication_state=PublicationState.MERGED)
    if partnership_ids is not None:
        memberships = memberships.filter(partnership__in=partnership_ids)
    members = defaultdict(set)
    for partnership_id, organisation_id in memberships.values_list(
        "partnership_id", "organisation_id"
    ).iterator(chunk_size=10_000):
        members[partnership_id].add(organisation_id)
    return members


def compare_partnerships(first, second):
    """The Match between two partnerships, or None if they do not look like one."""
    members = _members_of([first.pk, second.pk])
    entries = {
        values[0]: _partnership_entry(values)
        for values in Partnership.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            *PARTNERSHIP_VALUES
        )
    }
    return _compare_partnership_entries(
        entries[first.pk], entries[second.pk], members[first.pk], members[second.pk]
    )


def _overlapping_members(members):
    """Pairs of partnerships that may share at least MEMBER_OVERLAP of their members, found by
    prefix filtering: with organisations ordered rarest first, two sets that similar must share
    one of the first |set| - ceil(MEMBER_OVERLAP x |set|) + 1 organisations of each. So a
    national body in thousands of partnerships is rarely anyone's prefix, and the candidates
    stay few."""
    frequency = defaultdict(int)
    for organisations in members.values():
        for organisation in organisations:
            frequency[organisation] += 1
    by_prefix = defaultdict(list)
    for partnership_id, organisations in members.items():
        if len(organisations) < MIN_SHARED_MEMBERS:
            continue
        ordered = sorted(organisations, key=lambda o: (frequency[o], o))
        prefix = len(ordered) - math.ceil(MEMBER_OVERLAP * len(ordered)) + 1
        for organisation in ordered[:prefix]:
            by_prefix[organisation].append(partnership_id)
    pairs = set()
    for partnerships in by_prefix.values():
        pairs.update(combinations(sorted(partnerships), 2))
    return pairs


def find_partnership_pairs():
    """Every pair of partnerships that look like one, as Matches. Merged entries take no part;
    archived ones do not either (they are closed, not duplicates)."""
    current = Partnership.objects.current().exclude(publication_state=PublicationState.ARCHIVED)
    entries = {
        values[0]: _partnership_entry(values)
        for values in current.values_list(*PARTNERSHIP_VALUES).iterator(chunk_size=10_000)
    }
    members = _members_of()
    candidates = {
        tuple(sorted([first.pk, second.pk]))
        for first, second in _blocked_pairs(
            list(entries.values()), PARTNERSHIP_NEAR_KM, PARTNERSHIP_THRESHOLD
        )
    }
    by_region = defaultdict(list)
    for entry in entries.values():
        if entry.region and not _has_place(entry):
            by_region[entry.region].append(entry)
    for placeless in by_region.values():
        region_entries = [e for e in entries.values() if e.region == placeless[0].region]
        for first, second in _alike_pairs(
            placeless, region_entries, threshold=PARTNERSHIP_THRESHOLD
        ):
            if first.pk != second.pk:
                candidates.add(tuple(sorted([first.pk, second.pk])))
    candidates |= {
        (low, high)
        for low, high in _overlapping_members(members)
        if low in entries and high in entries
    }
    matches = []
    for low, high in candidates:
        match = _compare_partnership_entries(
            entries[low], entries[high], members.get(low, set()), members.get(high, set())
        )
        if match:
            matches.append(match)
    return matches, len(entries)


# Storing what the scan found --------------------------------------------------------------------


def store_match_names(model, names, using=None):
    """Write `names`, (stored normalised name, pk) pairs, to `model`'s table in one batch of
    plain UPDATEs: at 100,000 rows a second or two, where `bulk_update`'s CASE expressions
    take over a minute on SQLite."""
    connection = connections[using or router.db_for_write(model)]
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field("match_name").column)
    key = connection.ops.quote_name(model._meta.pk.column)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE {key} = %s", list(names))  # noqa: S608


def refresh_match_names():
    """Recompute the stored normalised names where they are stale (rows written in bulk, or a
    change to the normalising rules). Returns how many rows changed."""
    changed = 0
    for model, key in [(Organisation, organisation_key), (Partnership, partnership_key)]:
        stale = []
        for pk, name, stored in model.objects.values_list("pk", "name", "match_name").iterator(
            chunk_size=10_000
        ):
            wanted = key(name)
            if wanted != stored:
                stale.append((wanted, pk))
        if stale:
            store_match_names(model, stale)
        changed += len(stale)
    return changed


def _dismissed(kind):
    prefix = "organisation" if kind == DuplicateKind.ORGANISATION else "partnership"
    return set(
        NotDuplicate.objects.filter(kind=kind).values_list(f"{prefix}_a_id", f"{prefix}_b_id")
    )


def _candidates(kind, matches, now):
    prefix = "organisation" if kind == DuplicateKind.ORGANISATION else "partnership"
    dismissed = _dismissed(kind)
    return [
        DuplicateCandidate(
            kind=kind,
            score=max(0, min(100, match.score)),
            reasons=list(match.reasons),
            found_at=now,
            **{f"{prefix}_a_id": match.first_id, f"{prefix}_b_id": match.second_id},
        )
        for match in matches
        if (match.first_id, match.second_id) not in dismissed
    ]


def refresh_duplicate_candidates():
    """Find every likely duplicate pair again and replace the stored list the curators' page
    reads, leaving out the pairs curators dismissed. Returns the DuplicateScan it recorded."""
    scan = DuplicateScan.objects.create()
    refresh_match_names()
    organisation_matches, scan.organisations = find_organisation_pairs()
    partnership_matches, scan.partnerships = find_partnership_pairs()
    now = timezone.now()
    with transaction.atomic():
        DuplicateCandidate.objects.all().delete()
        for kind, matches in [
            (DuplicateKind.ORGANISATION, organisation_matches),
            (DuplicateKind.PARTNERSHIP, partnership_matches),
        ]:
            rows = DuplicateCandidate.objects.bulk_create(
                _candidates(kind, matches, now), batch_size=1000
            )
            if kind == DuplicateKind.ORGANISATION:
                scan.organisation_pairs = len(rows)
            else:
                scan.partnership_pairs = len(rows)
        scan.finished_at = timezone.now()
        scan.save()
    return scan


def dismiss(first, second, *, user):
    """Remember that `first` and `second` (two organisations or two partnerships) are different
    entries, so they are never suggested as duplicates again, and drop them from the list."""
    fields = NotDuplicate.fields_for(first, second)
    with transaction.atomic():
        NotDuplicate.objects.get_or_create(**fields, defaults={"decided_by": user})
        DuplicateCandidate.objects.filter(**fields).delete()


def forget_pairs_with(entry):
    """Drop the listed pairs that name `entry` (after it was merged away)."""
    DuplicateCandidate.objects.filter(DuplicateCandidate.involving(type(entry), entry.pk)).delete()
