"""Import an Open Referral UK feed (HSDS 3.0 UK services) as partnerships and organisations.

A thin caller of the one import engine (`partnerships.imports`): the feed is read (`read_feed`),
turned into two tables (`tables`: the organisations it names, then its partnerships, naming
their members by the organisations' source ids), and the two tables go through the engine one
after the other, in one transaction and one change set of the history, as one `ImportRun` of
kind "open-referral" that the curators' import screens list, preview and undo like any other.

The mapping is the inverse of the feed this directory publishes (the README's "Open data"
section, /work/briefs/oruk-mapping.md):

- a service is a partnership: its description splits into summary, description and aims; its
  attributes give its type, formality, status, scope, activities and ways of keeping in touch
  (a foreign feed without them gets the status from the service's `status` and the rest from
  the directory's defaults); its service areas give its area and region; its schedule its
  meetings; its contacts are published contacts;
- a location with a membership-roles attribute is a member organisation (name, sector, role,
  town, point, identifier); the first located location without one is the partnership's point;
- `organization` is the lead member, unless it is the partnership itself (the id the feed
  derives for a partnership without a lead, or the service's own name).

Every record's id is its source id, so importing the same feed again (under the same source)
updates what the first import created. A record with a point outside the UK is an error for
that record (with a sentence saying when latitude and longitude look swapped), never imported
at a wrong place. `dry_run` writes nothing: it applies inside a transaction and rolls it back, so
that the partnerships' step can see the organisations of the first step.
"""

import json
import re
from dataclasses import dataclass, field

from django.utils import timezone, translation

from openreferral import ids
from openreferral.taxonomy import LEAD_CONTACT, TermIndex
from partnerships import history, imports
from partnerships.imports import ImportRefused, Outcome, Report, heading_words
from partnerships.models import (
    ChangeKind,
    Country,
    ImportKind,
    ImportRun,
    ImportState,
    Region,
    Status,
)
from partnerships.spreadsheets import Table

# The HSDS service status, read when the feed has no partnership-status attribute.
STATUS_OF = {
    "active": Status.ACTIVE,
    "inactive": Status.DORMANT,
    "defunct": Status.CLOSED,
    "temporarily closed": Status.CLOSED,
}
AIMS_PREFIX = "Aims and objectives: "
SUMMARY_LENGTH = 300

ORGANISATION_COLUMNS = [
    "source_id",
    "name",
    "sector",
    "identifiers",
    "town",
    "region",
    "country",
    "website",
    "latitude",
    "longitude",
]
PARTNERSHIP_COLUMNS = [
    "source_id",
    "name",
    "summary",
    "description",
    "aims",
    "website",
    "kind",
    "formality",
    "status",
    "scope",
    "activities",
    "channels",
    "area_name",
    "region",
    "members",
    "associates",
    "lead",
    "latitude",
    "longitude",
    "meeting_frequency",
    "meeting_format",
    "contacts",
]


class FeedError(ValueError):
    """The file is not an Open Referral UK feed this import can read; the message says why."""


# Reading ----------------------------------------------------------------------------------------


def read_feed(data):
    """The services of a feed (bytes or text): a JSON array of services, a page of them (an
    object with `contents`), one service, or newline-delimited JSON (one service a line). Each
    must be an object with a UUID `id` and a `name`; anything else is a FeedError naming it."""
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FeedError(
                "The file is not text in UTF-8; an Open Referral feed is JSON."
            ) from None
    else:
        text = data
    text = text.strip()
    if not text:
        raise FeedError("The file is empty.")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
            raise FeedError(
                f"The file is not JSON: {error.msg} at line {error.lineno}, column {error.colno}."
            ) from None
        services = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                services.append(json.loads(line))
            except json.JSONDecodeError as line_error:
                raise FeedError(
                    f"Line {number} is not JSON ({line_error.msg}, column {line_error.colno}); "
                    "a newline-delimited feed has one service on each line."
                ) from None
    else:
        if isinstance(parsed, list):
            services = parsed
        elif isinstance(parsed, dict) and isinstance(parsed.get("contents"), list):
            services = parsed["contents"]
        elif isinstance(parsed, dict) and "contents" in parsed:
            raise FeedError("The page's “contents” is not a list of services.")
        elif isinstance(parsed, dict):
            services = [parsed]
        else:
            raise FeedError(
                "The file holds a single value, not services: an Open Referral feed is a list "
                "of services, a page of them, or one service."
            )
    for number, service in enumerate(services, start=1):
        _check_service(number, service)
    return services


