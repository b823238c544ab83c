from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Public directory"

    def ready(self):
        from directory.warming import warm_national_answers
        from partnerships import mapsummary

        mapsummary.refreshed.connect(
            warm_national_answers, dispatch_uid="directory.warm_national_answers"
        )
