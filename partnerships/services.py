"""Writes that touch several rows or models, called by views, admin and commands alike."""

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from partnerships.models import PublicationState


def publish_partnerships(queryset):
    """Publish every partnership in `queryset` that is not published yet, stamping
    `last_verified_at` where it is still empty. Returns how many partnerships changed."""
    now = timezone.now()
    return queryset.exclude(publication_state=PublicationState.PUBLISHED).update(
        publication_state=PublicationState.PUBLISHED,
        last_verified_at=Coalesce(F("last_verified_at"), Value(now)),
        updated_at=now,
    )


def archive_partnerships(queryset):
    """Archive every partnership in `queryset` that is not archived yet. Returns how many
    partnerships changed."""
    return queryset.exclude(publication_state=PublicationState.ARCHIVED).update(
        publication_state=PublicationState.ARCHIVED, updated_at=timezone.now()
    )
