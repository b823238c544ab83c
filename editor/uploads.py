"""Agreement documents: what may be uploaded, where it is kept, and how a stored file is carried
through a form that has to be shown again.

A file is recognised by its content, never by its name: a PDF starts with "%PDF-"; Word (.docx)
and OpenDocument (.odt) files are ZIP archives with a known member inside. Beyond the first bytes,
the whole structure a reader acts on is checked: a PDF must be complete and free of JavaScript
and other automatic actions, and a ZIP must hold its format's parts, unpack to a sane size and
carry no web pages, programs or macros. Accepted files are
stored at once under a random name (`agreement_upload_to`) in MEDIA_ROOT, which is outside the
static tree and never served by the web server: only `editor.views.agreement_document` serves
them, after a permission check."""

import re
import zipfile
import zlib
from pathlib import PurePosixPath

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from partnerships.models import agreement_upload_to

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_MB = MAX_DOCUMENT_BYTES // (1024 * 1024)

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
}
WRONG_TYPE = _("This file is not a PDF, Word (.docx) or OpenDocument (.odt) document")
EMPTY = _("The file is empty")
TOO_BIG = _("The file is %(size)s MB; the limit is %(limit)s MB")
BROKEN_PDF = _(
    "This file starts like a PDF but is not a complete PDF document; save or export it as PDF "
    "again and choose the new file"
)
ACTIVE_PDF = _(
    "This PDF contains %(what)s, which could run when it is opened; the directory accepts only "
    "plain documents. Print or export it to a new PDF without it and choose that file"
)
HTML_INSIDE = _("This file contains a web page (HTML), so it is not accepted as a document")
TOO_BIG_UNPACKED = _(
    "This document unpacks to far more than its size (more than %(mb)s MB, or more than "
    "%(ratio)s times smaller packed than unpacked), which no ordinary document does; it is not "
    "accepted"
)
FOREIGN_MEMBER = _(
    "This document carries a file that has no place in a Word or OpenDocument document "
    "(%(name)s); it is not accepted"
)
MACROS = _(
    "This document contains macros or embedded programs (%(name)s); save it without macros "
    "(as a plain .docx or .odt) and choose the new file"
)

# A PDF ends with "%%EOF", possibly followed by a little whitespace or junk.
PDF_TAIL_BYTES = 1024
# PDF names that make a reader do something on its own or hold something runnable:
# JavaScript (/JavaScript, /JS), launching programs or opening other files (/Launch, /GoToE,
# /GoToR), embedded files (/EmbeddedFile(s), /FileAttachment), actions on opening pages or
# fields (/AA; /OpenAction alone is allowed, as it usually only sets the first view, and any
# JavaScript it runs is caught by /JS), sending or importing data (/SubmitForm, /ImportData),
# Flash and other rich media (/RichMedia), and XFA forms, which carry their own scripts (/XFA).
ACTIVE_PDF_NAMES = {
    "/JavaScript": _("JavaScript"),
    "/JS": _("JavaScript"),
    "/Launch": _("an action that launches a program"),
    "/GoToE": _("an action that opens an embedded file"),
    "/GoToR": _("an action that opens another file"),
    "/EmbeddedFile": _("an embedded file"),
    "/EmbeddedFiles": _("an embedded file"),
    "/FileAttachment": _("an attached file"),
    "/AA": _("actions that run automatically"),
    "/SubmitForm": _("a form that sends data"),
    "/ImportData": _("an action that imports data"),
    "/RichMedia": _("rich media (e.g. Flash)"),
    "/XFA": _("an XFA form, which can carry scripts"),
}
_PDF_NAME = re.compile(rb"/(?:[^\s/<>\[\]()%{}#]|#[0-9A-Fa-f]{2})+")
_PDF_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b.*?\bendobj", re.S)
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\n?endstream", re.S)
_HTML_MARKERS = (b"<html", b"<script", b"<!doctype", b"<body", b"<iframe", b"<svg")
# Compressed streams are inflated only this far in total, to look for names hidden inside.
MAX_PDF_INFLATED = 50 * 1024 * 1024

# ZIP-based documents: limits read from the central directory before anything is unpacked, then
# enforced again while reading (a directory can lie).
MAX_ZIP_MEMBERS = 2000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_MB = MAX_UNPACKED_BYTES // (1024 * 1024)
MAX_RATIO = 100
# Files that a reader, a browser or the system could run or render as a page; none belongs in
# a Word or OpenDocument file.
FOREIGN_EXTENSIONS = {
    ".html", ".htm", ".xhtml", ".mht", ".mhtml", ".hta", ".svg", ".js", ".mjs", ".vbs", ".vbe",
    ".wsf", ".ps1", ".sh", ".bat", ".cmd", ".com", ".exe", ".dll", ".scr", ".msi", ".jar",
    ".lnk", ".py", ".php",
}  # fmt: skip
# Macro and program parts: Word's VBA project and ActiveX controls, OpenDocument's Basic and
# script folders.
MACRO_PARTS = ("vbaproject.bin", "vbadata.xml", "activex/", "basic/", "scripts/")
MACRO_CONTENT_TYPE = b"macroenabled"

# How long a form may carry a stored file before it must be chosen again.
TOKEN_MAX_AGE = 60 * 60 * 24
_TOKEN_SALT = "editor.uploads.document"  # noqa: S105 (a salt, not a secret)


