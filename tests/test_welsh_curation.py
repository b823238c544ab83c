"""The curators' screens in Welsh: the moderation queue and review page, history and restore,
duplicates and merging, imports, visitors' reports, requests to manage, the entries needing
attention and the freshness dashboard, all on their /cy/ addresses with no English left; their
forms' errors and messages in Welsh; and the English screens as they were."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from partnerships import matching, services
from partnerships.models import (
    ClaimRequest,
    ImportRun,
    Partnership,
    ProblemReport,
    PublicationState,
    Region,
    ReportReason,
    Version,
)
from partnerships.snapshots import snapshot_of
from tests.factories import (
    make_agreement,
    make_contact,
    make_membership,
    make_moderator,
    make_organisation,
    make_partnership,
    make_user,
)
from tests.welsh import english_left

pytestmark = pytest.mark.django_db

# What the checker takes for English but belongs on a Welsh page: a name the glossary keeps in
# English, "sector", which is a Welsh word too, and a web address shown as code.
KEPT = [
    re.compile(r"Open Referral UK"),
    re.compile(r"\bsector\b", re.IGNORECASE),
    re.compile(r"<code>/[^<]*</code>"),
]
LIBRARIES = "Enw,Tref\nLlyfrgell Ganolog Caerdydd,Caerdydd\nLlyfrgell Penarth,Penarth\n"


def assert_welsh_page(response):
    """A curators' page in Welsh: <html lang="cy"> and no English words left."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert '<html lang="cy"' in html, "the page is not marked as Welsh"
    for kept in KEPT:
        html = kept.sub("", html)
    left = english_left(html)
    assert not left, "English left on the Welsh page:\n" + "\n".join(left)


def welsh(name, *args):
    """The Welsh address of a page (under /cy/)."""
    with translation.override("cy"):
        return reverse(name, args=args)


def english(name, *args):
    """The English address of a page. (Each request leaves its language active for the test,
    so the language of an address is never left to chance.)"""
    with translation.override("en-gb"):
        return reverse(name, args=args)


@pytest.fixture
def curator():
    return make_moderator(email="curadur@example.org")


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def wales():
    return Region.objects.get(slug="wales")


def cardiff_partnership(**overrides):
    """A published partnership whose data reads as Welsh."""
    fields = {
        "name": "Partneriaeth Iechyd Caerdydd",
        "name_cy": "Partneriaeth Iechyd Caerdydd",
        "summary": "Llyfrgelloedd yn cydweithio ar wybodaeth iechyd.",
        "summary_cy": "Llyfrgelloedd yn cydweithio ar wybodaeth iechyd.",
        "area_name": "Caerdydd",
        "region": Region.objects.get(slug="wales"),
    }
    return make_partnership(**{**fields, **overrides})


def submitted_partnership():
    """A new partnership its editor has sent for review, with a member, a contact and an
    agreement for the review page to show."""
    editor = make_user(email="golygydd@example.org")
    partnership = cardiff_partnership(publication_state=PublicationState.DRAFT)
    make_membership(
        partnership,
        make_organisation(name="Llyfrgell Ganolog Caerdydd", name_cy="", town="Caerdydd"),
    )
    make_contact(partnership, name="Tîm y Llyfrgell", email="llyfrgell@example.org")
    make_agreement(partnership, title="Memorandwm cyd-ddealltwriaeth")
    partnership.editors.add(editor)
    services.submit_for_review(partnership, user=editor)
    return partnership


def submitted_edit():
    """A published partnership with changes to it waiting for review."""
    editor = make_user(email="golygydd@example.org")
    partnership = cardiff_partnership()
    partnership.editors.add(editor)
    data = snapshot_of(partnership)
    data["fields"]["area_name"] = "Bro Morgannwg"
    services.save_edit(partnership, data=data, user=editor)
    services.submit_for_review(partnership, user=editor)
    return partnership


# Moderation ----------------------------------------------------------------------------------


def test_the_queue_is_in_welsh(curator_client):
    submitted_partnership()
    submitted_edit()

    response = curator_client.get(welsh("curation:queue"))

    assert_welsh_page(response)
    assert "Ciw cymedroli" in response.text
    assert "Mae 2 cofnod yn aros am adolygiad" in response.text


def test_the_empty_queue_is_in_welsh(curator_client):
    assert_welsh_page(curator_client.get(welsh("curation:queue")))


