"""Screens for partnership editors (leads and co-editors)."""

from django.urls import path

from editor import views

app_name = "editor"

urlpatterns: list = [
    path("partnerships/new/", views.new, name="new"),
    path("partnerships/<int:pk>/edit/", views.edit, name="edit"),
    path("partnerships/<int:pk>/preview/", views.preview, name="preview"),
    path("partnerships/<int:pk>/submit/", views.submit, name="submit"),
    path("partnerships/<int:pk>/editors/", views.editors, name="editors"),
    path("partnerships/<int:pk>/history/", views.partnership_history, name="history"),
    path(
        "partnerships/<int:pk>/revision-document/<int:index>/",
        views.revision_document,
        name="revision_document",
    ),
    path("agreements/<int:pk>/document/", views.agreement_document, name="agreement_document"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("my/partnerships/", views.my_partnerships, name="my_partnerships"),
    path("my/join-requests/<int:pk>/", views.join_request, name="join_request"),
    path("partnerships/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("confirm/<str:token>/", views.confirm_link, name="confirm_link"),
]
