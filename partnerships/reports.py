"""Visitors' reports that a public entry is wrong (`ProblemReport`): filing one, which tells the
entry's editors by email, and a curator resolving it, which tells the reporter when they left an
address.

The editors' email never carries the reporter's address: the form tells reporters that only the
curators see it, and the curators reply through the resolution."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from partnerships import emails
from partnerships.models import (
    Organisation,
    Partnership,
    ProblemReport,
    PublicationState,
    ReportState,
)

# What a curator may decide about a report; everything but "open".
OUTCOMES = [state for state in ReportState if state != ReportState.OPEN]


def editor_addresses(entry):
    """Who hears of a report about `entry`: a partnership's active editors; for an organisation,
    the active editors of the published partnerships it is a member of (often nobody, when
    those were imported)."""
    if isinstance(entry, Partnership):
        editors = entry.editors.filter(is_active=True)
    else:
        editors = get_user_model().objects.filter(
            is_active=True,
            edited_partnerships__memberships__organisation=entry,
            edited_partnerships__publication_state=PublicationState.PUBLISHED,
        )
    return sorted({email for email in editors.values_list("email", flat=True) if email})


@transaction.atomic
def file_report(*, entry, reason, explanation, duplicate_of=None, email=""):
    """Record a visitor's report about `entry` (a partnership or an organisation) for the
    curators' queue, and email the entry's editors once it is saved. Returns the report."""
    report = ProblemReport.objects.create(
        partnership=entry if isinstance(entry, Partnership) else None,
        organisation=entry if isinstance(entry, Organisation) else None,
        reason=reason,
        explanation=explanation,
        duplicate_of=duplicate_of,
        email=email or "",
    )
    recipients = editor_addresses(entry)
    transaction.on_commit(
        lambda: emails.send(
            "problem_reported",
            {
                "report": report,
                "entry": entry,
                "is_partnership": isinstance(entry, Partnership),
            },
            recipients,
        )
    )
    return report


@transaction.atomic
def resolve_report(report, *, curator, outcome, note=""):
    """Close an open report with `outcome` (fixed, not a problem, merged) and the curator's
    `note`, and tell the reporter if they left an address. Raises ValueError if the report is
    resolved already (another curator got there first) or the outcome is not one of OUTCOMES."""
    if outcome not in OUTCOMES:
        raise ValueError(f"{outcome!r} is not a way to resolve a report.")
    report = ProblemReport.objects.select_for_update().get(pk=report.pk)
    if report.state != ReportState.OPEN:
        raise ValueError(gettext("This report is resolved already."))
    report.state = outcome
    report.resolved_by = curator
    report.resolved_at = timezone.now()
    report.note = note or ""
    report.save(update_fields=["state", "resolved_by", "resolved_at", "note"])
    if report.email:
        context = {"report": report, "entry": report.entry}
        transaction.on_commit(lambda: emails.send("report_resolved", context, [report.email]))
    return report
