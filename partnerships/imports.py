"""The import engine: lists of organisations or partnerships from a spreadsheet into the directory.

    table = spreadsheets.read_table(data)
    mapping = guess_mapping(kind, table.headers)             # the curator may change it
    report = Importer(kind, table, mapping, source="NW list").dry_run()   # writes nothing
    report = Importer(..., user=curator).apply()             # all rows, or none

One engine for every caller (the curators' import screens, `manage.py import_directory`, the Open
Referral UK import). For each row it:

1. **reads** the mapped cells and **cleans** them (`clean_*`): spaces, `mailto:`, web addresses
   without `https://`, HTML (stripped to its text with nh3, never rendered), names in capitals,
   formula cells, empty rows, the same row twice;
2. **matches** the row to the directory: its source id from an earlier import of the same source,
   then its identifiers (an ODS code names one organisation), then the duplicate matcher's
   normalised name in the same town or area (`partnerships.matching`);
3. says what would happen: **new**, **update** (with the fields that change; an empty cell never
   empties a field), **unchanged**, **skipped** (a repeat of an earlier row) or **error** (with the
   column and a sentence);
4. on `apply()`, writes every row in one transaction as one change set of kind "import" in the
   history, or writes nothing when any row has an error (unless `skip_errors`). Organisations are
   placed offline (`services.geocode_organisation`), and those it cannot place by town or postcode
   are put at their region's centre or, failing that, flagged for `manage.py geocode --failed`.
   Partnerships are placed by the usual rules (`services.place_partnership`).

Queries are made per chunk of rows, not per row, so a dry run costs the same few queries for every
`CHUNK` rows whatever the file's size.

`undo(run, user=…)` removes what an import created and puts back what it changed.
"""

import html
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import F, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext_lazy
from rapidfuzz import fuzz, process

from directory.mapdata import UK_EXTENT
from partnerships import geocoding, history, identifiers, matching, services
from partnerships.geocoding import normalise_place_name
from partnerships.models import (
    FIRST_YEAR,
    LAST_YEAR,
    RESERVED_SLUGS,
    Activity,
    ChangeKind,
    CommunicationChannel,
    Contact,
    Country,
    Formality,
    ImportedRecord,
    ImportKind,
    ImportRun,
    ImportState,
    Kind,
    LocationPrecision,
    LocationSource,
    MeetingFormat,
    Membership,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    Place,
    PublicationState,
    Region,
    Role,
    Scope,
    Sector,
    Status,
    Version,
)
from partnerships.snapshots import snapshot_of_new
from partnerships.spreadsheets import Formula, SpreadsheetError, read_table

CHUNK = 500


# Fields and how column headings name them -----------------------------------------------------


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str
    synonyms: str = ""  # other headings that mean the field, separated by commas
    kind: str = "text"
    max_length: int = 0
    help: str = ""
    example: str = ""


def _identifier_fields():
    return [
        ImportField(
            f"identifier:{scheme.value}",
            scheme.label,
            ", ".join(identifiers.SCHEME_WORDS.get(scheme, ())),
            "identifier",
            100,
            example=identifiers.RULES[scheme].example,
        )
        for scheme in identifiers.Scheme
        if scheme != identifiers.Scheme.OTHER
    ]


SOURCE_ID = ImportField(
    "source_id",
    gettext_lazy("Source ID"),
    "id, ref, reference, source id, record id, uid, unique id, row id",
    "key",
    200,
    "The list's own id for the row, so that importing the list again updates the same entry.",
    "NW-001",
)
WEBSITE = ImportField(
    "website",
    gettext_lazy("Website"),
    ("website, web site, url, website url, web address, homepage, home page, site, www, link, web"),
    "url",
    200,
    example="https://www.bolton.gov.uk/libraries",
)
LATITUDE = ImportField(
    "latitude",
    gettext_lazy("Latitude"),
    "latitude, lat",
    "latitude",
    help="Decimal degrees, north positive (53.578 for Bolton). Given with a longitude, the point "
    "places the entry instead of its town or area; it must be in the UK or Ireland.",
    example="53.578",
)
LONGITUDE = ImportField(
    "longitude",
    gettext_lazy("Longitude"),
    "longitude, long, lon, lng",
    "longitude",
    help="Decimal degrees, east positive (-2.429 for Bolton).",
    example="-2.429",
)
REGION = ImportField(
    "region",
    gettext_lazy("Region"),
    "region, nhs region, nhs england region, english region",
    "region",
    example="North West",
)

ORGANISATION_FIELDS = [
    SOURCE_ID,
    ImportField(
        "name",
        gettext_lazy("Name"),
        (
            "name, organisation, organisation name, organization, organization name, org name, "
            "org, library name, library, trust name, trust, institution, service name, "
            "provider, provider name, body, name of library, name of organisation"
        ),
        "name",
        200,
        example="Bolton Library and Museum Services",
    ),
    ImportField(
        "sector",
        gettext_lazy("Sector"),
        "sector, type, organisation type, org type, category, kind of organisation",
        "sector",
        example="Public library",
    ),
    *_identifier_fields(),
    ImportField(
        "identifiers",
        gettext_lazy("Other identifiers"),
        "identifiers, other identifiers, codes",
        "identifiers",
        help="Several identifiers in one cell, as “ODS code: RMC; Charity number: 1123456”.",
    ),
    ImportField(
        "address_1",
        gettext_lazy("Address line 1"),
        ("address, address 1, address line 1, address1, street, street address, addr1,, building"),
        "text",
        255,
        example="Central Library, Le Mans Crescent",
    ),
    ImportField(
        "address_2",
        gettext_lazy("Address line 2"),
        "address 2, address line 2, address2, addr2, street 2",
        "text",
        255,
    ),
    ImportField(
        "address_3",
        gettext_lazy("Address line 3"),
        "address 3, address line 3, address3, addr3, locality, district",
        "text",
        255,
    ),
    ImportField(
        "town",
        gettext_lazy("Town or city"),
        "town, city, town city, town or city, post town, place, town village",
        "text",
        100,
        example="Bolton",
    ),
    ImportField(
        "postcode",
        gettext_lazy("Postcode"),
        "postcode, post code, postal code, zip, zip code, postcode zip",
        "postcode",
        10,
        example="BL1 1SE",
    ),
    ImportField(
        "country",
        gettext_lazy("Country"),
        "country, nation, uk nation, home nation",
        "country",
        example="England",
    ),
    REGION,
    WEBSITE,
    LATITUDE,
    LONGITUDE,
    ImportField(
        "email",
        gettext_lazy("Email"),
        (
            "email, e mail, email address, e mail address, contact email, general email, "
            "enquiries email, mail"
        ),
        "email",
        254,
        example="libraries@example.org",
    ),
]

PARTNERSHIP_FIELDS = [
    SOURCE_ID,
    ImportField(
        "name",
        gettext_lazy("Name"),
        (
            "name, partnership, partnership name, network, network name, group, group name, "
            "title, name of partnership, name of network"
        ),
        "name",
        200,
        example="Bolton Health Information Partnership",
    ),
    ImportField(
        "summary",
        gettext_lazy("Summary"),
        "summary, short description, about, overview, brief description, strapline",
        "long",
        300,
        example="NHS, public and university libraries in Bolton sharing health information.",
    ),
    ImportField(
        "description",
        gettext_lazy("Description"),
        "description, details, more about, full description",
        "long",
    ),
    ImportField(
        "aims",
        gettext_lazy("Aims and objectives"),
        "aims, aims and objectives, objectives, purpose, goals",
        "long",
    ),
    ImportField(
        "area_name",
        gettext_lazy("Area"),
        (
            "area, area served, area name, location, place, town, city, locality, geography, "
            "coverage, covers"
        ),
        "text",
        120,
        example="Bolton",
    ),
    REGION,
    ImportField(
        "kind",
        gettext_lazy("Type"),
        "type, kind, partnership type, type of partnership",
        "partnership-kind",
        example="Cross-sector network",
    ),
    ImportField(
        "formality",
        gettext_lazy("Formality"),
        "formality, formal or informal, formal informal",
        "formality",
        example="Formal",
    ),
    ImportField(
        "status",
        gettext_lazy("Status"),
        "status, state, current status",
        "status",
        example="Active",
    ),
    ImportField("scope", gettext_lazy("Scope"), "scope, level, reach", "scope", example="Local"),
    ImportField(
        "established_year",
        gettext_lazy("Established"),
        (
            "established, year established, founded, year founded, start year, since, "
            "established year, started"
        ),
        "year",
        example="2019",
    ),
    WEBSITE,
    ImportField(
        "mailing_list",
        gettext_lazy("Mailing list"),
        "mailing list, jiscmail, list, email list",
        "text",
        255,
    ),
    ImportField(
        "meeting_frequency",
        gettext_lazy("Meeting frequency"),
        "meeting frequency, meets, frequency, meetings, how often, how often it meets",
        "text",
        100,
        example="Quarterly",
    ),
    ImportField(
        "meeting_format",
        gettext_lazy("Meeting format"),
        "meeting format, how it meets, format of meetings, meeting type",
        "meeting-format",
        example="Hybrid",
    ),
    ImportField(
        "channels",
        gettext_lazy("Ways of keeping in touch"),
        "channels, communication channels, ways of keeping in touch, keeps in touch by",
        "channels",
        help="Names from the directory's list of ways of keeping in touch, separated by "
        "semicolons.",
        example="Mailing list; Microsoft Teams",
    ),
    ImportField(
        "activities",
        gettext_lazy("Activities"),
        "activities, activity, what it does, work areas, areas of work",
        "activities",
        help="Activity names from the directory's list, separated by semicolons.",
        example="Health Information Week; Reading Well",
    ),
    ImportField(
        "members",
        gettext_lazy("Members"),
        (
            "members, member organisations, member organizations, partners, member orgs, "
            "organisations, partner organisations, membership"
        ),
        "members",
        help="Member organisations by name or identifier, separated by semicolons; they must "
        "be in the directory already (import organisations first).",
        example="Bolton NHS Foundation Trust; Bolton Library and Museum Services",
    ),
    ImportField(
        "associates",
        gettext_lazy("Associate members"),
        "associates, associate members, associate organisations",
        "members",
        help="Organisations that take part as associates, as in Members.",
    ),
    ImportField(
        "lead",
        gettext_lazy("Lead member"),
        (
            "lead, lead member, lead organisation, lead organization, lead org, host, "
            "coordinator, led by, lead partner, coordinating organisation"
        ),
        "member",
        help="The member organisation that leads, by name or identifier.",
        example="Bolton NHS Foundation Trust",
    ),
    LATITUDE,
    LONGITUDE,
    ImportField(
        "contacts",
        gettext_lazy("Public contacts"),
        "public contacts, published contacts",
        "contacts",
        help="People or roles to contact, one a line or separated by semicolons, as “Name "
        "<email>” (from a program: a list of {name, job_title, email, phone, is_lead}). They are "
        "imported as published, with consent to publish recorded at the time of the import, "
        "because the source made them public: import only contacts the source publishes.",
        example="Library team <library@example.org>",
    ),
]

