"""Back up everything (database rows and uploaded documents) into one archive, and restore it
into an empty install. Used by `manage.py backup` and `manage.py restore`.

The archive is a gzipped tar holding:

- `manifest.json`: the format, when it was made, the migrations applied (the schema the rows fit),
  the number of rows per model, and the size and SHA-256 of the data file and of every document;
- `data.backupjsonl`: every row, one JSON object per line, written by Django's `dumpdata` in the
  `backupjsonl` format below (JSON Lines that keeps timestamps to the microsecond);
- `media/...`: every file under MEDIA_ROOT, at its path relative to MEDIA_ROOT.

Left out of the rows: content types and permissions (`migrate` makes them again; rows that point
at them, such as a group's permissions or an admin log entry, name them by natural key, so their
ids may differ in the new install) and sessions (restoring them would sign people back in to the
new install; everyone signs in again instead). Everything else is kept: users and their
passwords' hashes, groups, verified email addresses, the admin's change log, every model of this
project's apps, the gazetteer and the geocoder's answers.
"""

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from datetime import datetime, time
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from partnerships import services
from partnerships.models import DataVersion

ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
SERIALIZATION_FORMAT = "backupjsonl"
DATA = f"data.{SERIALIZATION_FORMAT}"
MEDIA_DIR = "media"
# Besides Django's own derived tables, the map summary: it is rebuilt from the partnerships after
# a restore (queued like after any other change), so a backup need not carry it.
EXCLUDED = (
    "contenttypes",
    "auth.permission",
    "sessions",
    "partnerships.mapsummary",
    "partnerships.mapgridcell",
)
# Rows that `migrate` itself inserts (partnerships/migrations/0002_vocabularies.py, the toolkit's
# 0002_initial_guidance.py), so an empty install already has them. Restore replaces them with the
# backup's, which may have been edited.
SEEDED_BY_MIGRATIONS = (
    "partnerships.region",
    "partnerships.activity",
    "partnerships.communicationchannel",
    "partnerships.dataversion",
    "toolkit.guidancepage",
)
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why and what to do."""


# The serialisation format. Django's own JSON encoder cuts times to the millisecond, so a plain
# `dumpdata`/`loaddata` round trip changes every timestamp written with microseconds; this one
# keeps them whole. Reading needs nothing special: Django parses full ISO 8601 times.
class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


class Serializer(jsonl.Serializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = ExactJSONEncoder


Deserializer = jsonl.Deserializer


def register_format():
    if SERIALIZATION_FORMAT not in serializers.get_serializer_formats():
        serializers.register_serializer(SERIALIZATION_FORMAT, __name__)


def backed_up_models():
    """The models whose rows go into a backup: what `dumpdata --exclude ...` dumps."""
    excluded_apps = {label for label in EXCLUDED if "." not in label}
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label not in excluded_apps
        and model._meta.label_lower not in EXCLUDED
        and not model._meta.proxy
        and model._meta.managed
    ]


def applied_migrations():
    applied = MigrationRecorder(connection).applied_migrations()
    return sorted(f"{app}.{name}" for app, name in applied)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def media_root():
    return Path(settings.MEDIA_ROOT)


def media_files():
    """Every regular file under MEDIA_ROOT, by its path relative to it (symbolic links are not
    uploads, and are left out)."""
    root = media_root()
    found = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(root).as_posix()] = path
    return dict(sorted(found.items()))


def missing_documents(files):
    """Files that rows point at (FileFields) but that are not under MEDIA_ROOT."""
    missing = []
    for model in backed_up_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                names = model._base_manager.exclude(**{field.name: ""}).values_list(
                    field.attname, flat=True
                )
                label = f"{model._meta.label}.{field.name}"
                missing += [f"{label}: {name}" for name in names if name not in files]
    return missing


def _count_rows(path):
    counts = {}
    with open(path, encoding="utf-8") as file:
        for line in file:
            if line.strip():
                label = json.loads(line)["model"]
                counts[label] = counts.get(label, 0) + 1
    return dict(sorted(counts.items()))


def make_backup(archive_path):
    """Write the archive; returns its manifest. The archive appears under its name only once it is
    complete."""
    register_format()
    archive_path = Path(archive_path)
    with tempfile.TemporaryDirectory() as workdir:
        data = Path(workdir) / DATA
        snapshot_dump(data)
        files = media_files()
        manifest = {
            "format": ARCHIVE_FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": connection.vendor,
            "migrations": applied_migrations(),
            "data": {"name": DATA, "size": data.stat().st_size, "sha256": sha256_of(data)},
            "rows": _count_rows(data),
            "files": {
                name: {"size": path.stat().st_size, "sha256": sha256_of(path)}
                for name, path in files.items()
            },
            "missing_documents": missing_documents(files),
        }
        manifest_path = Path(workdir) / MANIFEST
        manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        partial = archive_path.with_name(f".{archive_path.name}.partial")
        try:
            with tarfile.open(partial, "w:gz") as tar:
                # The manifest first, so that restore reads it before anything else.
                tar.add(manifest_path, arcname=MANIFEST)
                tar.add(data, arcname=DATA)
                for name, path in files.items():
                    tar.add(path, arcname=f"{MEDIA_DIR}/{name}", recursive=False)
            partial.replace(archive_path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def snapshot_dump(path):
    """`dumpdata` into `path` from one consistent snapshot of the database, so that rows written
    while the backup runs cannot leave a row pointing at one that is not in it. PostgreSQL needs
    REPEATABLE READ for that (its default gives each query its own snapshot); a SQLite transaction
    reads one snapshot already."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        call_command(
            "dumpdata",
            exclude=list(EXCLUDED),
            format=SERIALIZATION_FORMAT,
            use_natural_foreign_keys=True,
            output=str(path),
            verbosity=0,
        )


