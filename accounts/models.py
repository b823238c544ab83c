from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    """What this project keeps about an account beyond Django's user: the language the person
    last used the site in, which emails to them are written in (partnerships/emails.py)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language this person last used the site in; emails use it."),
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self):
        return str(self.user)

    @classmethod
    def remember_language(cls, user, code, only_if_unset=False):
        """Store `code` as `user`'s language and return the language now stored. With
        `only_if_unset`, a language already stored is kept (and returned)."""
        if only_if_unset:
            profile, created = cls.objects.get_or_create(user=user, defaults={"language": code})
            if created or profile.language:
                return profile.language
        cls.objects.update_or_create(user=user, defaults={"language": code})
        return code

    @classmethod
    def language_of(cls, user):
        """The language stored for `user`, or "" if none (or no user)."""
        if user is None or not getattr(user, "pk", None):
            return ""
        return cls.objects.filter(user=user).values_list("language", flat=True).first() or ""
