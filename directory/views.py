"""Public pages. Every query here starts from `Partnership.objects.published()`, so nothing
unreviewed can reach the public."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from partnerships.models import (
    Activity,
    Agreement,
    Contact,
    Organisation,
    Partnership,
    Place,
    Region,
)


def _listing(partnerships):
    """The shape every public list of partnerships shares: region and member count, by name."""
    return partnerships.published().select_related("region").with_member_count().order_by("name")


def _paginate(request, queryset):
    return Paginator(queryset, settings.DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))


def home(request):
    page = _paginate(request, _listing(Partnership.objects.all()))
    return render(request, "directory/home.html", {"page": page})


def partnership_detail(request, slug):
    partnership = get_object_or_404(
        Partnership.objects.published()
        .with_members()
        .prefetch_related(
            "activities",
            "channels",
            Prefetch("contacts", queryset=Contact.objects.public(), to_attr="public_contacts"),
            Prefetch(
                "agreements",
                queryset=Agreement.objects.public().prefetch_related("parties"),
                to_attr="public_agreements",
            ),
        ),
        slug=slug,
    )
    region = partnership.region
    trail = [(region.name, region.get_absolute_url())] if region else []
    return render(
        request, "directory/partnership_detail.html", {"partnership": partnership, "trail": trail}
    )


def organisation_detail(request, slug):
    organisation = get_object_or_404(
        Organisation.objects.public().select_related("region"), slug=slug
    )
    page = _paginate(request, _listing(organisation.partnerships.all()))
    return render(
        request, "directory/organisation_detail.html", {"organisation": organisation, "page": page}
    )


def region_detail(request, slug):
    region = get_object_or_404(Region, slug=slug)
    page = _paginate(request, _listing(region.partnership_set.all()))
    return render(request, "directory/region_detail.html", {"region": region, "page": page})


def activity_detail(request, slug):
    activity = get_object_or_404(Activity, slug=slug)
    page = _paginate(request, _listing(activity.partnerships.all()))
    return render(request, "directory/activity_detail.html", {"activity": activity, "page": page})


# The gazetteer changes only when `load_places` runs, so browsers and proxies may keep answers.
@require_safe
@cache_control(max_age=86400, public=True)
def places(request):
    """Town names for the search box's autocomplete, as JSON."""
    found = Place.objects.search(request.GET.get("q", ""))
    return JsonResponse({"places": [place.to_dict() for place in found]})
