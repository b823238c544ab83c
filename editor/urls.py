"""Screens for partnership editors (leads and co-editors) and for moderators."""

from django.urls import path

from editor import moderation, views

app_name = "editor"

urlpatterns: list = [
    path("partnerships/new/", views.new, name="new"),
    path("partnerships/<int:pk>/edit/", views.edit, name="edit"),
    path("partnerships/<int:pk>/preview/", views.preview, name="preview"),
    path("partnerships/<int:pk>/submit/", views.submit, name="submit"),
    path("partnerships/<int:pk>/editors/", views.editors, name="editors"),
    path(
        "partnerships/<int:pk>/revision-document/<int:index>/",
        views.revision_document,
        name="revision_document",
    ),
    path("agreements/<int:pk>/document/", views.agreement_document, name="agreement_document"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("my/partnerships/", views.my_partnerships, name="my_partnerships"),
    # Moderation (editor/moderation.py): the queue, a review page and the three decisions.
    path("moderation/", moderation.queue, name="moderation_queue"),
    path("moderation/<int:pk>/", moderation.review, name="moderation_review"),
    path("moderation/<int:pk>/approve/", moderation.approve, name="moderation_approve"),
    path(
        "moderation/<int:pk>/request-changes/",
        moderation.request_changes,
        name="moderation_request_changes",
    ),
    path("moderation/<int:pk>/reject/", moderation.reject, name="moderation_reject"),
]
