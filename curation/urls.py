"""Screens for curators (moderators), all under /moderation/: the moderation queue, history and
restore, duplicates and merge. Only moderators reach them; everyone else gets a 404."""

from django.urls import path

from curation import views

app_name = "curation"

urlpatterns: list = [
    # Duplicates and merging (curation/views.py, partnerships/matching.py and merging.py).
    path("moderation/duplicates/", views.duplicates, name="duplicates"),
    path("moderation/duplicates/scan/", views.scan, name="duplicates_scan"),
    path(
        "moderation/duplicates/<str:kind>/<int:first>/<int:second>/not-duplicates/",
        views.not_duplicates,
        name="not_duplicates",
    ),
    path(
        "moderation/duplicates/<str:kind>/<int:first>/<int:second>/merge/",
        views.merge,
        name="merge",
    ),
    path("moderation/duplicates/<str:kind>/<int:pk>/merged/", views.merged, name="merged"),
]
