"""Visitors report a problem with a public partnership or organisation: the form and its
defences, the editors' email, the curators' queue, resolving a report and telling the reporter."""

import re
import time

import pytest
from django.urls import reverse

from directory.forms import fill_token
from partnerships import emails, reports
from partnerships.models import ProblemReport, PublicationState, ReportReason, ReportState
from tests.factories import make_membership, make_moderator, make_partnership, make_user

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
HOSTILE = f"Bolton {SCRIPT} \"quoted\" & 'single'\nBcc: victim@example.org"


@pytest.fixture
def editor():
    return make_user(email="editor@example.org")


@pytest.fixture
def partnership(editor):
    partnership = make_partnership(name="Bolton health libraries", members=1)
    partnership.editors.add(editor)
    return partnership


@pytest.fixture
def curator_client(client):
    client.force_login(make_moderator(email="curator@example.org"))
    return client


def report_url(entry):
    kind = "partnership" if hasattr(entry, "editors") else "organisation"
    return reverse(f"directory:report_{kind}", args=[entry.slug])


def token_for(entry, seconds_ago=10):
    kind = "partnership" if hasattr(entry, "editors") else "organisation"
    return fill_token(f"report:{kind}:{entry.pk}", issued_at=time.time() - seconds_ago)


def report_data(entry, **overrides):
    """What a person who took ten seconds over the form posts."""
    return {
        "reason": ReportReason.CONTACT,
        "explanation": "The lead contact retired last year.",
        "email": "",
        "leave_empty": "",
        "started": token_for(entry),
        **overrides,
    }


def post_report(client, entry, **overrides):
    return client.post(report_url(entry), report_data(entry, **overrides))