def _check_service(number, service):
    if not isinstance(service, dict):
        raise FeedError(f"Record {number} is {_json_type(service)}, not a service (a JSON object).")
    name = service.get("name")
    shown = f"“{name[:60]}”" if isinstance(name, str) and name.strip() else "(no name)"
    if ids.parse(service.get("id")) is None:
        given = service.get("id")
        why = "has no id" if given in (None, "") else f"has the id “{str(given)[:60]}”"
        raise FeedError(f"Service {number} {shown} {why}; every service needs a UUID id.")
    if not isinstance(name, str) or not name.strip():
        raise FeedError(f"Service {number} (id {service['id']}) has no name.")
    for key in ("service_at_locations", "contacts", "service_areas", "schedules", "attributes"):
        if key in service and not isinstance(service[key], list):
            raise FeedError(f"Service {number} {shown}: “{key}” should be a list.")
    if "organization" in service and not isinstance(service["organization"], dict | None):
        raise FeedError(f"Service {number} {shown}: “organization” should be an object.")


def _json_type(value):
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return "a number" if isinstance(value, int | float) else "a value"


# Services into tables ---------------------------------------------------------------------------


@dataclass
class FeedTables:
    """The engine's two tables, and where each of their rows came from (row number → words)."""

    organisations: Table
    partnerships: Table
    where: dict = field(default_factory=dict)


def _list(value):
    return value if isinstance(value, list) else []


def _dict(value):
    return value if isinstance(value, dict) else {}


def _text(value):
    return value.strip() if isinstance(value, str) else ""


class _Reader:
    def __init__(self):
        self.terms = TermIndex()
        self.regions = {heading_words(r.name): r.name for r in Region.objects.all()}
        self.regions.update({heading_words(r.slug): r.name for r in Region.objects.all()})
        # A feed's words are English, whatever the language of the curator importing it.
        with translation.override("en"):
            self.countries = {heading_words(str(label)): value for value, label in Country.choices}

    def codes(self, record):
        """{taxonomy key: [codes]} of the record's attributes in this directory's taxonomies."""
        found = {}
        for attribute in _list(record.get("attributes")):
            code = self.terms.code_of(_dict(attribute))
            if code:
                found.setdefault(code[0], []).append(code[1])
        return found

    def first(self, record, key):
        return (self.codes(record).get(key) or [""])[0]


def tables(services, *, number_from=1):
    """The organisations table and the partnerships table of `services` (as `read_feed` gives
    them), with the words that name each row in messages."""
    reader = _Reader()
    organisations = {}  # source key → cells (dict)
    organisation_where = {}
    partnership_rows = []
    partnership_where = []
    for number, service in enumerate(services, start=number_from):
        service_words = f"Service {number} “{_text(service.get('name'))[:60]}”"
        members = _members_of(reader, service, service_words, organisations, organisation_where)
        partnership_rows.append(_partnership(reader, service, members))
        partnership_where.append(service_words)
    where = {}
    organisation_table = Table(headers=list(ORGANISATION_COLUMNS), rows=[])
    for index, (key, cells) in enumerate(organisations.items(), start=1):
        organisation_table.rows.append((index, [cells.get(c, "") for c in ORGANISATION_COLUMNS]))
        where[("organisations", index)] = organisation_where[key]
    partnership_table = Table(headers=list(PARTNERSHIP_COLUMNS), rows=[])
    for index, cells in enumerate(partnership_rows, start=1):
        partnership_table.rows.append((index, [cells.get(c, "") for c in PARTNERSHIP_COLUMNS]))
        where[("partnerships", index)] = partnership_where[index - 1]
    return FeedTables(organisation_table, partnership_table, where)


