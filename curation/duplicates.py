"""Curators' screens: the list of possible duplicates, "not duplicates", and merging.

Only moderators reach them (`moderator_required`): someone signed out is sent to sign in and
anyone else gets a 404. The pairs come from the table `manage.py find_duplicates` fills
(`partnerships.matching`), so the list costs the same few queries whatever the directory's size;
merging goes through `partnerships.merging`."""

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from curation.forms import MergeForm
from curation.permissions import moderator_required
from partnerships import matching, merging, tasks
from partnerships.models import (
    ChangeKind,
    DuplicateCandidate,
    DuplicateKind,
    DuplicateScan,
    Organisation,
    Partnership,
    Version,
)

PAGE_SIZE = 20
# The URL word for each kind of entry, and back.
KINDS = {"organisations": DuplicateKind.ORGANISATION, "partnerships": DuplicateKind.PARTNERSHIP}
WORDS = {kind: word for word, kind in KINDS.items()}
MODELS = {DuplicateKind.ORGANISATION: Organisation, DuplicateKind.PARTNERSHIP: Partnership}
# How long the signed counts in a merge result's address stay readable.
RESULT_MAX_AGE = 60 * 60 * 24 * 30
RESULT_SALT = "curation.merge-result"
# What the counts of a merge count, for each kind of entry.
COUNT_LABELS = {
    DuplicateKind.ORGANISATION: {
        "members": _("Partnerships it is a member of"),
        "contacts": _("Contacts working for it"),
        "agreements": _("Agreements it is a party to"),
    },
    DuplicateKind.PARTNERSHIP: {
        "members": _("Member organisations"),
        "contacts": _("Contacts"),
        "agreements": _("Agreements"),
    },
}


def _kind(word):
    if word not in KINDS:
        raise Http404
    return KINDS[word]


@moderator_required
@require_safe
def possible_duplicates(request):
    """Possible duplicates of one kind (organisations, or partnerships with `?kind=partnerships`),
    the likeliest first, with why they match."""
    kind = KINDS.get(request.GET.get("kind"), DuplicateKind.ORGANISATION)
    if kind == DuplicateKind.ORGANISATION:
        related = ["organisation_a", "organisation_b"]
    else:
        related = ["partnership_a__region", "partnership_b__region"]
    pairs = (
        DuplicateCandidate.objects.filter(kind=kind).open().best_first().select_related(*related)
    )
    page = Paginator(pairs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "curation/duplicates.html",
        {
            "kind": kind,
            "word": WORDS[kind],
            "tabs": [(WORDS[k], label, k == kind) for k, label in DuplicateKind.choices],
            "page": page,
            "scan": DuplicateScan.objects.order_by("-started_at", "-pk").first(),
        },
    )


def _back_to_list(request, kind):
    """The duplicates list of `kind`, at the page the curator came from."""
    url = f"{reverse('curation:duplicates')}?kind={WORDS[kind]}"
    page = request.POST.get("page", "")
    if page.isdigit() and page != "1":
        url += f"&page={page}"
    return redirect(url)


def _pair(kind, first, second):
    model = MODELS[kind]
    entries = model.objects.select_related("region").in_bulk([first, second])
    if first == second or len(entries) != 2:
        raise Http404
    return entries[first], entries[second]


@moderator_required
@require_POST
def scan(request):
    """Look for duplicates again now: a background task (at once in development)."""
    result = tasks.find_duplicates.enqueue()
    if result.status == TaskResultStatus.SUCCESSFUL:
        found = result.return_value
        messages.success(
            request,
            gettext(
                "Looked for duplicates again: %(organisations)s pairs of organisations and "
                "%(partnerships)s pairs of partnerships to review."
            )
            % {"organisations": found["organisations"], "partnerships": found["partnerships"]},
        )
    elif result.status == TaskResultStatus.FAILED:
        messages.error(
            request, gettext("Looking for duplicates failed; the server's log says why.")
        )
    else:
        messages.info(
            request,
            gettext(
                "Looking for duplicates again in the background. Reload this page in a minute "
                "or two to see what was found."
            ),
        )
    kind = KINDS.get(request.POST.get("kind"), DuplicateKind.ORGANISATION)
    return _back_to_list(request, kind)


