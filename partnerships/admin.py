"""The curator's admin for every model in the directory. Lists annotate their counts in
`get_queryset` and select their foreign keys, so a changelist costs the same number of queries
whatever its length. State changes go through `services.py`, like everywhere else."""

from collections import Counter
from dataclasses import replace

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from partnerships import erasure, history, identifiers, services
from partnerships.models import (
    ROLE_ORDER,
    Activity,
    ActivityGroup,
    Agreement,
    ChangeKind,
    ChangeSet,
    ClaimRequest,
    CommunicationChannel,
    ConfirmationLink,
    Contact,
    DataVersion,
    DuplicateCandidate,
    DuplicateScan,
    GeocodeCache,
    ImportedRecord,
    ImportMapping,
    ImportRun,
    JoinRequest,
    LocationPrecision,
    LocationSource,
    MapGridCell,
    MapSummary,
    Membership,
    ModerationEvent,
    NotDuplicate,
    Organisation,
    OrganisationIdentifier,
    Partnership,
    Place,
    ProblemReport,
    Region,
    Reminder,
    Revision,
    Version,
)
from partnerships.services import Outcome
from partnerships.snapshots import diff, snapshot_of

LOCATION_FIELDS = (
    ("latitude", "longitude"),
    ("location_precision", "location_source"),
    "location_ambiguous",
    ("geocoded_at", "geocode_failed_at"),
    "geocode_error",
)
LOCATION_READONLY_FIELDS = ["geocoded_at", "geocode_failed_at", "geocode_error"]


