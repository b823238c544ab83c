"""The curators' queue of visitors' problem reports: open ones first, newest first, with a page
per report to resolve it (fixed, not a problem, merged), which tells the reporter when they
left an address (`partnerships.reports`).

Reports hold what visitors wrote and their addresses, so only moderators see them; everyone
else, the entry's editors included, gets a 404 (`moderator_required`)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from curation.permissions import moderator_required
from partnerships import reports
from partnerships.models import ProblemReport, ReportState

PAGE_SIZE = 25
NOTE_MAX_LENGTH = 2000
# The queue's filter: its word in the address, its label and the states it shows.
FILTERS = {
    "all": (_("All"), None),
    "open": (_("Open"), [ReportState.OPEN]),
    "resolved": (_("Resolved"), reports.OUTCOMES),
}


class ResolveReportForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What did you do?"),
        choices=[(state.value, state.label) for state in reports.OUTCOMES],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what you did about the report.")},
    )
    note = forms.CharField(
        label=_("Note to the reporter (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("Emailed to the reporter if they gave an address, and kept with the report."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "resolve-%s")
        super().__init__(*args, **kwargs)


def _reports():
    return ProblemReport.objects.select_related(
        "partnership", "organisation", "duplicate_of", "resolved_by"
    )


@moderator_required
@require_safe
def report_list(request):
    """Every report, the open ones first and the newest first within each; `?state=open` or
    `?state=resolved` narrows it."""
    chosen = request.GET.get("state") if request.GET.get("state") in FILTERS else "all"
    found = _reports().annotate(
        is_open=Case(
            When(state=ReportState.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )
    states = FILTERS[chosen][1]
    if states is not None:
        found = found.filter(state__in=states)
    page = Paginator(found.order_by("is_open", "-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "curation/reports.html",
        {
            "page": page,
            "query": f"state={chosen}" if chosen != "all" else "",
            "filters": [(word, label, word == chosen) for word, (label, _) in FILTERS.items()],
            "open_count": ProblemReport.objects.filter(state=ReportState.OPEN).count(),
        },
    )


def _merge_url(report):
    """The curators' merge page for the reported partnership and the one it duplicates."""
    if report.partnership_id is None or report.duplicate_of_id is None:
        return None
    return reverse(
        "curation:merge", args=["partnerships", report.partnership_id, report.duplicate_of_id]
    )


@moderator_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_detail(request, pk):
    """One report, and while it is open the form that resolves it."""
    report = get_object_or_404(_reports(), pk=pk)
    form = ResolveReportForm(request.POST if request.method == "POST" else None)
    if form.is_bound and report.state == ReportState.OPEN and form.is_valid():
        try:
            reports.resolve_report(
                report,
                curator=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValueError:
            messages.error(
                request, gettext("This report was resolved already, by another curator.")
            )
            return redirect("curation:report", pk=report.pk)
        if report.email:
            text = gettext(
                "The report about “%(name)s” is resolved. The reporter has been emailed."
            )
        else:
            text = gettext("The report about “%(name)s” is resolved.")
        messages.success(request, text % {"name": report.entry.display_name})
        return redirect("curation:reports")
    if form.is_bound and report.state != ReportState.OPEN:
        messages.error(request, gettext("This report was resolved already, by another curator."))
        return redirect("curation:report", pk=report.pk)
    return render(
        request,
        "curation/report.html",
        {
            "report": report,
            "form": form,
            "merge_url": _merge_url(report),
            "trail": [(gettext("Reports"), reverse("curation:reports"))],
        },
        status=400 if form.is_bound else 200,
    )
