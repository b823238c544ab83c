"""`manage.py backup` and `manage.py restore`: a round trip into an empty install loses nothing."""

import hashlib
import importlib
import io
import json
import shutil
import tarfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Profile
from partnerships import backups, history, imports, matching, services
from partnerships.models import (
    Activity,
    ChangeKind,
    ClaimRequest,
    CommunicationChannel,
    ConfirmationLink,
    Decision,
    GeocodeCache,
    ImportMapping,
    JoinRequest,
    MapSummary,
    ModerationEvent,
    NotDuplicate,
    Organisation,
    Partnership,
    ProblemReport,
    Region,
    Reminder,
    ReminderKind,
    ReportReason,
    Revision,
    RevisionState,
)
from tests.factories import (
    make_agreement,
    make_contact,
    make_organisation,
    make_partnership,
    make_place,
    make_region,
    make_user,
)
from toolkit.models import GuidancePage

pytestmark = pytest.mark.django_db

NATURAL_PRIMARY = {"contenttypes.contenttype", "auth.permission"}
# Sessions are not carried over; the map summary is rebuilt from the partnerships after a restore.
NOT_RESTORED = {"sessions.session", "partnerships.mapsummary", "partnerships.mapgridcell"}


def build_a_directory():
    """At least one row of every backed-up model, with files, many-to-many links, an edited
    vocabulary and timestamps with microseconds."""
    curator = make_user(username="curator", is_staff=True, email="curator@example.org")
    editor = make_user(email="editor@example.org")
    Profile.objects.create(user=editor, language="cy")
    group = Group.objects.create(name="Curators")
    group.permissions.add(Permission.objects.get(codename="change_partnership"))
    curator.groups.add(group)
    editor.user_permissions.add(Permission.objects.get(codename="view_partnership"))
    address = EmailAddress.objects.create(
        user=editor, email=editor.email, verified=True, primary=True
    )
    EmailConfirmation.objects.create(email_address=address, key="k" * 40, sent=timezone.now())

    region = make_region(name="Test region")
    Region.objects.filter(name="London").update(name="Greater London")
    # Guidance from the toolkit's migration, edited by a curator, and a page of their own.
    GuidancePage.objects.filter(slug="why-partner").update(title="Why work in partnership")
    GuidancePage.objects.create(title="Our region", slug="our-region", body="Local advice.")
    partnership = make_partnership(members=2, region=region, latitude=51.5, longitude=-0.12)
    partnership.editors.add(editor)
    partnership.activities.add(Activity.objects.first())
    partnership.channels.add(CommunicationChannel.objects.first())
    lead = partnership.memberships.first().organisation
    make_contact(partnership, organisation=lead)
    make_contact(partnership, consent=False)
    agreement = make_agreement(
        partnership,
        signed_on=date(2024, 4, 1),
        document=SimpleUploadedFile("mou.pdf", b"%PDF-1.4 signed memorandum\x00\xff"),
    )
    agreement.parties.add(lead)
    make_agreement(partnership, document=SimpleUploadedFile("terms.docx", b"PK terms"))
    make_partnership(publication_state="draft")
    make_organisation(name="An organisation in no partnership")
    # Duplicates: a pair a scan found, a pair a curator dismissed, and an organisation and a
    # partnership merged into rows made after them (a forward reference for the restore).
    libraries = make_organisation(name="Wirral Libraries", town="Birkenhead")
    make_organisation(name="Wirral Library Service", town="Birkenhead")
    matching.refresh_duplicate_candidates()
    NotDuplicate.objects.create(**NotDuplicate.fields_for(libraries, lead), decided_by=curator)
    merged = make_organisation(name="Bolton NHS FT", town="Bolton")
    Organisation.objects.filter(pk=merged.pk).update(
        merged_into=make_organisation(name="Bolton NHS Foundation Trust", town="Bolton")
    )
    merged = make_partnership(name="Wirral network")
    Partnership.objects.filter(pk=merged.pk).update(
        publication_state="merged", merged_into=make_partnership(name="The Wirral network")
    )

    revision = Revision.objects.create(
        partnership=partnership,
        data={"name": "Renamed", "members": [1, 2]},
        state=RevisionState.PENDING,
        author=editor,
        submitted_at=timezone.now(),
    )
    ModerationEvent.objects.create(
        partnership=partnership,
        revision=revision,
        decision=Decision.SUBMITTED,
        actor=editor,
        message="Please review.",
    )
    history.record(partnership, kind=ChangeKind.ADMIN_EDIT, user=curator, reason="Checked.")
    make_place("Birkenhead", 53.39, -3.01, region=region)
    GeocodeCache.objects.create(query="wirral", latitude=53.37, longitude=-3.07, place_rank=16)
    LogEntry.objects.create(
        user=curator,
        content_type=ContentType.objects.get_for_model(Partnership),
        object_id=str(partnership.pk),
        object_repr=str(partnership),
        action_flag=ADDITION,
        change_message="[]",
    )
    DBTaskResult.objects.create(
        task_path="partnerships.tasks.refine_locations",
        args_kwargs={"args": [partnership.pk], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )
    # An import (its run, where each entry came from, an identifier) and a saved column mapping.
    data = b"ID,Name,Sector,Town,ODS code\nW-1,Wirral Libraries,Public library,Birkenhead,RBL\n"
    run = imports.start_run(kind="organisations", file_name="wirral.csv", data=data, user=curator)
    imports.apply_run(run, user=curator)
    ImportMapping.objects.create(
        name="Wirral", kind="organisations", columns={"id": "source_id"}, created_by=curator
    )
    # Keeping entries current: a reminder with its confirmation link, a visitor's report and a
    # request to manage an entry.
    reminder_link = ConfirmationLink.objects.create(
        partnership=partnership,
        sent_to="editor@example.org",
        expires_at=timezone.now() + timedelta(days=30),
    )
    Reminder.objects.create(
        partnership=partnership,
        kind=ReminderKind.CONFIRM_FIRST,
        cycle=reminder_link.created_at.isoformat(),
        recipients=["editor@example.org"],
    )
    ProblemReport.objects.create(
        partnership=partnership, reason=ReportReason.CONTACT, explanation="The lead retired."
    )
    ClaimRequest.objects.create(partnership=partnership, user=editor, reason="I chair it.")
    JoinRequest.objects.create(
        partnership=partnership,
        organisation_name="Bolton Central Library",
        organisation=partnership.memberships.first().organisation,
        sector="public-library",
        name="Alex Librarian",
        email="alex@example.net",
        user=editor,
        state="declined",
        decided_by=editor,
        decided_at=timezone.now(),
        reply="Not this year.",
    )
    # A file no row names (an upload whose row was deleted) is kept too.
    stray = Path(settings.MEDIA_ROOT) / "agreements" / "old" / "stray.txt"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left behind")


def every_row():
    """Every row of every installed model, serialised, in a stable order."""
    rows = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in NOT_RESTORED:
            continue
        objects = serializers.serialize(
            "python",
            model._base_manager.order_by("pk"),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=label in NATURAL_PRIMARY,
        )
        m2m = {field.name for field in model._meta.many_to_many}
        for obj in objects:
            for name in m2m & obj["fields"].keys():
                obj["fields"][name] = sorted(obj["fields"][name], key=json.dumps)
        rows[label] = sorted(objects, key=lambda obj: json.dumps(obj, sort_keys=True, default=str))
    return rows


def every_file():
    root = Path(settings.MEDIA_ROOT)
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def empty_the_install():
    """What a new install looks like: `migrate` on a new database (content types, permissions and
    the vocabularies it inserts) and an empty MEDIA_ROOT."""
    # PostgreSQL checks foreign keys at commit; TRUNCATE refuses while checks are pending, and
    # this test runs inside a transaction.
    connection.check_constraints()
    call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()
    migration = importlib.import_module("partnerships.migrations.0002_vocabularies")
    migration.add_vocabularies(apps, None)
    importlib.import_module("partnerships.migrations.0026_welsh_vocabularies").add_welsh_names(
        apps, None
    )
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


def test_a_backup_restored_into_an_empty_install_has_every_row_and_every_file(tmp_path):
    build_a_directory()
    rows_before, files_before = every_row(), every_file()
    models = backups.backed_up_models()
    empty = [m._meta.label_lower for m in models if not m._base_manager.exists()]
    assert empty == [], "add rows of these models to build_a_directory()"
    assert len(files_before) == 3
    archive = tmp_path / "backup.tar.gz"

    call_command("backup", str(archive), stdout=io.StringIO())
    empty_the_install()
    assert Partnership.objects.count() == 0 and every_file() == {}
    output = io.StringIO()
    call_command("restore", str(archive), stdout=output)

    rows_after, files_after = every_row(), every_file()
    # The published-data version moves past the backup's, so that no cache answers from before.
    version = "partnerships.dataversion"
    [before], [after] = rows_before.pop(version), rows_after.pop(version)
    assert after["fields"]["value"] > before["fields"]["value"]
    differences = [label for label in rows_before if rows_before[label] != rows_after[label]]
    assert differences == []
    assert rows_after == rows_before
    assert files_after == files_before
    assert "Counts and file hashes match the backup." in output.getvalue()


def test_new_rows_get_new_ids_after_a_restore(tmp_path):
    existing = make_partnership(members=1)
    make_user()
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    empty_the_install()
    call_command("restore", str(archive), stdout=io.StringIO())

    created = make_partnership(members=1)
    user = make_user()

    assert created.pk > existing.pk
    assert Partnership.objects.count() == 2
    assert user.pk is not None


def test_the_archive_lists_rows_per_model_and_a_hash_per_file(tmp_path):
    partnership = make_partnership()
    make_agreement(partnership, document=SimpleUploadedFile("mou.pdf", b"signed"))
    archive = tmp_path / "backup.tar.gz"

    call_command("backup", str(archive), stdout=io.StringIO())

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = tar.getnames()
    assert manifest["rows"]["partnerships.partnership"] == 1
    assert manifest["rows"]["partnerships.region"] == Region.objects.count()
    assert "sessions.session" not in manifest["rows"]
    assert "auth.permission" not in manifest["rows"]
    [(name, entry)] = manifest["files"].items()
    assert name.startswith("agreements/")
    assert entry == {"size": 6, "sha256": hashlib.sha256(b"signed").hexdigest()}
    assert names[0] == "manifest.json"
    assert f"media/{name}" in names


def test_restore_refuses_a_database_that_holds_data(tmp_path):
    make_partnership()
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    make_partnership(name="Added after the backup")

    with pytest.raises(CommandError, match="Refusing to restore: the database holds rows of"):
        call_command("restore", str(archive), stdout=io.StringIO())

    assert Partnership.objects.filter(name="Added after the backup").exists()
    assert Partnership.objects.count() == 2


def test_restore_refuses_a_media_root_that_holds_files(tmp_path):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    (Path(settings.MEDIA_ROOT) / "agreements").mkdir(parents=True)
    (Path(settings.MEDIA_ROOT) / "agreements" / "x.pdf").write_bytes(b"x")

    with pytest.raises(CommandError, match=r"MEDIA_ROOT .* holds files"):
        call_command("restore", str(archive), stdout=io.StringIO())


def test_a_freshly_migrated_database_counts_as_empty():
    """If a migration starts inserting rows of another model, list it in SEEDED_BY_MIGRATIONS."""
    backups.check_empty_install()


def test_restore_refuses_a_damaged_archive_and_changes_nothing(tmp_path):
    partnership = make_partnership()
    make_agreement(partnership, document=SimpleUploadedFile("mou.pdf", b"signed"))
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            if member.name.startswith("media/"):
                content = b"tampered"
                member.size = len(content)
            target.addfile(member, io.BytesIO(content))
    empty_the_install()

    with pytest.raises(CommandError, match="does not match the manifest"):
        call_command("restore", str(damaged), stdout=io.StringIO())

    assert Partnership.objects.count() == 0
    assert every_file() == {}


def test_restore_refuses_an_archive_with_a_path_outside_media_root(tmp_path):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(evil, "w:gz") as target:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(content)
                manifest["files"]["../../outside.txt"] = {"size": 1, "sha256": "0"}
                content = json.dumps(manifest).encode()
                member.size = len(content)
            target.addfile(member, io.BytesIO(content))
        extra = tarfile.TarInfo("media/../../outside.txt")
        extra.size = 1
        target.addfile(extra, io.BytesIO(b"x"))
    empty_the_install()

    with pytest.raises(CommandError):
        call_command("restore", str(evil), stdout=io.StringIO())

    assert not (tmp_path / "outside.txt").exists()
    assert not (Path(settings.MEDIA_ROOT).parent / "outside.txt").exists()


def test_restore_refuses_a_backup_made_with_other_migrations(tmp_path):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    other = tmp_path / "other.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(other, "w:gz") as target:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(content)
                manifest["migrations"].append("partnerships.9999_from_the_future")
                content = json.dumps(manifest).encode()
                member.size = len(content)
            target.addfile(member, io.BytesIO(content))
    empty_the_install()

    with pytest.raises(CommandError, match="9999_from_the_future"):
        call_command("restore", str(other), stdout=io.StringIO())


def test_a_restore_queues_a_rebuild_of_the_map_summary(
    tmp_path, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    make_partnership(latitude=53.58, longitude=-2.43)
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    empty_the_install()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("restore", str(archive), stdout=io.StringIO())
    summary = MapSummary.objects.get()
    assert (summary.version, summary.published) == (services.published_data_version(), 1)
