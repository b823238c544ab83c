"""Organisations gained an email field (0014). Their versions recorded before then hold no
"email" in their snapshots; give them the empty one they had, so that the next save of an
organisation is not recorded as a change that changed nothing."""

from django.db import migrations

BATCH = 1000


def add_email(apps, schema_editor):
    Version = apps.get_model("partnerships", "Version")
    pending = Version.objects.filter(organisation__isnull=False).order_by("pk")
    last = 0
    while True:
        batch = list(pending.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        changed = []
        for version in batch:
            fields = version.snapshot.get("fields", {})
            if "email" not in fields:
                fields["email"] = ""
                changed.append(version)
        Version.objects.bulk_update(changed, ["snapshot"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0015_postcode_area_precision")]

    operations = [migrations.RunPython(add_email, migrations.RunPython.noop)]