def _members_of(reader, service, service_words, organisations, organisation_where):
    """The member organisations of a service as {"lead": key, "members": [keys], "associates":
    [keys], "point": (lat, lon) of the partnership's own location}, adding each organisation's
    cells to `organisations` (the first time its source key is seen)."""
    found = {"lead": "", "members": [], "associates": [], "point": None}
    service_id = ids.parse(service["id"])
    organization = _dict(service.get("organization"))
    lead_key = ""
    if organization and not _is_the_partnership(service, organization):
        lead_key = ids.parse(organization.get("id")) or f"organization:{service_id}"
        derived_location = ids.organisation_location(lead_key)
        lead_cells = _organisation_cells(reader, organization)
        lead_name = heading_words(lead_cells["name"])
    for link in _list(service.get("service_at_locations")):
        location = _dict(_dict(link).get("location"))
        if not location:
            continue
        codes = reader.codes(location)
        roles = codes.get("membership-roles")
        if not roles:
            if found["point"] is None and _has_point(location):
                found["point"] = (location.get("latitude"), location.get("longitude"))
            continue
        key = (
            ids.parse(location.get("id")) or f"location:{service_id}:{_text(location.get('name'))}"
        )
        cells = _location_cells(reader, location, codes, key)
        if lead_key and (
            location.get("id") == derived_location or heading_words(cells["name"]) == lead_name
        ):
            # The lead organisation's own location: one organisation, the details of both
            # (the organization's identifiers are all of them, the location's only the first).
            for name, value in lead_cells.items():
                if value and name != "source_id" and (name == "identifiers" or not cells.get(name)):
                    cells[name] = value
            lead_key = ""
            found["lead"] = key
        elif roles[0] == "lead" and not found["lead"]:
            found["lead"] = key
        elif roles[0] == "associate":
            found["associates"].append(key)
        else:
            found["members"].append(key)
        if key in organisations:
            # Named by another service too: what that one left out is filled in.
            for name, value in cells.items():
                if value not in ("", None) and organisations[key].get(name) in ("", None):
                    organisations[key][name] = value
        else:
            organisations[key] = cells
            organisation_where[key] = (
                f"Location “{cells['name'][:60]}” (id {location.get('id')}) of {service_words}"
            )
    if lead_key:
        # A lead organization with no location of its own.
        if lead_key not in organisations:
            organisations[lead_key] = {**lead_cells, "source_id": lead_key}
            organisation_where[lead_key] = (
                f"Organization “{lead_cells['name'][:60]}” of {service_words}"
            )
        found["lead"] = lead_key
    return found


def _is_the_partnership(service, organization):
    service_id = ids.parse(service["id"])
    return organization.get("id") == ids.partnership_as_organization(service_id) or heading_words(
        _text(organization.get("name"))
    ) == heading_words(_text(service.get("name")))


def _has_point(location):
    return _is_number(location.get("latitude")) and _is_number(location.get("longitude"))


def _is_number(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value))


def _identifier_item(reader, type_words, scheme_code, value):
    """An identifier as the engine's "scheme: value" text, from a feed's type (a scheme's label
    or words) or org-id.guide scheme code."""
    from partnerships import identifiers

    value = _text(value)
    if not value:
        return ""
    scheme = None
    with translation.override("en"):  # a feed's words are English
        for candidate in identifiers.Scheme:
            if heading_words(str(candidate.label)) == heading_words(type_words):
                scheme = candidate
    scheme = scheme or identifiers.scheme_from_words(type_words)
    scheme = scheme or ORG_ID_SCHEMES.get(_text(scheme_code).upper())
    if scheme is None or scheme == identifiers.Scheme.OTHER:
        name = _text(type_words) or _text(scheme_code)
        return f"{name}: {value}" if name else ""
    return f"{scheme.value}: {value}"


ORG_ID_SCHEMES = {
    "GB-CHC": "charity-ew",
    "GB-SC": "charity-sc",
    "GB-NIC": "charity-ni",
    "GB-COH": "company",
    "GB-UKPRN": "ukprn",
    "GB-NHS": "ods",
}


def _organisation_cells(reader, organization):
    items = [
        _identifier_item(
            reader,
            _dict(item).get("identifier_type"),
            _dict(item).get("identifier_scheme"),
            _dict(item).get("identifier"),
        )
        for item in _list(organization.get("organization_identifiers"))
    ]
    return {
        "source_id": ids.parse(organization.get("id")) or "",
        "name": _text(organization.get("name")),
        "sector": reader.first(organization, "sectors"),
        "identifiers": "; ".join(item for item in items if item),
        "website": _text(organization.get("website")) or _text(organization.get("url")),
    }


def _location_cells(reader, location, codes, key):
    address = _dict((_list(location.get("addresses")) or [{}])[0])
    place = _text(address.get("state_province"))
    cells = {
        "source_id": key,
        "name": _text(location.get("name")),
        "sector": (codes.get("sectors") or [""])[0],
        "town": _text(address.get("city")),
        "identifiers": _identifier_item(
            reader,
            location.get("external_identifier_type"),
            "",
            location.get("external_identifier"),
        ),
    }
    if heading_words(place) in reader.regions:
        cells["region"] = reader.regions[heading_words(place)]
    elif heading_words(place) in reader.countries:
        cells["country"] = reader.countries[heading_words(place)]
    if location.get("latitude") is not None or location.get("longitude") is not None:
        cells["latitude"] = location.get("latitude")
        cells["longitude"] = location.get("longitude")
    return cells