FIELDS = {
    ImportKind.ORGANISATIONS: ORGANISATION_FIELDS,
    ImportKind.PARTNERSHIPS: PARTNERSHIP_FIELDS,
}
# The kinds a spreadsheet holds (an Open Referral UK feed is read by openreferral/importing.py
# into one table of each).
SPREADSHEET_KINDS = list(FIELDS)

MEMBER_SHEET_FIELDS = [
    ImportField(
        "partnership",
        "Partnership",
        "partnership, partnership name, network, partnership id, network name, group",
    ),
    ImportField(
        "member",
        "Member",
        "member, organisation, member organisation, organisation name, name, org",
    ),
    ImportField("role", "Role", "role, member role, part"),
]


def fields_for(kind):
    return FIELDS[ImportKind(kind)]


def field_choices(kind):
    """(value, label) pairs for a column's field menu, "ignore this column" first."""
    return [("", gettext("Ignore this column")), *((f.name, f.label) for f in fields_for(kind))]


def heading_words(text):
    """A column heading as it is compared: lower case, words only, "&" as "and"."""
    text = (text or "").lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _synonyms(import_field):
    # The English label, whatever the curator's language: files are headed in English.
    with translation.override("en"):
        label = str(import_field.label)
    return [
        heading_words(s)
        for s in (
            import_field.name.replace("_", " "),
            label,
            *import_field.synonyms.split(","),
        )
    ]


def guess_field(kind, heading, taken=()):
    """The field a column heading probably names, or "": the same words as a field's name or one
    of its synonyms first, else a synonym of two or more words inside the heading ("Library name
    (official)")."""
    words = heading_words(heading)
    if not words:
        return ""
    candidates = [f for f in fields_for(kind) if f.name not in taken]
    for import_field in candidates:
        if words in _synonyms(import_field):
            return import_field.name
    padded = f" {words} "
    best, best_length = "", 0
    for import_field in candidates:
        for synonym in _synonyms(import_field):
            if (
                len(synonym.split()) >= 2
                and f" {synonym} " in padded
                and len(synonym) > best_length
            ):
                best, best_length = import_field.name, len(synonym)
    return best


def guess_mapping(kind, headers, saved=None):
    """The field of each column (or "" to ignore it): a saved mapping's choice for a heading it
    knows (`saved`: an ImportMapping or a dict of heading words → field), else a guess. No field
    is given to two columns."""
    known = {f.name for f in fields_for(kind)}
    saved_columns = getattr(saved, "columns", saved) or {}
    mapping, taken = [], set()
    for heading in headers:
        words = heading_words(heading)
        if words in saved_columns:
            choice = saved_columns[words] if saved_columns[words] in known else ""
        else:
            choice = guess_field(kind, heading, taken)
        if choice in taken:
            choice = ""
        if choice:
            taken.add(choice)
        mapping.append(choice)
    return mapping


def mapping_to_save(headers, mapping):
    """A mapping as an ImportMapping stores it: heading words → field."""
    return {heading_words(h): f for h, f in zip(headers, mapping, strict=True) if heading_words(h)}


def template(kind):
    """(headings, example row) of the template file for `kind`: every field, one example."""
    columns = [f for f in fields_for(kind) if f.name != "identifiers"]
    with translation.override("en"):  # a file's headings, read back by `guess_field`
        return [str(f.label) for f in columns], [f.example for f in columns]


# Cleaning --------------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be imported; the message is a sentence for the curator."""


FORMULA_START = ("=", "+", "-", "@")
_FUNCTION_CALL = re.compile(r"^=\s*[A-Za-z][A-Za-z0-9.]*\s*\(|^=\s*\$?[A-Za-z]{1,3}\$?\d+")
_SPACES = re.compile(r"[ \t\u00a0]+")
# A cell with nothing to clean: no space at either end or twice, no line break, tab, tag, entity
# or formula character first.
_PLAIN = re.compile(r"[^\s=+\-@'<&](?:[^\s<&]| (?! ))*(?<! )|")
_PLACEHOLDERS = {"-", "--", "\u2013", "\u2014", "n/a", "na", "none", "null", "nil", "tbc", "?"}
# Words kept in capitals when a name written in capitals is put into normal case.
ACRONYMS = {
    "NHS",
    "NHSFT",
    "FT",
    "UK",
    "GP",
    "GPS",
    "CCG",
    "ICB",
    "ICS",
    "PCN",
    "PCT",
    "HEE",
    "NHSE",
    "NHSI",
    "IT",
    "ICT",
    "HE",
    "FE",
    "CIC",
    "CIO",
    "LLP",
    "LTD",
    "PLC",
    "YMCA",
    "YWCA",
    "AGE",
    "MIND",
    "RNIB",
    "RNID",
    "NICE",
    "CILIP",
    "HLG",
    "KFH",
    "KLS",
    "UCL",
    "LSE",
    "NW",
    "NE",
    "SW",
    "SE",
    "II",
    "III",
    "IV",
    "HIV",
    "AIDS",
    "ADHD",
    "BAME",
    "LGBT",
    "LGBTQ",
    "DWP",
    "ONS",
    "BBC",
}
SMALL_WORDS = {"of", "and", "the", "for", "in", "on", "at", "upon", "by", "with", "to", "a", "an"}


def strip_html(text):
    """The text of `text` with any HTML tags removed (by nh3, an HTML sanitiser: script and
    style contents go too), entities decoded. The result is plain text, escaped when shown."""
    if "<" not in text and "&" not in text:
        return text
    return html.unescape(nh3.clean(text, tags=set(), attributes={}))


def remove_formula(text, column):
    """A cell's text with a leading formula character dealt with: a cell that is a formula is an
    error (its value is what matters, and a spreadsheet would run it); "@", "+", "-" or "="
    before plain text are dropped; an apostrophe that a spreadsheet (or our own export) put
    before one is dropped with it."""
    if text[:2] in {f"'{c}" for c in FORMULA_START}:
        text = text[1:]
    if text.startswith("=") and _FUNCTION_CALL.match(text):
        raise CellError(
            gettext(
                "“%(text)s” is a spreadsheet formula, not a value; copy the cells and paste "
                "them back as values."
            )
            % {"text": _short(text)}
        )
    while text[:1] in FORMULA_START and len(text) > 1 and not _is_phone_or_number(text):
        text = text[1:].lstrip()
    return text


def _is_phone_or_number(text):
    return bool(re.fullmatch(r"[+\-]?[\d\s().]+", text))


def _short(text, length=40):
    return text if len(text) <= length else f"{text[: length - 1]}…"


def clean_text(value, column="", *, multiline=False):
    """The plain text of a cell: HTML stripped, formulas dealt with, spaces tidied, a
    placeholder such as "-" or "n/a" read as empty."""
    if isinstance(value, Formula):
        raise CellError(
            gettext(
                "The cell holds a formula (%(formula)s) with no saved value; open the file "
                "in your spreadsheet program, save it, and try again."
            )
            % {"formula": _short(value.text)}
        )
    text = value if type(value) is str else str(value or "")
    if _PLAIN.fullmatch(text):
        # Most cells: one line of ordinary text with single spaces; nothing to clean.
        return "" if text.lower() in _PLACEHOLDERS else text
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = strip_html(text).strip()
    if not text:
        return ""
    text = remove_formula(text, column)
    if multiline:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    else:
        text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    return "" if text.lower() in _PLACEHOLDERS else text


def clean_name(value, column=""):
    """A name, put into normal case if it is written all in capitals ("BOLTON CENTRAL
    LIBRARY" becomes "Bolton Central Library"; "NHS" stays)."""
    text = clean_text(value, column)
    letters = [c for c in text if c.isalpha()]
    if len(letters) > 4 and all(not c.islower() for c in letters):
        text = _title_case(text)
    return text


def _title_case(text):
    words = text.split(" ")
    result = []
    for index, word in enumerate(words):
        bare = re.sub(r"[^A-Za-z]", "", word)
        if bare in ACRONYMS and not (bare in {"AGE", "MIND"} and len(words) > 1 and index):
            result.append(word)
        elif index and word.lower() in SMALL_WORDS:
            result.append(word.lower())
        else:
            result.append("-".join(_capitalise(part) for part in word.lower().split("-")))
    return " ".join(result)


def _capitalise(word):
    # "st. mary's" → "St. Mary's"; "mcdonald" stays "Mcdonald" (rare in these names).
    for index, char in enumerate(word):
        if char.isalpha():
            return word[:index] + char.upper() + word[index + 1 :]
    return word


_email_validator = EmailValidator()
_url_validator = URLValidator(schemes=["http", "https"])


def clean_email(value, column=""):
    text = clean_text(value, column)
    if not text:
        return ""
    text = re.sub(r"^mailto:", "", text, flags=re.IGNORECASE).strip().strip("<>").strip()
    try:
        _email_validator(text)
    except ValidationError:
        raise CellError(
            gettext("“%(text)s” is not an email address.") % {"text": _short(text)}
        ) from None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_url(value, column=""):
    text = clean_text(value, column)
    if not text:
        return ""
    if not re.match(r"^[a-z][a-z0-9+.-]*://", text, flags=re.IGNORECASE):
        if text.lower().startswith(("mailto:", "javascript:", "data:")) or " " in text:
            raise CellError(gettext("“%(text)s” is not a web address.") % {"text": _short(text)})
        text = f"https://{text.lstrip('/')}"
    try:
        _url_validator(text)
    except ValidationError:
        raise CellError(
            gettext("“%(text)s” is not a web address.") % {"text": _short(text)}
        ) from None
    return text


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")


def clean_postcode(value, column=""):
    """A UK postcode in capitals with one space ("bl11se" → "BL1 1SE"); anything else that fits
    is kept as typed (an Irish Eircode, an outward code alone)."""
    text = clean_text(value, column).upper()
    match = _POSTCODE.match(text.replace(" ", ""))
    if match:
        return f"{match.group(1)} {match.group(2)}"
    if len(text) > 10:
        raise CellError(gettext("“%(text)s” is too long for a postcode.") % {"text": _short(text)})
    return text


def clean_year(value, column=""):
    text = clean_text(value, column)
    if not text:
        return None
    match = re.fullmatch(r"(?:c\.?\s*|circa\s+)?(\d{4})(?:\.0)?", text, flags=re.IGNORECASE)
    if not match:
        raise CellError(
            gettext("“%(text)s” is not a year (write it as four digits, e.g. 2019).")
            % {"text": _short(text)}
        )
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= min(LAST_YEAR, timezone.now().year):
        raise CellError(
            gettext("%(year)s is not a year a partnership could have started in.") % {"year": year}
        )
    return year


# Where an imported point may be: the map's extent of the UK (`directory.mapdata.UK_EXTENT`, west,
# south, east, north), widened to take in the Channel Islands (St Helier 49.19), the west of
# Northern Ireland and the Outer Hebrides (St Kilda -8.58), Lowestoft (1.76) and the north of
# Shetland (Out Stack 60.86) with a margin. Ireland, a country the directory knows, is inside.
UK_BOUNDS = (
    min(UK_EXTENT[0], -8.7),
    min(UK_EXTENT[1], 49.1),
    max(UK_EXTENT[2], 1.9),
    max(UK_EXTENT[3], 61.0),
)


