"""Screens for curators (moderators), all under /moderation/: the moderation queue, history and
restore, duplicates and merge, imports, visitors' problem reports and requests to manage an entry,
the entries needing attention and the freshness dashboard. Only moderators reach them; everyone
else gets a 404."""

from django.urls import path

from curation import attention, claims, duplicates, history, importing, moderation, reports

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
    # Visitors' problem reports and requests to manage an entry (curation/reports.py, claims.py).
    path("moderation/reports/", reports.report_list, name="reports"),
    path("moderation/reports/<int:pk>/", reports.report_detail, name="report"),
    path("moderation/claims/", claims.claim_list, name="claims"),
    path("moderation/claims/<int:pk>/", claims.claim_detail, name="claim"),
    path("moderation/claims/<int:pk>/approve/", claims.approve, name="claim_approve"),
    path("moderation/claims/<int:pk>/refuse/", claims.refuse, name="claim_refuse"),
    # History and restore (curation/history.py).
    path(
        "moderation/history/partnerships/<int:pk>/",
        history.partnership_history,
        name="partnership_history",
    ),
    path(
        "moderation/history/partnerships/<int:pk>/versions/<int:number>/restore/",
        history.partnership_restore,
        name="partnership_restore",
    ),
    path(
        "moderation/history/organisations/<int:pk>/",
        history.organisation_history,
        name="organisation_history",
    ),
    path(
        "moderation/history/organisations/<int:pk>/versions/<int:number>/restore/",
        history.organisation_restore,
        name="organisation_restore",
    ),
    path(
        "moderation/history/changes/<int:pk>/undo/",
        history.undo_change,
        name="undo_change",
    ),
    # Duplicates and merging (curation/duplicates.py, partnerships/matching.py and merging.py).
    path("moderation/duplicates/", duplicates.possible_duplicates, name="duplicates"),
    path("moderation/duplicates/scan/", duplicates.scan, name="duplicates_scan"),
    path(
        "moderation/duplicates/<str:kind>/<int:first>/<int:second>/not-duplicates/",
        duplicates.not_duplicates,
        name="not_duplicates",
    ),
    path(
        "moderation/duplicates/<str:kind>/<int:first>/<int:second>/merge/",
        duplicates.merge,
        name="merge",
    ),
    path("moderation/duplicates/<str:kind>/<int:pk>/merged/", duplicates.merged, name="merged"),
    # Importing spreadsheets (curation/importing.py, partnerships/imports.py).
    path("moderation/imports/", importing.import_list, name="imports"),
    path("moderation/imports/new/", importing.new_import, name="import_new"),
    path(
        "moderation/imports/template/<slug:kind>.<slug:file_format>",
        importing.import_template,
        name="import_template",
    ),
    path("moderation/imports/<int:pk>/", importing.import_run, name="import_run"),
    path("moderation/imports/<int:pk>/columns/", importing.import_columns, name="import_columns"),
    path("moderation/imports/<int:pk>/apply/", importing.apply_import, name="import_apply"),
    path("moderation/imports/<int:pk>/undo/", importing.undo_import, name="import_undo"),
    # Keeping entries current (curation/attention.py, partnerships/freshness.py).
    path("moderation/attention/", attention.attention_list, name="attention"),
    path("moderation/attention/<int:pk>/confirm/", attention.confirm, name="attention_confirm"),
    path("moderation/attention/<int:pk>/archive/", attention.archive, name="attention_archive"),
    path("moderation/freshness/", attention.dashboard, name="freshness"),
]
