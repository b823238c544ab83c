"""The CSV and GeoJSON downloads: the same partnerships as the list, safe to open in a spreadsheet,
and nothing private in them."""

import csv
import datetime
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directory.exports import CSV_COLUMNS, neutralise
from partnerships.agreements import status_and_dates
from partnerships.models import (
    Activity,
    Agreement,
    AgreementKind,
    CommunicationChannel,
    Contact,
    Membership,
    Organisation,
    Partnership,
    PublicationState,
    Region,
    Role,
)
from partnerships.public_records import FIELDS
from tests.factories import (
    make_agreement,
    make_contact,
    make_organisation,
    make_partnership,
    make_place,
)

pytestmark = pytest.mark.django_db

BOLTON = (53.5780, -2.4290)
TRURO = (50.2632, -5.0510)  # Cornwall
NORWICH = (52.6309, 1.2974)  # Norfolk
UK_MAP = "bbox=-10,49,3,60&zoom=18"
HEADER = [label for _, label in CSV_COLUMNS]


def body(response):
    """The bytes of a response, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(client, query=""):
    response = client.get(f"/export.csv?{query}")
    assert response.status_code == 200
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")
    *rows, trailer = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    # The documented completeness check: the last line counts the rows between it and the header.
    assert trailer == [f"# End of export: {len(rows) - 1} partnerships"]
    return rows


def csv_records(client, query=""):
    header, *rows = csv_rows(client, query)
    return [dict(zip(header, row, strict=True)) for row in rows]


def geojson(client, query=""):
    response = client.get(f"/export.geojson?{query}")
    assert response.status_code == 200
    return json.loads(body(response))


def listed_names(client, query=""):
    content = client.get(f"/?{query}").content.decode()
    return re.findall(r'<h3 class="result-title"><a [^>]*>(.*?)</a></h3>', content)


# CSV


def test_the_csv_is_a_utf8_attachment_with_a_byte_order_mark_for_excel(client):
    make_partnership(name="Bolton HIP")
    response = client.get("/export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="' in response["Content-Disposition"]
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\xef\xbb\xbf") == 1


def test_the_csv_columns_are_the_fields_of_the_public_record():
    assert [key for key, _ in CSV_COLUMNS] == FIELDS


def test_the_csv_has_a_header_and_one_row_per_published_partnership(client):
    make_partnership(name="Bolton HIP", members=3)
    make_partnership(name="Leeds LIS", members=2)
    make_partnership(name="Draft network", publication_state=PublicationState.DRAFT)
    make_partnership(name="Archived network", publication_state=PublicationState.ARCHIVED)
    header, *rows = csv_rows(client)
    assert header == HEADER
    assert [row[0] for row in rows] == ["Bolton HIP", "Leeds LIS"]
    assert all(len(row) == len(HEADER) for row in rows)


def test_the_csv_keeps_non_english_text_intact(client):
    make_partnership(name="Llyfrgelloedd Iechyd Gŵyr, “Café” partnership")
    assert csv_records(client)[0]["Name"] == "Llyfrgelloedd Iechyd Gŵyr, “Café” partnership"


def test_a_csv_row_holds_the_public_record(client, settings):
    partnership = make_partnership(
        name="Bolton HIP",
        summary="Libraries in Bolton.",
        area_name="Bolton",
        region=Region.objects.get(slug="north-west"),
        meeting_frequency="Quarterly",
        latitude=BOLTON[0],
        longitude=BOLTON[1],
    )
    for name, role in (("Bolton Library", Role.MEMBER), ("Royal Bolton Hospital", Role.LEAD)):
        Membership.objects.create(
            partnership=partnership, organisation=make_organisation(name=name), role=role
        )
    partnership.activities.add(Activity.objects.get(slug="health-information-week"))
    partnership.channels.add(CommunicationChannel.objects.get(slug="newsletter"))
    make_agreement(partnership, kind=AgreementKind.SLA, title="Shared SLA", is_public=True)
    (record,) = csv_records(client)
    assert record["Name"] == "Bolton HIP"
    assert record["Summary"] == "Libraries in Bolton."
    # The page's address is built from the request's own host (issue 8, defect 10).
    assert record["Directory page"] == "http://testserver" + partnership.get_absolute_url()
    assert record["Area"] == "Bolton"
    assert record["Region"] == "North West"
    assert record["Members"] == "Royal Bolton Hospital; Bolton Library"
    assert record["Number of members"] == "2"
    assert record["Activities"] == "Health Information Week"
    assert record["Keeps in touch by"] == "Newsletter"
    assert record["Meets"] == "Quarterly"
    assert record["Published agreements"] == "Service level agreement: Shared SLA"


def test_the_csv_names_only_the_consented_lead_contact(client):
    partnership = make_partnership(name="Bolton HIP")
    make_contact(
        partnership,
        is_lead=True,
        consent=False,
        name="Hidden Lead",
        email="hidden.lead@example.org",
        phone="01204 000001",
    )
    make_contact(partnership, is_lead=False, name="Other Person", email="other.person@example.org")
    make_contact(
        partnership,
        is_lead=True,
        name="Library Team",
        email="library.team@example.org",
        phone="01204 333000",
    )
    data = body(client.get("/export.csv")).decode("utf-8-sig")
    (record,) = csv_records(client)
    assert record["Lead contact"] == "Library Team"
    assert record["Lead contact email"] == "library.team@example.org"
    assert record["Lead contact phone"] == "01204 333000"
    for private in ("Hidden Lead", "hidden.lead@", "01204 000001", "Other Person"):
        assert private not in data


def test_a_partnership_without_a_consented_lead_has_blank_contact_cells(client):
    make_contact(make_partnership(name="Bolton HIP"), is_lead=True, consent=False)
    (record,) = csv_records(client)
    assert record["Lead contact"] == record["Lead contact email"] == ""
    assert record["Lead contact phone"] == ""


def test_a_formula_in_a_name_is_shown_as_text(client):
    make_partnership(name='=HYPERLINK("http://x")')
    (record,) = csv_records(client)
    assert record["Name"] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
@pytest.mark.parametrize(
    ("field", "column"),
    [
        ("name", "Name"),
        ("summary", "Summary"),
        ("area_name", "Area"),
        ("meeting_frequency", "Meets"),
        ("mailing_list", "Mailing list"),
    ],
)
def test_every_text_cell_that_a_spreadsheet_would_run_starts_with_an_apostrophe(
    client, trigger, field, column
):
    value = f"{trigger}SUM(1+1)*cmd|' /C calc'!A0"
    make_partnership(**{"name": "Plain", field: value})
    (record,) = csv_records(client)
    assert record[column] == "'" + value


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@"])
def test_formulas_in_member_and_contact_names_are_shown_as_text(client, trigger):
    partnership = make_partnership(name="Plain")
    Membership.objects.create(
        partnership=partnership, organisation=make_organisation(name=f"{trigger}1+1")
    )
    make_contact(partnership, is_lead=True, name=f"{trigger}2+2", phone=f"{trigger}44 1204")
    (record,) = csv_records(client)
    assert record["Members"] == f"'{trigger}1+1"
    assert record["Lead contact"] == f"'{trigger}2+2"
    assert record["Lead contact phone"] == f"'{trigger}44 1204"


def test_coordinates_and_counts_stay_numbers(client):
    make_partnership(name="Bolton HIP", members=3, latitude=BOLTON[0], longitude=BOLTON[1])
    make_partnership(name="Unlocated")
    bolton, unlocated = csv_records(client)
    assert bolton["Latitude"] == "53.578"
    assert bolton["Longitude"] == "-2.429"
    assert float(bolton["Longitude"]) == BOLTON[1]
    assert bolton["Number of members"] == "3"
    assert unlocated["Latitude"] == unlocated["Longitude"] == ""


def test_hostile_text_in_the_csv_is_kept_as_written(client):
    hostile = "<img src=x onerror=alert(1)> O'Brien's \"Hub\""
    partnership = make_partnership(name=hostile, summary=hostile, area_name=hostile)
    Membership.objects.create(partnership=partnership, organisation=make_organisation(name=hostile))
    (record,) = csv_records(client)
    assert record["Name"] == record["Summary"] == record["Area"] == record["Members"] == hostile


# GeoJSON


def test_the_geojson_is_a_feature_collection_attachment(client):
    make_partnership(name="Bolton HIP", latitude=BOLTON[0], longitude=BOLTON[1])
    response = client.get("/export.geojson")
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"].startswith("attachment;")
    collection = json.loads(body(response))
    assert collection["type"] == "FeatureCollection"
    (feature,) = collection["features"]
    assert feature["type"] == "Feature"
    assert feature["properties"]["name"] == "Bolton HIP"


def test_geojson_coordinates_are_longitude_then_latitude(client):
    make_partnership(name="Cornwall network", latitude=TRURO[0], longitude=TRURO[1])
    make_partnership(name="Norfolk network", latitude=NORWICH[0], longitude=NORWICH[1])
    cornwall, norfolk = geojson(client)["features"]
    assert cornwall["geometry"]["type"] == "Point"
    lon, lat = cornwall["geometry"]["coordinates"]
    assert lon < -4 and lat == pytest.approx(50.26, abs=0.1)
    lon, lat = norfolk["geometry"]["coordinates"]
    assert lon > 1 and lat == pytest.approx(52.63, abs=0.1)


def test_an_unlocated_partnership_has_a_null_geometry(client):
    make_partnership(name="Unlocated")
    (feature,) = geojson(client)["features"]
    assert feature["geometry"] is None
    assert feature["properties"]["name"] == "Unlocated"


def test_hostile_text_in_the_geojson_is_valid_json_holding_the_literal_string(client):
    hostile = "<img src=x onerror=alert(1)> O'Brien's \"Hub\" \\ </script>"
    make_partnership(name=hostile, summary=hostile, latitude=BOLTON[0], longitude=BOLTON[1])
    (feature,) = geojson(client)["features"]
    assert feature["properties"]["name"] == hostile
    assert feature["properties"]["summary"] == hostile


@pytest.mark.parametrize(
    "query",
    ["", "region=south-west", "q=network", "near=Bolton", "near=Bolton&radius=100&sort=name"],
)
def test_the_downloads_hold_the_same_partnerships_as_the_list(client, query):
    make_place("Bolton", *BOLTON)
    south_west = Region.objects.get(slug="south-west")
    make_partnership(name="Cornwall network", region=south_west, latitude=50.26, longitude=-5.05)
    make_partnership(name="Devon forum", region=south_west)
    make_partnership(name="Bolton network", latitude=BOLTON[0], longitude=BOLTON[1])
    make_partnership(name="Wigan network", latitude=53.545, longitude=-2.6325)
    make_partnership(name="Leeds network", latitude=53.7965, longitude=-1.5479)
    make_partnership(name="Draft network", publication_state=PublicationState.DRAFT)
    names = listed_names(client, query)
    assert names
    assert [record["Name"] for record in csv_records(client, query)] == names
    assert [f["properties"]["name"] for f in geojson(client)["features"]] == listed_names(client)
    assert [f["properties"]["name"] for f in geojson(client, query)["features"]] == names


# Query counts


def build(count):
    activities = list(Activity.objects.all()[:3])
    channels = list(CommunicationChannel.objects.all()[:2])
    for i in range(count):
        partnership = make_partnership(
            members=3,
            region=Region.objects.get(slug="north-west"),
            latitude=BOLTON[0] + i / 100,
            longitude=BOLTON[1],
        )
        partnership.activities.set(activities)
        partnership.channels.set(channels)
        make_contact(partnership, is_lead=True)
        make_contact(partnership, is_lead=True, consent=False)
        make_agreement(partnership, is_public=True)
        make_agreement(partnership, is_public=False).parties.add(make_organisation())


@pytest.mark.parametrize("url", ["/export.csv", "/export.geojson"])
@pytest.mark.parametrize("query", ["", "near=Bolton&radius=50&sector=public-library"])
def test_the_downloads_run_the_same_number_of_queries_for_2_or_20_partnerships(client, url, query):
    make_place("Bolton", *BOLTON)
    counts = []
    for added, total in ((2, 2), (18, 20)):
        build(added)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{url}?{query}")
            data = body(response)
        assert response.status_code == 200
        assert data.count(b"Partnership ") == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_downloads_run_the_same_number_of_queries_for_100_or_1000_partnerships(client):
    """Up to one chunk (1,000 entries) the number of queries does not grow with the rows."""
    counts = []
    for added, total in ((100, 100), (900, 1000)):
        bulk_build(added, start=total - added)
        for url in ("/export.csv", "/export.geojson"):
            with CaptureQueriesContext(connection) as queries:
                data = body(client.get(url))
            assert data.count(b"/bulk-partnership-") == total
            counts.append(len(queries))
    assert counts[:2] == counts[2:]


def bulk_build(count, start=0):
    """`count` published partnerships with two members, an activity, a channel, a consented and
    a private lead contact and a public and a private agreement each, made in a few queries."""
    north_west = Region.objects.get(slug="north-west")
    activity = Activity.objects.order_by("pk").first()
    channel = CommunicationChannel.objects.order_by("pk").first()
    partnerships = Partnership.objects.bulk_create(
        Partnership(
            name=f"Bulk partnership {n:05d}",
            slug=f"bulk-partnership-{n}",
            summary=f"=Summary {n}",
            publication_state=PublicationState.PUBLISHED,
            region=north_west if n % 2 else None,
            latitude=BOLTON[0] + n / 10_000 if n % 3 else None,
            longitude=BOLTON[1] if n % 3 else None,
            last_verified_at=timezone.now() if n % 4 else None,
        )
        for n in range(start, start + count)
    )
    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"Bulk organisation {n}", slug=f"bulk-organisation-{n}")
        for n in range(start * 2, (start + count) * 2)
    )
    Membership.objects.bulk_create(
        Membership(partnership=p, organisation=o, role=Role.LEAD if i % 2 else Role.MEMBER)
        for i, (p, o) in enumerate(
            zip([p for p in partnerships for _ in (0, 1)], organisations, strict=True)
        )
    )
    Partnership.activities.through.objects.bulk_create(
        Partnership.activities.through(partnership=p, activity=activity) for p in partnerships
    )
    Partnership.channels.through.objects.bulk_create(
        Partnership.channels.through(partnership=p, communicationchannel=channel)
        for p in partnerships
    )
    now = timezone.now()
    Contact.objects.bulk_create(
        contact
        for p in partnerships
        for contact in (
            Contact(
                partnership=p,
                name=f"Lead of {p.name}",
                email="lead@example.org",
                is_lead=True,
                consent_to_publish=True,
                consented_at=now,
            ),
            Contact(partnership=p, name="Private lead", email="private@example.org", is_lead=True),
        )
    )
    Agreement.objects.bulk_create(
        agreement
        for p in partnerships
        for agreement in (
            Agreement(
                partnership=p,
                kind=AgreementKind.MOU,
                title="Public MoU",
                is_public=True,
                signed_on=datetime.date(2025, 1, 15) if p.pk % 2 else None,
                review_due=datetime.date(2099, 1, 15) if p.pk % 3 else None,
            ),
            Agreement(partnership=p, kind=AgreementKind.SLA, title="Private SLA"),
        )
    )


def record_from_instances(partnership):
    """The public record as the first exports built it, one model instance at a time: the
    reference the streamed export must match."""
    leads = [c for c in partnership.contacts.all() if c.is_lead and c.to_public_dict()]
    lead = leads[0].to_public_dict() if leads else None
    memberships = list(partnership.memberships.all())
    agreements = [a for a in partnership.agreements.all() if a.is_public]
    return {
        "Name": partnership.name,
        "Name in Welsh": partnership.name_cy,
        "Summary": partnership.summary,
        "Summary in Welsh": partnership.summary_cy,
        "Directory page": "http://testserver" + partnership.get_absolute_url(),
        "Type": partnership.get_kind_display(),
        "Formality": partnership.get_formality_display(),
        "Status": partnership.get_status_display(),
        "Scope": partnership.get_scope_display(),
        "Area": partnership.area_name,
        "Region": partnership.region.name if partnership.region else "",
        "Members": "; ".join(m.organisation.name for m in memberships),
        "Number of members": len(memberships),
        "Activities": "; ".join(a.name for a in partnership.activities.all()),
        "Keeps in touch by": "; ".join(c.name for c in partnership.channels.all()),
        "Meets": partnership.meeting_frequency,
        "Published agreements": "; ".join(
            f"{a.get_kind_display()}: {a.title}"
            + (f" ({status_and_dates(a)})" if a.signed_on or a.review_due else "")
            for a in agreements
        ),
        "Website": partnership.website,
        "Mailing list": partnership.mailing_list,
        "Lead contact": lead["name"] if lead else "",
        "Lead contact email": lead["email"] if lead else "",
        "Lead contact phone": lead["phone"] if lead else "",
        "Latitude": partnership.latitude,
        "Longitude": partnership.longitude,
        "Last confirmed": (
            partnership.last_verified_at.date().isoformat() if partnership.last_verified_at else ""
        ),
    }


def test_a_streamed_export_of_2000_partnerships_matches_the_record_built_from_instances(client):
    bulk_build(2000)
    expected = [
        {key: str(neutralise(value)) for key, value in record_from_instances(p).items()}
        for p in Partnership.objects.published()
        .select_related("region")
        .prefetch_related(
            "memberships__organisation", "activities", "channels", "contacts", "agreements"
        )
        .order_by("name")
    ]
    records = csv_records(client)
    assert len(records) == 2000
    for got, want in zip(records, expected, strict=True):
        assert got == want, {k: (got[k], want[k]) for k in got if got[k] != want[k]}
    features = geojson(client)["features"]
    assert [f["properties"]["url"] for f in features] == [r["Directory page"] for r in expected]
    assert features[0]["properties"]["members"] == expected[0]["Members"]


def test_a_csv_cut_off_before_its_end_fails_the_documented_check(client):
    bulk_build(250)
    chunks = list(client.get("/export.csv").streaming_content)
    assert len(chunks) > 2
    complete = b"".join(chunks).decode("utf-8-sig").splitlines()
    assert complete[-1] == "# End of export: 250 partnerships"
    cut = b"".join(chunks[:-1]).decode("utf-8-sig").splitlines()
    assert not cut[-1].startswith("# End of export")


def test_a_geojson_cut_off_before_its_end_is_not_valid_json(client):
    bulk_build(250)
    chunks = list(client.get("/export.geojson").streaming_content)
    assert json.loads(b"".join(chunks))["numberReturned"] == 250
    with pytest.raises(json.JSONDecodeError):
        json.loads(b"".join(chunks[:-1]))


# Private data


def test_private_contacts_and_agreements_appear_nowhere(client):
    make_place("Bolton", *BOLTON)
    partnership = make_partnership(
        name="Bolton HIP", members=2, latitude=BOLTON[0], longitude=BOLTON[1]
    )
    make_contact(partnership, is_lead=True, name="Public Lead", email="public.lead@example.org")
    make_contact(
        partnership,
        is_lead=True,
        consent=False,
        name="Zebediah Quartermaine",
        email="zq.private.8841@example.org",
        phone="07700 900 417",
        job_title="Secret keeper",
    )
    make_agreement(partnership, title="Public memorandum", is_public=True)
    make_agreement(
        partnership,
        kind=AgreementKind.DATA_SHARING,
        title="Confidential Xylophone Accord",
        summary="Sensitive arrangement 5521",
        is_public=False,
    )
    private = [
        "Zebediah",
        "Quartermaine",
        "zq.private.8841",
        "07700 900 417",
        "Secret keeper",
        "Confidential Xylophone Accord",
        "Sensitive arrangement 5521",
    ]
    urls = [
        "/",
        "/?near=Bolton",
        "/?q=zebediah",
        partnership.get_absolute_url(),
        f"/map-data/?{UK_MAP}",
        "/export.csv",
        "/export.csv?near=Bolton",
        "/export.geojson",
        "/embed/",
    ]
    seen = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        seen[url] = body(response).decode("utf-8-sig")
        for text in private:
            assert text not in seen[url], (url, text)
    # The pages did show the partnership, so the check above looked at real output.
    assert "Bolton HIP" in seen["/"] and "Bolton HIP" in seen["/embed/"]
    assert "public.lead@example.org" in seen["/export.csv"]
    assert "public.lead@example.org" in seen["/export.geojson"]
    assert "Public memorandum" in seen[partnership.get_absolute_url()]
    assert "Public memorandum" in seen["/export.csv"]
    assert "Bolton HIP" not in seen["/?q=zebediah"]


def test_the_csv_gives_an_agreements_signing_and_review_dates(client):
    partnership = make_partnership()
    make_agreement(
        partnership,
        kind=AgreementKind.SLA,
        title="Shared SLA",
        signed_on=datetime.date(2026, 1, 15),
        review_due=datetime.date(2099, 1, 15),
    )

    [record] = csv_records(client)

    assert record["Published agreements"] == (
        "Service level agreement: Shared SLA (signed 15 January 2026, review due 15 January 2099)"
    )
