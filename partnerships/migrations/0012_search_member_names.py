"""Members' names move into the partnership's own search document: a `member_names` column
(kept by `PartnershipQuerySet.refresh_member_names`), filled here from the memberships, and the
generated `search_document` rebuilt to include it (its GIN index now without a pending list, see
`SearchIndex`). The organisations' own search documents and their index are dropped, since a
search no longer reads them. A longitude index lets a broad search walk in from the map's west
and east edges for its extent.

A generated column's expression cannot be altered in place, so it is removed and added again."""

from django.db import migrations, models
from django.db.models import OuterRef, StringAgg, Subquery, Value
from django.db.models.functions import Coalesce

import partnerships.search


def fill_member_names(apps, schema_editor):
    Membership = apps.get_model("partnerships", "Membership")
    Partnership = apps.get_model("partnerships", "Partnership")
    features = schema_editor.connection.features
    names = (
        Membership.objects.filter(partnership=OuterRef("pk"))
        .order_by()
        .values("partnership")
        .annotate(
            names=StringAgg(
                "organisation__name",
                delimiter=Value(partnerships.search.MEMBER_NAME_SEPARATOR),
                order_by=(
                    ("organisation__name", "organisation_id")
                    if features.supports_aggregate_order_by_clause
                    else None
                ),
            )
        )
        .values("names")
    )
    Partnership.objects.filter(memberships__isnull=False).update(
        member_names=Coalesce(Subquery(names), Value(""))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("partnerships", "0011_version_merged_state"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="organisation", name="organisation_search"),
        migrations.RemoveField(model_name="organisation", name="search_document"),
        migrations.RemoveIndex(model_name="partnership", name="partnership_search"),
        migrations.RemoveField(model_name="partnership", name="search_document"),
        migrations.AddField(
            model_name="partnership",
            name="member_names",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_member_names, migrations.RunPython.noop),
        migrations.AddField(
            model_name="partnership",
            name="search_document",
            field=models.GeneratedField(
                db_persist=True,
                expression=partnerships.search.SearchDocument(
                    "name", "area_name", "summary", "member_names"
                ),
                output_field=partnerships.search.SearchDocumentField(),
            ),
        ),
        migrations.AddIndex(
            model_name="partnership",
            index=partnerships.search.SearchIndex(
                fields=["search_document"], name="partnership_search"
            ),
        ),
        migrations.AddIndex(
            model_name="partnership",
            index=models.Index(fields=["longitude"], name="partnership_longitude"),
        ),
    ]
