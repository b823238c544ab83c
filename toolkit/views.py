"""The toolkit: guidance for starting and running a partnership."""

from django.shortcuts import render

from toolkit.models import GuidancePage


def index(request):
    pages = GuidancePage.objects.filter(is_published=True).only("title", "slug", "summary")
    return render(request, "toolkit/index.html", {"pages": pages})
