"""A visitor reports that a partnership is a duplicate, finding the other entry without
JavaScript's help, and a curator resolves the report; both pages pass axe-core."""

from partnerships.models import ProblemReport, ReportState
from tests.browser.conftest import sign_in
from tests.factories import make_moderator, make_partnership, make_user


def test_a_visitor_reports_a_duplicate_and_a_curator_resolves_it(
    site, page, live_server, monkeypatch, mailoutbox, axe_violations, console_errors
):
    # The fill-time check refuses forms sent within seconds; a test types faster than a person.
    monkeypatch.setattr("directory.forms.MIN_FILL_SECONDS", 0)
    partnership = make_partnership(name="Bolton health libraries")
    partnership.editors.add(make_user(email="editor@example.org"))
    make_partnership(name="Bolton health library network")

    site.open(partnership.get_absolute_url())
    page.get_by_role("link", name="Suggest an update or report a problem").click()
    page.get_by_role("heading", level=1, name="Suggest an update or report a problem").wait_for()
    assert axe_violations() == []

    page.get_by_label("It is a duplicate of another entry").check()
    page.get_by_label("Tell us more").fill("The same network, entered twice.")
    page.get_by_label("Find the other entry").fill("library network")
    with page.expect_navigation():
        page.get_by_role("button", name="Find").click()
    # The form comes back as typed, with the match to choose.
    assert page.get_by_label("Tell us more").input_value() == "The same network, entered twice."
    page.get_by_label("Bolton health library network").check()
    page.get_by_label("Your email address (optional)").fill("visitor@example.net")
    assert axe_violations() == []
    with page.expect_navigation():
        page.get_by_role("button", name="Send report").click()

    page.get_by_text("Thank you: your report has gone to the directory").wait_for()
    report = ProblemReport.objects.get()
    assert report.duplicate_of.name == "Bolton health library network"
    assert [message.to for message in mailoutbox] == [["editor@example.org"]]

    sign_in(page, live_server, make_moderator())
    site.open("/")
    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("link", name="Bolton health libraries").click()
    page.get_by_role("link", name="compare and merge the two").wait_for()
    assert axe_violations() == []
    page.get_by_label("Merged with the other entry").check()
    page.get_by_label("Note to the reporter (optional)").fill("Merged into one entry.")
    with page.expect_navigation():
        page.get_by_role("button", name="Resolve").click()

    page.get_by_text("The reporter has been emailed.").wait_for()
    report.refresh_from_db()
    assert report.state == ReportState.MERGED
    assert mailoutbox[-1].to == ["visitor@example.net"]
    assert "Merged into one entry." in mailoutbox[-1].body
    assert axe_violations() == []
    assert console_errors == []