def in_uk(latitude, longitude):
    west, south, east, north = UK_BOUNDS
    return south <= latitude <= north and west <= longitude <= east


COORDINATE_MESSAGES = {
    "latitude": {
        "not": gettext_lazy("“%(value)s” is not a latitude."),
        "degrees": gettext_lazy(
            "“%(value)s” is not a latitude; write it in decimal degrees, e.g. 53.578."
        ),
        "range": gettext_lazy(
            "%(value)s is not a latitude: it must be between -%(limit)s and %(limit)s."
        ),
    },
    "longitude": {
        "not": gettext_lazy("“%(value)s” is not a longitude."),
        "degrees": gettext_lazy(
            "“%(value)s” is not a longitude; write it in decimal degrees, e.g. -2.429."
        ),
        "range": gettext_lazy(
            "%(value)s is not a longitude: it must be between -%(limit)s and %(limit)s."
        ),
    },
}


def clean_coordinate(value, column="", *, axis="latitude"):
    """A latitude or longitude in decimal degrees (a number, or text such as "53.578"), rounded
    to 6 places (about 10 cm), or None when empty."""
    if isinstance(value, bool):
        raise CellError(COORDINATE_MESSAGES[axis]["not"] % {"value": value})
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = clean_text(value, column).replace("°", "").replace(",", ".")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise CellError(
                COORDINATE_MESSAGES[axis]["degrees"] % {"value": _short(text)}
            ) from None
    limit = 90 if axis == "latitude" else 180
    if number != number or not -limit <= number <= limit:  # NaN, or off the globe
        raise CellError(COORDINATE_MESSAGES[axis]["range"] % {"value": value, "limit": limit})
    return round(number, 6)


def point_problem(latitude, longitude):
    """Why the point cannot place an entry in this directory ("" when it can): outside the UK,
    and when swapping the two numbers would put it in the UK, that they look swapped."""
    if in_uk(latitude, longitude):
        return ""
    point = {"latitude": f"{latitude:g}", "longitude": f"{longitude:g}"}
    if -90 <= longitude <= 90 and in_uk(longitude, latitude):
        return (
            gettext(
                "the point (latitude %(latitude)s, longitude %(longitude)s) is outside the UK; "
                "latitude and longitude look swapped (latitude %(longitude)s, longitude "
                "%(latitude)s would be in the UK)."
            )
            % point
        )
    return (
        gettext(
            "the point (latitude %(latitude)s, longitude %(longitude)s) is outside the UK and "
            "Ireland, which this directory covers; check the coordinates."
        )
        % point
    )


def _choice_index(choices, extra):
    index = {}
    for value, label in choices.choices:
        index[heading_words(value)] = value
        index[heading_words(label)] = value
    for value, words in extra.items():
        for word in words:
            index[heading_words(word)] = value
    return index


SECTOR_WORDS = {
    Sector.NHS: [
        "nhs",
        "nhs trust",
        "health library",
        "nhs library",
        "trust",
        "hospital",
        "health",
        "nhs foundation trust",
        "health libraries",
    ],
    Sector.PUBLIC_LIBRARY: [
        "public library",
        "public libraries",
        "library service",
        "libraries",
        "library",
        "public",
    ],
    Sector.ACADEMIC: [
        "academic",
        "university",
        "higher education",
        "he",
        "university library",
        "academic library",
    ],
    Sector.FURTHER_EDUCATION: ["fe", "further education", "college", "fe college"],
    Sector.LOCAL_AUTHORITY: [
        "local authority",
        "council",
        "public health",
        "la",
        "local government",
    ],
    Sector.SOCIAL_CARE: ["social care", "care"],
    Sector.VOLUNTARY: [
        "voluntary",
        "charity",
        "vcs",
        "vcse",
        "community",
        "third sector",
        "voluntary sector",
        "community group",
    ],
    Sector.PATIENT_VOICE: ["patient voice", "healthwatch", "patient and public voice", "ppv"],
    Sector.GOVERNMENT: ["government", "national body", "national", "government body"],
}
COUNTRY_WORDS = {
    Country.ENGLAND: ["eng", "en"],
    Country.SCOTLAND: ["sco", "scot", "alba"],
    Country.WALES: ["wal", "cymru"],
    Country.NORTHERN_IRELAND: ["ni", "n ireland", "n i"],
    Country.IRELAND: ["republic of ireland", "roi", "eire", "éire"],
}
KIND_WORDS = {
    Kind.NETWORK: ["network", "cross sector", "partnership"],
    Kind.SLA: ["sla", "service level agreement"],
    Kind.PROJECT: ["project", "joint project"],
    Kind.LIBRARY_IT: ["library and it", "it collaboration"],
}
STATUS_WORDS = {Status.CLOSED: ["closed", "ended", "inactive"], Status.ACTIVE: ["current", "yes"]}
SCOPE_WORDS = {Scope.COUNTY: ["county", "city"], Scope.REGIONAL: ["region"]}
MEETING_FORMAT_WORDS = {
    MeetingFormat.IN_PERSON: ["face to face", "in person meetings"],
    MeetingFormat.ONLINE: ["virtual", "online meetings", "teams", "zoom"],
    MeetingFormat.HYBRID: ["blended", "mixed"],
    MeetingFormat.NONE: ["does not meet", "no meetings", "none"],
}
ROLE_WORDS = {Role.LEAD: ["lead", "host", "chair", "coordinator"], Role.ASSOCIATE: ["associate"]}

# Each with the message for a value that is none of its choices.
CHOICE_FIELDS = {
    "sector": (
        Sector,
        SECTOR_WORDS,
        gettext_lazy("“%(value)s” is not a sector the directory knows (%(allowed)s)."),
    ),
    "country": (
        Country,
        COUNTRY_WORDS,
        gettext_lazy("“%(value)s” is not a country the directory knows (%(allowed)s)."),
    ),
    "partnership-kind": (
        Kind,
        KIND_WORDS,
        gettext_lazy("“%(value)s” is not a type of partnership the directory knows (%(allowed)s)."),
    ),
    "formality": (
        Formality,
        {},
        gettext_lazy("“%(value)s” is not a formality the directory knows (%(allowed)s)."),
    ),
    "status": (
        Status,
        STATUS_WORDS,
        gettext_lazy("“%(value)s” is not a status the directory knows (%(allowed)s)."),
    ),
    "scope": (
        Scope,
        SCOPE_WORDS,
        gettext_lazy("“%(value)s” is not a scope the directory knows (%(allowed)s)."),
    ),
    "meeting-format": (
        MeetingFormat,
        MEETING_FORMAT_WORDS,
        gettext_lazy("“%(value)s” is not a meeting format the directory knows (%(allowed)s)."),
    ),
}
_CHOICE_INDEXES = {key: _choice_index(c, w) for key, (c, w, _n) in CHOICE_FIELDS.items()}


def clean_choice(kind, value, column=""):
    text = clean_text(value, column)
    if not text:
        return ""
    found = _CHOICE_INDEXES[kind].get(heading_words(text))
    if found is None:
        choices, _words, message = CHOICE_FIELDS[kind]
        allowed = ", ".join(str(label) for _value, label in choices.choices)
        raise CellError(message % {"value": _short(text), "allowed": allowed})
    return found


_CONTACT_ITEM = re.compile(r"^(?P<name>[^<]*?)\s*(?:<(?P<email>[^>]*)>)?$")


def clean_contacts(value, column=""):
    """Contacts as dicts (name, job_title, email, phone, is_lead), from a list of such dicts (a
    program's rows) or from text: one a line or separated by semicolons, “Name <email>”. Each
    needs a name (a person or a role)."""
    if isinstance(value, list | tuple):
        items = value
    else:
        items = []
        for item in split_list(clean_text(value, column, multiline=True)):
            match = _CONTACT_ITEM.match(item)
            items.append({"name": match.group("name"), "email": match.group("email") or ""})
    contacts = []
    for item in items:
        if not isinstance(item, dict):
            raise CellError(gettext("“%(text)s” is not a contact.") % {"text": _short(str(item))})
        contact = {
            "name": clean_text(item.get("name"), column)[:150],
            "job_title": clean_text(item.get("job_title"), column)[:150],
            "email": clean_email(item.get("email"), column),
            "phone": clean_text(item.get("phone"), column)[:40],
            "is_lead": bool(item.get("is_lead")),
        }
        if not contact["name"]:
            if not (contact["email"] or contact["phone"]):
                continue
            if contact["email"]:
                raise CellError(
                    gettext(
                        "a contact needs a name (a person or a role, e.g. “Library team”) as well "
                        "as an email address."
                    )
                )
            raise CellError(
                gettext(
                    "a contact needs a name (a person or a role, e.g. “Library team”) as well as "
                    "a phone number."
                )
            )
        contacts.append(contact)
    return contacts


def split_list(text):
    """The items of a list cell: separated by semicolons, line breaks or "|", or by commas
    when it has none of those."""
    if not text:
        return []
    parts = re.split(r"[;\n|]", text) if re.search(r"[;\n|]", text) else text.split(",")
    return [part.strip() for part in parts if part.strip()]


def parse_identifiers(text):
    """[(scheme, scheme_name, value)] from a cell such as "ODS code: RMC; Charity: 1123456"; an
    item whose scheme words are not known is kept as "other" with those words as its name."""
    found = []
    for item in split_list(text):
        words, separator, value = item.partition(":")
        if not separator or not value.strip():
            raise CellError(
                gettext("“%(text)s” should say which identifier it is, as “ODS code: RMC”.")
                % {"text": _short(item)}
            )
        scheme = identifiers.scheme_from_words(words)
        if scheme is None:
            found.append((identifiers.Scheme.OTHER.value, words.strip()[:60], value.strip()))
        else:
            found.append((scheme.value, "", value.strip()))
    return found


# Rows and reports -------------------------------------------------------------------------------


class Outcome:
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    ERROR = "error"

    LABELS = {
        NEW: pgettext_lazy("outcome of an imported row", "New"),
        UPDATE: pgettext_lazy("outcome of an imported row", "Update"),
        UNCHANGED: pgettext_lazy("outcome of an imported row", "Unchanged"),
        SKIPPED: pgettext_lazy("outcome of an imported row", "Skipped"),
        ERROR: pgettext_lazy("outcome of an imported row", "Error"),
    }