def test_the_review_page_of_a_new_partnership_is_in_welsh(curator_client):
    partnership = submitted_partnership()

    response = curator_client.get(welsh("curation:review", partnership.pk))

    assert_welsh_page(response)
    assert "Cymeradwyo a chyhoeddi" in response.text


def test_the_review_page_of_changes_is_in_welsh(curator_client):
    partnership = submitted_edit()

    response = curator_client.get(welsh("curation:review", partnership.pk))

    assert_welsh_page(response)
    assert "Newidiadau arfaethedig" in response.text


def test_a_decision_without_its_message_is_refused_in_welsh(curator_client):
    partnership = submitted_partnership()

    response = curator_client.post(
        welsh("curation:request_changes", partnership.pk), {"changes-message": ""}
    )

    assert response.status_code == 400
    assert "Dywedwch beth ddylai&#x27;r golygyddion ei newid." in response.text
    assert "Say what the editors should change." not in response.text


def test_a_decision_is_confirmed_in_welsh_with_the_welsh_name(curator_client):
    partnership = submitted_partnership()
    Partnership.objects.filter(pk=partnership.pk).update(name_cy="Partneriaeth Iechyd y Brifddinas")

    response = curator_client.post(
        welsh("curation:approve", partnership.pk),
        {"approve-message": ""},
        follow=True,
    )

    assert_welsh_page(response)
    assert "Mae “Partneriaeth Iechyd y Brifddinas” wedi&#x27;i chymeradwyo" in response.text


# History and restore -------------------------------------------------------------------------


def test_the_history_and_restore_pages_are_in_welsh(curator_client, curator):
    partnership = submitted_partnership()
    services.approve(partnership, moderator=curator, message="")
    version = Version.objects.of(partnership).order_by("number").first()

    history = curator_client.get(welsh("curation:partnership_history", partnership.pk))
    restore = curator_client.get(
        welsh("curation:partnership_restore", partnership.pk, version.number)
    )

    assert_welsh_page(history)
    assert "Hanes Partneriaeth Iechyd Caerdydd" in history.text
    assert_welsh_page(restore)


def test_an_organisations_history_is_in_welsh(curator_client):
    organisation = make_organisation(name="Llyfrgell Penarth", town="Penarth")

    response = curator_client.get(welsh("curation:organisation_history", organisation.pk))

    assert_welsh_page(response)


# Duplicates and merging ----------------------------------------------------------------------


def two_libraries():
    first = make_organisation(name="Llyfrgell Ganolog Caerdydd", town="Caerdydd")
    second = make_organisation(name="Llyfrgell Ganolog Caerdydd", town="Caerdydd")
    return first, second


def test_the_possible_duplicates_are_in_welsh_with_the_matchers_reasons_marked_english(
    curator_client,
):
    two_libraries()
    matching.refresh_duplicate_candidates()

    response = curator_client.get(welsh("curation:duplicates"))

    assert_welsh_page(response)
    assert '<ul class="pair-reasons" lang="en">' in response.text


def test_merging_two_organisations_is_in_welsh_from_the_choice_to_the_undo(curator_client):
    first, second = two_libraries()
    url = welsh("curation:merge", "organisations", first.pk, second.pk)

    choose = curator_client.get(url)
    assert_welsh_page(choose)
    form = choose.context["form"]
    data = {name: field.initial for name, field in form.fields.items()}

    confirm = curator_client.post(url, data)
    assert_welsh_page(confirm)

    merged = curator_client.post(url, {**data, "confirm": "yes"}, follow=True)
    assert_welsh_page(merged)
    assert merged.redirect_chain[0][0].startswith("/cy/")

    undo = curator_client.get(merged.context["undo_url"])
    assert_welsh_page(undo)


# Imports -------------------------------------------------------------------------------------


def test_the_import_screens_are_in_welsh(curator_client):
    assert_welsh_page(curator_client.get(welsh("curation:imports")))
    assert_welsh_page(curator_client.get(welsh("curation:import_new")))

    upload = curator_client.post(
        welsh("curation:import_new"),
        {
            "kind": "organisations",
            "file": SimpleUploadedFile("llyfrgelloedd.csv", LIBRARIES.encode()),
            "source": "",
        },
    )
    assert upload.status_code == 302
    run = ImportRun.objects.get()
    assert_welsh_page(curator_client.get(welsh("curation:import_columns", run.pk)))

    preview = curator_client.post(
        welsh("curation:import_columns", run.pk),
        {"column_0": "name", "column_1": "town", "default_sector": "public-library"},
        follow=True,
    )
    assert_welsh_page(preview)

    applied = curator_client.post(welsh("curation:import_apply", run.pk), follow=True)
    assert_welsh_page(applied)
    assert "Mewnforiwyd: 2 newydd" in applied.text
    assert_welsh_page(curator_client.get(welsh("curation:import_undo", run.pk)))
    assert_welsh_page(curator_client.get(welsh("curation:imports")))


