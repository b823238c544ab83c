from partnerships.links import site_url


def site(request):
    """Values every page needs: the site's name and its address as this request reached it."""
    return {"SITE_NAME": "Health Information Partnerships Directory", "SITE_URL": site_url(request)}
