"""Screens for partnership editors (leads and co-editors) and for moderators."""

from django.urls import path

app_name = "editor"

urlpatterns: list = [
]