def test_an_import_form_sent_empty_is_refused_in_welsh(curator_client):
    response = curator_client.post(welsh("curation:import_new"), {"kind": ""})

    assert response.status_code == 400
    html = response.content.decode()
    for kept in KEPT:
        html = kept.sub("", html)
    assert not english_left(html)


def test_the_spreadsheet_templates_stay_english_on_welsh_pages(curator_client):
    response = curator_client.get(welsh("curation:import_template", "partnerships", "csv"))

    headings = response.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert "Name" in headings
    assert "Summary" in headings


# Reports and requests to manage --------------------------------------------------------------


def test_the_reports_and_a_report_are_in_welsh(curator_client):
    report = ProblemReport.objects.create(
        partnership=cardiff_partnership(),
        reason=ReportReason.CONTACT,
        explanation="Mae'r cyfeiriad e-bost yn anghywir.",
        email="ymwelydd@example.org",
    )

    assert_welsh_page(curator_client.get(welsh("curation:reports")))
    assert_welsh_page(curator_client.get(welsh("curation:report", report.pk)))


def test_resolving_a_report_without_an_outcome_is_refused_in_welsh(curator_client):
    report = ProblemReport.objects.create(
        partnership=cardiff_partnership(),
        reason=ReportReason.OTHER,
        explanation="Rhywbeth arall.",
    )

    response = curator_client.post(welsh("curation:report", report.pk), {})

    assert response.status_code == 400
    assert "Dewiswch beth wnaethoch chi ynglŷn â&#x27;r adroddiad." in response.text


def test_the_requests_to_manage_and_a_request_are_in_welsh(curator_client):
    claim = ClaimRequest.objects.create(
        partnership=cardiff_partnership(),
        user=make_user(email="arweinydd@example.org"),
        reason="Fi sy'n arwain y bartneriaeth.",
    )

    assert_welsh_page(curator_client.get(welsh("curation:claims")))
    assert_welsh_page(curator_client.get(welsh("curation:claim", claim.pk)))

    refused = curator_client.post(welsh("curation:claim_refuse", claim.pk), {"refuse-note": ""})
    assert refused.status_code == 400
    assert "Rhowch y rheswm dros wrthod y cais." in refused.text


# Keeping entries current ---------------------------------------------------------------------


def test_the_attention_list_and_the_freshness_dashboard_are_in_welsh(curator_client, wales):
    partnership = cardiff_partnership()
    long_ago = timezone.now() - datetime.timedelta(days=3 * 365)
    Partnership.objects.filter(pk=partnership.pk).update(created_at=long_ago)

    attention = curator_client.get(welsh("curation:attention"))
    assert_welsh_page(attention)
    assert "Partneriaeth Iechyd Caerdydd" in attention.text

    by_region = curator_client.get(
        welsh("curation:attention"), {"region": wales.slug, "within": "all"}
    )
    assert_welsh_page(by_region)

    dashboard = curator_client.get(welsh("curation:freshness"))
    assert_welsh_page(dashboard)
    assert wales.name_cy in dashboard.text


def test_confirming_an_entry_says_so_in_welsh(curator_client):
    partnership = cardiff_partnership()

    response = curator_client.post(
        welsh("curation:attention_confirm", partnership.pk),
        {"back": welsh("curation:attention")},
        follow=True,
    )

    assert "wedi&#x27;i chadarnhau&#x27;n gywir o hyd" in response.text


# English unchanged ---------------------------------------------------------------------------


def test_the_english_screens_are_unchanged(curator_client):
    submitted_partnership()

    queue = curator_client.get(english("curation:queue"))

    assert '<html lang="en-gb"' in queue.text
    assert "<h1>Moderation queue</h1>" in queue.text
    assert "1 entry is waiting for review, the longest-waiting first." in queue.text
    assert ">Needs attention</a>" in queue.text


def test_the_english_merge_page_keeps_its_wording(curator_client):
    first, second = two_libraries()

    response = curator_client.get(english("curation:merge", "organisations", first.pk, second.pk))

    assert "<h1>Merge two organisations</h1>" in response.text
    assert f"Keep “Llyfrgell Ganolog Caerdydd, Caerdydd” (#{first.pk})" in response.text