@dataclass
class Row:
    """One row of the file and what importing it would do."""

    number: int
    sheet: str = ""
    values: dict = field(default_factory=dict)
    identifiers: list = field(default_factory=list)
    key: str = ""
    outcome: str = Outcome.NEW
    entry_id: int | None = None
    changes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    note: str = ""
    members: list = field(default_factory=list)  # [(organisation id, role)]
    member_labels: dict = field(default_factory=dict)
    activities: list = field(default_factory=list)  # activity ids
    dedupe: str = ""
    matched_by: str = ""  # "source id", "identifier" or "name"
    channels: list = field(default_factory=list)  # channel ids
    # Where the row is, as its messages name it ("Service 3 “Bolton HIP”"); "Row 14" if empty.
    where: str = ""

    @property
    def name(self):
        return self.values.get("name", "")

    def error(self, column, message):
        self.errors.append((column, message))
        self.outcome = Outcome.ERROR

    def messages(self):
        """Each error as a sentence: "Row 14, Email: “kbxlh@” is not an email address." """
        if self.where:
            where = self.where
        elif self.sheet:
            where = gettext("%(sheet)s sheet, row %(number)s") % {
                "sheet": self.sheet,
                "number": self.number,
            }
        else:
            where = gettext("Row %(number)s") % {"number": self.number}
        return [
            gettext("%(where)s, %(column)s: %(message)s")
            % {"where": where, "column": column, "message": message}
            if column
            else gettext("%(where)s: %(message)s") % {"where": where, "message": message}
            for column, message in self.errors
        ]

    def to_dict(self):
        return {
            "number": self.number,
            "sheet": self.sheet,
            "name": self.name,
            "outcome": self.outcome,
            "entry_id": self.entry_id,
            "changes": [list(change) for change in self.changes],
            "errors": [list(error) for error in self.errors],
            "messages": self.messages(),
            "note": self.note,
            "where": self.where,
        }


@dataclass
class Report:
    kind: str
    rows: list
    applied: bool = False
    not_placed: int = 0
    placed_at_region: int = 0
    run: ImportRun | None = None

    @property
    def counts(self):
        counts = Counter(row.outcome for row in self.rows)
        return {
            "rows": len(self.rows),
            "created": counts[Outcome.NEW],
            "updated": counts[Outcome.UPDATE],
            "unchanged": counts[Outcome.UNCHANGED],
            "skipped": counts[Outcome.SKIPPED],
            "errors": counts[Outcome.ERROR],
            "not_placed": self.not_placed,
        }

    @property
    def has_errors(self):
        return any(row.outcome == Outcome.ERROR for row in self.rows)

    def error_messages(self):
        return [message for row in self.rows for message in row.messages()]

    def to_dict(self):
        return {
            "kind": self.kind,
            "counts": self.counts,
            "rows": [row.to_dict() for row in self.rows],
            "placed_at_region": self.placed_at_region,
        }


# The fields an import copies to an entry (an organisation's address lines are joined first).
ORGANISATION_COPIED = (
    "name",
    "sector",
    "address",
    "town",
    "postcode",
    "country",
    "region",
    "website",
    "email",
)
PARTNERSHIP_COPIED = (
    "name",
    "summary",
    "description",
    "aims",
    "area_name",
    "region",
    "kind",
    "formality",
    "status",
    "scope",
    "established_year",
    "website",
    "mailing_list",
    "meeting_frequency",
    "meeting_format",
)
FIELD_LABELS = {"address": gettext_lazy("Address")}


def _copy_new(entry, row, fields):
    """A new entry takes every value the row gives."""
    for name in fields:
        value = row.values.get(name)
        if value not in ("", None):
            setattr(entry, name, value)


class ImportRefused(Exception):
    """`apply()` wrote nothing: rows have errors and skipping them was not asked for."""

    def __init__(self, report):
        errors = report.counts["errors"]
        super().__init__(
            ngettext(
                "%(count)d row has errors; nothing was imported.",
                "%(count)d rows have errors; nothing was imported.",
                errors,
            )
            % {"count": errors}
        )
        self.report = report


# The engine -------------------------------------------------------------------------------------


