"""The public "Suggest an update or report a problem" pages of partnerships and organisations:
a form on a page of its own, with the contact form's defences (honeypot, fill time, and a limit
per client address and per reporter address). A report goes to the curators' queue and by
email to the entry's editors (`partnerships.reports`)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from partnerships import reports
from partnerships.models import Organisation, Partnership

from . import throttle
from .forms import ProblemReportForm

# Reports accepted per client address, and per reporter address, in REPORT_PERIOD seconds.
REPORT_LIMIT = 5
REPORT_PERIOD = 60 * 60


@require_http_methods(["GET", "HEAD", "POST"])
def report_partnership(request, slug):
    partnership = get_object_or_404(Partnership.objects.published(), slug=slug)
    return _report(request, partnership)


@require_http_methods(["GET", "HEAD", "POST"])
def report_organisation(request, slug):
    organisation = get_object_or_404(Organisation.objects.public(), slug=slug)
    return _report(request, organisation)


def _page(request, entry, form, *, status=200):
    return render(
        request,
        "directory/report_problem.html",
        {
            "entry": entry,
            "form": form,
            "is_partnership": isinstance(entry, Partnership),
            "trail": [(entry.display_name, entry.get_absolute_url())],
        },
        status=status,
    )


def _report(request, entry):
    """GET shows the form; POST with "Find" shows it again as typed, with the partnerships that
    match "Find the other entry" to choose from; any other POST files the report.

    Like the contact form, the per-client limit counts by REMOTE_ADDR (see `directory.views.
    contact` on proxies)."""
    if request.method != "POST":
        return _page(request, entry, ProblemReportForm(entry=entry))
    if "find" in request.POST:
        # Only a search: nothing is checked or sent, and the fill-time token keeps running.
        return _page(request, entry, ProblemReportForm(request.POST, entry=entry, searching=True))
    form = ProblemReportForm(request.POST, entry=entry)
    if not form.is_valid():
        form.prepare_retry()
        return _page(request, entry, form, status=400)
    data = form.cleaned_data
    if not throttle.allow_public_form(
        request, "report", data["email"], REPORT_LIMIT, REPORT_PERIOD
    ):
        form.add_error(
            None,
            ngettext(
                "Your report was not sent: we accept at most %(limit)d report an hour from "
                "one address. Please try again later.",
                "Your report was not sent: we accept at most %(limit)d reports an hour from "
                "one address. Please try again later.",
                REPORT_LIMIT,
            )
            % {"limit": REPORT_LIMIT},
        )
        form.prepare_retry()
        return _page(request, entry, form, status=429)
    reports.file_report(
        entry=entry,
        reason=data["reason"],
        explanation=data["explanation"],
        duplicate_of=data.get("duplicate_of"),
        email=data["email"],
    )
    if data["email"]:
        thanks = gettext(
            "Thank you: your report has gone to the directory's curators. We will tell you at "
            "%(email)s what we did."
        ) % {"email": data["email"]}
    else:
        thanks = gettext("Thank you: your report has gone to the directory's curators.")
    messages.success(request, thanks)
    return redirect(entry.get_absolute_url())
