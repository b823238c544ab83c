"""The two account pages django-allauth does not provide: an overview of the signed-in account and
deleting it. Everything else (sign-up, sign-in, verification, password and email changes) is
allauth's, rendered with this site's templates."""

from allauth.account.forms import ReauthenticateForm
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_safe


@login_required
@require_safe
def overview(request):
    return render(
        request,
        "account/overview.html",
        {
            "email_addresses": EmailAddress.objects.filter(user=request.user).order_by(
                "-primary", "email"
            )
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    """Delete the signed-in user once they confirm with their password.

    Partnerships are not the user's to take with them: deleting the user only removes them from
    each partnership's editors, so co-editors keep editing and curators keep managing the ones
    left without an editor. Staff accounts are refused here: deleting one would also delete its
    admin history, so another admin removes it in the admin instead.
    """
    user = request.user
    if user.is_staff:
        return render(request, "account/delete.html", {"refused": True})
    # allauth's reauthentication form checks the password through the same throttled path as
    # signing in, so this page cannot be used to guess passwords either.
    form = ReauthenticateForm(user=user, data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        logout(request)
        user.delete()
        messages.success(request, gettext("Your account has been deleted."))
        return redirect("directory:home")
    return render(request, "account/delete.html", {"form": form})