def document_extension(upload):
    """The extension that matches what `upload` really is (".pdf", ".docx" or ".odt"). Raises a
    ValidationError with a message for the person who chose the file otherwise: for a file of
    another kind, and for a PDF, Word or OpenDocument file that is broken, hides a web page,
    unpacks to far more than its size or carries anything that could run."""
    if upload.size == 0:
        raise ValidationError(EMPTY, code="empty")
    if upload.size > MAX_DOCUMENT_BYTES:
        size = upload.size / (1024 * 1024)
        raise ValidationError(
            TOO_BIG,
            code="too_big",
            params={"size": number_format(size, 1), "limit": MAX_DOCUMENT_MB},
        )
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    try:
        if head == b"%PDF-":
            check_pdf(upload.read())
            return ".pdf"
        if head[:4] == b"PK\x03\x04":
            extension = _office_extension(upload)
            if extension:
                return extension
    finally:
        upload.seek(0)
    raise ValidationError(WRONG_TYPE, code="wrong_type")


def pdf_names(data):
    """The names (/Type, /JavaScript, ...) in PDF bytes, with #xx escapes decoded, so that
    /J#61vaScript counts as /JavaScript."""
    for match in _PDF_NAME.finditer(data):
        yield re.sub(
            rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), match.group(0)
        ).decode("latin-1")


def _inflated_streams(data):
    """The content of the PDF's Flate-compressed streams (object streams can hide dictionaries
    there), inflated up to MAX_PDF_INFLATED bytes in all."""
    budget = MAX_PDF_INFLATED
    for match in _PDF_STREAM.finditer(data):
        if budget <= 0:
            return
        inflater = zlib.decompressobj()
        try:
            chunk = inflater.decompress(match.group(1), budget)
        except zlib.error:
            continue  # not Flate, or damaged: nothing a reader would inflate either
        budget -= len(chunk)
        yield chunk


def check_pdf(data):
    """Raise a ValidationError unless `data` has a PDF's structure (header, objects, a
    cross-reference table or stream, %%EOF at the end) and nothing active or HTML in it."""
    lowered = data.lower()
    if any(marker in lowered for marker in _HTML_MARKERS):
        raise ValidationError(HTML_INSIDE, code="html")
    if (
        b"%%EOF" not in data[-PDF_TAIL_BYTES:]
        or b"startxref" not in data
        or not _PDF_OBJECT.search(data)
    ):
        raise ValidationError(BROKEN_PDF, code="broken_pdf")
    for part in (data, *_inflated_streams(data)):
        for name in pdf_names(part):
            if name in ACTIVE_PDF_NAMES:
                raise ValidationError(
                    ACTIVE_PDF, code="active_content", params={"what": ACTIVE_PDF_NAMES[name]}
                )


def _office_extension(upload):
    """ ".docx" or ".odt" for a ZIP that is one, None for any other ZIP; raises a
    ValidationError for one that is a Word or OpenDocument file in name only (see
    `check_archive`)."""
    try:
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if {"[Content_Types].xml", "word/document.xml"} <= names:
                extension = ".docx"
            elif infos and infos[0].filename == "mimetype" and "content.xml" in names:
                extension = ".odt"
            else:
                return None
            check_archive(archive, infos)
            if extension == ".odt" and archive.read(infos[0]).strip() != ODT_MIMETYPE:
                return None
            if extension == ".docx":
                types = archive.read("[Content_Types].xml").lower()
                if MACRO_CONTENT_TYPE in types:
                    raise ValidationError(MACROS, code="macros", params={"name": "macro-enabled"})
            return extension
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError, ValueError):
        return None
    except NotImplementedError:  # a compression method zipfile cannot read
        return None


def check_archive(archive, infos):
    """Raise a ValidationError if the ZIP's members could be a zip bomb or hold anything that
    could run or be shown as a web page. Sizes are checked from the central directory first,
    then every member is read (never written to disk) counting what really comes out, since a
    directory can lie; zipfile also checks each member's CRC."""
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _too_big()
    declared = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if declared > MAX_UNPACKED_BYTES or declared > MAX_RATIO * max(packed, 1):
        raise _too_big()
    for info in infos:
        name = info.filename
        lowered = name.lower()
        if name.startswith("/") or ".." in PurePosixPath(name).parts or "\\" in name:
            raise ValidationError(FOREIGN_MEMBER, code="foreign_member", params={"name": name})
        if PurePosixPath(lowered).suffix in FOREIGN_EXTENSIONS:
            raise ValidationError(FOREIGN_MEMBER, code="foreign_member", params={"name": name})
        if any(part in lowered for part in MACRO_PARTS):
            raise ValidationError(MACROS, code="macros", params={"name": name})
    unpacked = 0
    for info in infos:
        with archive.open(info) as member:
            while chunk := member.read(64 * 1024):
                unpacked += len(chunk)
                if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * max(packed, 1):
                    raise _too_big()


def _too_big():
    return ValidationError(
        TOO_BIG_UNPACKED, code="zip_bomb", params={"mb": MAX_UNPACKED_MB, "ratio": MAX_RATIO}
    )


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
    """Storage names that an agreement, any revision (pending, decided or historical) or any
    version in the history names: restoring an old version brings its documents back."""
    from partnerships.models import Agreement, Revision, Version

    names = set(Agreement.objects.exclude(document="").values_list("document", flat=True))
    stored = [
        Revision.objects.values_list("data", flat=True),
        Version.objects.filter(partnership__isnull=False).values_list("snapshot", flat=True),
    ]
    for snapshots in stored:
        for data in snapshots.iterator(chunk_size=500):
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
