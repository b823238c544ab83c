"""Screens for curators (moderators), all under /moderation/: the moderation queue, history and
restore, duplicates and merge. Only moderators reach them; everyone else gets a 404."""

from django.urls import path

from curation import moderation

app_name = "curation"

urlpatterns: list = [
    # Moderation (curation/moderation.py): the queue, a review page and the three decisions.
    path("moderation/", moderation.queue, name="queue"),
    path("moderation/<int:pk>/", moderation.review, name="review"),
    path("moderation/<int:pk>/approve/", moderation.approve, name="approve"),
    path(
        "moderation/<int:pk>/request-changes/",
        moderation.request_changes,
        name="request_changes",
    ),
    path("moderation/<int:pk>/reject/", moderation.reject, name="reject"),
]
