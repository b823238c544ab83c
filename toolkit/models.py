"""The toolkit's guidance: pages curators write and edit in the admin, without a deployment."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Addresses under /toolkit/ that are not guidance pages; no page may take one as its slug.
RESERVED_SLUGS = {"agreements", "templates"}


class GuidancePage(models.Model):
    """One page of guidance on starting or running a partnership. The body is plain text with
    simple formatting (see `toolkit.formatting`), stored as typed and sanitised when shown."""

    title = models.CharField(_("title"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    summary = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("One or two sentences, shown in the toolkit's list."),
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "Plain text. A blank line starts a new paragraph; a line starting “## ” is a heading; "
            "lines starting “- ” make a list; **bold**; [link text](https://example.org)."
        ),
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Pages are listed in this order, lowest first.")
    )
    is_published = models.BooleanField(
        _("published"),
        default=True,
        help_text=_("Untick to hide the page while it is being written."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("guidance page")
        verbose_name_plural = _("guidance pages")
        ordering = ["position", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("toolkit:page", kwargs={"slug": self.slug})
