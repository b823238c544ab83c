"""What leaves the server about a partnership, in one place: the public record behind the CSV and
GeoJSON downloads. Contacts pass through `Contact.to_public_dict()`, which drops anyone who has not
agreed to be published; agreements are listed only when public."""

import csv
import io

from django.conf import settings
from django.db.models import Prefetch

from partnerships.models import Agreement, Contact

from . import agreements

CSV_COLUMNS = [
    ("name", "Name"),
    ("summary", "Summary"),
    ("url", "Directory page"),
    ("kind", "Type"),
    ("formality", "Formality"),
    ("status", "Status"),
    ("scope", "Scope"),
    ("area", "Area"),
    ("region", "Region"),
    ("members", "Members"),
    ("member_count", "Number of members"),
    ("activities", "Activities"),
    ("channels", "Keeps in touch by"),
    ("meeting_frequency", "Meets"),
    ("agreements", "Published agreements"),
    ("website", "Website"),
    ("mailing_list", "Mailing list"),
    ("lead_contact", "Lead contact"),
    ("lead_contact_email", "Lead contact email"),
    ("lead_contact_phone", "Lead contact phone"),
    ("latitude", "Latitude"),
    ("longitude", "Longitude"),
    ("last_confirmed", "Last confirmed"),
]
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def for_export(partnerships):
    """The queryset with everything the public record needs, in a constant number of queries."""
    return partnerships.with_members().prefetch_related(
        "activities",
        "channels",
        Prefetch(
            "contacts",
            queryset=Contact.objects.public().filter(is_lead=True),
            to_attr="public_lead_contacts",
        ),
        Prefetch("agreements", queryset=Agreement.objects.public(), to_attr="public_agreements"),
    )


def public_record(partnership, *, base_url=None):
    """The public fields of a partnership prepared by `for_export`, as plain values. Its page's
    address starts with `base_url` (the request's address), or else settings.SITE_URL."""
    lead = next(
        (c.to_public_dict() for c in partnership.public_lead_contacts if c.to_public_dict()), None
    )
    memberships = list(partnership.memberships.all())
    return {
        "name": partnership.name,
        "summary": partnership.summary,
        "url": (base_url or settings.SITE_URL) + partnership.get_absolute_url(),
        "kind": partnership.get_kind_display(),
        "formality": partnership.get_formality_display(),
        "status": partnership.get_status_display(),
        "scope": partnership.get_scope_display(),
        "area": partnership.area_name,
        "region": partnership.region.name if partnership.region else "",
        "members": "; ".join(m.organisation.name for m in memberships),
        "member_count": len(memberships),
        "activities": "; ".join(a.name for a in partnership.activities.all()),
        "channels": "; ".join(c.name for c in partnership.channels.all()),
        "meeting_frequency": partnership.meeting_frequency,
        "agreements": "; ".join(_agreement(a) for a in partnership.public_agreements),
        "website": partnership.website,
        "mailing_list": partnership.mailing_list,
        "lead_contact": lead["name"] if lead else "",
        "lead_contact_email": lead["email"] if lead else "",
        "lead_contact_phone": lead["phone"] if lead else "",
        "latitude": partnership.latitude,
        "longitude": partnership.longitude,
        "last_confirmed": (
            partnership.last_verified_at.date().isoformat() if partnership.last_verified_at else ""
        ),
    }


def _agreement(agreement):
    """'Service level agreement: Shared SLA', with its status and dates when it has any."""
    text = f"{agreement.get_kind_display()}: {agreement.title}"
    if agreement.signed_on or agreement.review_due:
        text += f" ({agreements.status_and_dates(agreement)})"
    return text


def neutralise(value):
    """Text that a spreadsheet will show as text, never run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return "" if value is None else value


def csv_lines(partnerships, *, base_url=None):
    """The CSV document, line by line, starting with a byte-order mark so that Excel reads it as
    UTF-8. `base_url` as for `public_record`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([label for _, label in CSV_COLUMNS])
    yield "\ufeff" + flush()
    for partnership in partnerships:
        record = public_record(partnership, base_url=base_url)
        writer.writerow([neutralise(record[key]) for key, _ in CSV_COLUMNS])
        yield flush()


def geojson(partnerships, *, base_url=None):
    """A GeoJSON FeatureCollection (RFC 7946: coordinates are [longitude, latitude]). Entries not
    yet placed on the map keep a null geometry, so the download matches the list. `base_url` as
    for `public_record`."""
    features = []
    for partnership in partnerships:
        record = public_record(partnership, base_url=base_url)
        located = partnership.latitude is not None and partnership.longitude is not None
        features.append(
            {
                "type": "Feature",
                "geometry": (
                    {"type": "Point", "coordinates": [partnership.longitude, partnership.latitude]}
                    if located
                    else None
                ),
                "properties": {
                    k: v for k, v in record.items() if k not in ("latitude", "longitude")
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