class Importer:
    """Imports one table of organisations or partnerships; see the module docstring."""

    def __init__(
        self,
        kind,
        table,
        mapping,
        *,
        source,
        default_sector="",
        publish=False,
        skip_errors=False,
        user=None,
        run=None,
    ):
        self.kind = ImportKind(kind)
        self.table = table
        self.mapping = list(mapping) + [""] * (len(table.headers) - len(mapping))
        self.source = (source or "").strip()[:100]
        self.default_sector = default_sector
        self.publish = publish
        self.skip_errors = skip_errors
        self.user = user
        self.run = run
        self.fields = {f.name: f for f in fields_for(self.kind)}
        self._regions = None
        self._activities = None
        self._region_centres = {}
        self._records_written = []
        self._places = {}

    # Reading the rows

    def _columns(self):
        return [
            (index, self.fields[name], self.table.headers[index] or f"Column {index + 1}")
            for index, name in enumerate(self.mapping)
            if name in self.fields
        ]

    def rows(self):
        """Every non-empty row, read and cleaned (not yet matched)."""
        columns = self._columns()
        rows = []
        for number, cells in self.table.rows:
            if not any(
                (cell if isinstance(cell, list | tuple) else str(cell).strip())
                for cell in cells
                if cell is not None
            ):
                continue
            row = Row(number=number)
            for index, import_field, heading in columns:
                value = cells[index] if index < len(cells) else ""
                try:
                    self._read_cell(row, import_field, value, heading)
                except CellError as error:
                    row.error(heading, str(error))
            if (
                not any(v not in ("", None, []) for v in row.values.values())
                and not row.identifiers
            ) and not row.errors:
                continue  # only ignored columns have anything in them
            self._check_point(row)
            rows.append(row)
        return rows

    def _check_point(self, row):
        """Coordinates come in pairs and must be in the UK; a row with a point that is not is
        an error, never imported somewhere wrong."""
        latitude, longitude = row.values.get("latitude"), row.values.get("longitude")
        if latitude is None and longitude is None:
            return
        heading = self._heading("latitude") or gettext("Latitude")
        if latitude is None or longitude is None:
            missing = "longitude" if longitude is None else "latitude"
            if missing == "longitude":
                heading = self._heading(missing) or gettext("Longitude")
                message = gettext("A latitude needs a longitude too; give both or neither.")
            else:
                heading = self._heading(missing) or gettext("Latitude")
                message = gettext("A longitude needs a latitude too; give both or neither.")
            if not any(column == heading for column, _message in row.errors):
                row.error(heading, message)
            return
        problem = point_problem(latitude, longitude)
        if problem:
            row.error(heading, problem[0].upper() + problem[1:])

    def _read_cell(self, row, import_field, value, heading):
        kind = import_field.kind
        if kind == "identifier":
            text = clean_text(value, heading)
            if text:
                scheme = import_field.name.split(":", 1)[1]
                row.identifiers.append(self._identifier(scheme, "", text))
            return
        if kind == "identifiers":
            for scheme, scheme_name, text in parse_identifiers(clean_text(value, heading)):
                row.identifiers.append(self._identifier(scheme, scheme_name, text))
            return
        if kind in ("text", "key"):
            cleaned = clean_text(value, heading)
        elif kind == "long":
            cleaned = clean_text(value, heading, multiline=True)
        elif kind == "name":
            cleaned = clean_name(value, heading)
        elif kind == "email":
            cleaned = clean_email(value, heading)
        elif kind == "url":
            cleaned = clean_url(value, heading)
        elif kind == "postcode":
            cleaned = clean_postcode(value, heading)
        elif kind == "year":
            cleaned = clean_year(value, heading)
        elif kind == "region":
            cleaned = self._region(clean_text(value, heading))
        elif kind in CHOICE_FIELDS:
            cleaned = clean_choice(kind, value, heading)
        elif kind in ("latitude", "longitude"):
            cleaned = clean_coordinate(value, heading, axis=kind)
        elif kind in ("activities", "members", "channels"):
            cleaned = (
                [clean_text(item, heading) for item in value if clean_text(item, heading)]
                if isinstance(value, list | tuple)
                else split_list(clean_text(value, heading, multiline=True))
            )
        elif kind == "contacts":
            cleaned = clean_contacts(value, heading)
        elif kind == "member":
            cleaned = clean_text(value, heading)
        else:  # pragma: no cover - every kind is listed above
            raise ValueError(kind)
        too_long = isinstance(cleaned, str) and len(cleaned) > (
            import_field.max_length or len(cleaned)
        )
        if too_long:
            raise CellError(
                gettext("“%(text)s” is %(length)s characters long; the most is %(most)s.")
                % {"text": _short(cleaned), "length": len(cleaned), "most": import_field.max_length}
            )
        row.values[import_field.name] = cleaned

    def _identifier(self, scheme, scheme_name, text):
        try:
            return (scheme, scheme_name, identifiers.normalise(scheme, text))
        except ValidationError as error:
            raise CellError(" ".join(error.messages)) from None

    def _region(self, text):
        if not text:
            return None
        if self._regions is None:
            self._regions = {}
            for region in Region.objects.all():
                self._regions[heading_words(region.name)] = region
                self._regions[heading_words(region.slug)] = region
        words = heading_words(text)
        region = self._regions.get(words) or self._regions.get(
            heading_words(re.sub(r"\b(nhs|england|region)\b", " ", words, flags=re.IGNORECASE))
        )
        if region is None:
            names = ", ".join(sorted({r.name for r in self._regions.values()}))
            raise CellError(
                gettext("“%(text)s” is not a region the directory knows (%(names)s).")
                % {"text": _short(text), "names": names}
            )
        return region

    # Running

    def dry_run(self):
        """What importing the file would do, row by row; writes nothing."""
        rows = self.rows()
        if self.kind == ImportKind.ORGANISATIONS:
            self._check_organisations(rows)
        else:
            self._attach_member_sheet(rows)
            self._check_partnerships(rows)
        return Report(self.kind, rows, run=self.run)

    def apply(self, change_set=None):
        """Import the file: every row in one transaction, as one change set of kind "import",
        or nothing at all when rows have errors and `skip_errors` is not set (ImportRefused,
        carrying the report). Returns the Report; with `run`, the run is updated too.

        `change_set`: an open change set (inside its `history.change` block) to write into
        instead of a new one, so that two imports (organisations, then the partnerships that
        name them) are one change in the history."""
        if change_set is not None:
            with transaction.atomic():
                return self._apply_in(change_set)
        with history.change(ChangeKind.IMPORT, self.user, self._reason()) as change_set:
            return self._apply_in(change_set)

    def _apply_in(self, change_set):
        report = self.dry_run()
        if report.has_errors and not self.skip_errors:
            raise ImportRefused(report)
        if self.kind == ImportKind.ORGANISATIONS:
            self._write_organisations(report, change_set)
        else:
            self._write_partnerships(report, change_set)
        report.applied = True
        services.published_data_changed()
        self._finish_run(report, change_set)
        return report

    def _reason(self):
        name = self.run.file_name if self.run else self.source
        return f"Import of {name} ({self.kind.label.lower()}, source “{self.source}”)."

    def _finish_run(self, report, change_set):
        run = self.run
        if run is None:
            return
        for name, value in report.counts.items():
            setattr(run, name, value)
        run.preview = report.to_dict()
        run.state = ImportState.APPLIED
        run.applied_at = timezone.now()
        run.change_set = change_set if change_set.pk else None
        run.save()
        self.link_records(run)

    def link_records(self, run):
        """Mark the source records this import wrote as written by `run` (and first written by
        it, where new), so that undoing the run forgets the ones it made."""
        if run.pk:
            ImportedRecord.objects.filter(pk__in=self._records_written).update(last_run=run)
            ImportedRecord.objects.filter(
                pk__in=self._records_written, first_run__isnull=True
            ).update(first_run=run)

    # Within one file

    def _dedupe(self, rows, key_of):
        """Mark rows that repeat an earlier row of the file: identical ones are skipped, ones
        that name the same entry with other details are errors."""
        seen = {}
        for row in rows:
            if row.outcome in (Outcome.ERROR, Outcome.SKIPPED):
                continue
            keys = key_of(row)
            earlier = next((seen[k] for k in keys if k in seen), None)
            if earlier is None:
                for key in keys:
                    seen[key] = row
                continue
            if _same_content(row, earlier):
                row.outcome = Outcome.SKIPPED
                row.note = gettext("The same as row %(number)s.") % {"number": earlier.number}
            elif self.kind == ImportKind.ORGANISATIONS:
                row.error(
                    "",
                    gettext(
                        "names the same organisation as row %(number)s with different details; "
                        "keep one of the two rows."
                    )
                    % {"number": earlier.number},
                )
            else:
                row.error(
                    "",
                    gettext(
                        "names the same partnership as row %(number)s with different details; "
                        "keep one of the two rows."
                    )
                    % {"number": earlier.number},
                )

    def _source_key(self, row, fallback):
        return (row.values.get("source_id") or fallback)[:200]

    def _records(self, keys):
        """{source key: entry id} for keys this source has imported before."""
        field_name = (
            "organisation_id" if self.kind == ImportKind.ORGANISATIONS else "partnership_id"
        )
        return dict(
            ImportedRecord.objects.filter(
                kind=self.kind, source=self.source, key__in=keys
            ).values_list("key", field_name)
        )

    # Organisations

    def _check_organisations(self, rows):
        for row in rows:
            if row.outcome == Outcome.ERROR:
                continue
            if not row.values.get("name"):
                row.error(self._heading("name"), gettext("Every organisation needs a name."))
                continue
            self._fill_address(row)
            row.dedupe = matching.organisation_key(row.name)
            row.key = self._source_key(row, self._organisation_row_key(row))
        self._dedupe(
            rows,
            lambda row: [
                ("id", row.key),
                *row.identifiers,
                ("name", row.dedupe, _town_words(row)),
            ],
        )
        for start in range(0, len(rows), CHUNK):
            chunk = [
                r
                for r in rows[start : start + CHUNK]
                if r.outcome not in (Outcome.ERROR, Outcome.SKIPPED)
            ]
            self._match_organisations(chunk)
        self._dedupe(rows, lambda row: [("entry", row.entry_id)] if row.entry_id else [])
        for row in rows:
            if (
                row.outcome == Outcome.NEW
                and not row.values.get("sector")
                and not self.default_sector
            ):
                row.error(
                    self._heading("sector") or gettext("Sector"),
                    gettext(
                        "“%(name)s” is new to the directory and needs a sector (or choose a "
                        "sector for rows that give none)."
                    )
                    % {"name": row.name},
                )

    def _fill_address(self, row):
        lines = [row.values.pop(f"address_{n}", "") for n in (1, 2, 3)]
        address = ", ".join(line for line in lines if line)
        if address:
            if len(address) > 255:
                row.error(
                    self._heading("address_1"),
                    gettext("The address is longer than 255 characters."),
                )
            row.values["address"] = address
        region = row.values.get("region")
        if region is not None and not row.values.get("country"):
            row.values["country"] = region.country

    def _organisation_row_key(self, row):
        if row.identifiers:
            return ":".join(part for part in row.identifiers[0] if part)
        place = _town_words(row) or row.values.get("postcode", "")
        return f"{row.dedupe}|{place}"

    def _heading(self, field_name):
        for index, name in enumerate(self.mapping):
            if name == field_name:
                return self.table.headers[index] or f"Column {index + 1}"
        return ""

    def _match_organisations(self, rows):
        if not rows:
            return
        by_record = self._records([row.key for row in rows])
        by_identifier = matching.organisations_by_identifier(
            [identifier for row in rows for identifier in row.identifiers]
        )
        by_name = _by_match_name(Organisation, rows, "town", "postcode")
        found = {}
        for row in rows:
            candidates = {by_record.get(row.key)} | {by_identifier.get(i) for i in row.identifiers}
            candidates.discard(None)
            if len(candidates) > 1:
                row.error(
                    "",
                    gettext(
                        "its identifiers (or its source id) name different organisations in the "
                        "directory; a curator should merge them first."
                    ),
                )
                continue
            if candidates:
                found[row.number] = candidates.pop()
                row.matched_by = "source id" if row.key in by_record else "identifier"
                continue
            match = _same_place(row, by_name.get(row.dedupe, []))
            if match:
                found[row.number] = match
                row.matched_by = "name"
        self._match_alike_names(
            [r for r in rows if r.number not in found and r.outcome != Outcome.ERROR], found
        )
        existing = {
            o.pk: o
            for o in Organisation.objects.filter(pk__in=set(found.values()))
            .select_related("region", "merged_into")
            .prefetch_related("identifiers")
        }
        for row in rows:
            if row.outcome == Outcome.ERROR:
                continue
            organisation = existing.get(found.get(row.number))
            if organisation is None:
                row.outcome = Outcome.NEW
                continue
            if organisation.merged_into_id:
                organisation = organisation.merged_into
            row.entry_id = organisation.pk
            row.changes = self._organisation_changes(row, organisation)
            row.outcome = Outcome.UPDATE if row.changes else Outcome.UNCHANGED

    def _match_alike_names(self, rows, found):
        """The duplicate matcher's rule for what exact names missed: names at least
        `ORGANISATION_THRESHOLD` alike after normalising, in the same town."""
        towns = {row.values.get("town", "") for row in rows} - {""}
        if not towns:
            return
        variants = {
            variant
            for town in towns
            for variant in (town, town.title(), town.upper(), town.lower())
        }
        in_town = defaultdict(list)
        for pk, key, town in (
            Organisation.objects.current()
            .filter(town__in=variants)
            .values_list("pk", "match_name", "town")
        ):
            in_town[normalise_place_name(town)].append((pk, key))
        for row in rows:
            candidates = in_town.get(_town_words(row), [])
            if not candidates or not row.dedupe:
                continue
            best = process.extractOne(
                row.dedupe,
                [key for _pk, key in candidates],
                scorer=fuzz.ratio,
                score_cutoff=matching.ORGANISATION_THRESHOLD,
            )
            if best and matching.name_score(row.dedupe, best[0]) >= matching.ORGANISATION_THRESHOLD:
                found[row.number] = candidates[best[2]][0]
                row.matched_by = "name"

    def _organisation_changes(self, row, organisation):
        changes = self._changes(row, organisation, ORGANISATION_COPIED, matching.organisation_key)
        have = {(i.scheme, i.scheme_name, i.value) for i in organisation.identifiers.all()}
        for identifier in row.identifiers:
            if identifier not in have:
                changes.append((gettext("Identifier"), "", _identifier_text(identifier)))
        changes.extend(_point_changes(row, organisation))
        return changes

    def _write_organisations(self, report, change_set):
        rows = [
            r for r in report.rows if r.outcome in (Outcome.NEW, Outcome.UPDATE, Outcome.UNCHANGED)
        ]
        taken_identifiers = self._identifier_owners(rows)
        self._records_written = []
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            self._create_organisations(
                [r for r in chunk if r.outcome == Outcome.NEW],
                change_set,
                report,
                taken_identifiers,
            )
            self._update_organisations(
                [r for r in chunk if r.outcome != Outcome.NEW],
                change_set,
                report,
                taken_identifiers,
            )

    def _create_organisations(self, rows, change_set, report, taken_identifiers):
        """New organisations in a few queries for the whole chunk: placed offline before they
        are saved (each town looked up once per import), inserted together, their identifiers,
        first versions and source records too."""
        if not rows:
            return
        organisations = []
        for row in rows:
            organisation = Organisation()
            self._set_organisation_fields(organisation, row, new=True)
            organisation.match_name = matching.organisation_key(organisation.name)
            if not _place_at_point(organisation, row):
                self._place_new(organisation, report)
            organisations.append(organisation)
        _assign_slugs(Organisation, organisations)
        Organisation.objects.bulk_create(organisations)
        new_identifiers = []
        for row, organisation in zip(rows, organisations, strict=True):
            row.entry_id = organisation.pk
            organisation._prefetched_objects_cache = {"identifiers": []}
            for identifier in row.identifiers:
                if identifier in taken_identifiers:
                    continue
                scheme, scheme_name, value = identifier
                taken_identifiers[identifier] = organisation.pk
                new_identifiers.append(
                    OrganisationIdentifier(
                        organisation=organisation,
                        scheme=scheme,
                        scheme_name=scheme_name,
                        value=value,
                    )
                )
        OrganisationIdentifier.objects.bulk_create(new_identifiers)
        for identifier in new_identifiers:
            identifier.organisation._prefetched_objects_cache["identifiers"].append(identifier)
        history.record_created(change_set, organisations)
        records = ImportedRecord.objects.bulk_create(
            [
                ImportedRecord(
                    kind=self.kind, source=self.source, key=row.key, organisation=organisation
                )
                for row, organisation in zip(rows, organisations, strict=True)
            ]
        )
        self._records_written.extend(record.pk for record in records)

    def _update_organisations(self, rows, change_set, report, taken_identifiers):
        existing = Organisation.objects.in_bulk([r.entry_id for r in rows])
        if existing:
            history.baseline(*existing.values())
        for row in rows:
            organisation = existing[row.entry_id]
            if row.outcome == Outcome.UPDATE:
                self._set_organisation_fields(organisation, row, new=False)
                organisation.save()
                organisation.partnerships.all().refresh_member_names()
                for identifier in row.identifiers:
                    if identifier not in taken_identifiers:
                        scheme, scheme_name, value = identifier
                        OrganisationIdentifier.objects.create(
                            organisation=organisation,
                            scheme=scheme,
                            scheme_name=scheme_name,
                            value=value,
                        )
                        taken_identifiers[identifier] = organisation.pk
                if _place_at_point(organisation, row):
                    organisation.save()
                else:
                    self._place(organisation, report)
                change_set.record(organisation)
            self._remember(row, organisation=organisation)

    def _identifier_owners(self, rows):
        return matching.organisations_by_identifier([i for row in rows for i in row.identifiers])

    def _set_organisation_fields(self, organisation, row, *, new):
        if new:
            _copy_new(organisation, row, ORGANISATION_COPIED)
            organisation.sector = organisation.sector or self.default_sector
            return
        changed = self._copy_changes(
            row, organisation, ORGANISATION_COPIED, matching.organisation_key
        )
        moved = changed & {"address", "town", "postcode", "country", "region"}
        if moved and not services.is_set_by_hand(organisation):
            # Placed again from its new address.
            organisation.latitude = organisation.longitude = None
            organisation.location_precision = organisation.location_source = ""

    # An existing entry: the fields a row would change, and changing them

    def _changed_values(self, row, entry, fields, key_of):
        """(field, old, new) for each field of `fields` that the row changes: a cell with a
        value that differs. An empty cell never empties a field, and the name of an entry
        matched by its name, or the same name written differently ("BOLTON LIBRARY"), stays as
        the directory spells it."""
        for name in fields:
            new = row.values.get(name)
            if new in ("", None):
                continue
            old = getattr(entry, name)
            if (
                name == "name"
                and old
                and (row.matched_by == "name" or key_of(new) == entry.match_name)
            ):
                continue
            if _differs(old, new):
                yield name, old, new

    def _changes(self, row, entry, fields, key_of):
        return [
            (str(FIELD_LABELS.get(name) or self.fields[name].label), _shown(old), _shown(new))
            for name, old, new in self._changed_values(row, entry, fields, key_of)
        ]

    def _copy_changes(self, row, entry, fields, key_of):
        changed = set()
        for name, _old, new in list(self._changed_values(row, entry, fields, key_of)):
            setattr(entry, name, new)
            changed.add(name)
        return changed

    def _place(self, organisation, report):
        """Place an organisation offline: its town (or postcode), else its region's centre,
        else flag it for `manage.py geocode --failed`. Never drops it."""
        if organisation.is_located and organisation.geocode_failed_at is None:
            return
        outcome = services.geocode_organisation(organisation, online=False, force=True)
        if organisation.is_located:
            return
        centre = self._region_centre(organisation.region)
        if centre is not None:
            reason = outcome.result.error if outcome.result else ""
            Organisation.objects.filter(pk=organisation.pk).update(
                latitude=centre[0],
                longitude=centre[1],
                location_precision=LocationPrecision.REGION,
                location_source=LocationSource.GAZETTEER,
                geocode_failed_at=timezone.now(),
                geocode_error=f"placed at the centre of {organisation.region}: {reason}"[:255],
            )
            organisation.latitude, organisation.longitude = centre
            organisation.location_precision = LocationPrecision.REGION
            organisation.location_source = LocationSource.GAZETTEER
            report.placed_at_region += 1
            return
        report.not_placed += 1

    def _place_new(self, organisation, report):
        """`_place` for an organisation not saved yet: its location set on it, nothing saved.
        Each distinct address is looked up once per import."""
        address = geocoding.Address.of(organisation)
        if address not in self._places:
            self._places[address] = geocoding.geocode_address(address, online=False)
        result = self._places[address]
        services.apply_location(organisation, result)
        if result.found:
            return
        centre = self._region_centre(organisation.region)
        if centre is None:
            report.not_placed += 1
            return
        organisation.latitude, organisation.longitude = centre
        organisation.location_precision = LocationPrecision.REGION
        organisation.location_source = LocationSource.GAZETTEER
        organisation.geocode_error = (
            f"placed at the centre of {organisation.region}: {result.error}"[:255]
        )
        report.placed_at_region += 1

    def _region_centre(self, region):
        """The centre of a region's towns in the gazetteer, weighted by population."""
        if region is None:
            return None
        if region.pk not in self._region_centres:
            population = Cast("population", FloatField())
            totals = Place.objects.filter(region=region, population__gt=0).aggregate(
                weight=Sum(population),
                latitude=Sum(F("latitude") * population),
                longitude=Sum(F("longitude") * population),
            )
            centre = None
            if totals["weight"]:
                centre = (
                    totals["latitude"] / totals["weight"],
                    totals["longitude"] / totals["weight"],
                )
            self._region_centres[region.pk] = centre
        return self._region_centres[region.pk]

    def _remember(self, row, *, organisation=None, partnership=None):
        record, _created = ImportedRecord.objects.update_or_create(
            kind=self.kind,
            source=self.source,
            key=row.key,
            defaults={"organisation": organisation, "partnership": partnership},
        )
        self._records_written.append(record.pk)

    # Partnerships

    def _attach_member_sheet(self, rows):
        """Members listed a row each on a second sheet join the members cell of their
        partnership's row (found by source id or name)."""
        sheet = self.table.members
        if sheet is None:
            return
        mapping = [""] * len(sheet.headers)
        taken = set()
        for index, heading in enumerate(sheet.headers):
            words = heading_words(heading)
            for member_field in MEMBER_SHEET_FIELDS:
                if member_field.name not in taken and words in _synonyms(member_field):
                    mapping[index] = member_field.name
                    taken.add(member_field.name)
                    break
        if not {"partnership", "member"} <= taken:
            rows.append(
                self._sheet_error(
                    1, gettext("the Members sheet needs a “Partnership” and a “Member” column.")
                )
            )
            return
        by_name = {}
        for row in rows:
            for key in (row.values.get("source_id"), row.name):
                if key:
                    by_name.setdefault(heading_words(key), row)
        column = {name: mapping.index(name) for name in taken}
        for number, cells in sheet.rows:

            def cell(name, cells=cells):
                index = column.get(name)
                return cells[index] if index is not None and index < len(cells) else ""

            try:
                partnership = clean_text(cell("partnership"))
                member = clean_text(cell("member"))
                role = clean_text(cell("role")) if "role" in column else ""
            except CellError as error:
                rows.append(self._sheet_error(number, str(error)))
                continue
            if not (partnership or member):
                continue
            target = by_name.get(heading_words(partnership))
            if target is None:
                rows.append(
                    self._sheet_error(
                        number,
                        gettext("no row of the first sheet is the partnership “%(name)s”.")
                        % {"name": _short(partnership)},
                    )
                )
                continue
            is_associate = role and _CHOICE_ROLE.get(heading_words(role)) == Role.ASSOCIATE
            target.values.setdefault("associates" if is_associate else "members", []).append(member)
            if (
                role
                and _CHOICE_ROLE.get(heading_words(role)) == Role.LEAD
                and not target.values.get("lead")
            ):
                target.values["lead"] = member

    def _sheet_error(self, number, message):
        row = Row(number=number, sheet="Members")
        row.error("", message)
        return row

    def _check_partnerships(self, rows):
        for row in rows:
            if row.outcome == Outcome.ERROR or row.sheet:
                continue
            if not row.values.get("name"):
                row.error(self._heading("name"), gettext("Every partnership needs a name."))
                continue
            row.dedupe = matching.partnership_key(row.name)
            area = normalise_place_name(row.values.get("area_name", ""))
            region = row.values.get("region")
            row.key = self._source_key(
                row, f"{row.dedupe}|{area or (region.slug if region else '')}"
            )
        main = [row for row in rows if not row.sheet]
        self._dedupe(main, lambda row: [("id", row.key)])
        self._resolve_activities(main)
        self._resolve_channels(main)
        for start in range(0, len(main), CHUNK):
            chunk = [
                r
                for r in main[start : start + CHUNK]
                if r.outcome not in (Outcome.ERROR, Outcome.SKIPPED)
            ]
            self._resolve_members(chunk)
            self._match_partnerships(chunk)
        self._dedupe(main, lambda row: [("entry", row.entry_id)] if row.entry_id else [])
        for row in main:
            if row.outcome == Outcome.NEW and not row.values.get("summary"):
                row.error(
                    self._heading("summary") or gettext("Summary"),
                    gettext(
                        "“%(name)s” is new to the directory and needs a summary of one or two "
                        "sentences."
                    )
                    % {"name": row.name},
                )
            elif row.outcome == Outcome.NEW:
                partnership = Partnership()
                self._set_partnership_fields(partnership, row)
                self._validate(row, partnership, exclude=["slug", "match_name", "editors"])

    def _validate(self, row, entry, *, exclude):
        """The model's own checks, without queries, so that `apply` never meets a value the
        dry run let through."""
        try:
            entry.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                heading = self._heading(name) or name.replace("_", " ").capitalize()
                for message in messages:
                    row.error(heading, message)

    def _resolve_activities(self, rows):
        if self._activities is None:
            self._activities = {}
            for pk, name, slug in Activity.objects.values_list("pk", "name", "slug"):
                self._activities[heading_words(name)] = pk
                self._activities[heading_words(slug)] = pk
        for row in rows:
            if row.outcome == Outcome.ERROR:
                continue
            for name in row.values.get("activities", []):
                pk = self._activities.get(heading_words(name))
                if pk is None:
                    row.error(
                        self._heading("activities") or gettext("Activities"),
                        gettext(
                            "“%(name)s” is not an activity the directory knows; see the "
                            "list of activities on the directory's search page."
                        )
                        % {"name": _short(name)},
                    )
                elif pk not in row.activities:
                    row.activities.append(pk)

    def _resolve_channels(self, rows):
        names = {}
        for pk, name, slug in CommunicationChannel.objects.values_list("pk", "name", "slug"):
            names[heading_words(name)] = names[heading_words(slug)] = pk
        for row in rows:
            if row.outcome == Outcome.ERROR:
                continue
            for name in row.values.get("channels", []):
                pk = names.get(heading_words(name))
                if pk is None:
                    row.error(
                        self._heading("channels") or gettext("Ways of keeping in touch"),
                        gettext(
                            "“%(name)s” is not a way of keeping in touch the directory knows "
                            "(%(known)s)."
                        )
                        % {
                            "name": _short(name),
                            "known": ", ".join(sorted({n for n in names if n})),
                        },
                    )
                elif pk not in row.channels:
                    row.channels.append(pk)

    def _resolve_members(self, rows):
        """Each member named in the rows (by identifier, "scheme: value", or by name) as an
        organisation id, in a few queries for the whole chunk."""
        names = {}
        identifier_items = []
        for row in rows:
            for text in [
                *row.values.get("members", []),
                *row.values.get("associates", []),
                row.values.get("lead", ""),
            ]:
                if not text:
                    continue
                identifier_items.extend(_identifier_guesses(text))
                names[text] = matching.organisation_key(text)
        by_identifier = matching.organisations_by_identifier(identifier_items)
        # A member may also be named by its source id in an organisations import of this source.
        by_source = {
            key: (pk, name)
            for key, pk, name in ImportedRecord.objects.filter(
                kind=ImportKind.ORGANISATIONS,
                source=self.source,
                key__in=[text[:200] for text in names],
                organisation__isnull=False,
            ).values_list("key", "organisation_id", "organisation__name")
        }
        by_key = defaultdict(list)
        for pk, key, town in (
            Organisation.objects.current()
            .filter(match_name__in=set(names.values()))
            .values_list("pk", "match_name", "town")
        ):
            by_key[key].append((pk, normalise_place_name(town)))
        for row in rows:
            area = normalise_place_name(row.values.get("area_name", ""))
            lead_text = row.values.get("lead", "")
            members = {}
            for text, column in [
                *((m, "members") for m in row.values.get("members", [])),
                *((m, "associates") for m in row.values.get("associates", [])),
                *([(lead_text, "lead")] if lead_text else []),
            ]:
                pk, label = by_source.get(text[:200], (None, text))
                if pk is None:
                    pk = next(
                        (by_identifier[i] for i in _identifier_guesses(text) if i in by_identifier),
                        None,
                    )
                if pk is None:
                    found = by_key.get(names[text], [])
                    if len(found) > 1:
                        found = [f for f in found if f[1] == area] or found
                    if len(found) > 1:
                        row.error(
                            self._heading(column),
                            gettext(
                                "“%(name)s” could be any of %(count)s organisations in the "
                                "directory; give its identifier instead (e.g. “ODS code: RMC”)."
                            )
                            % {"name": _short(text), "count": len(found)},
                        )
                        continue
                    if not found:
                        row.error(
                            self._heading(column),
                            gettext(
                                "“%(name)s” is not in the directory; import it as an "
                                "organisation first, or give its identifier."
                            )
                            % {"name": _short(text)},
                        )
                        continue
                    pk = found[0][0]
                if column == "lead":
                    role = Role.LEAD
                elif column == "associates":
                    role = members.get(pk, Role.ASSOCIATE)
                else:
                    role = Role.MEMBER if members.get(pk) != Role.LEAD else Role.LEAD
                members[pk] = role
                row.member_labels[pk] = label
            row.members = list(members.items())

    def _match_partnerships(self, rows):
        rows = [r for r in rows if r.outcome != Outcome.ERROR]
        if not rows:
            return
        by_record = self._records([row.key for row in rows])
        by_name = _by_match_name(Partnership, rows, "area_name", "region_id")
        found = {}
        for row in rows:
            pk = by_record.get(row.key)
            if pk is None:
                area = normalise_place_name(row.values.get("area_name", ""))
                region = row.values.get("region")
                for candidate in by_name.get(row.dedupe, []):
                    their_area = normalise_place_name(candidate["area_name"])
                    if (area and their_area == area) or (
                        not (area and their_area)
                        and (region is None or candidate["region_id"] in (None, region.pk))
                    ):
                        pk = candidate["pk"]
                        break
            if pk is not None:
                found[row.number] = pk
                row.matched_by = "source id" if row.key in by_record else "name"
        existing = {
            p.pk: p
            for p in Partnership.objects.filter(pk__in=set(found.values()))
            .select_related("region")
            .prefetch_related("activities", "memberships", "channels", "contacts")
        }
        for row in rows:
            partnership = existing.get(found.get(row.number))
            if partnership is None:
                row.outcome = Outcome.NEW
                continue
            while partnership.merged_into_id:
                partnership = Partnership.objects.get(pk=partnership.merged_into_id)
            row.entry_id = partnership.pk
            row.changes = self._partnership_changes(row, partnership)
            row.outcome = Outcome.UPDATE if row.changes else Outcome.UNCHANGED

    def _partnership_changes(self, row, partnership):
        changes = self._changes(row, partnership, PARTNERSHIP_COPIED, matching.partnership_key)
        have_activities = {a.pk for a in partnership.activities.all()}
        added = [pk for pk in row.activities if pk not in have_activities]
        if added:
            changes.append((gettext("Activities"), "", _added_count(len(added))))
        have_channels = {c.pk for c in partnership.channels.all()}
        added = [pk for pk in row.channels if pk not in have_channels]
        if added:
            changes.append((gettext("Ways of keeping in touch"), "", _added_count(len(added))))
        have_contacts = {_contact_key(c.name, c.email) for c in partnership.contacts.all()}
        for contact in _new_contacts(row, have_contacts):
            changes.append((gettext("Public contacts"), "", _added(contact["name"])))
        changes.extend(_point_changes(row, partnership))
        roles = {m.organisation_id: m.role for m in partnership.memberships.all()}
        for pk, role in row.members:
            if pk not in roles:
                changes.append((gettext("Members"), "", _added(row.member_labels[pk])))
            elif role == Role.LEAD and roles[pk] != Role.LEAD:
                changes.append((gettext("Lead member"), "", row.member_labels[pk]))
        return changes

    def _set_partnership_fields(self, partnership, row):
        if partnership.pk is None:
            _copy_new(partnership, row, PARTNERSHIP_COPIED)
        else:
            self._copy_changes(row, partnership, PARTNERSHIP_COPIED, matching.partnership_key)

    def _write_partnerships(self, report, change_set):
        rows = [
            r
            for r in report.rows
            if not r.sheet and r.outcome in (Outcome.NEW, Outcome.UPDATE, Outcome.UNCHANGED)
        ]
        self._records_written = []
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            self._create_partnerships([r for r in chunk if r.outcome == Outcome.NEW], change_set)
            for row in chunk:
                if row.outcome != Outcome.NEW:
                    self._update_partnership(row, change_set)

    def _create_partnerships(self, rows, change_set):
        """New partnerships a chunk at a time: inserted together with their members and
        activities, placed at their area (each area looked up once per import) or else by
        their members, and their first versions and source records written together."""
        if not rows:
            return
        state = PublicationState.PUBLISHED if self.publish else PublicationState.DRAFT
        partnerships = []
        for row in rows:
            partnership = Partnership(publication_state=state)
            self._set_partnership_fields(partnership, row)
            partnership.match_name = matching.partnership_key(partnership.name)
            partnerships.append(partnership)
        members = Organisation.objects.in_bulk({pk for row in rows for pk, _role in row.members})
        for row, partnership in zip(rows, partnerships, strict=True):
            if not _place_at_point(partnership, row):
                self._place_new_partnership(partnership, row, members)
        _assign_slugs(Partnership, partnerships)
        Partnership.objects.bulk_create(partnerships)
        Membership.objects.bulk_create(
            [
                Membership(partnership=partnership, organisation_id=pk, role=role)
                for row, partnership in zip(rows, partnerships, strict=True)
                for pk, role in row.members
            ]
        )
        Through = Partnership.activities.through
        Through.objects.bulk_create(
            [
                Through(partnership_id=partnership.pk, activity_id=activity)
                for row, partnership in zip(rows, partnerships, strict=True)
                for activity in row.activities
            ]
        )
        ChannelThrough = Partnership.channels.through
        ChannelThrough.objects.bulk_create(
            [
                ChannelThrough(partnership_id=partnership.pk, communicationchannel_id=channel)
                for row, partnership in zip(rows, partnerships, strict=True)
                for channel in row.channels
            ]
        )
        now = timezone.now()
        contacts = {partnership.pk: [] for partnership in partnerships}
        for row, partnership in zip(rows, partnerships, strict=True):
            for item in _new_contacts(row, set()):
                contacts[partnership.pk].append(_published_contact(partnership, item, now))
        Contact.objects.bulk_create([c for group in contacts.values() for c in group])
        Partnership.objects.filter(pk__in=[p.pk for p in partnerships]).refresh_member_names()
        slugs = dict(Activity.objects.values_list("pk", "slug"))
        channel_slugs = dict(CommunicationChannel.objects.values_list("pk", "slug"))
        snapshots = []
        for row, partnership in zip(rows, partnerships, strict=True):
            row.entry_id = partnership.pk
            snapshots.append(
                snapshot_of_new(
                    partnership,
                    activities=[slugs[pk] for pk in row.activities],
                    members=row.members,
                    channels=[channel_slugs[pk] for pk in row.channels],
                    contacts=contacts[partnership.pk],
                )
            )
        history.record_created(change_set, partnerships, snapshots)
        records = ImportedRecord.objects.bulk_create(
            [
                ImportedRecord(
                    kind=self.kind, source=self.source, key=row.key, partnership=partnership
                )
                for row, partnership in zip(rows, partnerships, strict=True)
            ]
        )
        self._records_written.extend(record.pk for record in records)

    def _place_new_partnership(self, partnership, row, organisations):
        """`services.locate_partnership` for a partnership not saved yet: at its area (each area
        looked up once per import), else by its members (`organisations`: id → organisation)."""
        if partnership.area_name:
            address = geocoding.Address.of(partnership)
            if address not in self._places:
                self._places[address] = geocoding.geocode_address(address, online=False)
            if self._places[address].found:
                services.apply_location(partnership, self._places[address])
                return
        memberships = [
            Membership(organisation=organisations[pk], role=role)
            for pk, role in row.members
            if pk in organisations
        ]
        services.apply_location(
            partnership, services.location_of_members(partnership, memberships=memberships)
        )

    def _update_partnership(self, row, change_set):
        partnership = Partnership.objects.get(pk=row.entry_id)
        if row.outcome == Outcome.UPDATE:
            history.baseline(partnership)
            self._set_partnership_fields(partnership, row)
            _place_at_point(partnership, row)
            partnership.save()
            partnership.activities.add(*row.activities)
            partnership.channels.add(*row.channels)
            have = {_contact_key(c.name, c.email) for c in partnership.contacts.all()}
            now = timezone.now()
            for item in _new_contacts(row, have):
                _published_contact(partnership, item, now).save()
            roles = {m.organisation_id: m for m in partnership.memberships.all()}
            for pk, role in row.members:
                membership = roles.get(pk)
                if membership is None:
                    Membership.objects.create(
                        partnership=partnership, organisation_id=pk, role=role
                    )
                elif role == Role.LEAD and membership.role != Role.LEAD:
                    membership.role = Role.LEAD
                    membership.save(update_fields=["role"])
            Partnership.objects.filter(pk=partnership.pk).refresh_member_names()
            services.place_partnership(partnership)
            change_set.record(partnership)
        self._remember(row, partnership=partnership)