def split_description(text):
    """(summary, description, aims) of a service's description, as the feed joins them: the
    first paragraph is the summary, a paragraph starting "Aims and objectives: " and all after
    it are the aims, the rest the description. A first paragraph too long for a summary is cut
    at a sentence (or word) and kept whole in the description."""
    paragraphs = [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n\n")]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return "", "", ""
    aims_at = next(
        (i for i, p in enumerate(paragraphs) if i and p.startswith(AIMS_PREFIX)), len(paragraphs)
    )
    aims = (
        "\n\n".join(paragraphs[aims_at:])[len(AIMS_PREFIX) :] if aims_at < len(paragraphs) else ""
    )
    summary, middle = paragraphs[0], paragraphs[1:aims_at]
    if len(summary) > SUMMARY_LENGTH:
        middle = [summary, *middle]
        cut = summary[:SUMMARY_LENGTH]
        end = cut.rfind(". ")
        summary = cut[: end + 1] if end > 40 else cut[: cut.rfind(" ")].rstrip(",;:") + "…"
    return summary, "\n\n".join(middle), aims


def _partnership(reader, service, members):
    codes = reader.codes(service)
    summary, description, aims = split_description(_text(service.get("description")))
    status = (codes.get("partnership-status") or [""])[0] or STATUS_OF.get(
        heading_words(_text(service.get("status"))), ""
    )
    cells = {
        "source_id": ids.parse(service["id"]),
        "name": _text(service.get("name")),
        "summary": summary,
        "description": description,
        "aims": aims,
        "website": _text(service.get("url")),
        "kind": (codes.get("partnership-types") or [""])[0],
        "formality": (codes.get("formality") or [""])[0],
        "status": status,
        "scope": (codes.get("scope") or [""])[0],
        "activities": codes.get("activities", []),
        "channels": codes.get("channels", []),
        "members": members["members"],
        "associates": members["associates"],
        "lead": members["lead"],
        "contacts": [_contact(reader, c) for c in _list(service.get("contacts"))],
    }
    if members["point"] is not None:
        cells["latitude"], cells["longitude"] = members["point"]
    for area in _list(service.get("service_areas")):
        area = _dict(area)
        name = _text(area.get("name")) or _text(area.get("service_area"))
        is_region = area.get("id") == ids.service_area(cells["source_id"], "region") or (
            heading_words(name) in reader.regions
            and area.get("id") != ids.service_area(cells["source_id"], "area")
        )
        if is_region and heading_words(name) in reader.regions and not cells.get("region"):
            cells["region"] = reader.regions[heading_words(name)]
        elif not is_region and not cells.get("area_name"):
            cells["area_name"] = name[:120]
    schedule = _dict((_list(service.get("schedules")) or [{}])[0])
    cells["meeting_frequency"] = _text(schedule.get("description"))[:100]
    attending = heading_words(_text(schedule.get("attending_type")))
    meeting_formats = imports._CHOICE_INDEXES["meeting-format"]
    cells["meeting_format"] = meeting_formats.get(attending, "") if attending else ""
    return cells


def _contact(reader, contact):
    contact = _dict(contact)
    phones = [_text(_dict(p).get("number")) for p in _list(contact.get("phones"))]
    roles = reader.codes(contact).get("contact-roles", [])
    return {
        "name": _text(contact.get("name")),
        "job_title": _text(contact.get("title")),
        "email": _text(contact.get("email")),
        "phone": next((p for p in phones if p), ""),
        "is_lead": LEAD_CONTACT in roles,
    }


# Running ----------------------------------------------------------------------------------------


class _RolledBack(Exception):
    pass


@dataclass
class FeedImport:
    """A feed to import, with the import's options."""

    services: list
    source: str
    default_sector: str = ""
    publish: bool = False
    skip_errors: bool = False
    user: object = None
    file_name: str = ""

    def _tables(self):
        if not hasattr(self, "_cached_tables"):
            self._cached_tables = tables(self.services)
        return self._cached_tables

    def _importer(self, kind, *, skip_errors=None):
        feed_tables = self._tables()
        table = (
            feed_tables.organisations
            if kind == ImportKind.ORGANISATIONS
            else feed_tables.partnerships
        )
        return imports.Importer(
            kind,
            table,
            table.headers,
            source=self.source,
            default_sector=self.default_sector,
            publish=self.publish,
            skip_errors=self.skip_errors if skip_errors is None else skip_errors,
            user=self.user,
        )

    def _report(self, organisations, partnerships):
        where = self._tables().where
        rows = []
        for step, report in (("organisations", organisations), ("partnerships", partnerships)):
            for row in report.rows:
                row.where = where.get((step, row.number), "")
                row.step = step
                rows.append(row)
        for number, row in enumerate(rows, start=1):
            row.number = number
        report = FeedReport(ImportKind.OPEN_REFERRAL, rows)
        report.not_placed = organisations.not_placed + partnerships.not_placed
        report.placed_at_region = organisations.placed_at_region + partnerships.placed_at_region
        return report

    def _reason(self):
        return f"Import of {self.file_name or 'an Open Referral UK feed'} (source “{self.source}”)."

    def dry_run(self):
        """What importing the feed would do, organisations then partnerships; writes nothing.
        The organisations are written inside a transaction that is rolled back, so that the
        partnerships' step finds the members they name."""
        result = {}
        try:
            with history.change(ChangeKind.IMPORT, self.user, self._reason()) as change_set:
                result["organisations"] = self._importer(
                    ImportKind.ORGANISATIONS, skip_errors=True
                ).apply(change_set)
                result["partnerships"] = self._importer(ImportKind.PARTNERSHIPS).dry_run()
                raise _RolledBack
        except _RolledBack:
            pass
        result["organisations"].applied = False
        return self._report(result["organisations"], result["partnerships"])

    def apply(self, run=None):
        """Import the feed in one transaction, as one change set: all of it, or nothing when a
        record has an error and `skip_errors` is not set (ImportRefused carrying the dry run's
        report of both steps). With `run`, the run is updated (see `Importer.apply`)."""
        try:
            with history.change(ChangeKind.IMPORT, self.user, self._reason()) as change_set:
                organisations_importer = self._importer(ImportKind.ORGANISATIONS)
                organisations = organisations_importer.apply(change_set)
                partnerships_importer = self._importer(ImportKind.PARTNERSHIPS)
                partnerships = partnerships_importer.apply(change_set)
                report = self._report(organisations, partnerships)
                report.applied = True
                if run is not None:
                    _finish_run(run, report, change_set)
                    organisations_importer.link_records(run)
                    partnerships_importer.link_records(run)
                    report.run = run
        except ImportRefused:
            raise ImportRefused(self.dry_run()) from None
        return report


class FeedReport(Report):
    """Both steps' rows; each row has `step` ("organisations" or "partnerships") and `where`."""

    def to_dict(self):
        data = super().to_dict()
        for row, row_data in zip(self.rows, data["rows"], strict=True):
            row_data["step"] = getattr(row, "step", "")
        return data


def _finish_run(run, report, change_set):
    for name, value in report.counts.items():
        setattr(run, name, value)
    run.preview = report.to_dict()
    run.state = ImportState.APPLIED
    run.applied_at = timezone.now()
    run.change_set = change_set if change_set.pk else None
    run.save()


# Runs: what the screens and the command call ----------------------------------------------------


def default_source(file_name):
    stem = re.sub(r"\.(json|ndjson|jsonl|txt)$", "", (file_name or "").strip(), flags=re.I)
    return stem or "Open Referral UK feed"


def start_run(
    *, file_name, data, source="", user=None, default_sector="", publish=False, preview=True
):
    """Read an uploaded feed (FeedError when it cannot be read) and keep it as an ImportRun of
    kind "open-referral", previewed at once (a feed has no columns to check)."""
    services = read_feed(data)
    run = ImportRun.objects.create(
        kind=ImportKind.OPEN_REFERRAL,
        source=(source or default_source(file_name))[:100],
        file_name=file_name[:255],
        data=bytes(data) if not isinstance(data, str) else data.encode(),
        default_sector=default_sector,
        publish=publish,
        run_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if preview:
        preview_run(run, services=services)
    return run


def feed_import_for(run, *, user=None, services=None):
    return FeedImport(
        services=services if services is not None else read_feed(bytes(run.data)),
        source=run.source,
        default_sector=run.default_sector,
        publish=run.publish,
        skip_errors=run.skip_errors,
        user=user,
        file_name=run.file_name,
    )


def preview_run(run, *, services=None):
    report = feed_import_for(run, services=services).dry_run()
    imports.keep_preview(run, report)
    return report


def apply_run(run, *, user):
    """`imports.apply_run` for a feed: ImportClosed when imported already, ImportRefused (the
    run keeping the fresh preview) when records have errors and the run does not skip them."""
    return imports.apply_run(
        run, user=user, importing=lambda run, user: feed_import_for(run, user=user).apply(run)
    )


__all__ = [
    "FeedError",
    "FeedImport",
    "FeedReport",
    "Outcome",
    "apply_run",
    "preview_run",
    "read_feed",
    "split_description",
    "start_run",
    "tables",
]
