"""The CSV and GeoJSON downloads, written from the public record (`partnerships.public_records`),
which drops contacts who have not agreed to be published and private agreements.

Both stream: memory stays flat and the first bytes leave at once, whatever the directory's size.
A stream can still be cut off (a worker killed, a connection dropped) after the status line has
gone out as 200, so each format ends in a way a reader can check:

- CSV: the last line is `# End of export: N partnerships`, after exactly N rows. A file without it,
  or with another number of rows, is incomplete.
- GeoJSON: the document is one JSON object whose last member, `"numberReturned"`, counts the
  features; a cut-off document is not valid JSON at all.
"""

import csv
import io
import json

from django.utils.translation import gettext_lazy as _

from partnerships.public_records import FIELDS, public_records

# The column headings are in the language of the page the download was asked from.
CSV_COLUMNS = [
    ("name", _("Name")),
    ("name_cy", _("Name in Welsh")),
    ("summary", _("Summary")),
    ("summary_cy", _("Summary in Welsh")),
    ("url", _("Directory page")),
    ("kind", _("Type")),
    ("formality", _("Formality")),
    ("status", _("Status")),
    ("scope", _("Scope")),
    ("area", _("Area")),
    ("region", _("Region")),
    ("members", _("Members")),
    ("member_count", _("Number of members")),
    ("activities", _("Activities")),
    ("channels", _("Keeps in touch by")),
    ("meeting_frequency", _("Meets")),
    ("agreements", _("Published agreements")),
    ("website", _("Website")),
    ("mailing_list", _("Mailing list")),
    ("lead_contact", _("Lead contact")),
    ("lead_contact_email", _("Lead contact email")),
    ("lead_contact_phone", _("Lead contact phone")),
    ("latitude", _("Latitude")),
    ("longitude", _("Longitude")),
    ("last_confirmed", _("Last confirmed")),
]
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = frozenset(("=", "+", "-", "@", "\t", "\r"))


def neutralise(value):
    """Text that a spreadsheet will show as text, never run as a formula. (Called for every
    cell of a national download, hence the plain class test and set lookup.)"""
    if value.__class__ is str:
        return "'" + value if value[:1] in FORMULA_TRIGGERS else value
    return "" if value is None else value


CSV_TRAILER = "# End of export: {count} partnerships"


def csv_lines(partnerships, *, base_url=""):
    """The CSV document, line by line, starting with a byte-order mark so that Excel reads it as
    UTF-8 and ending with the trailer line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([str(label) for _key, label in CSV_COLUMNS])
    yield "\ufeff" + flush()
    keys = [key for key, _label in CSV_COLUMNS]
    count = 0
    for record in public_records(partnerships, base_url=base_url):
        writer.writerow([neutralise(record[key]) for key in keys])
        count += 1
        if count % 100 == 0:
            yield flush()
    writer.writerow([CSV_TRAILER.format(count=count)])
    yield flush()


# One encoder for the whole download (json.dumps would build one per feature); compact separators.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _feature(record):
    located = record["latitude"] is not None and record["longitude"] is not None
    return {
        "type": "Feature",
        "geometry": (
            {"type": "Point", "coordinates": [record["longitude"], record["latitude"]]}
            if located
            else None
        ),
        "properties": {key: record[key] for key in FIELDS if key not in ("latitude", "longitude")},
    }


def geojson_chunks(partnerships, *, base_url=""):
    """A GeoJSON FeatureCollection (RFC 7946: coordinates are [longitude, latitude]), streamed.
    Entries not yet placed on the map keep a null geometry, so the download matches the list."""
    yield '{"type":"FeatureCollection","features":['
    count = 0
    pending = []
    for record in public_records(partnerships, base_url=base_url):
        pending.append(("," if count else "") + _encode(_feature(record)))
        count += 1
        if len(pending) == 100:
            yield "".join(pending)
            pending = []
    pending.append(f'],"numberReturned":{count}}}')
    yield "".join(pending)
