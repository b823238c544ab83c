"""The public "Ask to manage it" page of a partnership that has no editors: a signed-in person
says how they are involved, and the curators decide (`partnerships.claims`, `curation.claims`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from partnerships import claims
from partnerships.models import Partnership

from .forms import ClaimForm


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_partnership(request, slug):
    partnership = get_object_or_404(Partnership.objects.published(), slug=slug)
    if not claims.is_claimable(partnership):
        messages.info(
            request,
            gettext(
                "This partnership already has editors, so it cannot be claimed. You can write "
                "to it through the contact form below."
            ),
        )
        return redirect(partnership.get_absolute_url())
    pending = claims.pending_claim(partnership, request.user)
    form = ClaimForm(request.POST if request.method == "POST" and not pending else None)
    if form.is_bound and form.is_valid():
        try:
            claims.request_claim(partnership, user=request.user, reason=form.cleaned_data["reason"])
        except claims.ClaimRefused as refusal:
            messages.info(request, str(refusal))
        else:
            messages.success(
                request,
                gettext(
                    "Thank you: your request has gone to the directory's curators. We will "
                    "email you at %(email)s when they have decided."
                )
                % {"email": request.user.email},
            )
        return redirect(partnership.get_absolute_url())
    return render(
        request,
        "directory/claim_partnership.html",
        {
            "partnership": partnership,
            "form": form,
            "pending": pending,
            "trail": [(partnership.display_name, partnership.get_absolute_url())],
        },
        status=400 if form.is_bound else 200,
    )
