"""Agreement documents: what may be uploaded, where it is kept, and how a stored file is carried
through a form that has to be shown again.

A file is recognised by its content, never by its name: a PDF starts with "%PDF-"; Word (.docx)
and OpenDocument (.odt) files are ZIP archives with a known member inside. Accepted files are
stored at once under a random name (`agreement_upload_to`) in MEDIA_ROOT, which is outside the
static tree and never served by the web server: only `editor.views.agreement_document` serves
them, after a permission check."""

import zipfile
from pathlib import PurePosixPath

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from partnerships.models import agreement_upload_to

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_MB = MAX_DOCUMENT_BYTES // (1024 * 1024)

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
}
WRONG_TYPE = "This file is not a PDF, Word (.docx) or OpenDocument (.odt) document"
EMPTY = "The file is empty"

# How long a form may carry a stored file before it must be chosen again.
TOKEN_MAX_AGE = 60 * 60 * 24
_TOKEN_SALT = "editor.uploads.document"  # noqa: S105 (a salt, not a secret)


def document_extension(upload):
    """The extension that matches what `upload` really is (".pdf", ".docx" or ".odt"). Raises a
    ValidationError with a message for the person who chose the file otherwise."""
    if upload.size == 0:
        raise ValidationError(EMPTY, code="empty")
    if upload.size > MAX_DOCUMENT_BYTES:
        size = upload.size / (1024 * 1024)
        raise ValidationError(
            f"The file is {size:.1f} MB; the limit is {MAX_DOCUMENT_MB} MB", code="too_big"
        )
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return ".pdf"
    if head[:4] == b"PK\x03\x04":
        extension = _office_extension(upload)
        upload.seek(0)
        if extension:
            return extension
    raise ValidationError(WRONG_TYPE, code="wrong_type")


def _office_extension(upload):
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if {"[Content_Types].xml", "word/document.xml"} <= names:
                return ".docx"
            if "mimetype" in names and archive.read("mimetype").strip() == ODT_MIMETYPE:
                return ".odt"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError):
        return None
    return None


def store_document(upload):
    """Check `upload` and save it under a new random name; returns the storage name."""
    extension = document_extension(upload)
    name = agreement_upload_to(None, f"document{extension}")
    return default_storage.save(name, upload)


def is_document_name(name):
    """Whether `name` looks like a storage name this module made (and nothing else on disk)."""
    path = PurePosixPath(name or "")
    return (
        len(path.parts) == 2
        and path.parts[0] == "agreements"
        and path.suffix in CONTENT_TYPES
        and ".." not in name
    )


def content_type(name):
    return CONTENT_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def sign_document(name, user):
    """A token standing for the stored file `name`, good only for `user`, for a day."""
    return signing.dumps({"name": name, "user": user.pk}, salt=_TOKEN_SALT)


def unsign_document(token, user):
    """The storage name a token from `sign_document` stands for. Raises signing.BadSignature
    (SignatureExpired for an old one) when it is not a token this site gave `user`."""
    data = signing.loads(token, salt=_TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    if not isinstance(data, dict) or data.get("user") != user.pk:
        raise signing.BadSignature("The token was made for someone else.")
    name = data.get("name")
    if not is_document_name(name):
        raise signing.BadSignature("The token does not name a document.")
    return name


def documents_in_use():
    """Storage names that an agreement or any revision (pending, decided or historical) names."""
    from partnerships.models import Agreement, Revision

    names = set(Agreement.objects.exclude(document="").values_list("document", flat=True))
    for data in Revision.objects.values_list("data", flat=True).iterator(chunk_size=500):
        for agreement in (data or {}).get("agreements", []):
            if agreement.get("document"):
                names.add(agreement["document"])
    return names


def unused_documents(now, storage=None):
    """Stored documents that nothing names and that no form can still carry: files left behind
    by a form that was never saved, or replaced by a newer upload. A file younger than
    TOKEN_MAX_AGE may still come back with a form being corrected, so it is kept."""
    storage = storage or default_storage
    try:
        _, files = storage.listdir("agreements")
    except FileNotFoundError:
        return []
    in_use = documents_in_use()
    unused = []
    for filename in sorted(files):
        name = f"agreements/{filename}"
        if not is_document_name(name) or name in in_use:
            continue
        age = now - storage.get_modified_time(name)
        if age.total_seconds() > TOKEN_MAX_AGE:
            unused.append(name)
    return unused