@moderator_required
@require_POST
def not_duplicates(request, kind, first, second):
    """Remember that the two are different entries: the pair is never suggested again."""
    kind = _kind(kind)
    first, second = _pair(kind, first, second)
    matching.dismiss(first, second, user=request.user)
    messages.success(
        request,
        gettext(
            "“%(first)s” and “%(second)s” are marked as different entries and will not be "
            "suggested as duplicates again."
        )
        % {"first": first.display_name, "second": second.display_name},
    )
    return _back_to_list(request, kind)


@moderator_required
@require_http_methods(["GET", "HEAD", "POST"])
def merge(request, kind, first, second):
    """Choose the surviving entry and the value of each differing field (GET, or POST without
    `confirm`), check the summary (POST without `confirm` once the form is valid), then merge
    (POST with `confirm`) and go to the result."""
    kind = _kind(kind)
    first, second = _pair(kind, first, second)
    seen = merging.preview(first, second)
    form = MergeForm(
        request.POST if request.method == "POST" else None,
        first=first,
        second=second,
        preview=seen,
        default_survivor=merging.default_survivor(first, second, seen),
    )
    context = {
        "kind": kind,
        "word": WORDS[kind],
        "form": form,
        "preview": seen,
        "labels": COUNT_LABELS[kind],
        "columns": [
            (gettext("“%(name)s” now") % {"name": first.display_name}, seen.first),
            (gettext("“%(name)s” now") % {"name": second.display_name}, seen.second),
            (gettext("The entry that stays, after"), seen.after),
        ],
    }
    if request.method != "POST" or not form.is_valid():
        return render(request, "curation/merge.html", context, status=400 if form.is_bound else 200)
    survivor, other = form.entries()
    refused = merging.problems(survivor, other)
    if refused:
        form.add_error("survivor", refused)
        return render(request, "curation/merge.html", context, status=400)
    if "confirm" not in request.POST:
        context.update(survivor=survivor, other=other, kept=form.kept_values())
        return render(request, "curation/merge_confirm.html", context)
    merge_entries = (
        merging.merge_organisations
        if kind == DuplicateKind.ORGANISATION
        else merging.merge_partnerships
    )
    try:
        result = merge_entries(
            survivor=survivor, other=other, choices=form.choices(), user=request.user
        )
    except merging.MergeRefused as refusal:
        form.add_error("survivor", str(refusal))
        return render(request, "curation/merge.html", context, status=409)
    token = signing.dumps(result.summary(), salt=RESULT_SALT, compress=True)
    url = reverse("curation:merged", kwargs={"kind": WORDS[kind], "pk": other.pk})
    return redirect(f"{url}?result={token}")


@moderator_required
@require_safe
def merged(request, kind, pk):
    """What a merge did: the counts before and after, and where the old address goes now."""
    kind = _kind(kind)
    other = get_object_or_404(MODELS[kind].objects.select_related("merged_into"), pk=pk)
    if other.merged_into_id is None:
        raise Http404
    survivor = other.merged_into
    try:
        summary = signing.loads(
            request.GET.get("result", ""), salt=RESULT_SALT, max_age=RESULT_MAX_AGE
        )
    except signing.BadSignature:
        summary = None
    columns = []
    if summary:
        columns = [
            (
                gettext("“%(name)s” before") % {"name": survivor.display_name},
                summary["before_survivor"],
            ),
            (gettext("“%(name)s” before") % {"name": other.display_name}, summary["before_other"]),
            (gettext("“%(name)s” after") % {"name": survivor.display_name}, summary["after"]),
        ]
    return render(
        request,
        "curation/merged.html",
        {
            "kind": kind,
            "word": WORDS[kind],
            "other": other,
            "survivor": survivor,
            "summary": summary,
            "columns": columns,
            "undo_url": _undo_url(other),
            "labels": COUNT_LABELS[kind],
            "old_url": reverse(
                "directory:organisation"
                if kind == DuplicateKind.ORGANISATION
                else "directory:partnership",
                kwargs={"slug": other.slug},
            ),
        },
    )


def _undo_url(other):
    """Where to undo the merge that took `other` away: its latest merge in the history."""
    version = (
        Version.objects.of(other)
        .filter(change_set__kind=ChangeKind.MERGE)
        .newest_first()
        .values_list("change_set_id", flat=True)
        .first()
    )
    return reverse("curation:undo_change", args=[version]) if version else None
