"""Curators write and edit the toolkit's guidance here, without a deployment."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from toolkit.formatting import render_body
from toolkit.models import RESERVED_SLUGS, GuidancePage

FORMATTING_HELP = _(
    "Write plain text. A blank line starts a new paragraph. A line starting “## ” is a heading "
    "and “### ” a smaller heading under it (the title above is the page's main heading). "
    "Lines starting “- ” make a bulleted list; lines starting “1. ”, “2. ” a numbered list. "
    "**Two stars** either side make text bold. [Link text](https://example.org) makes a link: "
    "web (https:// or http://) and email (mailto:) addresses, or addresses on this site such as "
    "/toolkit/agreements/. Anything else, HTML included, is shown as typed, never run."
)


class GuidancePageForm(forms.ModelForm):
    class Meta:
        model = GuidancePage
        fields = ["title", "slug", "summary", "body", "position", "is_published"]
        help_texts = {"body": FORMATTING_HELP}
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "cols": 90})}

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(
                _("This address is taken by another part of the toolkit; choose another."),
                code="reserved",
            )
        return slug


@admin.register(GuidancePage)
class GuidancePageAdmin(admin.ModelAdmin):
    form = GuidancePageForm
    list_display = ["title", "position", "is_published", "updated_at", "updated_by"]
    list_display_links = ["title"]
    list_editable = ["position", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title", "summary", "body"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["preview", "updated_at", "updated_by"]
    list_select_related = ["updated_by"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body"]}),
        (_("Listing"), {"fields": ["position", "is_published"]}),
        (
            _("Preview (as last saved)"),
            {"fields": ["preview", "updated_at", "updated_by"], "classes": ["collapse"]},
        ),
    ]

    @admin.display(description=_("how the body reads on the site"))
    def preview(self, obj):
        if obj is None or not obj.pk:
            return gettext("Save the page to see it here.")
        return format_html('<div class="guidance-preview">{}</div>', render_body(obj.body))

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
