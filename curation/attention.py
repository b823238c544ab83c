"""Keeping the directory current, for curators: the "Needs attention" list of published entries
nobody has confirmed for `freshness.ATTENTION_AFTER` months, where a curator confirms an entry
themselves or archives it, and the freshness dashboard, which counts how current the directory
is (by region), the reminders sent and answered, and the open reports and claims, each count
linking to the list behind it.

Moderators only, like every curators' screen (`curation.permissions`)."""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from curation.permissions import moderator_required
from partnerships import freshness, services
from partnerships.models import (
    ClaimRequest,
    ClaimState,
    Partnership,
    ProblemReport,
    Region,
    Reminder,
    ReminderKind,
    ReportState,
)

ATTENTION_PAGE_SIZE = 25
# The "No region" row's value for the attention list's `region` parameter.
NO_REGION = "none"
REASON_MAX_LENGTH = 2000


class ArchiveForm(forms.Form):
    reason = forms.CharField(
        label=_("Why archive it (optional)"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Kept in the entry's history. Left empty, the history says nobody confirmed it."
        ),
    )


def needing_attention(*, now=None):
    """Published entries not confirmed (or, never confirmed, listed) for ATTENTION_AFTER months,
    the longest-forgotten first."""
    return freshness.not_confirmed_within(
        Partnership.objects.published(), freshness.ATTENTION_AFTER, now=now
    ).order_by("confirmed_at", "pk")


# The attention list's `within` parameter: the dashboard's other columns, as lists.
WITHIN_ALL = "all"


def _band(within):
    """(entries, heading, lede) of the list `within` asks for: published entries confirmed in
    the last N months (N one of the dashboard's WINDOWS), all of them, or by default those
    needing attention."""
    published = Partnership.objects.published()
    if within == WITHIN_ALL:
        return (
            freshness.confirmed_since(published).order_by("confirmed_at", "pk"),
            gettext("Every published entry"),
            gettext("Every published entry, the longest-unconfirmed first."),
        )
    if within in {str(months) for months in WINDOWS}:
        months = int(within)
        return (
            freshness.confirmed_within(published, months).order_by("confirmed_at", "pk"),
            ngettext(
                "Confirmed in the last %(months)s month",
                "Confirmed in the last %(months)s months",
                months,
            )
            % {"months": months},
            ngettext(
                "Published entries confirmed (or, never confirmed, listed) in the last "
                "%(months)s month, the longest-unconfirmed first.",
                "Published entries confirmed (or, never confirmed, listed) in the last "
                "%(months)s months, the longest-unconfirmed first.",
                months,
            )
            % {"months": months},
        )
    return needing_attention(), gettext("Needs attention"), None


@moderator_required
@require_safe
def attention_list(request):
    within = request.GET.get("within", "")
    entries, heading, lede = _band(within)
    entries = entries.select_related("region")
    region = request.GET.get("region", "")
    region_name = None
    if region == NO_REGION:
        entries, region_name = entries.filter(region__isnull=True), gettext("No region")
    elif region:
        chosen = get_object_or_404(Region, slug=region)
        entries, region_name = entries.filter(region=chosen), chosen.display_name
    page = Paginator(entries, ATTENTION_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "curation/attention.html",
        {
            "page": page,
            "heading": heading,
            "band_lede": lede,
            "within": within if lede else "",
            "region_name": region_name,
            "archive_form": ArchiveForm(),
            "months": freshness.ATTENTION_AFTER,
            "back": request.get_full_path(),
        },
    )


def _back(request):
    """Where an action returns to: the list (and page) it was taken from."""
    back = request.POST.get("back", "")
    attention = reverse("curation:attention")
    return back if back.startswith(attention) else attention


@moderator_required
@require_POST
def confirm(request, pk):
    """The curator says the entry is still right: "last confirmed" becomes today, recorded as
    theirs."""
    partnership = get_object_or_404(Partnership.objects.published(), pk=pk)
    freshness.confirm(partnership, user=request.user)
    messages.success(
        request,
        gettext("“%(name)s” is confirmed as still right, by you, today.")
        % {"name": partnership.display_name},
    )
    return redirect(_back(request))


@moderator_required
@require_POST
def archive(request, pk):
    """The entry leaves the public directory (it can be restored from its history)."""
    partnership = get_object_or_404(Partnership.objects.published(), pk=pk)
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            gettext("“%(name)s” was not archived: the reason is too long.")
            % {"name": partnership.display_name},
        )
        return redirect(_back(request))
    since = freshness.confirmed_at(partnership)
    reason = form.cleaned_data["reason"] or (
        gettext("Archived from the Needs attention list: not confirmed since %(since)s.")
        % {"since": date_format(since, "F Y")}
    )
    services.archive_partnerships(
        Partnership.objects.filter(pk=partnership.pk), user=request.user, reason=reason
    )
    messages.success(
        request,
        gettext(
            "“%(name)s” is archived and no longer public. Restore it from its history if that "
            "was a mistake."
        )
        % {"name": partnership.display_name},
    )
    return redirect(_back(request))


# The dashboard --------------------------------------------------------------------------------

