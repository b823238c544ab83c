"""The toolkit: guidance for starting and running a partnership, the library of example
agreements that partnerships share, and starter templates to download."""

from django.core.paginator import Paginator
from django.db.models import F, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from partnerships.models import Agreement, Organisation
from toolkit.documents import FORMATS, download_filename, starter_template_file
from toolkit.filters import SharedAgreementFilter
from toolkit.formatting import render_body
from toolkit.models import GuidancePage
from toolkit.starter_templates import STARTER_TEMPLATES

LIBRARY_PAGE_SIZE = 20
# Starter templates change only with a deployment.
TEMPLATE_MAX_AGE = 60 * 60


def _starter_templates():
    return [
        {
            "template": template,
            "downloads": [
                {"extension": extension, "filename": download_filename(template.name, extension)}
                for extension in FORMATS
            ],
        }
        for template in STARTER_TEMPLATES.values()
    ]


@require_safe
def index(request):
    pages = GuidancePage.objects.filter(is_published=True).only("title", "slug", "summary")
    return render(
        request,
        "toolkit/index.html",
        {
            "pages": pages,
            "starter_templates": _starter_templates(),
            "in_english_only": _in_english_only(),
        },
    )


def _toolkit_trail():
    return [(gettext("Toolkit"), reverse("toolkit:index"))]


def _in_english_only():
    """Whether the page is in another language than the guidance, which is written in English
    only: its text is then marked as English and said to be."""
    return not (translation.get_language() or "").startswith("en")


def _may_preview(user):
    """Curators who edit the guidance may read a page before it is published."""
    return user.has_perm("toolkit.change_guidancepage")


@require_safe
def page(request, slug):
    """One guidance page, with links to the pages before and after it in the toolkit's order.
    An unpublished page is a 404, except to the curators who edit it."""
    guidance = get_object_or_404(GuidancePage, slug=slug)
    if not guidance.is_published and not _may_preview(request.user):
        raise Http404
    in_order = list(GuidancePage.objects.filter(is_published=True).only("title", "slug"))
    slugs = [other.slug for other in in_order]
    previous_page = next_page = None
    if guidance.slug in slugs:
        position = slugs.index(guidance.slug)
        previous_page = in_order[position - 1] if position > 0 else None
        next_page = in_order[position + 1] if position + 1 < len(in_order) else None
    response = render(
        request,
        "toolkit/page.html",
        {
            "guidance": guidance,
            "body": render_body(guidance.body),
            "previous_page": previous_page,
            "next_page": next_page,
            "toolkit_trail": _toolkit_trail(),
            "in_english_only": _in_english_only(),
        },
    )
    if not guidance.is_published:
        response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def agreements(request):
    """The library of example agreements: public agreements that published partnerships share
    with other networks, newest first, filterable by type. Three queries whatever the size:
    the count, the page with its partnerships, and the parties."""
    shared = Agreement.objects.shared_examples()
    library = SharedAgreementFilter(request.GET or None, queryset=shared)
    context = {"filter": library, "page": None, "toolkit_trail": _toolkit_trail()}
    if library.is_bound and not library.is_valid():
        return render(request, "toolkit/agreements.html", context, status=400)
    found = (
        library.qs.select_related("partnership")
        .prefetch_related(
            Prefetch(
                "parties", queryset=Organisation.objects.only("name", "name_cy").order_by("name")
            )
        )
        .order_by(F("signed_on").desc(nulls_last=True), "-created_at", "-pk")
    )
    context["page"] = Paginator(found, LIBRARY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "toolkit/agreements.html", context)


@require_safe
def starter_template(request, name, extension):
    """A starter template as a Word or OpenDocument file, built from the one source."""
    if name not in STARTER_TEMPLATES or extension not in FORMATS:
        raise Http404
    response = HttpResponse(starter_template_file(name, extension), content_type=FORMATS[extension])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=download_filename(name, extension)
    )
    response["Cache-Control"] = f"public, max-age={TEMPLATE_MAX_AGE}"
    return response
