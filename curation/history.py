"""The history of a partnership or an organisation for curators: every version, newest first,
with what changed at each step in words, and restoring any version (after a page that shows what
the restore will change). The history itself is `partnerships.history`."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from curation.permissions import moderator_required
from partnerships import history
from partnerships.models import ChangeSet, Organisation, Partnership, Version

PAGE_SIZE = 20

KINDS = {
    "partnership": {
        "model": Partnership,
        "history": "curation:partnership_history",
        "restore": "curation:partnership_restore",
        "admin": "admin:partnerships_partnership_change",
    },
    "organisation": {
        "model": Organisation,
        "history": "curation:organisation_history",
        "restore": "curation:organisation_restore",
        "admin": "admin:partnerships_organisation_change",
    },
}


class RestoreForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for restoring (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the history with the new version."),
    )


def _history_view(kind):
    urls = KINDS[kind]

    @moderator_required
    @require_safe
    def view(request, pk):
        entry = get_object_or_404(urls["model"], pk=pk)
        versions = history.versions_of(entry)
        page, entries = history.timeline(versions, page=request.GET.get("page"), per_page=PAGE_SIZE)
        return render(
            request,
            "curation/history.html",
            {
                "entry": entry,
                "kind": kind,
                "page": page,
                "entries": entries,
                # The newest version is the entry as it is: nothing to restore.
                "latest_number": entries[0][0].number if page.number == 1 and entries else None,
                "restore_url_name": urls["restore"],
                "admin_url": reverse(urls["admin"], args=[entry.pk]),
                "public_url": _public_url(entry),
                "trail": [(gettext("Moderation queue"), reverse("curation:queue"))],
            },
        )

    return view


def _restore_view(kind):
    urls = KINDS[kind]

    @moderator_required
    @require_http_methods(["GET", "POST"])
    def view(request, pk, number):
        entry = get_object_or_404(urls["model"], pk=pk)
        version = get_object_or_404(
            Version.objects.of(entry).select_related("change_set__author"), number=number
        )
        form = RestoreForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            restored = history.restore(
                version, user=request.user, reason=form.cleaned_data["reason"]
            )
            if restored is None:
                messages.info(
                    request,
                    gettext("“%(entry)s” was already as version %(number)s holds it.")
                    % {"entry": entry, "number": number},
                )
            else:
                messages.success(
                    request,
                    gettext("Version %(number)s of “%(entry)s” is live again, as version %(new)s.")
                    % {"number": number, "entry": entry, "new": restored.number},
                )
            return redirect(urls["history"], pk=entry.pk)
        return render(
            request,
            "curation/restore.html",
            {
                "entry": entry,
                "version": version,
                "form": form,
                "changes": history.changes_to_restore(version),
                "history_url": reverse(urls["history"], args=[entry.pk]),
                "trail": [
                    (gettext("Moderation queue"), reverse("curation:queue")),
                    (
                        gettext("History of %(entry)s") % {"entry": entry},
                        reverse(urls["history"], args=[entry.pk]),
                    ),
                ],
            },
            status=400 if form.errors else 200,
        )

    return view


def _public_url(entry):
    if isinstance(entry, Partnership) and entry.is_published:
        return entry.get_absolute_url()
    return None


partnership_history = _history_view("partnership")
organisation_history = _history_view("organisation")
partnership_restore = _restore_view("partnership")
organisation_restore = _restore_view("organisation")


@moderator_required
@require_http_methods(["GET", "POST"])
def undo_change(request, pk):
    """Undo one change set (a merge, say): a page naming every entry it changed, then, on POST,
    each of them back to its version before it, recorded as one new change set."""
    change_set = get_object_or_404(ChangeSet.objects.select_related("author"), pk=pk)
    versions = list(
        change_set.versions.select_related("partnership", "organisation").order_by("pk")
    )
    if not versions:
        raise Http404
    entries = [
        (
            version.entry,
            reverse(
                KINDS["partnership" if version.partnership_id else "organisation"]["history"],
                args=[version.entry_id],
            ),
        )
        for version in versions
    ]
    form = RestoreForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        history.undo(change_set, user=request.user, reason=form.cleaned_data["reason"])
        messages.success(
            request,
            gettext(
                "Undone: “%(change)s” of %(when)s. Each entry it changed is back as it was "
                "before, recorded as a new version."
            )
            % {
                "change": change_set.get_kind_display(),
                "when": date_format(change_set.created_at, "d F Y, H:i"),
            },
        )
        return redirect(entries[0][1])
    return render(
        request,
        "curation/undo.html",
        {
            "change_set": change_set,
            "entries": entries,
            "form": form,
            "trail": [(gettext("Moderation queue"), reverse("curation:queue"))],
        },
        status=400 if form.errors else 200,
    )