def read_manifest(tar):
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.load(tar.extractfile(member))
    except (KeyError, AttributeError, TypeError, ValueError) as exc:
        raise BackupError("This is not a backup made by `manage.py backup` (no manifest).") from exc
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise BackupError(
            f"This backup is in format {manifest.get('format')!r}; this release reads format "
            f"{ARCHIVE_FORMAT}."
        )
    return manifest


def check_same_schema(manifest):
    ours, theirs = set(applied_migrations()), set(manifest["migrations"])
    if ours != theirs:
        only_backup = ", ".join(sorted(theirs - ours)[:5]) or "none"
        only_here = ", ".join(sorted(ours - theirs)[:5]) or "none"
        raise BackupError(
            "The backup was made with a different database schema (migrations only in the backup: "
            f"{only_backup}; only here: {only_here}). Restore with the release that made the "
            "backup, then upgrade and run `manage.py migrate`."
        )


def check_empty_install():
    """Restore only fills an empty install: merging into live data could not keep ids."""
    filled = [
        model._meta.label_lower
        for model in backed_up_models()
        if model._meta.label_lower not in SEEDED_BY_MIGRATIONS and model._base_manager.exists()
    ]
    problems = []
    if filled:
        problems.append(f"the database holds rows of {', '.join(filled)}")
    if media_files():
        problems.append(f"MEDIA_ROOT ({media_root()}) holds files")
    if problems:
        raise BackupError(
            f"Refusing to restore: {' and '.join(problems)}. Restore into an empty install (a new "
            "database after `manage.py migrate` and an empty MEDIA_ROOT). Nothing was changed."
        )


def _check_members(tar, manifest):
    expected = {MANIFEST, DATA, *(f"{MEDIA_DIR}/{name}" for name in manifest["files"])}
    names = tar.getnames()
    unexpected = sorted(set(names) - expected)
    if unexpected or len(names) != len(set(names)):
        raise BackupError(f"The archive holds entries its manifest does not list: {unexpected[:5]}")
    missing = sorted(expected - set(names))
    if missing:
        raise BackupError(f"The archive lacks entries its manifest lists: {missing[:5]}")
    for name in manifest["files"]:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            raise BackupError(f"Unsafe file name in the manifest: {name!r}")


def _check_hash(path, expected, label):
    if path.stat().st_size != expected["size"] or sha256_of(path) != expected["sha256"]:
        raise BackupError(f"{label} does not match the manifest: the archive is damaged.")


def _make_directories(directory):
    """As the file storage makes them for uploads, with FILE_UPLOAD_DIRECTORY_PERMISSIONS."""
    for missing in reversed([d for d in (directory, *directory.parents) if not d.exists()]):
        missing.mkdir()
        if settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS is not None:
            missing.chmod(settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS)


def _reset_sequences():
    """After rows were inserted with their ids, new rows must get ids past them (PostgreSQL
    sequences; SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), backed_up_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _check_rows(manifest):
    for model in backed_up_models():
        label = model._meta.label_lower
        expected, found = manifest["rows"].get(label, 0), model._base_manager.count()
        if found != expected:
            raise BackupError(f"{label}: {found} rows after loading, the manifest says {expected}.")


def restore_backup(archive_path):
    """Load the archive into this empty install: rows in one transaction, then documents. Returns
    the manifest. Any failure leaves the database and MEDIA_ROOT as they were."""
    register_format()
    with tarfile.open(archive_path, "r:gz") as tar, tempfile.TemporaryDirectory() as workdir:
        manifest = read_manifest(tar)
        check_same_schema(manifest)
        check_empty_install()
        _check_members(tar, manifest)
        # The "data" filter refuses absolute paths, "..", links and device files.
        tar.extractall(workdir, filter="data")
        work = Path(workdir)
        _check_hash(work / DATA, manifest["data"], "The data file")
        for name, expected in manifest["files"].items():
            _check_hash(work / MEDIA_DIR / name, expected, name)

        root = media_root()
        written = []
        try:
            with transaction.atomic():
                ContentType.objects.clear_cache()
                version_before = services.published_data_version()
                for label in SEEDED_BY_MIGRATIONS:
                    apps.get_model(label)._base_manager.all().delete()
                call_command("loaddata", str(work / DATA), verbosity=0)
                _reset_sequences()
                # Past every version this install or the backup has used, so that no cache
                # anywhere (another app server's own, say) can answer with data from before.
                DataVersion.objects.update_or_create(
                    pk=DataVersion.SINGLETON,
                    defaults={"value": max(version_before, services.published_data_version()) + 1},
                )
                transaction.on_commit(services.queue_map_summary_refresh, robust=True)
                _check_rows(manifest)
                for name, expected in manifest["files"].items():
                    target = root / name
                    _make_directories(target.parent)
                    shutil.copyfile(work / MEDIA_DIR / name, target)
                    written.append(target)
                    if settings.FILE_UPLOAD_PERMISSIONS is not None:
                        target.chmod(settings.FILE_UPLOAD_PERMISSIONS)
                    _check_hash(target, expected, f"{name} as copied into MEDIA_ROOT")
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
    # Anything cached (map data, pages, the data version) describes the install before the restore.
    cache.clear()
    return manifest
