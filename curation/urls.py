"""Screens for curators (moderators), all under /moderation/: the moderation queue, history and
restore, duplicates and merge. Only moderators reach them; everyone else gets a 404."""

app_name = "curation"

urlpatterns: list = []
