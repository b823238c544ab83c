"""The public "Find partners near you" page and a partnership's "Ask to join" form. The
request itself is recorded and passed on by `partnerships.join_requests`; the form has the contact
form's defences (honeypot, fill time, and a limit per client address and per sender address)."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_safe

from partnerships import join_requests, services
from partnerships.models import Partnership

from . import caching, nearby, throttle
from .forms import FIND_DEFAULT_RADIUS, FindPartnersForm, JoinRequestForm

# Requests accepted per client address, and per sender address, in JOIN_PERIOD seconds.
JOIN_LIMIT = 5
JOIN_PERIOD = 60 * 60


@require_safe
def find_partners(request):
    """Public organisations within a radius of a town, nearest first, optionally of one sector,
    each with the published partnerships it is in. The count behind the pages is cached per
    published-data version, like the directory's."""
    data = None
    if request.GET:
        # A search without a radius is one of the default radius, and the form says so.
        data = request.GET.copy()
        if not data.get("radius"):
            data["radius"] = str(FIND_DEFAULT_RADIUS)
    form = FindPartnersForm(data)
    context = {"form": form, "page": None}
    if form.is_bound and form.is_valid():
        place = form.place
        sector = form.cleaned_data["sector"]
        radius = form.cleaned_data["radius"]
        organisations = nearby.public_organisations_near(
            place.latitude, place.longitude, radius, sector=sector
        )
        count = caching.cached(
            "find-partners-count",
            services.published_data_version(),
            [place.latitude, place.longitude, sector, radius],
            organisations.count,
            per_language=False,  # a number: the same on English and Welsh pages
        )
        paginator = Paginator(organisations, settings.DIRECTORY_PAGE_SIZE)
        paginator.__dict__["count"] = count  # fills Paginator.count: no second COUNT(*)
        page = paginator.get_page(request.GET.get("page"))
        nearby.with_partnerships(page.object_list)
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            page=page,
            place=place,
            sector_label=dict(form.fields["sector"].choices).get(sector) if sector else "",
            radius=radius,
            query=query.urlencode(),
        )
    # Like the directory's own search, a search to correct is a page with the errors (200).
    return render(request, "directory/find_partners.html", context)


def _join_page(request, partnership, form, *, status=200):
    return render(
        request,
        "directory/join_partnership.html",
        {
            "partnership": partnership,
            "form": form,
            "trail": [(partnership.display_name, partnership.get_absolute_url())],
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def join(request, slug):
    """ "Ask to join": anyone, signed in or not, asks for their organisation to join a
    published partnership. Like the contact form, the per-client limit counts by REMOTE_ADDR
    (see `directory.views.contact` on proxies)."""
    partnership = get_object_or_404(Partnership.objects.published(), slug=slug)
    if request.method != "POST":
        return _join_page(
            request, partnership, JoinRequestForm(partnership=partnership, user=request.user)
        )
    form = JoinRequestForm(request.POST, partnership=partnership, user=request.user)
    if not form.is_valid():
        form.prepare_retry()
        return _join_page(request, partnership, form, status=400)
    data = form.cleaned_data
    if not throttle.allow_public_form(request, "join", data["email"], JOIN_LIMIT, JOIN_PERIOD):
        form.add_error(
            None,
            ngettext(
                "Your request was not sent: we accept at most %(limit)d request an hour from "
                "one address. Please try again later.",
                "Your request was not sent: we accept at most %(limit)d requests an hour from "
                "one address. Please try again later.",
                JOIN_LIMIT,
            )
            % {"limit": JOIN_LIMIT},
        )
        form.prepare_retry()
        return _join_page(request, partnership, form, status=429)
    try:
        join_request = join_requests.request_to_join(
            partnership,
            organisation_name=data["organisation_name"],
            sector=data["sector"],
            town=data["town"],
            name=data["name"],
            email=data["email"],
            message=data["message"],
            user=request.user,
        )
    except join_requests.JoinRefused as refusal:
        form.add_error(None, str(refusal))
        form.prepare_retry()
        return _join_page(request, partnership, form, status=400)
    if join_requests.editor_addresses(partnership):
        thanks = gettext(
            "Thank you: your request for %(organisation)s to join has gone to the "
            "partnership's editors. They will reply to you at %(email)s. If they accept, "
            "%(organisation)s is listed as a member here once the directory's curators have "
            "reviewed the change."
        )
    else:
        thanks = gettext(
            "Thank you: your request for %(organisation)s to join has gone to the directory's "
            "curators, as nobody edits this partnership yet. They will reply to you at "
            "%(email)s. If they accept, %(organisation)s is listed as a member here once the "
            "directory's curators have reviewed the change."
        )
    messages.success(
        request,
        thanks % {"organisation": join_request.organisation_name, "email": join_request.email},
    )
    return redirect(partnership.get_absolute_url())