_CHOICE_ROLE = _choice_index(Role, ROLE_WORDS)


def _row_point(row):
    latitude, longitude = row.values.get("latitude"), row.values.get("longitude")
    if latitude is None or longitude is None:
        return None
    return latitude, longitude


def _place_at_point(entry, row):
    """Place `entry` at the point the row gives (checked by `point_problem` when read), instead
    of geocoding its town or area; nothing saved. A point set by hand in the directory is kept.
    The source is recorded as "imported" and the precision left unknown: the list says where,
    not how exactly it knew. Returns whether the row gave a point."""
    point = _row_point(row)
    if point is None:
        return False
    if services.is_set_by_hand(entry):
        return True
    entry.latitude, entry.longitude = point
    entry.location_precision = ""
    entry.location_source = LocationSource.IMPORTED
    entry.location_ambiguous = False
    entry.geocoded_at = timezone.now()
    entry.geocode_failed_at = None
    entry.geocode_error = ""
    return True


def _point_changes(row, entry):
    point = _row_point(row)
    if point is None or services.is_set_by_hand(entry):
        return []
    old = (entry.latitude, entry.longitude)
    if old[0] is not None and all(
        round(a, 6) == round(b, 6) for a, b in zip(old, point, strict=True)
    ):
        return []
    shown = "" if old[0] is None else f"{old[0]:g}, {old[1]:g}"
    return [(gettext("Location"), shown, f"{point[0]:g}, {point[1]:g}")]


