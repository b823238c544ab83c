"""The toolkit: guidance pages curators write, the library of shared example agreements and the
starter templates to download."""

import datetime
import importlib
import re
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document
from odf import teletype
from odf.opendocument import load

from editor import uploads
from partnerships.models import AgreementKind, PublicationState
from tests.editing import PDF
from tests.factories import (
    make_agreement,
    make_organisation,
    make_partnership,
    make_user,
)
from toolkit.formatting import render_body, to_html
from toolkit.models import GuidancePage
from toolkit.starter_templates import STARTER_TEMPLATES
from toolkit.views import LIBRARY_PAGE_SIZE

pytestmark = pytest.mark.django_db

initial_guidance = importlib.import_module("toolkit.migrations.0002_initial_guidance")

HOSTILE_INPUTS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JavaScript:alert%281%29)",
    "[click](java&#x09;script:alert%281%29)",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox)",
    "[click](//evil.example/x)",
    '[click](https://example.org/"onmouseover="alert(1))',
    "<!-- <script>alert(1)</script> -->",
    "**<b onmouseover=alert(1)>bold</b>**",
    "## <svg onload=alert(1)>",
    "- <iframe src=https://evil.example></iframe>",
    "[**<script>x</script>**](https://example.org)",
    "<<script>script>alert(1)<</script>/script>",
    "<style>body{display:none}</style>",
]


