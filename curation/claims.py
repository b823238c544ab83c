"""The curators' queue of requests to manage a partnership that has no editors: pending ones
first, with a page per request to approve it (the person becomes an editor, recorded in the
history) or refuse it; the person is emailed either way (`partnerships.claims`).

Only moderators see any of this; everyone else gets a 404 (`moderator_required`)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from curation.permissions import moderator_required
from partnerships import claims
from partnerships.models import ClaimRequest, ClaimState

PAGE_SIZE = 25
NOTE_MAX_LENGTH = 2000


class ApproveClaimForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the person (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="approve", **kwargs)


class RefuseClaimForm(forms.Form):
    note = forms.CharField(
        label=_("Reason for refusing"),
        max_length=NOTE_MAX_LENGTH,
        help_text=_("Emailed to the person. Required."),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason for refusing.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="refuse", **kwargs)


def _claims():
    return ClaimRequest.objects.select_related("partnership", "user", "decided_by")


@moderator_required
@require_safe
def claim_list(request):
    """Every request, the pending ones first, the newest first within each."""
    found = _claims().annotate(
        is_pending=Case(
            When(state=ClaimState.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )
    page = Paginator(found.order_by("is_pending", "-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "curation/claims.html",
        {
            "page": page,
            "pending_count": ClaimRequest.objects.filter(state=ClaimState.PENDING).count(),
        },
    )


@moderator_required
@require_safe
def claim_detail(request, pk):
    return _claim_page(request, pk)


def _claim_page(request, pk, *, bound_form=None, status=200):
    claim = get_object_or_404(_claims(), pk=pk)
    context = {
        "claim": claim,
        "editors": claim.partnership.editors.order_by("email"),
        "trail": [(gettext("Requests to manage"), reverse("curation:claims"))],
    }
    if claim.state == ClaimState.PENDING:
        forms_by_prefix = {"approve": ApproveClaimForm(), "refuse": RefuseClaimForm()}
        if bound_form is not None:
            forms_by_prefix[bound_form.prefix] = bound_form
        context.update(
            approve_form=forms_by_prefix["approve"], refuse_form=forms_by_prefix["refuse"]
        )
    return render(request, "curation/claim.html", context, status=status)


def _decision_view(form_class, decide, done):
    @moderator_required
    @require_POST
    def view(request, pk):
        claim = get_object_or_404(ClaimRequest.objects.select_related("partnership"), pk=pk)
        form = form_class(request.POST)
        if not form.is_valid():
            return _claim_page(request, pk, bound_form=form, status=400)
        try:
            decide(claim, curator=request.user, note=form.cleaned_data["note"])
        except ValueError:
            messages.error(
                request, gettext("This request was decided already, by another curator.")
            )
            return redirect("curation:claim", pk=pk)
        messages.success(request, done % {"name": claim.partnership.display_name})
        return redirect("curation:claims")

    return view


approve = _decision_view(
    ApproveClaimForm,
    claims.approve_claim,
    _("Approved: the person is now an editor of “%(name)s” and has been emailed."),
)
refuse = _decision_view(
    RefuseClaimForm,
    claims.refuse_claim,
    _("Refused: the person has been emailed your reason."),
)