def _contact_key(name, email):
    return (name.strip().casefold(), email.strip().casefold())


def _new_contacts(row, have):
    """The row's contacts that the partnership does not have yet (by name and email)."""
    found = []
    for item in row.values.get("contacts", []):
        key = _contact_key(item["name"], item["email"])
        if key not in have:
            have = have | {key}
            found.append(item)
    return found


def _published_contact(partnership, item, now):
    """A contact from an imported list, published: the source made it public, so consent to
    publish is recorded as given at the time of the import."""
    return Contact(
        partnership=partnership,
        name=item["name"],
        job_title=item["job_title"],
        email=item["email"],
        phone=item["phone"],
        is_lead=item["is_lead"],
        consent_to_publish=True,
        consented_at=now,
    )


def _identifier_guesses(text):
    """The identifiers a member cell might be: "ODS code: RMC" is one; a bare "RMC" might be an
    identifier of any scheme whose format it fits."""
    words, separator, value = text.partition(":")
    if separator and value.strip():
        scheme = identifiers.scheme_from_words(words)
        if scheme is not None:
            try:
                return [(scheme.value, "", identifiers.normalise(scheme, value))]
            except ValidationError:
                return []
    guesses = []
    if " " not in text.strip():
        for scheme in identifiers.Scheme:
            if scheme == identifiers.Scheme.OTHER:
                continue
            try:
                guesses.append((scheme.value, "", identifiers.normalise(scheme, text)))
            except ValidationError:
                continue
    return guesses


