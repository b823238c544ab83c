"""A visitor asks for their organisation to join a partnership, and the partnership's editor
accepts it from "My partnerships"; "Find partners near you" and the join form pass axe-core."""

from partnerships.models import JoinRequest, JoinRequestState, RevisionState, Sector
from tests.browser.conftest import sign_in
from tests.factories import (
    make_contact,
    make_membership,
    make_organisation,
    make_partnership,
    make_place,
    make_user,
)


def test_a_visitor_asks_to_join_and_the_editor_accepts_from_my_partnerships(
    site, page, live_server, monkeypatch, mailoutbox, axe_violations, console_errors
):
    # The fill-time check refuses forms sent within seconds; a test types faster than a person.
    monkeypatch.setattr("directory.forms.MIN_FILL_SECONDS", 0)
    partnership = make_partnership(members=1, name="Bolton health libraries")
    make_contact(partnership, is_lead=True, email="lead-contact@example.org")
    editor = make_user(email="editor@example.org")
    partnership.editors.add(editor)

    site.open(partnership.get_absolute_url())
    page.get_by_role("link", name="Ask to join").click()
    page.get_by_role("heading", level=1, name="Ask to join Bolton health libraries").wait_for()
    assert axe_violations() == []

    page.get_by_label("Your organisation").fill("Bolton Central Library")
    page.get_by_label("Its sector").select_option(Sector.PUBLIC_LIBRARY)
    page.get_by_label("Its town (optional)").fill("Bolton")
    page.get_by_label("Your name").fill("Alex Librarian")
    page.get_by_label("Your email address").fill("alex@example.net")
    page.get_by_label("Your message (optional)").fill("We would love to take part.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send request").click()

    page.get_by_text("Thank you: your request for Bolton Central Library to join").wait_for()
    join_request = JoinRequest.objects.get()
    assert [message.to for message in mailoutbox] == [["editor@example.org"]]

    sign_in(page, live_server, editor)
    site.open("/my/partnerships/")
    page.get_by_role("link", name="1 request to join").wait_for()
    assert axe_violations() == []
    page.get_by_role(
        "link", name="Bolton Central Library asks to join Bolton health libraries"
    ).click()
    page.get_by_role("heading", level=1).wait_for()
    assert axe_violations() == []
    page.get_by_label("Your reply (optional)").fill("Welcome!")
    with page.expect_navigation():
        page.get_by_role("button", name="Accept").click()

    page.get_by_text("the change has been sent to the moderators").wait_for()
    join_request.refresh_from_db()
    assert join_request.state == JoinRequestState.ACCEPTED
    assert partnership.revisions.get().state == RevisionState.PENDING
    assert mailoutbox[-1].to == ["alex@example.net"]
    assert "Welcome!" in mailoutbox[-1].body
    assert console_errors == []


def test_find_partners_near_you_passes_axe_with_results_and_with_an_error(
    site, page, axe_violations, console_errors
):
    make_place("Bolton", 53.578, -2.429, population=140_000)
    partnership = make_partnership(name="Greater Manchester health libraries")
    make_membership(
        partnership,
        make_organisation(
            name="Royal Bolton Hospital Library",
            sector=Sector.NHS,
            town="Bolton",
            latitude=53.55,
            longitude=-2.44,
        ),
    )

    site.open("/find-partners/")
    assert axe_violations() == []
    page.get_by_label("Near").fill("Bolton")
    page.get_by_label("Sector").select_option(Sector.NHS)
    with page.expect_navigation():
        page.get_by_role("button", name="Find organisations").click()

    page.get_by_role("link", name="Royal Bolton Hospital Library").wait_for()
    assert axe_violations() == []

    page.get_by_label("Near").fill("Nowhereville")
    with page.expect_navigation():
        page.get_by_role("button", name="Find organisations").click()
    page.get_by_text("We could not find a town called").first.wait_for()
    assert axe_violations() == []
    assert console_errors == []
