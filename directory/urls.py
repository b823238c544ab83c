from django.urls import path

from . import claims, coverage, joining, reports, views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("partnerships/<slug:slug>/", views.partnership_detail, name="partnership"),
    path("partnerships/<slug:slug>/contact/", views.contact, name="contact"),
    path("partnerships/<slug:slug>/report/", reports.report_partnership, name="report_partnership"),
    path("partnerships/<slug:slug>/claim/", claims.claim_partnership, name="claim_partnership"),
    path("partnerships/<slug:slug>/join/", joining.join, name="join"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path(
        "organisations/<slug:slug>/report/", reports.report_organisation, name="report_organisation"
    ),
    path("regions/<slug:slug>/", views.region_detail, name="region"),
    path("activities/<slug:slug>/", views.activity_detail, name="activity"),
    path("places/", views.places, name="places"),
    path("stats/coverage/", coverage.coverage_page, name="coverage"),
    path("find-partners/", joining.find_partners, name="find_partners"),
    path("map-data/", views.map_data, name="map_data"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.geojson", views.export_geojson, name="export_geojson"),
    path("stats/", views.statistics_page, name="stats"),
    path("stats/<slug:figure>.csv", views.statistics_csv, name="stats_csv"),
    path("embed/", views.embed, name="embed"),
    path("print/", views.print_list, name="print"),
    path("favicon.ico", views.favicon, name="favicon"),
]