class MarkupFound(HTMLParser):
    """The elements, attributes, link addresses and comments a browser would see in a piece of
    HTML (text that merely looks like markup is not among them)."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes, self.hrefs, self.comments = set(), set(), [], []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name == "href":
                self.hrefs.append(value)

    def handle_comment(self, data):
        self.comments.append(data)


def h1_count(response):
    return len(re.findall(rb"<h1[\s>]", response.content))


def make_page(**overrides):
    fields = {"title": "A page", "slug": "a-page", "body": "Some text.", "position": 1}
    fields.update(overrides)
    return GuidancePage.objects.create(**fields)


@pytest.fixture
def no_guidance():
    """Only the pages a test makes (the migration's pages would otherwise be there)."""
    GuidancePage.objects.all().delete()


# Formatting and sanitising ------------------------------------------------------------------


def test_the_body_formats_paragraphs_headings_lists_bold_and_links():
    html = render_body(
        "First paragraph\nwith a second line.\n\n"
        "## A heading\n### A smaller heading\n"
        "- one\n- **two**\n\n"
        "1. first\n2. second\n\n"
        "See [the library](/toolkit/agreements/), [a site](https://example.org/a?b=1&c=2) "
        "or [email us](mailto:team@example.org)."
    )
    assert html == (
        "<p>First paragraph<br>with a second line.</p>\n"
        "<h2>A heading</h2>\n<h3>A smaller heading</h3>\n"
        "<ul><li>one</li><li><strong>two</strong></li></ul>\n"
        "<ol><li>first</li><li>second</li></ol>\n"
        '<p>See <a href="/toolkit/agreements/">the library</a>, '
        '<a href="https://example.org/a?b=1&amp;c=2">a site</a> or '
        '<a href="mailto:team@example.org">email us</a>.</p>'
    )


def test_the_body_never_has_an_h1_and_headings_never_skip_a_level():
    html = render_body("# Not a heading\n\n### Comes first\n\n## Main\n\n### Under it")
    assert "<h1" not in html
    assert "<p># Not a heading</p>" in html
    assert html.index("<h2>Comes first</h2>") < html.index("<h2>Main</h2>")
    assert "<h3>Under it</h3>" in html


@pytest.mark.parametrize("hostile", HOSTILE_INPUTS)
def test_curator_input_can_never_run_script(hostile):
    found = MarkupFound(render_body(f"Before\n\n{hostile}\n\nAfter"))
    assert found.tags <= {"p", "h2", "h3", "ul", "ol", "li", "strong", "a", "br"}
    assert found.attributes <= {"href"}
    assert found.comments == []
    for href in found.hrefs:
        assert re.match(r"(https?://|mailto:|/(?!/))", href), href


@pytest.mark.parametrize("hostile", HOSTILE_INPUTS)
def test_escaping_alone_already_keeps_script_out_before_nh3_cleans(hostile):
    found = MarkupFound(to_html(f"Before\n\n{hostile}\n\nAfter"))
    assert found.tags <= {"p", "h2", "h3", "ul", "ol", "li", "strong", "a", "br"}
    assert found.attributes <= {"href"}
    assert found.comments == []
    for href in found.hrefs:
        assert re.match(r"(https?://|mailto:|/(?!/))", href), href


def test_hostile_text_is_shown_as_typed():
    html = render_body("<script>alert(1)</script> & [x](javascript:alert(1))")
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; [x](javascript:alert(1))</p>"


def test_a_page_renders_hostile_input_as_text(client):
    make_page(title="<script>alert('title')</script>", body='<img src=x onerror="alert(1)">')
    response = client.get(reverse("toolkit:page", args=["a-page"]))
    content = response.content.decode()
    assert "<script>alert(" not in content
    assert '<p>&lt;img src=x onerror="alert(1)"&gt;</p>' in content


# Guidance pages -----------------------------------------------------------------------------


def test_the_index_lists_published_pages_in_order_and_not_unpublished_ones(client, no_guidance):
    make_page(title="Second", slug="second", position=2, summary="The second page.")
    make_page(title="First", slug="first", position=1)
    make_page(title="Hidden draft", slug="hidden", position=0, is_published=False)
    content = client.get(reverse("toolkit:index")).content.decode()
    assert content.index(reverse("toolkit:page", args=["first"])) < content.index(
        reverse("toolkit:page", args=["second"])
    )
    assert "The second page." in content
    assert "Hidden draft" not in content
    assert reverse("toolkit:page", args=["hidden"]) not in content


def test_the_index_links_the_library_and_every_starter_template(client):
    content = client.get(reverse("toolkit:index")).content.decode()
    assert reverse("toolkit:agreements") in content
    for name in STARTER_TEMPLATES:
        for extension in ("docx", "odt"):
            assert reverse("toolkit:template", args=[name, extension]) in content


def test_an_empty_toolkit_says_so(client, no_guidance):
    assert "No guidance has been published yet." in client.get("/toolkit/").content.decode()


def test_a_page_shows_its_body_and_links_the_pages_either_side(client, no_guidance):
    make_page(title="One", slug="one", position=1)
    make_page(title="Two", slug="two", position=2, body="## Who leads?\n\n- a **lead**")
    make_page(title="Draft", slug="draft", position=3, is_published=False)
    make_page(title="Three", slug="three", position=4)
    content = client.get(reverse("toolkit:page", args=["two"])).content.decode()
    assert "<h2>Who leads?</h2>" in content
    assert "<li>a <strong>lead</strong></li>" in content
    assert f'href="{reverse("toolkit:page", args=["one"])}" rel="prev"' in content
    assert f'href="{reverse("toolkit:page", args=["three"])}" rel="next"' in content
    assert reverse("toolkit:page", args=["draft"]) not in content


def test_an_unpublished_page_is_not_found_except_by_curators(client):
    make_page(slug="draft", is_published=False)
    url = reverse("toolkit:page", args=["draft"])
    assert client.get(url).status_code == 404
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    curator = make_user(is_staff=True)
    curator.user_permissions.add(Permission.objects.get(codename="change_guidancepage"))
    client.force_login(curator)
    response = client.get(url)
    assert response.status_code == 200
    assert "This page is not published" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_an_unknown_page_is_not_found(client):
    assert client.get("/toolkit/no-such-page/").status_code == 404


def test_every_toolkit_page_has_exactly_one_h1(client):
    make_page(body="## Two\n\n### Three\n\n# one, as text")
    make_agreement(make_partnership(), shareable_example=True)
    for url in [
        reverse("toolkit:index"),
        reverse("toolkit:page", args=["a-page"]),
        reverse("toolkit:agreements"),
        reverse("toolkit:agreements") + "?kind=tor",
        reverse("toolkit:agreements") + "?kind=nonsense",
    ]:
        response = client.get(url)
        assert response.status_code in (200, 400), url
        assert h1_count(response) == 1, url


def test_the_header_and_footer_link_the_toolkit(client):
    content = client.get("/").content.decode()
    assert content.count(f'href="{reverse("toolkit:index")}"') == 2


# The admin ----------------------------------------------------------------------------------


def test_curators_edit_a_page_in_the_admin_and_are_recorded_as_its_editor(admin_client):
    response = admin_client.post(
        reverse("admin:toolkit_guidancepage_add"),
        {
            "title": "Funding",
            "slug": "funding",
            "summary": "Where to look for money.",
            "body": "## Small grants\n\n- ask your **council**",
            "position": 70,
            "is_published": "on",
        },
    )
    assert response.status_code == 302
    page = GuidancePage.objects.get(slug="funding")
    assert page.updated_by.username == "curator"
    change = admin_client.get(reverse("admin:toolkit_guidancepage_change", args=[page.pk]))
    content = change.content.decode()
    assert "<h2>Small grants</h2>" in content
    assert "View on site" in content
    assert "“### ” a smaller heading" in content
    listing = admin_client.get(reverse("admin:toolkit_guidancepage_changelist")).content.decode()
    assert "Funding" in listing


def test_a_page_cannot_take_the_address_of_the_library_or_the_templates(admin_client):
    response = admin_client.post(
        reverse("admin:toolkit_guidancepage_add"),
        {"title": "Agreements", "slug": "agreements", "body": "Text", "position": 1},
    )
    assert response.status_code == 200
    assert not GuidancePage.objects.filter(slug="agreements").exists()


# The library of example agreements ----------------------------------------------------------


def test_the_library_shows_only_shareable_public_agreements_of_published_partnerships(client):
    published = make_partnership(name="Bolton Health Information Partnership")
    draft = make_partnership(publication_state=PublicationState.DRAFT)
    make_agreement(published, title="Shared MoU", shareable_example=True)
    make_agreement(published, title="Not shared", shareable_example=False)
    make_agreement(published, title="Private", shareable_example=True, is_public=False)
    make_agreement(draft, title="Of a draft", shareable_example=True)
    content = client.get(reverse("toolkit:agreements")).content.decode()
    assert "Shared MoU" in content
    assert "Bolton Health Information Partnership" in content
    assert published.get_absolute_url() in content
    for hidden in ("Not shared", "Private", "Of a draft"):
        assert hidden not in content
    assert "1 agreement<" in content


def test_the_library_says_who_wrote_an_agreement_when_and_links_its_document(client):
    partnership = make_partnership()
    document = uploads.store_document(SimpleUploadedFile("mou.pdf", PDF))
    agreement = make_agreement(
        partnership,
        title="Our memorandum",
        shareable_example=True,
        signed_on=datetime.date(2024, 3, 5),
        document=document,
    )
    agreement.parties.set(
        [make_organisation(name="Bolton Libraries"), make_organisation(name="Bolton NHS Trust")]
    )
    content = client.get(reverse("toolkit:agreements")).content.decode()
    assert "Bolton Libraries; Bolton NHS Trust" in content
    assert '<time datetime="2024-03-05">5 March 2024</time>' in content
    assert "Memorandum of understanding" in content
    download = reverse("editor:agreement_document", args=[agreement.pk])
    assert download in content
    assert client.get(download).status_code == 200


def test_the_library_filters_by_type(client):
    partnership = make_partnership()
    make_agreement(partnership, title="Our MoU", kind=AgreementKind.MOU, shareable_example=True)
    make_agreement(
        partnership,
        title="Our terms",
        kind=AgreementKind.TERMS_OF_REFERENCE,
        shareable_example=True,
    )
    content = client.get(reverse("toolkit:agreements"), {"kind": "tor"}).content.decode()
    assert "Our terms" in content
    assert "Our MoU" not in content
    response = client.get(reverse("toolkit:agreements"), {"kind": "nonsense"})
    assert response.status_code == 400
    assert "Please check your choice" in response.content.decode()


def test_the_library_lists_the_newest_first_and_is_paginated(client):
    partnership = make_partnership()
    for year in range(2000, 2000 + LIBRARY_PAGE_SIZE + 1):
        make_agreement(
            partnership,
            title=f"Agreement of {year}",
            shareable_example=True,
            signed_on=datetime.date(year, 1, 1),
        )
    make_agreement(partnership, title="Undated", shareable_example=True)
    first = client.get(reverse("toolkit:agreements")).content.decode()
    newest = 2000 + LIBRARY_PAGE_SIZE
    assert first.index(f"Agreement of {newest}") < first.index(f"Agreement of {newest - 1}")
    assert "Agreement of 2000" not in first
    second = client.get(reverse("toolkit:agreements"), {"page": 2}).content.decode()
    assert second.index("Agreement of 2000") < second.index("Undated")


def test_an_empty_library_says_so(client):
    content = client.get(reverse("toolkit:agreements")).content.decode()
    assert "No agreements have been shared yet." in content


@pytest.mark.parametrize("count", [5, 50])
def test_the_library_runs_a_constant_number_of_queries(client, count):
    for _ in range(count):
        agreement = make_agreement(make_partnership(), shareable_example=True)
        agreement.parties.set([make_organisation(), make_organisation()])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("toolkit:agreements")).status_code == 200
    # The count, the page of agreements with their partnerships, their parties.
    assert len(queries) == 3


