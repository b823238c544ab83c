"""The curators' import screens: upload a spreadsheet, check how its columns are read, preview
what importing it would do, import it, and undo an import. They only call the import engine
(`partnerships.imports`, `partnerships.spreadsheets`); what a row becomes is decided there.

Only moderators reach them (`moderator_required`): someone signed out is sent to sign in and
anyone else gets a 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from curation.forms import ApplyImportForm, ColumnsForm, NewImportForm, UndoImportForm
from curation.permissions import moderator_required
from openreferral import importing as openreferral_importing
from partnerships import imports, spreadsheets
from partnerships.models import (
    ImportKind,
    ImportMapping,
    ImportRun,
    ImportState,
    Organisation,
    Partnership,
)

RUNS_PER_PAGE = 20
ROWS_PER_PAGE = 100
# Error sentences listed at the top of a preview; every row's errors are also in the table.
ERRORS_LISTED = 200
SAMPLES = 3
SAMPLE_LENGTH = 60
TEMPLATE_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MEMBERS_EXAMPLE_MEMBER = "Bolton Central Library"


def _trail(*extra):
    return [
        (gettext("Moderation queue"), reverse("curation:queue")),
        (gettext("Imports"), reverse("curation:imports")),
        *extra,
    ]


def _run(pk, *, with_data=False):
    runs = ImportRun.objects.select_related("run_by")
    if not with_data:
        runs = runs.defer("data")
    return get_object_or_404(runs, pk=pk)


@moderator_required
@require_safe
def import_list(request):
    """Past imports, newest first, with what each did."""
    runs = ImportRun.objects.select_related("run_by").defer("data", "preview", "headers")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "curation/imports.html",
        {
            "page": page,
            "templates": [
                (kind, label, file_format)
                for kind, label in ImportKind.choices
                if kind in imports.SPREADSHEET_KINDS
                for file_format in TEMPLATE_FORMATS
            ],
            "trail": [(gettext("Moderation queue"), reverse("curation:queue"))],
        },
    )


@moderator_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_import(request):
    """Upload a file: it is checked (by its content, not its name) and kept as a run with a
    guessed column mapping, then the curator checks the columns."""
    posted = request.method == "POST"
    form = NewImportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial={
            "kind": request.GET.get("kind", ImportKind.ORGANISATIONS),
            "source": request.GET.get("source", ""),
        },
    )
    if request.method == "POST" and form.is_valid() and _is_feed(form.cleaned_data["kind"]):
        upload = form.cleaned_data["file"]
        try:
            run = openreferral_importing.start_run(
                file_name=upload.name,
                data=upload.read(),
                source=form.cleaned_data["source"].strip(),
                user=request.user,
                default_sector=form.cleaned_data["feed_default_sector"],
                publish=form.cleaned_data["feed_publish"],
            )
        except openreferral_importing.FeedError as error:
            form.add_error("file", str(error))
        else:
            # A feed has no columns to check: its preview is ready.
            return redirect("curation:import_run", pk=run.pk)
    elif request.method == "POST" and form.is_valid():
        upload, members = form.cleaned_data["file"], form.cleaned_data["members_file"]
        try:
            run = imports.start_run(
                kind=form.cleaned_data["kind"],
                file_name=upload.name,
                data=upload.read(),
                source=form.cleaned_data["source"].strip(),
                user=request.user,
                saved_mapping=form.cleaned_data["saved_mapping"],
                members_file_name=members.name if members else "",
                members_data=members.read() if members else b"",
            )
        except spreadsheets.SpreadsheetError as error:
            field = "members_file" if str(error).startswith("The members file") else "file"
            form.add_error(field, str(error))
        else:
            return redirect("curation:import_columns", pk=run.pk)
    return render(
        request,
        "curation/import_new.html",
        {"form": form, "trail": _trail()},
        status=400 if form.errors else 200,
    )


def _is_feed(kind):
    return kind == ImportKind.OPEN_REFERRAL


def _samples(run):
    """A few non-empty values of each column, from the first rows of the file."""
    table = spreadsheets.read_table(bytes(run.data), run.file_name)
    samples = [[] for _ in run.headers]
    for _number, cells in table.rows:
        for index, cell in enumerate(cells[: len(samples)]):
            text = " ".join(str(cell if cell is not None else "").split())
            if text and len(samples[index]) < SAMPLES and text not in samples[index]:
                if len(text) > SAMPLE_LENGTH:
                    text = text[: SAMPLE_LENGTH - 1] + "…"
                samples[index].append(text)
        if all(len(values) == SAMPLES for values in samples):
            break
    return samples


def _editable(request, run):
    """Whether the run can still be changed; if not, say so."""
    if run.state in (ImportState.UPLOADED, ImportState.PREVIEWED):
        return True
    messages.info(request, gettext("This file has been imported: start a new import to change it."))
    return False


@moderator_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_columns(request, pk):
    """Which field each column fills (the guess, or a saved mapping's, preselected), and the
    run's options; on POST, the dry run, then the preview."""
    run = _run(pk, with_data=True)
    if not _editable(request, run) or _is_feed(run.kind):
        return redirect("curation:import_run", pk=run.pk)
    form = ColumnsForm(
        request.POST if request.method == "POST" else None, run=run, samples=_samples(run)
    )
    if request.method == "POST" and form.is_valid():
        run.mapping = form.cleaned_data["mapping"]
        if run.kind == ImportKind.ORGANISATIONS:
            run.default_sector = form.cleaned_data["default_sector"]
        else:
            run.publish = form.cleaned_data["publish"] == "published"
        name = form.cleaned_data["save_as"].strip()
        if name:
            ImportMapping.objects.update_or_create(
                kind=run.kind,
                name=name,
                defaults={
                    "columns": imports.mapping_to_save(run.headers, run.mapping),
                    "created_by": request.user,
                },
            )
            messages.success(
                request, gettext("The mapping is saved as “%(name)s”.") % {"name": name}
            )
        imports.preview_run(run)
        return redirect("curation:import_run", pk=run.pk)
    return render(
        request,
        "curation/import_columns.html",
        {"run": run, "form": form, "trail": _trail()},
        status=400 if form.errors else 200,
    )


def _entry_links(run, rows):
    """The history page of each entry on this page of rows that the import wrote, by id. (Not
    the public page: an organisation has one only while a published partnership names it.)"""
    ids = [row["entry_id"] for row in rows if row.get("entry_id")]
    if run.state != ImportState.APPLIED or not ids:
        return {}
    if _is_feed(run.kind):
        # Rows of both steps: each says which kind of entry it wrote.
        found = {}
        for step, model, url_name in (
            ("organisations", Organisation, "curation:organisation_history"),
            ("partnerships", Partnership, "curation:partnership_history"),
        ):
            wanted = [row["entry_id"] for row in rows if row.get("step") == step]
            for pk in model.objects.filter(pk__in=wanted).values_list("pk", flat=True):
                found[(step, pk)] = reverse(url_name, args=[pk])
        return found
    if run.kind == ImportKind.ORGANISATIONS:
        model, url_name = Organisation, "curation:organisation_history"
    else:
        model, url_name = Partnership, "curation:partnership_history"
    found = model.objects.filter(pk__in=ids).values_list("pk", flat=True)
    return {pk: reverse(url_name, args=[pk]) for pk in found}


@moderator_required
@require_safe
def import_run(request, pk):
    """A run's preview (before it is imported) or its result (after): the counts, every error
    as a sentence, and each row with what it would do or did, a page at a time."""
    run = _run(pk)
    if run.state == ImportState.UPLOADED:
        return redirect("curation:import_columns", pk=run.pk)
    rows = run.preview.get("rows", [])
    error_messages = [message for row in rows for message in row.get("messages", [])]
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    links = _entry_links(run, page.object_list)
    return render(
        request,
        "curation/import_run.html",
        {
            "run": run,
            "page": page,
            "rows": [
                (
                    row,
                    links.get(
                        (row.get("step"), row.get("entry_id"))
                        if _is_feed(run.kind)
                        else row.get("entry_id")
                    ),
                )
                for row in page.object_list
            ],
            "error_messages": error_messages[:ERRORS_LISTED],
            "more_errors": max(len(error_messages) - ERRORS_LISTED, 0),
            "placed_at_region": run.preview.get("placed_at_region", 0),
            "outcomes": imports.Outcome.LABELS,
            "form": ApplyImportForm(initial={"skip_errors": run.skip_errors}),
            "can_apply": run.state == ImportState.PREVIEWED,
            "can_undo": run.state == ImportState.APPLIED,
            "reupload_url": reverse("curation:import_new")
            + "?"
            + urlencode({"kind": run.kind, "source": run.source}),
            "trail": _trail(),
        },
    )


@moderator_required
@require_POST
def apply_import(request, pk):
    """Import the run's file as previewed: all of it, or nothing when rows have errors and the
    curator did not ask to skip them."""
    run = _run(pk, with_data=True)
    if run.state != ImportState.PREVIEWED:
        messages.error(request, gettext("This file cannot be imported again: start a new import."))
        return redirect("curation:import_run", pk=run.pk)
    form = ApplyImportForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    run.skip_errors = form.cleaned_data.get("skip_errors", False)
    run.save(update_fields=["skip_errors"])
    try:
        if _is_feed(run.kind):
            report = openreferral_importing.apply_run(run, user=request.user)
        else:
            report = imports.apply_run(run, user=request.user)
    except imports.ImportClosed:
        # Another curator imported it a moment ago.
        messages.error(
            request, gettext("This file has been imported already; nothing was written.")
        )
    except imports.ImportRefused as refused:
        errors = refused.report.counts["errors"]
        messages.error(
            request,
            ngettext(
                "Nothing was imported: %(count)s row has errors. Correct the file and upload it "
                "again, or tick “Skip the rows with errors” to import the others.",
                "Nothing was imported: %(count)s rows have errors. Correct the file and upload "
                "it again, or tick “Skip the rows with errors” to import the others.",
                errors,
            )
            % {"count": errors},
        )
    else:
        counts = report.counts
        if counts["errors"]:
            text = gettext(
                "Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged, "
                "%(errors)s rows with errors skipped."
            )
        else:
            text = gettext(
                "Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged."
            )
        messages.success(request, text % counts)
    return redirect("curation:import_run", pk=run.pk)


@moderator_required
@require_http_methods(["GET", "HEAD", "POST"])
def undo_import(request, pk):
    """What undoing an import does (GET), then undo it (POST): what it created is removed,
    unless another partnership names it since, and what it changed goes back."""
    run = _run(pk)
    if run.state != ImportState.APPLIED:
        messages.info(request, gettext("Only an import that has been applied can be undone."))
        return redirect("curation:import_run", pk=run.pk)
    form = UndoImportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            _change_set, kept = imports.undo(
                run, user=request.user, reason=form.cleaned_data["reason"]
            )
        except imports.UndoRefused as refused:
            messages.error(request, str(refused))
        else:
            removed = run.created - len(kept)
            text = gettext("Undone: %(removed)s and %(changed)s.") % {
                "removed": _removed(run, removed),
                "changed": ngettext(
                    "%(count)s it changed is back as before",
                    "%(count)s it changed are back as before",
                    run.updated,
                )
                % {"count": run.updated},
            }
            if kept:
                names = "; ".join(f"“{organisation.display_name}”" for organisation in kept)
                text += " " + (
                    gettext("Kept, because other partnerships name them: %(names)s.")
                    % {"names": names}
                )
            messages.success(request, text)
        return redirect("curation:import_run", pk=run.pk)
    return render(
        request,
        "curation/import_undo.html",
        {
            "run": run,
            "form": form,
            "changed_since": [(entry, _history_url(entry)) for entry in imports.later_changes(run)],
            "trail": _trail((run.file_name, reverse("curation:import_run", args=[run.pk]))),
        },
        status=400 if form.errors else 200,
    )


def _history_url(entry):
    if isinstance(entry, Partnership):
        return reverse("curation:partnership_history", args=[entry.pk])
    return reverse("curation:organisation_history", args=[entry.pk])


def _removed(run, count):
    """ "2 organisations the import created are removed", for the undo's message."""
    if _is_feed(run.kind):
        text = ngettext(
            "%(count)s entry the import created is removed",
            "%(count)s entries the import created are removed",
            count,
        )
    elif run.kind == ImportKind.ORGANISATIONS:
        text = ngettext(
            "%(count)s organisation the import created is removed",
            "%(count)s organisations the import created are removed",
            count,
        )
    else:
        text = ngettext(
            "%(count)s partnership the import created is removed",
            "%(count)s partnerships the import created are removed",
            count,
        )
    return text % {"count": count}


@moderator_required
@require_safe
def import_template(request, kind, file_format):
    """An empty spreadsheet to fill in: every column the import understands, one example row;
    a partnerships workbook has a second sheet of members."""
    if kind not in imports.SPREADSHEET_KINDS or file_format not in TEMPLATE_FORMATS:
        raise Http404
    # A machine format read back by the import, whose headings it knows in English: the same
    # file on Welsh pages.
    with translation.override("en-gb"):
        headings, example = imports.template(kind)
        if file_format == "csv":
            content = spreadsheets.csv_bytes(headings, [example])
        else:
            sheets = [(str(ImportKind(kind).label), headings, [example])]
            if kind == ImportKind.PARTNERSHIPS:
                sheets.append(_members_sheet(headings, example))
            content = spreadsheets.xlsx_bytes(sheets)
    response = HttpResponse(content, content_type=TEMPLATE_FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{kind}-import-template.{file_format}"'
    return response


def _members_sheet(headings, example):
    """The "Members" sheet: a row per member of a partnership named on the first sheet."""
    partnership = example[headings.index("Name")] if "Name" in headings else ""
    labels = [str(f.label) for f in imports.MEMBER_SHEET_FIELDS]
    examples = {"partnership": partnership, "member": MEMBERS_EXAMPLE_MEMBER, "role": "Member"}
    return ("Members", labels, [[examples[f.name] for f in imports.MEMBER_SHEET_FIELDS]])
