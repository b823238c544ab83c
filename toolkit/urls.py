from django.urls import path

from toolkit import views

app_name = "toolkit"

urlpatterns = [
    path("", views.index, name="index"),
    path("agreements/", views.agreements, name="agreements"),
    path("templates/<slug:name>.<slug:extension>", views.starter_template, name="template"),
    path("<slug:slug>/", views.page, name="page"),
]
