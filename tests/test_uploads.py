"""Agreement documents: only real PDF, Word and OpenDocument files, at most 10 MB, stored under
random names and served only to those allowed to read them."""

import io
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from editor import uploads
from partnerships.models import Partnership
from tests.editing import PDF, form_data, input_value, pdf
from tests.factories import make_agreement, make_partnership, make_user

pytestmark = pytest.mark.django_db

NEW = reverse("editor:new")


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def odt_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest/>')
    return buffer.getvalue()


def other_zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a document")
    return buffer.getvalue()


@pytest.fixture
def user(client):
    user = make_user()
    client.force_login(user)
    return user


def register_with(upload):
    return form_data(
        name="Upload test partnership",
        summary="Testing documents.",
        meeting_frequency="Monthly",
        agreements=[
            {"kind": "tor", "title": "Terms of reference", "status": "draft", "document": upload}
        ],
    )


@pytest.mark.parametrize(
    ("filename", "content", "extension"),
    [
        ("mou.pdf", PDF, ".pdf"),
        ("mou.docx", docx_bytes(), ".docx"),
        ("mou.odt", odt_bytes(), ".odt"),
        # The content decides, not the name.
        ("scan.bin", PDF, ".pdf"),
    ],
)
def test_real_pdf_word_and_opendocument_files_are_accepted(
    client, user, settings, filename, content, extension
):
    response = client.post(NEW, register_with(SimpleUploadedFile(filename, content)))
    assert response.status_code == 302
    document = Partnership.objects.get().agreements.get().document
    assert document.name.startswith("agreements/") and document.name.endswith(extension)
    assert filename.split(".")[0] not in document.name.removeprefix("agreements/")
    assert (settings.MEDIA_ROOT / document.name).read_bytes() == content
    assert not str(settings.MEDIA_ROOT).startswith(str(settings.STATIC_ROOT))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
            "This file is not a PDF, Word (.docx) or OpenDocument (.odt) document",
        ),
        (other_zip_bytes(), "This file is not a PDF, Word (.docx) or OpenDocument (.odt) document"),
        (b"%PDF-" + b"0" * (11 * 1024 * 1024 - 5), "The file is 11.0 MB; the limit is 10 MB"),
        (b"", "The file is empty"),
    ],
    ids=["renamed-exe", "other-zip", "too-big", "empty"],
)
def test_bad_files_are_refused_clearly_and_the_rest_of_the_form_is_kept(
    client, user, settings, content, message
):
    response = client.post(NEW, register_with(SimpleUploadedFile("mou.pdf", content)))
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert input_value(page, "name") == "Upload test partnership"
    assert input_value(page, "meeting_frequency") == "Monthly"
    assert input_value(page, "agreements-0-title") == "Terms of reference"
    assert not input_value(page, "agreements-0-document_token")
    assert Partnership.objects.count() == 0
    stored = settings.MEDIA_ROOT / "agreements"
    assert not stored.exists() or not any(stored.iterdir())


def test_the_checks_read_the_content():
    assert uploads.document_extension(SimpleUploadedFile("x.odt", PDF)) == ".pdf"
    assert uploads.document_extension(SimpleUploadedFile("x.pdf", docx_bytes())) == ".docx"
    with pytest.raises(uploads.ValidationError):
        uploads.document_extension(SimpleUploadedFile("x.pdf", b"PK\x03\x04 broken zip"))


def stored_agreement(partnership, *, is_public=True, content=PDF):
    name = uploads.store_document(SimpleUploadedFile("mou.pdf", content))
    return make_agreement(partnership, title="Our memorandum", is_public=is_public, document=name)