class LocatedFilter(admin.SimpleListFilter):
    """Whether an organisation or partnership has a point on the map."""

    title = _("located")
    parameter_name = "located"

    def lookups(self, request, model_admin):
        return [("yes", _("On the map")), ("no", _("Not located yet"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.located()
        if self.value() == "no":
            # Coordinates are stored in pairs (a check constraint), so one is enough.
            return queryset.filter(latitude__isnull=True)
        return queryset


class NeedsLocationFilter(admin.SimpleListFilter):
    """Entries a curator should look at: not on the map, geocoding failed, or placed at a town
    name several places share."""

    title = _("needs location")
    parameter_name = "needs_location"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Missing or failed")),
            ("failed", _("Last geocoding failed")),
            ("ambiguous", _("Ambiguous town name")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.needs_location()
        if self.value() == "failed":
            return queryset.geocode_failed()
        if self.value() == "ambiguous":
            return queryset.filter(location_ambiguous=True)
        return queryset


class ChangesPublishedData:
    """For the admin of any model whose rows the public sees (directly, or through a
    partnership's page, the map or the downloads): every save and delete bumps the
    published-data version, inside the admin's own transaction, so no cached public answer
    outlives the change."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.published_data_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.published_data_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.published_data_changed()


class KeepsMemberNames:
    """For the admin of organisations, memberships and partnerships: a save or delete there can
    rename a member or add, remove or move a membership, so afterwards the member names that a
    search reads (`Partnership.member_names`) are written afresh for every partnership
    concerned, before and after the change, inside the admin's own transaction."""

    def partnerships_concerned(self, objects, form=None):
        """Ids of the partnerships whose members `objects` (rows of this admin's model) are part
        of, and, given the `form` that changed one, were part of before it."""
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        # The inlines (memberships) are saved in here, so the database still holds the old ones.
        before = self.partnerships_concerned([form.instance], form if change else None)
        super().save_related(request, form, formsets, change)
        _refresh_member_names(before | self.partnerships_concerned([form.instance]))

    def delete_model(self, request, obj):
        concerned = self.partnerships_concerned([obj])
        super().delete_model(request, obj)
        _refresh_member_names(concerned)

    def delete_queryset(self, request, queryset):
        concerned = self.partnerships_concerned(queryset)
        super().delete_queryset(request, queryset)
        _refresh_member_names(concerned)


def _refresh_member_names(partnership_ids):
    if partnership_ids:
        Partnership.objects.filter(pk__in=partnership_ids).refresh_member_names()


class ReasonForm(forms.ModelForm):
    """An admin form with an optional reason, kept with the version this save records."""

    change_reason = forms.CharField(
        label=_("Reason for this change"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional. Kept in the entry's history with this version."),
    )


class KeepsHistory:
    """For the admin of an entry with a history (partnerships, organisations): each save is one
    version, recorded in `save_related`, after the inlines are saved, by the curator, with the
    reason they gave. Entries an inline of this entry also changes (a membership changes the
    partnership too) are recorded in the same change set."""

    history_url_name = None  # the curators' history page of this kind of entry

    def save_model(self, request, obj, form, change):
        if change:
            history.baseline(obj)  # read from the database, which still holds the old state
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        others = self.also_changed(form, formsets)
        history.baseline(*others)
        super().save_related(request, form, formsets, change)
        kind = ChangeKind.ADMIN_EDIT if change else ChangeKind.CREATED
        reason = form.cleaned_data.get("change_reason", "")
        with history.change(kind, request.user, reason) as change_set:
            change_set.record(form.instance)
            for other in others:
                change_set.record(other)

    def also_changed(self, form, formsets):
        """Other entries with a history that this save's inlines change."""
        return []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        object_id = unquote(object_id)
        if object_id.isdigit():  # anything else is "not found", which the admin answers
            extra_context = {
                **(extra_context or {}),
                "versions_url": reverse(self.history_url_name, args=[object_id]),
            }
        return super().change_view(request, object_id, form_url, extra_context)


def partnerships_of(forms_changed):
    """The partnerships that changed forms of memberships, contacts or agreements belonged to
    before and belong to after: moving a contact changes both partnerships."""
    ids = set()
    for form in forms_changed:
        ids.add(form.instance.partnership_id)
        initial = form.initial.get("partnership")
        ids.add(getattr(initial, "pk", initial))
    ids.discard(None)
    return list(Partnership.objects.filter(pk__in=ids).order_by("pk")) if ids else []


def changed_forms(formset):
    return [form for form in formset.forms if form.has_changed() or form in formset.deleted_forms]


class RecordsPartnershipHistory:
    """For the admin of a partnership's parts edited on their own (memberships, contacts,
    agreements): a save or delete is a version of the partnership it belongs to (of both, when
    it moves from one to another)."""

    def save_model(self, request, obj, form, change):
        history.baseline(*partnerships_of([form]))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._record(request, partnerships_of([form]))

    def delete_model(self, request, obj):
        partnerships = list(Partnership.objects.filter(pk=obj.partnership_id))
        history.baseline(*partnerships)
        super().delete_model(request, obj)
        self._record(request, partnerships)

    def delete_queryset(self, request, queryset):
        partnerships = list(
            Partnership.objects.filter(pk__in=queryset.values("partnership")).order_by("pk")
        )
        history.baseline(*partnerships)
        super().delete_queryset(request, queryset)
        self._record(request, partnerships)

    def _record(self, request, partnerships):
        with history.change(ChangeKind.ADMIN_EDIT, request.user) as change_set:
            for partnership in partnerships:
                change_set.record(partnership)


class LocatedAdmin(ChangesPublishedData, admin.ModelAdmin):
    """Geocoding for organisations and partnerships: an action that places the selected entries
    through `services.py`, and coordinates a curator types in marked as set by hand, so that no
    later geocoding run moves them."""

    locate = None  # the service that places one entry

    def save_model(self, request, obj, form, change):
        changed = set(form.changed_data)
        moved = {"latitude", "longitude"} & changed
        described = {"location_precision", "location_source"} & changed
        if moved and obj.is_located and not described:
            obj.location_precision = LocationPrecision.MANUAL
            obj.location_source = LocationSource.MANUAL
        if moved and not obj.is_located:
            # Cleared by hand: leave it to the next geocoding run.
            obj.location_precision = obj.location_source = ""
        if moved:
            obj.location_ambiguous = False
            obj.geocoded_at = timezone.now() if obj.is_located else None
            obj.geocode_failed_at = None
            obj.geocode_error = ""
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Geocode selected"), permissions=["change"])
    def geocode_selected(self, request, queryset):
        # Selected by hand, so placed again even if already located; never if set by hand.
        outcomes = [
            self.locate(entry, force=True)
            for entry in queryset.select_related("region").order_by("pk")
        ]
        counts = Counter(outcome.outcome for outcome in outcomes)
        kept = counts[Outcome.MANUAL]
        counted = {"placed": counts[Outcome.PLACED], "failed": counts[Outcome.FAILED], "kept": kept}
        if kept:
            summary = gettext("%(placed)d placed, %(failed)d failed, %(kept)d kept (set by hand)")
        else:
            summary = gettext("%(placed)d placed, %(failed)d failed")
        summary %= counted
        reasons = Counter(o.result.error for o in outcomes if o.outcome == Outcome.FAILED)
        if reasons:
            summary = gettext("%(summary)s: %(reasons)s") % {
                "summary": summary,
                "reasons": "; ".join(f"{reason} ({n})" for reason, n in reasons.most_common()),
            }
        level = messages.WARNING if reasons else messages.SUCCESS
        self.message_user(request, gettext("%(summary)s.") % {"summary": summary}, level)


class ActivityGroupFilter(admin.SimpleListFilter):
    """Partnerships doing at least one activity of a group. A subquery rather than a join, so
    the list neither repeats rows nor inflates its member counts."""

    title = _("activity group")
    parameter_name = "activity_group"

    def lookups(self, request, model_admin):
        return ActivityGroup.choices

    def queryset(self, request, queryset):
        if self.value():
            in_group = Partnership.objects.filter(activities__group=self.value())
            return queryset.filter(pk__in=in_group.values("pk"))
        return queryset


class ContactForm(forms.ModelForm):
    """Records when consent was given if the curator ticks consent without a date, so the
    contact is saved with the consent time the database requires."""

    class Meta:
        model = Contact
        fields = [
            "partnership",
            "organisation",
            "name",
            "job_title",
            "email",
            "phone",
            "is_lead",
            "consent_to_publish",
            "consented_at",
        ]

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("consent_to_publish") and not cleaned_data.get("consented_at"):
            cleaned_data["consented_at"] = timezone.now()
        return cleaned_data


# Vocabularies


class PartnershipCountMixin:
    """A sortable "partnerships" column counted in the changelist's own query (no N+1).
    `partnerships_relation` names the relation to count."""

    partnerships_relation = "partnerships"

    def get_queryset(self, request):
        relation = self.partnerships_relation
        return (
            super().get_queryset(request).annotate(partnership_count=Count(relation, distinct=True))
        )

    @admin.display(description=_("partnerships"), ordering="partnership_count")
    def partnership_count(self, obj):
        return obj.partnership_count


@admin.register(Region)
class RegionAdmin(PartnershipCountMixin, ChangesPublishedData, admin.ModelAdmin):
    partnerships_relation = "partnership"
    list_display = ["name", "name_cy", "country", "partnership_count", "organisation_count"]
    list_filter = ["country"]
    search_fields = ["name", "name_cy"]
    ordering = ["country", "name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(organisation_count=Count("organisation", distinct=True))
        )

    @admin.display(description=_("organisations"), ordering="organisation_count")
    def organisation_count(self, obj):
        return obj.organisation_count


@admin.register(Activity)
class ActivityAdmin(PartnershipCountMixin, ChangesPublishedData, admin.ModelAdmin):
    list_display = ["name", "name_cy", "group", "partnership_count"]
    list_filter = ["group"]
    search_fields = ["name", "name_cy", "description", "description_cy"]
    ordering = ["group", "name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(CommunicationChannel)
class CommunicationChannelAdmin(PartnershipCountMixin, ChangesPublishedData, admin.ModelAdmin):
    list_display = ["name", "name_cy", "slug", "partnership_count"]
    search_fields = ["name", "name_cy"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}


# Organisations


class OrganisationMembershipInline(admin.TabularInline):
    """The partnerships an organisation belongs to, seen from the organisation."""

    model = Membership
    fields = ["partnership", "role", "joined_year"]
    autocomplete_fields = ["partnership"]
    extra = 0
    verbose_name = _("partnership membership")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partnership", "organisation")


class IdentifierForm(forms.ModelForm):
    """An identifier as the curator types it, tidied to its stored form here (not only in the
    model's `clean`), so that two rows typed differently ("rmc", "RMC") are seen as one by the
    formset's own check before anything is saved."""

    class Meta:
        model = OrganisationIdentifier
        fields = ["scheme", "scheme_name", "value"]

    def clean(self):
        data = super().clean()
        scheme, value = data.get("scheme"), data.get("value")
        if scheme and value:
            try:
                data["value"] = identifiers.normalise(scheme, value)
            except forms.ValidationError as error:
                self.add_error("value", error)
        if scheme and scheme != identifiers.Scheme.OTHER:
            data["scheme_name"] = ""
        return data


def register_link(identifier):
    """A link to the identifier's entry in its public register, or nothing where it has none."""
    if not (identifier and identifier.pk and identifier.register_url):
        return ""
    return format_html(
        '<a href="{}" rel="noopener">{}</a>', identifier.register_url, identifier.register_name
    )


class OrganisationIdentifierInline(admin.TabularInline):
    """An organisation's identifiers: each checked for its scheme's format and unique in the
    directory, with the register it can be looked up in."""

    model = OrganisationIdentifier
    form = IdentifierForm
    fields = ["scheme", "scheme_name", "value", "register_link"]
    readonly_fields = ["register_link"]
    extra = 0
    verbose_name = _("identifier")

    @admin.display(description=_("register"))
    def register_link(self, obj):
        return register_link(obj)


@admin.register(Organisation)
class OrganisationAdmin(PartnershipCountMixin, KeepsMemberNames, KeepsHistory, LocatedAdmin):
    form = ReasonForm
    history_url_name = "curation:organisation_history"
    change_form_template = "admin/partnerships/change_form_with_history.html"
    partnerships_relation = "memberships"
    list_display = [
        "name",
        "sector",
        "town",
        "region",
        "is_located",
        "partnership_count",
        "updated_at",
    ]
    list_filter = [
        "sector",
        "country",
        "region",
        LocatedFilter,
        NeedsLocationFilter,
        "location_source",
    ]
    search_fields = ["name", "name_cy", "town", "postcode", "website", "=identifiers__value"]
    search_help_text = _("Search by name, town, postcode, website or identifier (exactly).")
    ordering = ["name"]
    list_select_related = ["region"]
    date_hierarchy = "created_at"
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["region"]
    readonly_fields = [*LOCATION_READONLY_FIELDS, "created_at", "updated_at"]
    actions = ["geocode_selected"]
    locate = staticmethod(services.geocode_organisation)
    fieldsets = [
        (None, {"fields": ["name", "name_cy", "slug", "sector", "website"]}),
        (_("Address"), {"fields": ["address", ("town", "postcode"), ("country", "region")]}),
        (
            _("Location"),
            {
                "fields": LOCATION_FIELDS,
                "description": _("Filled by geocoding; set by hand only to correct it."),
            },
        ),
        (_("History"), {"fields": [("created_at", "updated_at")], "classes": ["collapse"]}),
        (_("Why"), {"fields": ["change_reason"]}),
    ]
    inlines = [OrganisationIdentifierInline, OrganisationMembershipInline]

    def also_changed(self, form, formsets):
        """The partnerships a changed membership belongs to (identifiers are the
        organisation's own, recorded in its version)."""
        return partnerships_of(
            [
                changed
                for formset in formsets
                if formset.model is Membership
                for changed in changed_forms(formset)
            ]
        )

    def delete_model(self, request, obj):
        self.delete_queryset(request, Organisation.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """Deleting an organisation changes the partnerships that named it (as a member, a
        contact's employer or an agreement's party): each gets a version."""
        ids = list(queryset.values_list("pk", flat=True))
        named = (
            Q(memberships__organisation__in=ids)
            | Q(contacts__organisation__in=ids)
            | Q(agreements__parties__in=ids)
        )
        partnerships = list(Partnership.objects.filter(named).distinct().order_by("pk"))
        history.baseline(*partnerships)
        super().delete_queryset(request, Organisation.objects.filter(pk__in=ids))
        with history.change(ChangeKind.ADMIN_EDIT, request.user) as change_set:
            for partnership in partnerships:
                change_set.record(partnership)

    @admin.display(description=_("located"), boolean=True, ordering="latitude")
    def is_located(self, obj):
        return obj.is_located

    def partnerships_concerned(self, objects, form=None):
        memberships = Membership.objects.filter(organisation__in=objects)
        return set(memberships.values_list("partnership_id", flat=True))


@admin.register(OrganisationIdentifier)
class OrganisationIdentifierAdmin(admin.ModelAdmin):
    """Every identifier in the directory, to look through by scheme. Read-only here: they are
    added, corrected and removed on their organisation's page, so that each change is a version
    of the organisation in its history."""

    list_display = ["value", "scheme_label", "organisation", "register_link"]
    list_filter = ["scheme"]
    search_fields = ["value", "scheme_name", "organisation__name"]
    ordering = ["scheme", "value"]
    list_select_related = ["organisation"]
    fields = ["organisation", "scheme", "scheme_name", "value", "register_link"]
    readonly_fields = fields

    @admin.display(description=_("scheme"), ordering="scheme")
    def scheme_label(self, obj):
        return obj.scheme_label

    @admin.display(description=_("register"))
    def register_link(self, obj):
        return register_link(obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Partnerships


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["organisation", "role", "joined_year"]
    autocomplete_fields = ["organisation"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partnership", "organisation")


class ContactInline(admin.TabularInline):
    model = Contact
    form = ContactForm
    fields = [
        "name",
        "job_title",
        "organisation",
        "email",
        "phone",
        "is_lead",
        "consent_to_publish",
        "consented_at",
    ]
    autocomplete_fields = ["organisation"]
    extra = 0


class AgreementInline(admin.StackedInline):
    model = Agreement
    fields = [
        ("kind", "status"),
        "title",
        ("signed_on", "review_due"),
        "parties",
        "summary",
        "document",
        ("is_public", "shareable_example"),
    ]
    autocomplete_fields = ["parties"]
    extra = 0


@admin.register(Partnership)
class PartnershipAdmin(KeepsMemberNames, KeepsHistory, LocatedAdmin):
    """Partnerships, with their members, contacts and agreements inline. Each save is one
    version in the history. Deleting archives instead, except for superusers, who are warned
    that a deletion takes the history with it."""

    form = ReasonForm
    history_url_name = "curation:partnership_history"
    change_form_template = "admin/partnerships/change_form_with_history.html"
    delete_confirmation_template = "admin/partnerships/partnership/delete_confirmation.html"
    delete_selected_confirmation_template = (
        "admin/partnerships/partnership/delete_selected_confirmation.html"
    )
    list_display = [
        "name",
        "kind",
        "region",
        "publication_state",
        "member_count",
        "last_verified_at",
        "updated_at",
    ]
    list_filter = [
        "publication_state",
        "region",
        "region__country",
        "kind",
        "formality",
        "status",
        "scope",
        ActivityGroupFilter,
        LocatedFilter,
        NeedsLocationFilter,
        "last_verified_at",
    ]
    search_fields = [
        "name",
        "name_cy",
        "slug",
        "summary",
        "summary_cy",
        "area_name",
        "organisations__name",
        "organisations__name_cy",
    ]
    search_help_text = _("Search by name, summary, area or member organisation.")
    ordering = ["name"]
    list_select_related = ["region"]
    date_hierarchy = "updated_at"
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["region", "editors"]
    filter_horizontal = ["channels", "activities"]
    readonly_fields = [*LOCATION_READONLY_FIELDS, "created_at", "updated_at"]
    fieldsets = [
        (
            _("Basics"),
            {
                "fields": [
                    "name",
                    "name_cy",
                    "slug",
                    "kind",
                    "summary",
                    "summary_cy",
                    ("formality", "status"),
                    "established_year",
                ]
            },
        ),
        (
            _("Description"),
            {"fields": ["description", "description_cy", "aims", "aims_cy", "activities"]},
        ),
        (_("Where"), {"fields": [("scope", "area_name"), "region", *LOCATION_FIELDS]}),
        (
            _("How it works"),
            {
                "fields": [
                    "website",
                    "mailing_list",
                    ("meeting_frequency", "meeting_format"),
                    "channels",
                ]
            },
        ),
        (
            _("Publication"),
            {
                "fields": [
                    "publication_state",
                    "last_verified_at",
                    "editors",
                    ("created_at", "updated_at"),
                ]
            },
        ),
        (_("Why"), {"fields": ["change_reason"]}),
    ]
    inlines = [MembershipInline, ContactInline, AgreementInline]
    actions = ["publish", "archive", "geocode_selected"]
    locate = staticmethod(services.locate_partnership)

    def get_queryset(self, request):
        return super().get_queryset(request).with_member_count()

    def partnerships_concerned(self, objects, form=None):
        return {partnership.pk for partnership in objects}

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    @admin.action(description=_("Publish selected partnerships"), permissions=["change"])
    def publish(self, request, queryset):
        changed = services.publish_partnerships(queryset, user=request.user)
        self.message_user(
            request,
            ngettext("%d partnership was published.", "%d partnerships were published.", changed)
            % changed,
        )

    @admin.action(description=_("Archive selected partnerships"), permissions=["change"])
    def archive(self, request, queryset):
        changed = services.archive_partnerships(queryset, user=request.user)
        self.message_user(
            request,
            ngettext("%d partnership was archived.", "%d partnerships were archived.", changed)
            % changed,
        )

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        """Only superusers delete; for everyone else "Delete selected" archives."""
        actions = super().get_actions(request, action_location=action_location)
        if "delete_selected" in actions and not request.user.is_superuser:
            description = _(
                "Delete selected partnerships (they are archived; only a superuser deletes)"
            )
            actions["delete_selected"] = replace(
                actions["delete_selected"],
                func=type(self).archive,
                description=description,
                plural_description=description,
            )
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        """A superuser gets Django's deletion, with a warning that the history goes too and a
        button to archive instead; anyone else may only archive (restorable from the history)."""
        archive = request.method == "POST" and "archive_instead" in request.POST
        if request.user.is_superuser and not archive:
            return super().delete_view(request, object_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_delete_permission(request, obj):
            raise PermissionDenied
        if request.method == "POST":
            services.archive_partnerships(
                Partnership.objects.filter(pk=obj.pk),
                user=request.user,
                reason=request.POST.get("reason", "")[:2000],
            )
            self.message_user(
                request,
                gettext(
                    "“%(partnership)s” was archived: it is off the directory, and can be brought "
                    "back from its history."
                )
                % {"partnership": obj},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:partnerships_partnership_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Archive this partnership?"),
            "subtitle": str(obj),
            "object": obj,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "versions_url": reverse("curation:partnership_history", args=[obj.pk]),
        }
        return TemplateResponse(
            request, "admin/partnerships/partnership/archive_instead.html", context
        )


@admin.register(Membership)
class MembershipAdmin(
    KeepsMemberNames, RecordsPartnershipHistory, ChangesPublishedData, admin.ModelAdmin
):
    list_display = ["organisation", "partnership", "role", "joined_year"]
    list_filter = ["role", "organisation__sector", "partnership__publication_state"]
    search_fields = ["organisation__name", "partnership__name"]
    ordering = ["partnership__name", ROLE_ORDER, "organisation__name"]
    list_select_related = ["organisation", "partnership"]
    autocomplete_fields = ["partnership", "organisation"]

    def partnerships_concerned(self, objects, form=None):
        concerned = {membership.partnership_id for membership in objects}
        if form is not None:  # a membership moved to another partnership leaves the old one
            concerned.add(form.initial.get("partnership"))
        return concerned - {None}


@admin.register(Contact)
class ContactAdmin(RecordsPartnershipHistory, ChangesPublishedData, admin.ModelAdmin):
    form = ContactForm
    list_display = [
        "name",
        "job_title",
        "partnership",
        "organisation",
        "email",
        "is_lead",
        "consent_to_publish",
        "consented_at",
        "shown_publicly",
    ]
    list_filter = ["consent_to_publish", "is_lead", "partnership__publication_state"]
    search_fields = ["name", "job_title", "email", "partnership__name", "organisation__name"]
    ordering = ["partnership__name", "-is_lead", "name"]
    list_select_related = ["partnership", "organisation"]
    autocomplete_fields = ["partnership", "organisation"]
    fieldsets = [
        (None, {"fields": ["partnership", "organisation", "name", "job_title", "is_lead"]}),
        (_("Contact details (private unless consent is given)"), {"fields": ["email", "phone"]}),
        (
            _("Consent"),
            {
                "fields": ["consent_to_publish", "consented_at"],
                "description": _(
                    "Only contacts who agreed to be published appear on public pages and "
                    "exports. Ticking consent without a date records the current time."
                ),
            },
        ),
    ]

    actions = ["erase_everywhere"]
    change_form_template = "admin/partnerships/contact/change_form.html"

    @admin.display(description=_("on public pages"), boolean=True, ordering="consent_to_publish")
    def shown_publicly(self, obj):
        return obj.consent_to_publish and obj.partnership.is_published

    def get_urls(self):
        erase = self.admin_site.admin_view(self.erase_view)
        return [
            path("<path:object_id>/erase/", erase, name="partnerships_contact_erase"),
            *super().get_urls(),
        ]

    @admin.action(description=_("Erase this person's details everywhere"), permissions=["delete"])
    def erase_everywhere(self, request, queryset):
        """Ask first (listing every contact that goes and every copy found), then erase."""
        return self._erase(request, list(queryset), selected=True)

    def erase_view(self, request, object_id):
        """The contact page's "Erase this person's details everywhere" button."""
        contact = self.get_object(request, unquote(object_id))
        if contact is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        return self._erase(request, [contact], selected=False)

    def _erase(self, request, contacts, *, selected):
        if not self.has_delete_permission(request):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("erase") == "yes":
            count = len(erasure.person_of(contacts).contacts)
            erasure.erase(contacts, user=request.user)
            # The message names no one: messages can be stored in the session.
            self.message_user(
                request,
                ngettext(
                    "%d contact was deleted and the person's details erased everywhere.",
                    "%d contacts were deleted and the person's details erased everywhere.",
                    count,
                )
                % count,
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:partnerships_contact_changelist"))
        person = erasure.person_of(contacts)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Erase this person's details everywhere?"),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "person": person,
            "chosen": contacts,
            "stored": erasure.where_stored(person),
            "selected": selected,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/partnerships/contact/erase_confirmation.html", context
        )


@admin.register(Agreement)
class AgreementAdmin(RecordsPartnershipHistory, ChangesPublishedData, admin.ModelAdmin):
    list_display = [
        "title",
        "partnership",
        "kind",
        "status",
        "signed_on",
        "review_due",
        "is_public",
        "shareable_example",
        "has_document",
    ]
    list_filter = ["kind", "status", "is_public", "shareable_example", "review_due"]
    search_fields = ["title", "summary", "partnership__name", "parties__name"]
    ordering = ["partnership__name", "kind", "title"]
    list_select_related = ["partnership"]
    date_hierarchy = "signed_on"
    autocomplete_fields = ["partnership", "parties"]
    readonly_fields = ["created_at"]
    fieldsets = [
        (None, {"fields": ["partnership", ("kind", "status"), "title", "summary"]}),
        (_("Dates"), {"fields": [("signed_on", "review_due"), "created_at"]}),
        (_("Parties and document"), {"fields": ["parties", "document"]}),
        (_("Sharing"), {"fields": [("is_public", "shareable_example")]}),
    ]

    @admin.display(description=_("document"), boolean=True, ordering="document")
    def has_document(self, obj):
        return bool(obj.document)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    """The gazetteer is loaded by `manage.py load_places`; a curator only corrects which region
    a place belongs to."""

    list_display = ["name", "admin_area", "country_code", "region", "population"]
    list_filter = ["country_code", "admin_area", "region"]
    search_fields = ["name", "search_name"]
    ordering = ["-population", "name"]
    list_select_related = ["region"]
    list_per_page = 50
    show_full_result_count = False
    autocomplete_fields = ["region"]
    fields = [
        "name",
        "search_name",
        ("country_code", "admin_area"),
        "region",
        ("latitude", "longitude"),
        "population",
        "geonameid",
    ]
    readonly_fields = [
        "geonameid",
        "name",
        "search_name",
        "country_code",
        "admin_area",
        "latitude",
        "longitude",
        "population",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(GeocodeCache)
class GeocodeCacheAdmin(admin.ModelAdmin):
    """Nominatim's cached answers, to read and, by deleting one, to have its query asked again
    on the next geocoding run. Answers come only from Nominatim, so they cannot be added or
    edited by hand; a curator corrects an entry's own location instead."""

    list_display = ["query", "matched", "result_class", "result_type", "display_name", "created_at"]
    list_filter = ["result_class", "created_at"]
    search_fields = ["query", "display_name"]
    ordering = ["query"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "query",
        "latitude",
        "longitude",
        "result_class",
        "result_type",
        "place_rank",
        "display_name",
        "created_at",
    ]
    fields = readonly_fields

    @admin.display(description=_("matched"), boolean=True, ordering="latitude")
    def matched(self, obj):
        return obj.matched

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Moderation: read-only records. Revisions are written by the editing screens and decided on the
# moderation screens (`services.py`); the events are the audit trail of those decisions. Neither is
# added or changed by hand. Deleting stays allowed, because the admin refuses to delete a
# partnership while the curator may not delete the rows that cascade from it.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "state", "author", "submitted_at", "updated_at"]
    list_filter = ["state", "submitted_at"]
    search_fields = ["partnership__name", "author__email"]
    ordering = ["-created_at"]
    list_select_related = ["partnership", "author"]
    date_hierarchy = "created_at"
    fields = [
        "partnership",
        "state",
        "author",
        "submitted_at",
        "created_at",
        "updated_at",
        "proposed_changes",
    ]
    readonly_fields = fields

    @admin.display(description=_("proposed changes, against the entry as it is now"))
    def proposed_changes(self, obj):
        """The proposal in words, as the moderation review shows it, never as raw data."""
        changes = diff(snapshot_of(obj.partnership), obj.data or {})
        if not changes:
            return gettext("None: the proposal is the same as the entry as it is now.")
        return changes_as_html(changes)


def changes_as_html(changes):
    """`snapshots.Change` rows as a definition list of what changed, in words (escaped)."""
    return format_html(
        '<dl class="version-changes">{}</dl>',
        format_html_join(
            "",
            "<dt>{}</dt><dd>{}</dd>",
            ((change.label, "; ".join(change.words)) for change in changes),
        ),
    )


# History: read-only. Versions are written by `partnerships.history` on every write path and
# browsed, compared and restored on the curators' history pages.


@admin.register(ChangeSet)
class ChangeSetAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "author", "reason", "version_count"]
    list_filter = ["kind", "created_at"]
    search_fields = ["reason", "author__email"]
    ordering = ["-created_at", "-pk"]
    list_select_related = ["author"]
    date_hierarchy = "created_at"
    fields = ["kind", "author", "reason", "created_at", "entries"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(version_count=Count("versions"))

    @admin.display(description=_("versions"), ordering="version_count")
    def version_count(self, obj):
        return obj.version_count

    @admin.display(description=_("entries changed"))
    def entries(self, obj):
        versions = obj.versions.select_related("partnership", "organisation").order_by("pk")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a>, {}</li>',
                (
                    (
                        history_page_of(v),
                        v.entry,
                        gettext("version %(number)s") % {"number": v.number},
                    )
                    for v in versions
                ),
            ),
        )


def history_page_of(version):
    if version.partnership_id:
        return reverse("curation:partnership_history", args=[version.partnership_id])
    return reverse("curation:organisation_history", args=[version.organisation_id])


@admin.register(Version)
class VersionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "number", "kind", "created_at"]
    list_filter = ["change_set__kind"]
    search_fields = ["partnership__name", "organisation__name"]
    ordering = ["-change_set__created_at", "-pk"]
    list_select_related = ["change_set", "partnership", "organisation"]
    fields = ["partnership", "organisation", "number", "kind", "created_at", "history_link"]
    readonly_fields = fields

    @admin.display(description=_("kind"), ordering="change_set__kind")
    def kind(self, obj):
        return obj.change_set.get_kind_display()

    @admin.display(description=_("recorded"), ordering="change_set__created_at")
    def created_at(self, obj):
        return obj.change_set.created_at

    @admin.display(description=_("history"))
    def history_link(self, obj):
        return format_html(
            '<a href="{}#version-{}">{}</a>',
            history_page_of(obj),
            obj.number,
            gettext("See this version in the history, compare and restore"),
        )


@admin.register(ModerationEvent)
class ModerationEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "partnership", "decision", "actor", "message"]
    list_filter = ["decision", "created_at"]
    search_fields = ["partnership__name", "actor__email", "message"]
    ordering = ["-created_at"]
    list_select_related = ["partnership", "actor"]
    date_hierarchy = "created_at"
    fields = ["partnership", "revision", "decision", "actor", "message", "created_at"]
    readonly_fields = fields


@admin.register(DataVersion)
class DataVersionAdmin(ReadOnlyAdmin):
    """When the published data last changed: every cached public answer is keyed by this
    number. Read-only, and never deleted by hand (a missing row only makes every cache miss)."""

    list_display = ["value", "changed_at"]
    fields = ["value", "changed_at"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MapSummary)
class MapSummaryAdmin(ReadOnlyAdmin):
    """Which published-data version the national map's summary was built from. It is used only
    while that is the current version; `manage.py db_worker` rebuilds it after every change."""

    list_display = ["version", "published", "built_at"]
    fields = ["version", "published", "built_at"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MapGridCell)
class MapGridCellAdmin(ReadOnlyAdmin):
    """The national map's summary: published, located partnerships per fine grid cell."""

    list_display = ["fine_y", "fine_x", "count", "south", "north", "west", "east"]
    fields = [*list_display, "latitude_sum", "longitude_sum"]
    readonly_fields = fields
    ordering = ["fine_y", "fine_x"]

    def has_delete_permission(self, request, obj=None):
        return False


# Duplicates: what the scan found and what curators decided, read-only here; the curators'
# duplicates page (/moderation/duplicates/) is where pairs are merged or dismissed. Deleting a
# "not duplicates" row lets the scan suggest that pair again.

PAIR_FIELDS = ["kind", "organisation_a", "organisation_b", "partnership_a", "partnership_b"]
PAIR_RELATIONS = ["organisation_a", "organisation_b", "partnership_a", "partnership_b"]


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "score", "found_at"]
    list_filter = ["kind"]
    ordering = ["-score", "pk"]
    list_select_related = PAIR_RELATIONS
    fields = [*PAIR_FIELDS, "score", "reasons", "found_at"]
    readonly_fields = fields


@admin.register(NotDuplicate)
class NotDuplicateAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "decided_by", "decided_at"]
    list_filter = ["kind", "decided_at"]
    ordering = ["-decided_at", "-pk"]
    list_select_related = [*PAIR_RELATIONS, "decided_by"]
    fields = [*PAIR_FIELDS, "decided_by", "decided_at"]
    readonly_fields = fields


@admin.register(DuplicateScan)
class DuplicateScanAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "finished_at",
        "organisations",
        "partnerships",
        "organisation_pairs",
        "partnership_pairs",
    ]
    ordering = ["-started_at", "-pk"]
    fields = list_display
    readonly_fields = fields


# Imports: made on the curators' import screens (curation/importing.py), read here. A run's file and
# preview are never edited; a saved mapping may be renamed or deleted.


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = [
        "file_name",
        "kind",
        "source",
        "state",
        "rows",
        "created",
        "updated",
        "unchanged",
        "errors",
        "not_placed",
        "run_by",
        "created_at",
    ]
    list_filter = ["kind", "state", "created_at"]
    search_fields = ["file_name", "source"]
    ordering = ["-created_at", "-pk"]
    list_select_related = ["run_by"]
    fields = [
        ("file_name", "kind", "source"),
        "state",
        ("rows", "created", "updated", "unchanged", "skipped", "errors", "not_placed"),
        "headers",
        "mapping",
        ("default_sector", "publish", "skip_errors"),
        ("run_by", "created_at"),
        ("applied_at", "change_set"),
        ("undone_at", "undo_change_set"),
    ]
    readonly_fields = [
        name for group in fields for name in (group if isinstance(group, tuple) else (group,))
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data", "preview")


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "created_by", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    list_select_related = ["created_by"]
    fields = ["name", "kind", "columns", "created_by", "updated_at"]
    readonly_fields = ["kind", "columns", "created_by", "updated_at"]

    def has_add_permission(self, request):
        return False


@admin.register(ImportedRecord)
class ImportedRecordAdmin(ReadOnlyAdmin):
    """Where each imported entry came from: written by imports, read here."""

    list_display = ["source", "key", "kind", "organisation", "partnership", "last_run"]
    list_filter = ["kind", "source"]
    search_fields = ["source", "key", "organisation__name", "partnership__name"]
    list_select_related = ["organisation", "partnership", "last_run"]
    fields = ["kind", "source", "key", "organisation", "partnership", "first_run", "last_run"]
    readonly_fields = fields


# Visitors' reports and requests to manage an entry are read here; they are resolved and decided
# on the curators' screens (/moderation/reports/ and /moderation/claims/), which email the people
# concerned, so the admin does not change them.
@admin.register(ProblemReport)
class ProblemReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "partnership", "organisation", "reason", "state", "resolved_by"]
    list_filter = ["state", "reason", "created_at"]
    search_fields = ["partnership__name", "organisation__name", "explanation", "email", "note"]
    ordering = ["-created_at"]
    list_select_related = ["partnership", "organisation", "resolved_by"]
    date_hierarchy = "created_at"


@admin.register(ClaimRequest)
class ClaimRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "partnership", "user", "state", "decided_by"]
    list_filter = ["state", "created_at"]
    search_fields = ["partnership__name", "user__email", "reason", "note"]
    ordering = ["-created_at"]
    list_select_related = ["partnership", "user", "decided_by"]
    date_hierarchy = "created_at"


# Requests to join a partnership are decided by its editors in "My partnerships"
# (/my/join-requests/<pk>/), which emails the person, so the admin only lists them.
@admin.register(JoinRequest)
class JoinRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "organisation_name",
        "partnership",
        "sector",
        "state",
        "decided_by",
    ]
    list_filter = ["state", "sector", "created_at"]
    search_fields = ["organisation_name", "partnership__name", "name", "email", "message"]
    ordering = ["-created_at"]
    list_select_related = ["partnership", "decided_by"]
    date_hierarchy = "created_at"
    raw_id_fields = ["partnership", "organisation", "user", "decided_by"]


# Keeping entries current: the reminders sent and the emailed confirmation links, read-only (sent
# by `partnerships.reminders`; a link is used on its own page).


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "kind", "sent_at", "answered_at", "recipient_list"]
    list_filter = ["kind", "sent_at", ("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["partnership__name"]
    ordering = ["-sent_at", "-pk"]
    list_select_related = ["partnership"]
    date_hierarchy = "sent_at"
    fields = ["partnership", "agreement", "kind", "cycle", "recipients", "sent_at", "answered_at"]
    readonly_fields = fields

    @admin.display(description=_("sent to"))
    def recipient_list(self, obj):
        return ", ".join(obj.recipients or [])


@admin.register(ConfirmationLink)
class ConfirmationLinkAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "sent_to", "created_at", "expires_at", "used_at"]
    list_filter = ["created_at", ("used_at", admin.EmptyFieldListFilter)]
    search_fields = ["partnership__name", "sent_to"]
    ordering = ["-created_at", "-pk"]
    list_select_related = ["partnership"]
    fields = ["partnership", "sent_to", "created_at", "expires_at", "used_at"]
    readonly_fields = fields