def _assign_slugs(model, entries):
    """Unique slugs for new entries of `model`, in one query for the usual case (names no other
    entry has) and one more for each name that is taken."""
    bases = [(entry, unique_slug_base(entry.name)) for entry in entries]
    taken = set(
        model.objects.filter(slug__in={base for _e, base in bases}).values_list("slug", flat=True)
    )
    looked_up = set()
    for entry, base in bases:
        if base in taken and base not in looked_up:
            # Someone has the name already: learn every "<base>-N" in one query.
            looked_up.add(base)
            taken.update(
                model.objects.filter(slug__startswith=f"{base[:190]}-").values_list(
                    "slug", flat=True
                )
            )
        slug, n = base, 2
        while slug in taken or slug in RESERVED_SLUGS:
            slug = f"{base[:190]}-{n}"
            n += 1
        entry.slug = slug
        taken.add(slug)


def unique_slug_base(name):
    return slugify(name)[:200].strip("-") or "entry"


def _town_words(row):
    return _place_words(row.values.get("town", ""))


@lru_cache(maxsize=4096)
def _place_words(name):
    # A list names a few hundred towns thousands of times.
    return normalise_place_name(name)


def _by_match_name(model, rows, *fields):
    """The current entries of `model` whose normalised name is one of the rows', as value dicts
    grouped by that name, in one query."""
    by_name = defaultdict(list)
    names = {row.dedupe for row in rows}
    for values in (
        model.objects.current().filter(match_name__in=names).values("pk", "match_name", *fields)
    ):
        by_name[values["match_name"]].append(values)
    return by_name


def _same_place(row, candidates):
    """The one candidate (same normalised name) in the row's town or at its postcode, or the
    only one when neither side says where it is."""
    town, postcode = _town_words(row), row.values.get("postcode", "")
    here = [
        c
        for c in candidates
        if (town and normalise_place_name(c["town"]) == town)
        or (postcode and c["postcode"].replace(" ", "").upper() == postcode.replace(" ", ""))
    ]
    if len(here) >= 1:
        return min(c["pk"] for c in here)
    if len(candidates) == 1 and not (town and candidates[0]["town"]):
        return candidates[0]["pk"]
    return None


def _same_content(row, other):
    return (row.values, row.identifiers) == (other.values, other.identifiers)


def _differs(old, new):
    if isinstance(new, Region):
        return getattr(old, "pk", None) != new.pk
    if isinstance(new, str) and isinstance(old, str):
        # "BOLTON" for "Bolton", "bl1 1se" for "BL1 1SE": the same value.
        return old.strip().casefold() != new.strip().casefold()
    return old != new


def _shown(value):
    if value is None:
        return ""
    return str(value)


def _identifier_text(identifier):
    scheme, scheme_name, value = identifier
    label = scheme_name or identifiers.Scheme(scheme).label
    return f"{label}: {value}"


def _added(name):
    return gettext("%(name)s added") % {"name": name}


def _added_count(count):
    return ngettext("%(count)d added", "%(count)d added", count) % {"count": count}


# Undo -------------------------------------------------------------------------------------------


class UndoRefused(Exception):
    pass


def undo(run, *, user, reason=""):
    """Undo an applied import: entries it created are deleted (an organisation that another
    partnership has named since is kept, and said so), entries it changed go back to the version
    before it, all as one change set of kind "restore". Returns (change set, kept organisations).
    The run's row is locked first, so an import is undone once."""
    reason = reason or f"Undoes the import of {run.file_name} ({run.created_at:%d %B %Y})."
    with history.change(ChangeKind.RESTORE, user, reason) as undoing:
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.state != ImportState.APPLIED:
            raise UndoRefused("Only an import that was applied, and not undone, can be undone.")
        versions = list(run.change_set.versions.all()) if run.change_set_id else []
        created_partnerships = [
            v.partnership_id for v in versions if v.partnership_id and v.number == 1
        ]
        created_organisations = [
            v.organisation_id for v in versions if v.organisation_id and v.number == 1
        ]
        changed = [v for v in versions if v.number > 1]
        Partnership.objects.filter(pk__in=created_partnerships).delete()
        named_elsewhere = set(
            Membership.objects.filter(organisation_id__in=created_organisations).values_list(
                "organisation_id", flat=True
            )
        )
        kept = list(Organisation.objects.filter(pk__in=named_elsewhere))
        Organisation.objects.filter(pk__in=set(created_organisations) - named_elsewhere).delete()
        for version in changed:
            previous = (
                version.__class__.objects.of(version.entry)
                .filter(number__lt=version.number)
                .newest_first()
                .first()
            )
            if previous is not None:
                history._restore(undoing, previous)
        ImportedRecord.objects.filter(first_run=run).delete()
        services.published_data_changed()
        run.state = ImportState.UNDONE
        run.undone_at = timezone.now()
        run.undo_change_set = undoing if undoing.pk else None
        run.save(update_fields=["state", "undone_at", "undo_change_set"])
    return undoing, kept


# Runs: what the screens and the command call ----------------------------------------------------


def start_run(
    *,
    kind,
    file_name,
    data,
    source="",
    user=None,
    saved_mapping=None,
    members_file_name="",
    members_data=b"",
):
    """Check and read an uploaded file (and, for partnerships, an optional second file listing
    members a row each) and keep it as an ImportRun with a guessed column mapping (a saved
    mapping's choices first). Raises SpreadsheetError for a file that cannot be read."""
    table = read_table(data, file_name)
    if members_data:
        if kind != ImportKind.PARTNERSHIPS:
            raise SpreadsheetError(
                gettext("Only a partnerships import can take a file of members.")
            )
        try:
            read_table(members_data, members_file_name)
        except SpreadsheetError as error:
            raise SpreadsheetError(
                gettext("The members file: %(error)s") % {"error": error}
            ) from error
    return ImportRun.objects.create(
        kind=kind,
        source=(source or default_source(file_name))[:100],
        file_name=file_name[:255],
        data=data,
        members_file_name=members_file_name[:255] if members_data else "",
        members_data=members_data or b"",
        headers=table.headers,
        mapping=guess_mapping(kind, table.headers, saved_mapping),
        run_by=user if getattr(user, "is_authenticated", False) else None,
    )


def default_source(file_name):
    """A source name from a file name: "nw-networks_v2.csv" gives "nw-networks_v2"."""
    stem = re.sub(r"\.(csv|xlsx|txt)$", "", (file_name or "").strip(), flags=re.IGNORECASE)
    return stem or "Spreadsheet"


def importer_for(run, *, user=None):
    table = read_table(bytes(run.data), run.file_name)
    if run.members_data:
        # A second file of members takes the place of a workbook's "Members" sheet.
        table.members = read_table(bytes(run.members_data), run.members_file_name)
    return Importer(
        run.kind,
        table,
        run.mapping,
        source=run.source,
        default_sector=run.default_sector,
        publish=run.publish,
        skip_errors=run.skip_errors,
        user=user,
        run=run,
    )


def report_lines(report, *, show_updates, noun=("row", "rows"), where=None):
    """A report as lines of text for a command's output: the counts, every error, and the first
    `show_updates` updates with their changes (`where(row)` names a row; by default its number
    and name)."""
    counts = report.counts
    where = where or (lambda row: f"Row {row.number}, {row.name or 'unnamed'}")
    lines = [
        f"{counts['rows']} {noun[0] if counts['rows'] == 1 else noun[1]}: "
        f"{counts['created']} new, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['skipped']} skipped, "
        f"{counts['errors']} errors, {counts['not_placed']} not placed."
    ]
    messages = report.error_messages()
    if messages:
        lines.append("Errors:")
        lines.extend(f"  {message}" for message in messages)
    updates = [row for row in report.rows if row.outcome == Outcome.UPDATE]
    if updates:
        lines.append("Updates:")
        for row in updates[:show_updates]:
            lines.append(f"  {where(row)}:")
            lines.extend(f"    {label}: “{old}” → “{new}”" for label, old, new in row.changes)
        if len(updates) > show_updates:
            lines.append(f"  … and {len(updates) - show_updates} more.")
    return lines


def keep_preview(run, report):
    """Keep a dry run's report on the run, which then waits to be confirmed."""
    run.preview = report.to_dict()
    for name, value in report.counts.items():
        setattr(run, name, value)
    run.state = ImportState.PREVIEWED
    run.save()


def preview_run(run):
    """Dry-run the file as mapped and keep the preview on the run."""
    report = importer_for(run).dry_run()
    keep_preview(run, report)
    return report


class ImportClosed(ValueError):
    """The run was imported (or undone) already; it cannot be imported again."""


def apply_run(run, *, user, importing=None):
    """Import the run's file (see Importer.apply), or with `importing(run, user)` import it
    another way (an Open Referral feed) and return its report. Raises ImportRefused, writing
    nothing, when rows have errors and the run does not skip them (the run keeps the fresh
    preview), and ImportClosed when the run was imported already, by another curator in the
    meantime too: the run's row is locked first, so a file is imported once."""
    try:
        with transaction.atomic():
            run = ImportRun.objects.select_for_update().get(pk=run.pk)
            if run.state not in (ImportState.UPLOADED, ImportState.PREVIEWED):
                raise ImportClosed("This file has been imported already.")
            if importing is not None:
                return importing(run, user)
            return importer_for(run, user=user).apply()
    except ImportRefused as refused:
        run.refresh_from_db()
        keep_preview(run, refused.report)
        raise


def later_changes(run, limit=50):
    """Up to `limit` entries an applied import wrote that have changed since (a version in a
    later change set), in one query: undoing the import puts them back or deletes them all the
    same, so the undo page names them first."""
    if run.change_set_id is None:
        return []
    written = run.change_set.versions
    later = (
        Version.objects.filter(change_set_id__gt=run.change_set_id)
        .filter(
            Q(partnership__in=written.filter(partnership__isnull=False).values("partnership"))
            | Q(organisation__in=written.filter(organisation__isnull=False).values("organisation"))
        )
        .select_related("partnership", "organisation")
        .order_by("pk")
    )
    entries = {}
    for version in later[: limit * 5]:
        entries.setdefault((version.partnership_id, version.organisation_id), version.entry)
    return list(entries.values())[:limit]