# The freshness columns: "confirmed in the last N months", then "older".
WINDOWS = (6, 12, freshness.ATTENTION_AFTER)
RECENT_DAYS = 30


def _admin_list(model_name, **filters):
    """The admin's list of `model_name` rows filtered by `filters`, or None while that model is
    not in the admin (the dashboard then shows the count without a link)."""
    try:
        url = reverse(f"admin:partnerships_{model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(filters)}" if filters else url


def _attention_list(region, within=""):
    url = reverse("curation:attention")
    query = urlencode(
        {name: value for name, value in (("within", within), ("region", region)) if value}
    )
    return f"{url}?{query}" if query else url


def _freshness_rows(now):
    """A row per region, then "No region", then the total: published entries confirmed in the
    last 6, 12 and 18 months, those older, and all of them. Two queries."""
    cutoffs = {months: freshness.months_before(now, months) for months in WINDOWS}
    figures = {
        f"within_{months}": Count("pk", filter=Q(confirmed_at__gte=cutoff))
        for months, cutoff in cutoffs.items()
    }
    counted = (
        freshness.confirmed_since(Partnership.objects.published())
        .order_by()
        .values("region_id")
        .annotate(**figures, published=Count("pk"))
    )
    by_region = {row.pop("region_id"): row for row in counted}
    empty = {name: 0 for name in [*figures, "published"]}
    rows = []
    # In the alphabetical order of the names the reader sees (the Welsh ones on Welsh pages).
    regions = sorted(Region.objects.all(), key=lambda region: region.display_name.casefold())
    for region in [*regions, None]:
        counts = by_region.get(region.pk if region else None, empty)
        label = region.display_name if region else gettext("No region")
        rows.append(_freshness_row(label, region, counts))
    total = {name: sum(row["counts"][name] for row in rows) for name in empty}
    rows.append(_freshness_row(gettext("All regions"), "all", total))
    return rows


def _freshness_row(label, region, counts):
    """One row of the freshness table, with the list behind each count: the curators' list of
    entries confirmed in that window (`within`), needing attention, or all, in that region."""
    counts = {**counts, "older": counts["published"] - counts[f"within_{WINDOWS[-1]}"]}
    chosen = NO_REGION if region is None else None if region == "all" else region.slug
    links = {
        **{f"within_{months}": _attention_list(chosen, str(months)) for months in WINDOWS},
        "older": _attention_list(chosen),
        "published": _attention_list(chosen, WITHIN_ALL),
    }
    cells = [(counts[f"within_{months}"], links.get(f"within_{months}")) for months in WINDOWS] + [
        (counts["older"], links["older"]),
        (counts["published"], links["published"]),
    ]
    return {"label": label, "counts": counts, "cells": cells}


def _reminder_rows(now):
    """A row per kind of reminder: sent and answered in the last RECENT_DAYS days and in all,
    with links to the admin's list of them. One query."""
    since = now - timedelta(days=RECENT_DAYS)
    figures = {}
    for kind in ReminderKind:
        of_kind = Q(kind=kind.value)
        recent = of_kind & Q(sent_at__gte=since)
        answered = Q(answered_at__isnull=False)
        figures[f"{kind.value}:recent_sent"] = Count("pk", filter=recent)
        figures[f"{kind.value}:recent_answered"] = Count("pk", filter=recent & answered)
        figures[f"{kind.value}:sent"] = Count("pk", filter=of_kind)
        figures[f"{kind.value}:answered"] = Count("pk", filter=of_kind & answered)
    counted = Reminder.objects.aggregate(**figures)
    day = since.date().isoformat()
    rows = []
    for kind in ReminderKind:
        of_kind = {"kind__exact": kind.value}
        recent = {**of_kind, "sent_at__gte": day}
        answered = {"answered_at__isnull": "False"}
        rows.append(
            {
                "label": kind.label,
                "cells": [
                    (counted[f"{kind.value}:recent_sent"], _admin_list("reminder", **recent)),
                    (
                        counted[f"{kind.value}:recent_answered"],
                        _admin_list("reminder", **recent, **answered),
                    ),
                    (counted[f"{kind.value}:sent"], _admin_list("reminder", **of_kind)),
                    (
                        counted[f"{kind.value}:answered"],
                        _admin_list("reminder", **of_kind, **answered),
                    ),
                ],
            }
        )
    return rows


@moderator_required
@require_safe
def dashboard(request):
    """How current the directory is. A constant number of queries, whatever its size."""
    now = timezone.now()
    open_reports = ProblemReport.objects.filter(state=ReportState.OPEN).count()
    pending_claims = ClaimRequest.objects.filter(state=ClaimState.PENDING).count()
    return render(
        request,
        "curation/freshness.html",
        {
            "windows": WINDOWS,
            "stale_after": freshness.STALE_AFTER,
            "attention_after": freshness.ATTENTION_AFTER,
            "freshness_rows": _freshness_rows(now),
            "reminder_rows": _reminder_rows(now),
            "recent_days": RECENT_DAYS,
            "open_reports": (
                open_reports,
                reverse("curation:reports") + "?state=open",
            ),
            "pending_claims": (
                pending_claims,
                reverse("curation:claims"),
            ),
        },
    )
