"""Stable public ids (UUIDs) for partnerships and organisations, for the Open Referral UK feed.

Added empty, filled for the rows that exist (a batch at a time), then made unique and required.
"""

import uuid

from django.db import migrations, models

BATCH = 2000


def fill(apps, schema_editor):
    for name in ("Partnership", "Organisation"):
        model = apps.get_model("partnerships", name)
        while True:
            batch = list(model.objects.filter(uuid__isnull=True).only("pk")[:BATCH])
            if not batch:
                break
            for entry in batch:
                entry.uuid = uuid.uuid4()
            model.objects.bulk_update(batch, ["uuid"])


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0018_near_index")]

    operations = [
        migrations.AddField(
            model_name="partnership", name="uuid", field=models.UUIDField(null=True, editable=False)
        ),
        migrations.AddField(
            model_name="organisation", name="uuid", field=models.UUIDField(null=True, editable=False)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="partnership",
            name="uuid",
            field=models.UUIDField(
                "public id",
                default=uuid.uuid4,
                editable=False,
                help_text="The partnership's id in the Open Referral UK feed: never changes, even "
                "when the name or address does.",
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="organisation",
            name="uuid",
            field=models.UUIDField(
                "public id",
                default=uuid.uuid4,
                editable=False,
                help_text="The organisation's id in the Open Referral UK feed: never changes, "
                "even when the name or address does.",
                unique=True,
            ),
        ),
        migrations.AddIndex(
            model_name="partnership",
            index=models.Index(
                fields=["publication_state", "updated_at"], name="partnership_state_updated"
            ),
        ),
    ]
