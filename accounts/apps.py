from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from config.languages import remember_on_sign_in

        user_logged_in.connect(remember_on_sign_in, dispatch_uid="remember_language_on_sign_in")
