"""A curator restores an old version of a partnership in real Chromium: from the review page to
the history, the confirmation and back to the public page, accessible throughout."""

from partnerships import history
from partnerships.models import ChangeKind, Membership, Role
from tests.factories import make_agreement, make_organisation, make_partnership


def test_a_curator_restores_an_old_version_of_a_partnership(
    site, page, curator, axe_violations, console_errors
):
    partnership = make_partnership(name="Bolton readers", summary="Reading together.")
    library = make_organisation(name="Bolton Library and Museum Services")
    Membership.objects.create(partnership=partnership, organisation=library, role=Role.LEAD)
    make_agreement(partnership, title="Bolton memorandum of understanding")
    history.record(partnership, kind=ChangeKind.CREATED)
    partnership.summary = "<script>alert(1)</script> Vandalised."
    partnership.save()
    partnership.memberships.all().delete()
    partnership.agreements.all().delete()
    history.record(partnership, kind=ChangeKind.ADMIN_EDIT, reason="Bulk tidy-up.")

    site.open(f"/moderation/{partnership.pk}/")
    page.get_by_role("link", name="History of this entry").click()
    page.wait_for_url(f"**/moderation/history/partnerships/{partnership.pk}/")
    assert page.locator("h1").inner_text() == "History of Bolton readers"
    newest = page.locator("#version-2")
    assert "Edited in the admin" in newest.inner_text()
    assert "Removed Bolton Library and Museum Services (Lead)" in newest.inner_text()
    assert "<script>alert(1)</script> Vandalised." in newest.inner_text()
    assert axe_violations() == []

    page.get_by_role("link", name="Restore this version (version 1)").click()
    assert page.locator("h1").inner_text() == "Restore version 1 of Bolton readers?"
    assert "Added Bolton Library and Museum Services (Lead)" in page.locator("table").inner_text()
    assert axe_violations() == []
    page.get_by_label("Reason for restoring (optional)").fill("Undo the tidy-up.")
    page.get_by_role("button", name="Restore version 1").click()

    page.wait_for_url(f"**/moderation/history/partnerships/{partnership.pk}/")
    assert "is live again, as version 3" in page.get_by_role("status").inner_text()
    assert "Undo the tidy-up." in page.locator("#version-3").inner_text()
    assert axe_violations() == []

    page.get_by_role("link", name="Public page").click()
    main = page.locator("main").inner_text()
    assert "Reading together." in main and "Vandalised" not in main
    assert "Bolton Library and Museum Services" in main
    assert "Bolton memorandum of understanding" in main
    assert console_errors == []
