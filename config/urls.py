from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog

from config.admin_sign_in import ThrottledAdminAuthenticationForm
from config.health import healthz
from config.languages import switch

admin.site.site_header = _("Health Information Partnerships: curation")
admin.site.site_title = _("Partnerships directory admin")
admin.site.index_title = _("Curate the directory")
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    # For load balancers and monitors: database and cache reachable (see config/health.py).
    path("healthz", healthz, name="healthz"),
    # The "Cymraeg" / "English" link (config/languages.py).
    path("language/<str:code>/", switch, name="language"),
]

# Every page in English at the address it always had, and in Welsh under /cy/.
urlpatterns += i18n_patterns(
    # The JavaScript's words in the page's language (django.gettext in static/directory/js).
    path(
        "jsi18n/",
        cache_control(max_age=60 * 60, public=True)(JavaScriptCatalog.as_view()),
        name="javascript_catalog",
    ),
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
    prefix_default_language=False,
)
