from django.db import migrations, models
import django.utils.timezone


def add_version(apps, schema_editor):
    apps.get_model("partnerships", "DataVersion").objects.get_or_create(id=1)


class Migration(migrations.Migration):

    dependencies = [
        ("partnerships", "0005_map_grid_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("value", models.PositiveBigIntegerField(default=1)),
                ("changed_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"verbose_name": "published data version"},
        ),
        migrations.RunPython(add_version, migrations.RunPython.noop),
    ]