# Starter templates --------------------------------------------------------------------------


def docx_lines(content):
    return [paragraph.text for paragraph in Document(BytesIO(content)).paragraphs]


def odt_lines(content):
    """The text of every heading and paragraph, in document order."""
    found = []

    def walk(element):
        for child in element.childNodes:
            if child.nodeType != child.ELEMENT_NODE:
                continue
            if child.qname[1] in ("h", "p"):
                found.append(teletype.extractText(child))
            else:
                walk(child)

    walk(load(BytesIO(content)).text)
    return found


@pytest.mark.parametrize("name", sorted(STARTER_TEMPLATES))
def test_the_starter_templates_download_open_and_say_the_same(client, name):
    docx = client.get(reverse("toolkit:template", args=[name, "docx"]))
    odt = client.get(reverse("toolkit:template", args=[name, "odt"]))
    assert docx["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert odt["Content-Type"] == "application/vnd.oasis.opendocument.text"
    assert docx["Content-Disposition"] == f'attachment; filename="{name}-starter-template.docx"'
    assert odt["Content-Disposition"] == f'attachment; filename="{name}-starter-template.odt"'
    source = STARTER_TEMPLATES[name].lines()
    assert docx_lines(docx.content) == source
    assert odt_lines(odt.content) == source
    assert any("[" in line and "]" in line for line in source)


def test_the_starter_templates_cover_the_key_questions():
    text = " ".join(STARTER_TEMPLATES["terms-of-reference"].lines()).lower()
    for theme in ("chair", "aims", "membership", "coordinat", "frequency", "mailing list"):
        assert theme in text
    text = " ".join(STARTER_TEMPLATES["memorandum-of-understanding"].lines()).lower()
    for theme in ("leads", "aims", "partners", "meet", "review", "signed"):
        assert theme in text


@pytest.mark.parametrize(
    "path",
    [
        "/toolkit/templates/memorandum-of-understanding.pdf",
        "/toolkit/templates/memorandum-of-understanding.DOCX",
        "/toolkit/templates/no-such-template.docx",
        "/toolkit/templates/terms-of-reference",
    ],
)
def test_an_unknown_template_or_format_is_not_found(client, path):
    assert client.get(path).status_code == 404


# The initial guidance -----------------------------------------------------------------------


def test_the_migration_adds_the_initial_guidance_and_its_links_work(client, no_guidance):
    initial_guidance.add_guidance(apps, None)
    pages = list(GuidancePage.objects.filter(is_published=True))
    assert [page.slug for page in pages] == initial_guidance.SLUGS
    assert {"why-partner", "first-steps", "key-questions", "online-meetings"} <= set(
        initial_guidance.SLUGS
    )
    make_agreement(make_partnership(), shareable_example=True)
    for page in pages:
        response = client.get(page.get_absolute_url())
        assert response.status_code == 200
        assert h1_count(response) == 1
        for href in re.findall(r'href="([^"]*)"', str(render_body(page.body))):
            # Registering a partnership asks a visitor to sign in first (a redirect).
            assert client.get(href).status_code in (200, 302), (page.slug, href)


def test_undoing_the_migration_removes_only_its_own_pages(no_guidance):
    initial_guidance.add_guidance(apps, None)
    make_page(title="A curator's page", slug="curators-page")
    initial_guidance.remove_guidance(apps, None)
    assert list(GuidancePage.objects.values_list("slug", flat=True)) == ["curators-page"]
