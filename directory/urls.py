from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("partnerships/<slug:slug>/", views.partnership_detail, name="partnership"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("regions/<slug:slug>/", views.region_detail, name="region"),
    path("activities/<slug:slug>/", views.activity_detail, name="activity"),
    path("places/", views.places, name="places"),
]
