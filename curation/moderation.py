"""The moderators' screens: the queue of what waits for review, a review page per partnership, and
the three decisions (approve, request changes, reject), which go through `partnerships.services`.

Only moderators (active staff with the `partnerships.moderate_partnership` permission, or
superusers) may see any of this; everyone else gets a 404, so the screens do not admit to
existing."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from curation.permissions import moderator_required
from partnerships import services
from partnerships.models import (
    Agreement,
    Contact,
    Decision,
    Membership,
    ModerationEvent,
    Partnership,
    PublicationState,
)
from partnerships.snapshots import FIELDS, diff, snapshot_of

QUEUE_PAGE_SIZE = 25
MESSAGE_MAX_LENGTH = 5000


def document_url(name, *args):
    """The URL of a view serving an agreement's document, or None while no such view exists.
    The editing screens own those views; the review page links to them only when they are
    there."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


class DecisionForm(forms.Form):
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=MESSAGE_MAX_LENGTH
    )


class ApproveForm(DecisionForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="approve", **kwargs)
        field = self.fields["message"]
        field.required = False
        field.label = _("Note to the editors (optional)")


class RequestChangesForm(DecisionForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="changes", **kwargs)
        field = self.fields["message"]
        field.label = _("What should the editors change?")
        field.help_text = _("Sent to the editors by email. Required.")
        field.error_messages["required"] = _("Say what the editors should change.")


class RejectForm(DecisionForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="reject", **kwargs)
        field = self.fields["message"]
        field.label = _("Reason for rejecting")
        field.help_text = _("Sent to the editors by email. Required.")
        field.error_messages["required"] = _("Give the reason for rejecting.")


@moderator_required
@require_safe
def queue(request):
    """Everything waiting for a decision, the longest-waiting first."""
    waiting = services.awaiting_review().prefetch_related(
        Prefetch(
            "moderation_events",
            queryset=ModerationEvent.objects.filter(decision=Decision.SUBMITTED)
            .select_related("actor")
            .order_by("-created_at", "-pk"),
            to_attr="submissions",
        )
    )
    page = Paginator(waiting, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    for partnership in page:
        partnership.is_edit = partnership.publication_state == PublicationState.PUBLISHED
        partnership.submission = partnership.submissions[0] if partnership.submissions else None
    return render(request, "curation/queue.html", {"page": page})


@moderator_required
@require_safe
def review(request, pk):
    return _review_page(request, pk)


def _review_page(request, pk, *, bound_form=None, status=200):
    """The review page: what is proposed, the history of decisions and, while a decision is
    due, the three decision forms (one of them bound to what the moderator sent, if invalid)."""
    partnership = get_object_or_404(
        Partnership.objects.select_related("region").prefetch_related(
            "activities",
            "channels",
            Prefetch("memberships", queryset=Membership.objects.select_related("organisation")),
            Prefetch("contacts", queryset=Contact.objects.select_related("organisation")),
            Prefetch("agreements", queryset=Agreement.objects.prefetch_related("parties")),
            Prefetch(
                "moderation_events",
                queryset=ModerationEvent.objects.select_related("actor").order_by(
                    "-created_at", "-pk"
                ),
            ),
        ),
        pk=pk,
    )
    revision = partnership.revisions.pending().select_related("author").first()
    pending = revision is not None or partnership.publication_state == PublicationState.PENDING
    context = {
        "partnership": partnership,
        "revision": revision,
        "pending": pending,
        "events": partnership.moderation_events.all(),
        "trail": [(gettext("Moderation queue"), reverse("curation:queue"))],
    }
    if revision is not None:
        context["changes"] = diff(snapshot_of(partnership), revision.data)
        context["proposed_documents"] = [
            {
                "title": agreement.get("title") or gettext("Untitled agreement"),
                "url": document_url("editor:revision_document", partnership.pk, position),
            }
            for position, agreement in enumerate(revision.data.get("agreements") or [])
            if agreement.get("document")
        ]
    else:
        context["fields"] = _field_rows(partnership)
        context["agreements"] = [
            (agreement, document_url("editor:agreement_document", agreement.pk))
            for agreement in partnership.agreements.all()
        ]
    if pending:
        forms_by_prefix = {
            "approve": ApproveForm(),
            "changes": RequestChangesForm(),
            "reject": RejectForm(),
        }
        if bound_form is not None:
            forms_by_prefix[bound_form.prefix] = bound_form
        context.update(
            approve_form=forms_by_prefix["approve"],
            changes_form=forms_by_prefix["changes"],
            reject_form=forms_by_prefix["reject"],
        )
    return render(request, "curation/review.html", context, status=status)


def _field_rows(partnership):
    """The partnership's own fields as (label, display text) rows, with the diff's labels."""
    rows = []
    for name, label in FIELDS.items():
        if name == "region":
            value = str(partnership.region) if partnership.region else ""
        elif hasattr(partnership, f"get_{name}_display"):
            value = getattr(partnership, f"get_{name}_display")()
        else:
            value = getattr(partnership, name)
        rows.append((label, "" if value is None else str(value)))
    return rows


def _decision_view(form_class, decide, done):
    """A POST-only view that validates `form_class`, then calls `decide(partnership, user, text)`
    with the partnership locked, so two moderators cannot decide the same entry at once."""

    @moderator_required
    @require_POST
    def view(request, pk):
        form = form_class(request.POST)
        if not form.is_valid():
            return _review_page(request, pk, bound_form=form, status=400)
        with transaction.atomic():
            partnership = get_object_or_404(Partnership.objects.select_for_update(), pk=pk)
            try:
                decide(partnership, request.user, form.cleaned_data["message"])
            except ValueError:
                messages.error(
                    request,
                    gettext(
                        "“%(name)s” is not waiting for review any more; another moderator may "
                        "have decided it already."
                    )
                    % {"name": partnership.display_name},
                )
                return redirect("curation:review", pk=pk)
        messages.success(request, done % {"name": partnership.display_name})
        return redirect("curation:queue")

    return view


approve = _decision_view(
    ApproveForm,
    lambda partnership, user, text: services.approve(partnership, moderator=user, message=text),
    _("“%(name)s” is approved and published. Its editors have been emailed."),
)
request_changes = _decision_view(
    RequestChangesForm,
    lambda partnership, user, text: services.request_changes(
        partnership, moderator=user, message=text
    ),
    _("“%(name)s” has gone back to its editors with your request for changes."),
)
reject = _decision_view(
    RejectForm,
    lambda partnership, user, text: services.reject(partnership, moderator=user, reason=text),
    _("“%(name)s” is rejected. Its editors have been emailed the reason."),
)