def test_a_public_agreement_of_a_published_partnership_is_served_to_anyone(client):
    agreement = stored_agreement(make_partnership())
    response = client.get(reverse("editor:agreement_document", args=[agreement.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="our-memorandum.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_the_public_page_links_public_documents_only(client):
    partnership = make_partnership()
    public = stored_agreement(partnership)
    private = stored_agreement(partnership, is_public=False)
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert reverse("editor:agreement_document", args=[public.pk]) in page
    assert reverse("editor:agreement_document", args=[private.pk]) not in page


def test_private_documents_are_served_only_to_editors_and_moderators(client):
    partnership = make_partnership()
    editor, stranger, moderator = make_user(), make_user(), make_user(is_superuser=True)
    partnership.editors.add(editor)
    url = reverse(
        "editor:agreement_document", args=[stored_agreement(partnership, is_public=False).pk]
    )
    assert client.get(url).status_code == 404
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    for allowed in (editor, moderator):
        client.force_login(allowed)
        assert client.get(url).status_code == 200


def test_a_document_uploaded_with_unapproved_changes_is_served_to_editors_only(client, settings):
    partnership = make_partnership(members=1)
    editor = make_user()
    partnership.editors.add(editor)
    client.force_login(editor)
    data = form_data(
        name=partnership.name,
        summary=partnership.summary,
        agreements=[{"kind": "mou", "title": "New MoU", "is_public": True, "document": pdf()}],
    )
    assert client.post(reverse("editor:edit", args=[partnership.pk]), data).status_code == 302
    assert partnership.agreements.count() == 0
    url = reverse("editor:revision_document", args=[partnership.pk, 0])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert (
        client.get(reverse("editor:revision_document", args=[partnership.pk, 1])).status_code == 404
    )
    client.force_login(make_user())
    assert client.get(url).status_code == 404


class TestClearUnusedDocuments:
    """Files stored for a form that was never saved are removed after a day; nothing an
    agreement or a revision names is ever removed."""

    def store(self, storage, age_hours):
        import os
        import time

        name = uploads.store_document(SimpleUploadedFile("x.pdf", PDF))
        when = time.time() - age_hours * 3600
        os.utime(storage.path(name), (when, when))
        return name

    def test_only_old_files_that_nothing_names_are_deleted(self, settings):
        from django.core.files.storage import default_storage as storage
        from django.core.management import call_command

        from partnerships.models import Revision

        partnership = make_partnership()
        kept_by_agreement = self.store(storage, age_hours=48)
        make_agreement(partnership, document=kept_by_agreement)
        kept_by_revision = self.store(storage, age_hours=48)
        Revision.objects.create(
            partnership=partnership,
            data={"fields": {}, "agreements": [{"document": kept_by_revision}]},
        )
        recent = self.store(storage, age_hours=2)
        abandoned = self.store(storage, age_hours=48)

        out = io.StringIO()
        call_command("clear_unused_documents", "--dry-run", stdout=out)
        assert f"would delete {abandoned}" in out.getvalue()
        assert "Would delete 1 unused document." in out.getvalue()
        assert storage.exists(abandoned)

        out = io.StringIO()
        call_command("clear_unused_documents", stdout=out)
        assert "Deleted 1 unused document." in out.getvalue()
        assert not storage.exists(abandoned)
        for name in (kept_by_agreement, kept_by_revision, recent):
            assert storage.exists(name), name

    def test_nothing_stored_yet_is_not_an_error(self):
        from django.core.management import call_command

        out = io.StringIO()
        call_command("clear_unused_documents", stdout=out)
        assert "Deleted 0 unused documents." in out.getvalue()


# Hostile documents: the whole structure a reader acts on is checked ------------------------


def pdf_with(*objects):
    """A complete little PDF whose catalogue is followed by `objects` (bytes, numbered from 2)."""
    body = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    for number, content in enumerate(objects, start=2):
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    return (
        body + b"xref\n0 1\n0000000000 65535 f \ntrailer << /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"
    )


def zip_of(members, *, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX_PARTS = [
    ("[Content_Types].xml", '<?xml version="1.0"?><Types/>'),
    ("word/document.xml", '<?xml version="1.0"?><w:document/>'),
]


def refusal(content, name="mou.pdf"):
    with pytest.raises(uploads.ValidationError) as refused:
        uploads.document_extension(SimpleUploadedFile(name, content))
    return refused.value.messages[0]


@pytest.mark.parametrize(
    "action",
    [
        b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>",
        b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",  # names hex-escaped
        b"<< /OpenAction << /S /Launch /F (calc.exe) >> >>",
        b"<< /Type /Page /AA << /O 3 0 R >> >>",
        b"<< /Type /Filespec /EF << /F 3 0 R >> /Type /EmbeddedFile >>",
    ],
    ids=["javascript", "hex-escaped-javascript", "launch", "automatic-action", "embedded-file"],
)
def test_a_pdf_with_javascript_or_another_automatic_action_is_refused(action):
    message = refusal(pdf_with(action))

    assert "which could run when it is opened" in message


def test_javascript_hidden_in_a_compressed_object_stream_is_refused():
    hidden = zlib.compress(b"3 0 << /S /JavaScript /JS (app.alert(1)) >>")
    stream = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>\nstream\n%s\nendstream"

    assert "JavaScript" in refusal(pdf_with(stream % hidden))


def test_an_open_action_that_only_sets_the_first_view_is_accepted():
    content = pdf_with(b"<< /OpenAction [3 0 R /Fit] >>")

    assert uploads.document_extension(SimpleUploadedFile("mou.pdf", content)) == ".pdf"


def test_a_web_page_after_a_pdf_header_is_refused():
    page = b"%PDF-1.4\n<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"

    assert refusal(page) == uploads.HTML_INSIDE
    assert refusal(pdf_with(b"(<script>alert(1)</script>)")) == uploads.HTML_INSIDE


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4\nnothing else",
        b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n",  # no cross-reference
        b"%PDF-1.4\nxref\nstartxref\n9\n%%EOF\n",  # no object
        pdf_with(b"<< >>").replace(b"%%EOF", b"") + b"%%EOF\n" + b"\0" * 5000,  # EOF not at end
    ],
    ids=["header-only", "no-xref", "no-object", "eof-far-from-end"],
)
def test_a_file_that_only_starts_like_a_pdf_is_refused(content):
    assert refusal(content) == uploads.BROKEN_PDF


def test_a_docx_that_is_a_zip_bomb_is_refused_from_its_directory():
    # A gibibyte of zeros packs into about a megabyte.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in DOCX_PARTS:
            archive.writestr(name, content)
        with archive.open("word/media/image1.png", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(1024):
                member.write(block)
    bomb = buffer.getvalue()
    assert len(bomb) < 2 * 1024 * 1024

    assert "unpacks to far more than its size" in refusal(bomb, "mou.docx")


def test_a_zip_whose_directory_understates_its_sizes_is_refused():
    honest = zip_of([*DOCX_PARTS, ("word/media/big.bin", b"A" * 200_000)])
    # Shrink the declared size in the central directory so it looks harmless.
    lying = honest.replace((200_000).to_bytes(4, "little"), (2_000).to_bytes(4, "little"))
    assert lying != honest

    with pytest.raises(uploads.ValidationError):
        uploads.document_extension(SimpleUploadedFile("mou.docx", lying))


def test_a_docx_carrying_a_web_page_is_refused():
    content = zip_of([*DOCX_PARTS, ("index.html", "<html><script>alert(1)</script></html>")])

    assert "(index.html)" in refusal(content, "mou.docx")


@pytest.mark.parametrize(
    "member", ["word/vbaProject.bin", "word/activeX/activeX1.xml", "tools/run.exe", "a/x.svg"]
)
def test_a_docx_with_macros_or_programs_is_refused(member):
    content = zip_of([*DOCX_PARTS, (member, b"MZ")])

    message = refusal(content, "mou.docx")
    assert member in message


def test_a_macro_enabled_word_document_is_refused():
    types = (
        '<Types><Override ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>'
    )
    content = zip_of([("[Content_Types].xml", types), DOCX_PARTS[1]])

    assert "macros" in refusal(content, "mou.docx")


def test_an_opendocument_file_needs_its_mimetype_first_and_its_content():
    mimetype = zipfile.ZipInfo("mimetype")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr(mimetype, "application/vnd.oasis.opendocument.text")
    mimetype_second = buffer.getvalue()
    without_content = zip_of(
        [("mimetype", "application/vnd.oasis.opendocument.text"), ("meta.xml", "<x/>")],
        compression=zipfile.ZIP_STORED,
    )

    assert refusal(mimetype_second, "a.odt") == uploads.WRONG_TYPE
    assert refusal(without_content, "a.odt") == uploads.WRONG_TYPE


def test_an_opendocument_file_with_basic_macros_is_refused():
    content = zip_of(
        [
            ("mimetype", "application/vnd.oasis.opendocument.text"),
            ("content.xml", "<office:document-content/>"),
            ("Basic/Standard/Module1.xml", "<script:module/>"),
        ],
        compression=zipfile.ZIP_STORED,
    )

    assert "macros" in refusal(content, "a.odt")


def test_the_refusal_is_shown_on_the_form(client, user):
    upload = SimpleUploadedFile("mou.pdf", pdf_with(b"<< /S /JavaScript /JS (x) >>"))

    response = client.post(NEW, register_with(upload))

    assert response.status_code == 400
    assert "This PDF contains JavaScript" in response.content.decode()
    assert Partnership.objects.count() == 0
