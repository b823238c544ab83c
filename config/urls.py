from django.contrib import admin
from django.urls import include, path

from config.admin_sign_in import ThrottledAdminAuthenticationForm
from config.health import healthz

admin.site.site_header = "Health Information Partnerships: curation"
admin.site.site_title = "Partnerships directory admin"
admin.site.index_title = "Curate the directory"
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    # For load balancers and monitors: database and cache reachable (see config/health.py).
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # allauth's sign-up, sign-in, verification, password and email pages, plus this project's
    # "My account" and delete-account pages beside them.
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("editor.urls")),
    path("", include("curation.urls")),
    # The Open Referral UK API and feed (before the directory's catch-all slugs).
    path("openreferral/", include("openreferral.urls")),
    path("toolkit/", include("toolkit.urls")),
    path("", include("directory.urls")),
]
