"""Printing the directory in Chromium (print media): nothing is dropped without a word, and the
print page prints every match with its full address."""

from tests.factories import make_partnership


def after_content(locator):
    return locator.evaluate("(element) => getComputedStyle(element, '::after').content")


def test_a_printed_list_of_22_says_it_is_one_page_and_the_print_page_prints_all_22(
    site, page, settings, axe_violations, console_errors
):
    settings.DIRECTORY_PAGE_SIZE = 20
    for i in range(22):
        make_partnership(name=f"Network {i:02d}")
    site.open("/")

    page.emulate_media(media="print")
    notice = page.locator(".print-notice")
    assert notice.is_visible()
    assert "This printout shows partnerships 1 to 20 of 22." in notice.inner_text()
    assert f"{site.url}/print/" in notice.inner_text()
    assert not page.locator(".pagination").is_visible()

    page.emulate_media(media="screen")
    assert not notice.is_visible()
    page.get_by_role("link", name="Print all 22 partnerships").click()
    page.wait_for_url("**/print/")
    page.wait_for_load_state("load")
    assert axe_violations() == []

    page.emulate_media(media="print")
    results = page.locator(".result")
    assert results.count() == 22
    assert all(results.nth(i).is_visible() for i in range(22))
    assert page.get_by_text("Showing all 22 partnerships.").is_visible()
    assert not page.get_by_role("link", name="Back to the search").is_visible()
    first_link = page.locator(".result-title a").first
    assert after_content(first_link) == f'" ({site.url}/partnerships/network-00/)"'
    assert console_errors == []


def test_the_print_button_opens_the_browsers_print_dialog(site, page):
    make_partnership(name="Wigan network")
    site.open("/print/")
    page.evaluate("() => { window.print = () => { document.body.dataset.printed = 'yes'; }; }")
    page.get_by_role("button", name="Print this list").click()
    assert page.evaluate("() => document.body.dataset.printed") == "yes"