@pytest.fixture
def sending(django_capture_on_commit_callbacks):
    """Emails go once the transaction commits: inside `with sending():` they are sent."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# The form ---------------------------------------------------------------------------------------


def test_the_partnership_page_links_to_the_report_page(client, partnership):
    response = client.get(partnership.get_absolute_url())

    assert f'href="{report_url(partnership)}"' in response.text
    assert "Suggest an update or report a problem" in response.text


def test_the_organisation_page_links_to_its_report_page(client, partnership):
    organisation = partnership.memberships.get().organisation

    response = client.get(organisation.get_absolute_url())

    assert f'href="{report_url(organisation)}"' in response.text


def test_the_report_page_has_one_heading_every_reason_and_a_hidden_honeypot(client, partnership):
    response = client.get(report_url(partnership))

    assert response.status_code == 200
    assert response.text.count("<h1") == 1
    for label in ReportReason.labels:
        assert str(label) in response.text
    assert '<div class="honeypot" aria-hidden="true">' in response.text
    assert "Find the other entry" in response.text
    assert "style=" not in response.text


def test_an_unpublished_partnership_has_no_report_page(client):
    draft = make_partnership(publication_state=PublicationState.DRAFT)

    assert client.get(report_url(draft)).status_code == 404


def test_a_report_reaches_the_queue_and_thanks_the_visitor(client, partnership):
    response = client.post(
        report_url(partnership), report_data(partnership, email="Visitor@Example.net"), follow=True
    )

    assert response.redirect_chain == [(partnership.get_absolute_url(), 302)]
    assert "Thank you: your report has gone to the directory" in response.text
    report = ProblemReport.objects.get()
    assert report.partnership == partnership
    assert report.organisation is None
    assert report.reason == ReportReason.CONTACT
    assert report.explanation == "The lead contact retired last year."
    assert report.state == ReportState.OPEN
    assert report.email.lower() == "visitor@example.net"


def test_the_editors_are_emailed_without_the_reporters_address(
    client, partnership, mailoutbox, settings, sending
):
    make_user(email="left@example.org", is_active=False).edited_partnerships.add(partnership)

    with sending():
        post_report(client, partnership, email="visitor@example.net")

    [message] = mailoutbox
    assert message.to == ["editor@example.org"]
    # In Welsh and English: the editor has no stored language.
    assert message.subject.endswith(" / Problem reported: Bolton health libraries")
    assert "The contact details are wrong" in message.body
    assert "The lead contact retired last year." in message.body
    assert f"{settings.SITE_URL}{reverse('editor:edit', args=[partnership.pk])}" in message.body
    assert "visitor@example.net" not in message.body
    assert message.reply_to == []


def test_a_report_about_an_entry_without_editors_is_still_filed(client, mailoutbox, sending):
    imported = make_partnership()

    with sending():
        assert post_report(client, imported).status_code == 302

    assert ProblemReport.objects.get().partnership == imported
    assert mailoutbox == []


def test_a_filled_honeypot_is_refused_and_nothing_is_filed(client, partnership, mailoutbox):
    response = post_report(client, partnership, leave_empty="http://spam.example")

    assert response.status_code == 400
    assert "Your report looked automated" in response.text
    assert not ProblemReport.objects.exists()
    assert mailoutbox == []


def test_a_report_sent_faster_than_a_person_can_type_is_refused(client, partnership, mailoutbox):
    response = post_report(client, partnership, started=token_for(partnership, seconds_ago=0))

    assert response.status_code == 400
    assert "faster than a person can fill in the form" in response.text
    assert not ProblemReport.objects.exists()


def test_a_contact_form_token_does_not_pass_for_a_report(client, partnership):
    contact_token = fill_token(partnership.pk, issued_at=time.time() - 10)

    response = post_report(client, partnership, started=contact_token)

    assert response.status_code == 400
    assert "The form could not be checked. Please send your report again." in response.text
    assert not ProblemReport.objects.exists()


def test_the_sixth_report_in_an_hour_from_one_client_is_refused(client, partnership):
    for n in range(5):
        assert post_report(client, partnership, email=f"r{n}@example.net").status_code == 302

    response = post_report(client, partnership, email="r6@example.net")

    assert response.status_code == 429
    assert "we accept at most 5 reports an hour from one address" in response.text
    assert ProblemReport.objects.count() == 5


def test_the_sixth_report_in_an_hour_from_one_reporter_address_is_refused(client, partnership):
    for n in range(5):
        response = client.post(
            report_url(partnership),
            report_data(partnership, email="same@example.net"),
            REMOTE_ADDR=f"192.0.2.{n}",
        )
        assert response.status_code == 302

    response = client.post(
        report_url(partnership),
        report_data(partnership, email="SAME@example.net"),
        REMOTE_ADDR="192.0.2.99",
    )

    assert response.status_code == 429
    assert ProblemReport.objects.count() == 5


def test_an_invalid_report_keeps_what_was_typed(client, partnership):
    response = post_report(
        client,
        partnership,
        reason=ReportReason.DETAILS,
        explanation="x" * 2001,
        email="visitor@example.net",
    )

    assert response.status_code == 400
    assert "Your report has not been sent." in response.text
    assert "x" * 2001 in response.text
    assert 'value="visitor@example.net"' in response.text
    assert re.search(r'value="details"[^>]*checked', response.text)
    assert not ProblemReport.objects.exists()


def test_a_report_without_a_reason_or_explanation_says_what_is_missing(client, partnership):
    response = post_report(client, partnership, reason="", explanation="   ")

    assert response.status_code == 400
    assert "Choose what is wrong." in response.text
    assert "Tell us what is wrong." in response.text


# Duplicates -------------------------------------------------------------------------------------


@pytest.fixture
def twin():
    return make_partnership(name="Bolton health library network")


def test_find_lists_published_matches_to_choose_and_keeps_the_form(client, partnership, twin):
    make_partnership(name="Bolton libraries draft", publication_state=PublicationState.DRAFT)

    response = post_report(
        client,
        partnership,
        find="1",
        reason=ReportReason.DUPLICATE,
        explanation="Entered twice.",
        find_duplicate="bolton",
    )

    assert response.status_code == 200
    assert f'value="{twin.pk}"' in response.text
    assert "Bolton health library network" in response.text
    # Neither the entry itself nor an unpublished one is offered.
    assert f'name="duplicate_of" value="{partnership.pk}"' not in response.text
    assert "Bolton libraries draft" not in response.text
    assert "Entered twice." in response.text
    assert 'value="bolton"' in response.text
    assert "has not been sent" not in response.text
    assert not ProblemReport.objects.exists()


def test_find_accepts_the_other_entrys_address(client, partnership, twin, settings):
    response = post_report(
        client,
        partnership,
        find="1",
        find_duplicate=f"{settings.SITE_URL}{twin.get_absolute_url()}",
    )

    assert f'value="{twin.pk}"' in response.text


def test_find_says_when_nothing_matches(client, partnership):
    response = post_report(client, partnership, find="1", find_duplicate="zzzz")

    assert "No published partnership matches “zzzz”" in response.text


def test_a_duplicate_report_records_the_other_entry(client, partnership, twin, mailoutbox, sending):
    with sending():
        response = post_report(
            client,
            partnership,
            reason=ReportReason.DUPLICATE,
            explanation="Entered twice.",
            find_duplicate="library network",
            duplicate_of=twin.pk,
        )

    assert response.status_code == 302
    assert ProblemReport.objects.get().duplicate_of == twin
    assert "Bolton health library network" in mailoutbox[0].body


def test_a_duplicate_report_must_name_the_other_entry(client, partnership):
    response = post_report(client, partnership, reason=ReportReason.DUPLICATE)

    assert response.status_code == 400
    assert "Find the other entry and choose it" in response.text


def test_the_other_entry_is_dropped_when_the_reason_is_not_duplicate(client, partnership, twin):
    post_report(client, partnership, reason=ReportReason.CLOSED, duplicate_of=twin.pk)

    assert ProblemReport.objects.get().duplicate_of is None


def test_an_unpublished_partnership_cannot_be_named_as_the_other_entry(client, partnership):
    draft = make_partnership(publication_state=PublicationState.DRAFT)

    response = post_report(
        client, partnership, reason=ReportReason.DUPLICATE, duplicate_of=draft.pk
    )

    assert response.status_code == 400
    assert not ProblemReport.objects.exists()


# Organisations ----------------------------------------------------------------------------------


def test_an_organisation_report_goes_to_the_editors_of_its_partnerships(
    client, partnership, mailoutbox, settings, sending
):
    organisation = partnership.memberships.get().organisation
    other = make_partnership()
    make_membership(other, organisation)
    other.editors.add(make_user(email="other-editor@example.org"))
    draft = make_partnership(publication_state=PublicationState.DRAFT)
    make_membership(draft, organisation)
    draft.editors.add(make_user(email="draft-editor@example.org"))

    with sending():
        response = post_report(client, organisation, reason=ReportReason.DETAILS)

    assert response.status_code == 302
    report = ProblemReport.objects.get()
    assert report.organisation == organisation
    assert report.partnership is None
    [message] = mailoutbox
    assert message.to == ["editor@example.org", "other-editor@example.org"]
    assert f"{settings.SITE_URL}{organisation.get_absolute_url()}" in message.body
    assert "an organisation in a partnership you edit" in message.body


def test_an_organisation_report_has_no_duplicate_finder(client, partnership):
    organisation = partnership.memberships.get().organisation

    response = client.get(report_url(organisation))

    assert response.status_code == 200
    assert "Find the other entry" not in response.text


def test_an_organisation_report_is_filed_when_nobody_edits_its_partnerships(
    client, mailoutbox, sending
):
    organisation = make_partnership(members=1).memberships.get().organisation

    with sending():
        assert post_report(client, organisation).status_code == 302

    assert ProblemReport.objects.get().organisation == organisation
    assert mailoutbox == []


# The curators' queue ----------------------------------------------------------------------------


def file(entry, **overrides):
    fields = {
        "entry": entry,
        "reason": ReportReason.DETAILS,
        "explanation": "The website address is old.",
        "email": "visitor@example.net",
        **overrides,
    }
    return reports.file_report(**fields)


def test_the_queue_shows_open_reports_first_and_newest_first(curator_client, partnership):
    oldest = file(partnership, explanation="first")
    resolved = file(partnership, explanation="second")
    reports.resolve_report(resolved, curator=make_moderator(), outcome=ReportState.FIXED)
    newest = file(partnership, explanation="third")

    response = curator_client.get(reverse("curation:reports"))

    assert response.status_code == 200
    assert [report.pk for report in response.context["page"]] == [newest.pk, oldest.pk, resolved.pk]
    assert "2 reports are open" in response.text


@pytest.mark.parametrize(("state", "expected"), [("open", ["a"]), ("resolved", ["b"])])
def test_the_queue_filters_open_or_resolved_reports(curator_client, partnership, state, expected):
    file(partnership, explanation="a")
    reports.resolve_report(
        file(partnership, explanation="b"),
        curator=make_moderator(),
        outcome=ReportState.NOT_A_PROBLEM,
    )

    response = curator_client.get(reverse("curation:reports"), {"state": state})

    assert [report.explanation for report in response.context["page"]] == expected


def test_the_navigation_links_moderators_to_reports_and_claims(curator_client):
    response = curator_client.get(reverse("directory:home"))

    assert f'href="{reverse("curation:reports")}"' in response.text
    assert f'href="{reverse("curation:claims")}"' in response.text


def test_the_report_page_shows_everything_and_links_the_merge(curator_client, partnership):
    twin = make_partnership(name="Bolton twin")
    report = file(partnership, reason=ReportReason.DUPLICATE, duplicate_of=twin)

    response = curator_client.get(reverse("curation:report", args=[report.pk]))

    assert response.status_code == 200
    assert partnership.get_absolute_url() in response.text
    assert "It is a duplicate of another entry" in response.text
    assert "The website address is old." in response.text
    assert "visitor@example.net" in response.text
    merge = reverse("curation:merge", args=["partnerships", partnership.pk, twin.pk])
    assert f'href="{merge}"' in response.text


def test_resolving_a_report_tells_the_reporter(curator_client, partnership, mailoutbox, sending):
    report = file(partnership)
    mailoutbox.clear()

    with sending():
        response = curator_client.post(
            reverse("curation:report", args=[report.pk]),
            {"outcome": ReportState.FIXED, "note": "Updated the website."},
        )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == ReportState.FIXED
    assert report.note == "Updated the website."
    assert report.resolved_by.email == "curator@example.org"
    assert report.resolved_at is not None
    [message] = mailoutbox
    assert message.to == ["visitor@example.net"]
    # In Welsh and English: a reporter's address has no stored language.
    assert message.subject.endswith(" / Your report about Bolton health libraries: fixed")
    assert "the entry has been corrected" in message.body
    assert "Updated the website." in message.body


def test_resolving_a_report_without_an_address_emails_nobody(
    curator_client, partnership, mailoutbox, sending
):
    report = file(partnership, email="")
    mailoutbox.clear()

    with sending():
        curator_client.post(
            reverse("curation:report", args=[report.pk]), {"outcome": ReportState.NOT_A_PROBLEM}
        )

    report.refresh_from_db()
    assert report.state == ReportState.NOT_A_PROBLEM
    assert mailoutbox == []


def test_resolving_needs_an_outcome_and_a_report_is_resolved_once(curator_client, partnership):
    report = file(partnership)
    url = reverse("curation:report", args=[report.pk])

    assert curator_client.post(url, {"outcome": "open"}).status_code == 400
    assert curator_client.post(url, {"outcome": ReportState.MERGED}).status_code == 302
    again = curator_client.post(url, {"outcome": ReportState.FIXED}, follow=True)

    assert "resolved already" in again.text
    report.refresh_from_db()
    assert report.state == ReportState.MERGED
    with pytest.raises(ValueError):
        reports.resolve_report(report, curator=make_moderator(), outcome=ReportState.FIXED)


@pytest.mark.parametrize("who", ["visitor", "editor"])
def test_nobody_but_curators_can_read_or_resolve_reports(client, partnership, editor, who):
    report = file(partnership)
    client.force_login(editor if who == "editor" else make_user())

    assert client.get(reverse("curation:reports")).status_code == 404
    assert client.get(reverse("curation:report", args=[report.pk])).status_code == 404
    response = client.post(
        reverse("curation:report", args=[report.pk]), {"outcome": ReportState.FIXED}
    )
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.state == ReportState.OPEN


def test_someone_signed_out_is_sent_to_sign_in(client, partnership):
    report = file(partnership)

    response = client.get(reverse("curation:report", args=[report.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


# Emails with hostile names ----------------------------------------------------------------------


def assert_plain(message):
    assert "\n" not in message.subject
    assert "\r" not in message.subject
    assert "&lt;" not in message.subject + message.body
    assert "&quot;" not in message.body
    assert "&#x27;" not in message.body
    assert "&amp;" not in message.body
    assert message.bcc == []
    assert message.message()["Bcc"] is None


@pytest.mark.parametrize("kind", ["partnership", "organisation"])
def test_the_editors_email_keeps_hostile_text_as_text(mailoutbox, kind):
    partnership = make_partnership(name=HOSTILE, members=1)
    organisation = partnership.memberships.get().organisation
    organisation.name = HOSTILE
    organisation.save()
    entry = partnership if kind == "partnership" else organisation
    report = reports.ProblemReport(
        partnership=partnership if kind == "partnership" else None,
        organisation=organisation if kind == "organisation" else None,
        reason=ReportReason.DUPLICATE,
        explanation=f"Look {SCRIPT} & see",
        duplicate_of=make_partnership(name=f"Twin {SCRIPT}"),
    )

    emails.send(
        "problem_reported",
        {"report": report, "entry": entry, "is_partnership": kind == "partnership"},
        ["editor@example.org"],
    )

    [message] = mailoutbox
    assert_plain(message)
    assert message.subject.endswith(
        " / Problem reported: Bolton <script>alert(1)</script> \"quoted\" & 'single'"
    )
    assert f"Look {SCRIPT} & see" in message.body
    assert f"Twin {SCRIPT}" in message.body
    assert message.recipients() == ["editor@example.org"]


@pytest.mark.parametrize("outcome", reports.OUTCOMES)
def test_the_reporters_email_keeps_hostile_text_as_text(mailoutbox, outcome):
    partnership = make_partnership(name=HOSTILE)
    report = reports.ProblemReport(
        partnership=partnership,
        reason=ReportReason.OTHER,
        explanation=f"Odd {SCRIPT}",
        state=outcome,
        note=f'Done {SCRIPT} & "more"',
    )

    emails.send("report_resolved", {"report": report, "entry": partnership}, ["v@example.net"])

    [message] = mailoutbox
    assert_plain(message)
    assert " / Your report about Bolton <script>" in message.subject
    assert f'Done {SCRIPT} & "more"' in message.body
    assert f"Odd {SCRIPT}" in message.body
    assert message.recipients() == ["v@example.net"]
