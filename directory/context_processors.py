from django.conf import settings


def site(request):
    """Values every page needs: the site's name and canonical address."""
    return {"SITE_NAME": "Health Information Partnerships Directory", "SITE_URL": settings.SITE_URL}
