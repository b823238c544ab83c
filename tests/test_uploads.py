"""Agreement documents: only real PDF, Word and OpenDocument files, at most 10 MB, stored under
random names and served only to those allowed to read them."""

import io
import zipfile

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
