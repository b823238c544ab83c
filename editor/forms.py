"""The registration and editing form, and the invitation form.

`PartnershipEditor` is one page of several Django forms: the partnership's own fields and
formsets of member organisations, contacts and agreements. It starts from a snapshot (the shape in
`partnerships.snapshots`) and gives one back, so the same form registers a new partnership, edits
a draft in place and proposes a revision of a published one. Ids in the posted data are trusted
only where they belong to the snapshot the form started from, so a form cannot reach another
partnership's rows."""

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editor import uploads
from partnerships import identifiers, services
from partnerships.identifiers import Scheme
from partnerships.matching import (
    exact_organisation,
    likely_duplicates,
    organisations_by_identifier,
)
from partnerships.models import (
    FIRST_YEAR,
    LAST_YEAR,
    Activity,
    AgreementKind,
    AgreementStatus,
    CommunicationChannel,
    Organisation,
    Partnership,
    Region,
    Role,
    Sector,
)
from partnerships.snapshots import FIELDS

CONSENT_LABEL = _("I have permission to publish these contact details in the directory")
NEW_ORGANISATION = "new"
# How many blank rows each list shows, and how many "Add more rows" adds.
EXTRA_ROWS = {"members": 2, "contacts": 1, "agreements": 1}


def empty_snapshot():
    return {
        "fields": {},
        "activities": [],
        "channels": [],
        "members": [],
        "contacts": [],
        "agreements": [],
    }


# Quiet forms: "Add more rows" shows the form again without complaining about what is missing.


class QuietForm(forms.Form):
    def __init__(self, *args, quiet=False, **kwargs):
        self.quiet = quiet
        super().__init__(*args, **kwargs)

    def full_clean(self):
        if self.quiet:
            self._errors, self.cleaned_data = ErrorDict(), {}
            return
        super().full_clean()


class QuietFormSet(forms.BaseFormSet):
    def __init__(self, *args, quiet=False, **kwargs):
        self.quiet = quiet
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "quiet": self.quiet}

    def full_clean(self):
        if self.quiet:
            self._errors, self._non_form_errors = [], self.error_class()
            return
        super().full_clean()

    def is_removed(self, form):
        if not (self.can_delete and form.is_bound):
            return False
        if not hasattr(form, "cleaned_data"):
            form.full_clean()  # the deletion box is read when the row is cleaned
        return self._should_delete_form(form)

    def live_forms(self):
        """Rows that hold something and are not marked for removal."""
        return [form for form in self.forms if not form.is_blank and not self.is_removed(form)]


# Choices with a model default: left out, they take the default.
DEFAULTED = ("kind", "formality", "status", "scope")
YEAR_ATTRS = {"inputmode": "numeric", "min": FIRST_YEAR, "max": LAST_YEAR}
# The partnership's Welsh texts, grouped on the form under "In Welsh (optional)".
WELSH_FIELDS = ("name_cy", "summary_cy", "description_cy", "aims_cy")


class PartnershipForm(forms.ModelForm):
    region = forms.ModelChoiceField(
        Region.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("Not chosen"),
        label=_("Region"),
    )
    activities = forms.ModelMultipleChoiceField(
        Activity.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("What the partnership does"),
    )
    channels = forms.ModelMultipleChoiceField(
        CommunicationChannel.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("How members keep in touch"),
    )

    class Meta:
        model = Partnership
        fields = [
            "name",
            "kind",
            "summary",
            "aims",
            "description",
            "formality",
            "status",
            "established_year",
            "scope",
            "area_name",
            "region",
            "website",
            "mailing_list",
            "meeting_frequency",
            "meeting_format",
            "channels",
            "activities",
            *WELSH_FIELDS,
        ]
        # Every label and help text here, so that the form reads the same in both languages
        # whatever the model says.
        labels = {
            "name": _("Name of the partnership"),
            "kind": _("Type of partnership"),
            "summary": _("Summary"),
            "aims": _("Aims and objectives"),
            "description": _("Description"),
            "formality": _("Formality"),
            "status": _("Status"),
            "established_year": _("Established year"),
            "scope": _("Scope"),
            "area_name": _("Area served"),
            "website": _("Website"),
            "mailing_list": _("Mailing list"),
            "meeting_frequency": _("Meeting frequency"),
            "meeting_format": _("Meeting format"),
            "name_cy": _("Name in Welsh"),
            "summary_cy": _("Summary in Welsh"),
            "description_cy": _("Description in Welsh"),
            "aims_cy": _("Aims and objectives in Welsh"),
        }
        help_texts = {
            "summary": _("One or two sentences shown in lists and on the map."),
            "description": _("What the partnership is and does."),
            "established_year": _("The year the partnership started, if known."),
            "area_name": _("The place the partnership serves, e.g. “Bolton”."),
            "mailing_list": _("An address or web page for joining the list."),
            "meeting_frequency": _("For example “Quarterly” or “Every two months”."),
            "name_cy": _("The partnership's Welsh name, if it has one."),
            "summary_cy": _(
                "Shown to people reading the directory in Welsh. A summary in English or in "
                "Welsh is needed; give both if you can."
            ),
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "summary_cy": forms.Textarea(attrs={"rows": 2}),
            "aims": forms.Textarea(attrs={"rows": 4}),
            "aims_cy": forms.Textarea(attrs={"rows": 4}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "description_cy": forms.Textarea(attrs={"rows": 6}),
            "established_year": forms.NumberInput(attrs=YEAR_ATTRS),
        }

    def __init__(self, *args, quiet=False, **kwargs):
        self.quiet = quiet
        super().__init__(*args, **kwargs)
        # A select always sends a value from a browser; a missing one means the default.
        for name in DEFAULTED:
            self.fields[name].required = False

    def english_fields(self):
        """The fields shown first: everything but the Welsh texts."""
        return [field for field in self if field.name not in WELSH_FIELDS]

    def welsh_fields(self):
        """The Welsh texts, shown together in their own group."""
        return [self[name] for name in WELSH_FIELDS]

    def clean(self):
        data = super().clean()
        # An entry needs a summary for its list and map, in either language.
        if not data.get("summary") and not data.get("summary_cy") and "summary" not in self.errors:
            self.add_error(
                "summary",
                ValidationError(
                    gettext("Enter a summary in English or in Welsh."), code="summary_missing"
                ),
            )
        return data

    def full_clean(self):
        if self.quiet:
            self._errors, self.cleaned_data = ErrorDict(), {}
            return
        super().full_clean()

    def snapshot_fields(self):
        data = self.cleaned_data
        fields = {name: data.get(name) for name in FIELDS if name != "region"}
        for name, value in fields.items():
            if value is None and name != "established_year":
                fields[name] = ""
        fields["region"] = data["region"].slug if data.get("region") else ""
        for name in DEFAULTED:
            fields[name] = fields[name] or Partnership._meta.get_field(name).default
        return fields


# The identifier types a lead may give. "Other" needs the name of whoever issues it, which the
# curators add in the admin.
MEMBER_IDENTIFIER_SCHEMES = [(s.value, s.label) for s in Scheme if s != Scheme.OTHER]


class MemberForm(QuietForm):
    organisation = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Organisation name"), max_length=200, required=False)
    name_cy = forms.CharField(
        label=_("Welsh name (optional)"),
        max_length=200,
        required=False,
        help_text=_("For an organisation new to the directory that has a Welsh name."),
    )
    town = forms.CharField(label=_("Town or city"), max_length=100, required=False)
    identifier_scheme = forms.ChoiceField(
        label=_("Identifier type"),
        choices=[("", _("None")), *MEMBER_IDENTIFIER_SCHEMES],
        required=False,
    )
    identifier = forms.CharField(
        label=_("Identifier"),
        max_length=100,
        required=False,
        help_text=_(
            "Optional: the organisation's ODS code, charity number, company number or the "
            "like. The directory recognises the organisation by it, and an organisation new "
            "to the directory is saved with it."
        ),
    )
    sector = forms.ChoiceField(
        label=_("Sector"),
        choices=[("", _("Choose a sector")), *Sector.choices],
        required=False,
        help_text=_("Needed only for an organisation that is not in the directory yet."),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=Role.choices, initial=Role.MEMBER, required=False
    )
    joined_year = forms.IntegerField(
        label=_("Joined in (year)"),
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        widget=forms.NumberInput(attrs=YEAR_ATTRS),
    )
    match = forms.ChoiceField(
        label=_("Is this organisation already in the directory?"),
        widget=forms.RadioSelect,
        required=False,
        choices=[],
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.is_blank = True
        self.organisation = None
        # The identifier typed, as (scheme, stored value), once it is valid.
        self.identifier = None
        self.suggestions = []
        if self.is_bound:
            self._find_organisation()
        if not self.suggestions:
            del self.fields["match"]

    def _raw(self, name):
        return (self.data.get(self.add_prefix(name)) or "").strip()

    def _checked(self, name):
        """The submitted value of field `name` once it passes the field's own checks (no NUL
        characters, not too long, a number where one is wanted), or None: nothing reaches a
        query before it is valid. The form reports the problem when it is cleaned."""
        try:
            return self.fields[name].clean(self._raw(name))
        except ValidationError:
            return None

    def _find_organisation(self):
        """Which organisation the typed name and town mean, or what they might mean, among the
        organisations this user may be shown (`Organisation.objects.visible_to`): the public
        ones and those of their own partnerships. An organisation that only another lead's
        draft names is never offered, and typing its exact name makes a new organisation
        (curators merge the two later), so the page behaves exactly as if it did not exist.

        A hidden organisation id counts only when its name and town are the ones typed, so a
        forged id picks nothing that typing the exact name would not. An answer to the
        "already in the directory?" question counts only for one of the suggestions.

        A valid identifier comes first: the organisation that holds it is the one the row
        means, whatever name was typed, if this user may be shown it. One held by an
        organisation they may not be shown counts for nothing, like that organisation's name."""
        self.identifier = self._typed_identifier()
        if self.identifier is not None:
            scheme, value = self.identifier
            holder = organisations_by_identifier([(scheme, "", value)]).get((scheme, "", value))
            if holder is not None:
                self.organisation = self._visible().filter(pk=holder).first()
            if self.organisation is not None:
                return
        name, town = self._checked("name"), self._checked("town")
        if not name or town is None:
            return
        visible = self._visible()
        pinned_id = self._checked("organisation")
        if pinned_id:
            self.organisation = visible.filter(
                pk=pinned_id, name__iexact=name, town__iexact=town
            ).first()
        if self.organisation is None:
            self.organisation = exact_organisation(name, town, visible)
        if self.organisation is not None:
            return
        self.suggestions = likely_duplicates(name, town, visible)
        if not self.suggestions:
            return
        answer = self._raw("match")
        self.organisation = next((o for o in self.suggestions if str(o.pk) == answer), None)
        match = self.fields["match"]
        match.choices = [
            *(
                (
                    str(o.pk),
                    gettext("Use %(organisation)s") % {"organisation": _organisation_label(o)},
                )
                for o in self.suggestions
            ),
            (NEW_ORGANISATION, gettext("No, create a new organisation")),
        ]
        if town:
            match.label = gettext("Is “%(name)s” in %(town)s already in the directory?") % {
                "name": name,
                "town": town,
            }
        else:
            match.label = gettext("Is “%(name)s” already in the directory?") % {"name": name}
        match.help_text = gettext(
            "The directory has organisations with similar names. Choose the one you mean, so "
            "that the partnership is linked to it, or create a new organisation."
        )

    def _visible(self):
        organisations = Organisation.objects
        return organisations.visible_to(self.user) if self.user else organisations.public()

    def _typed_identifier(self):
        """The identifier typed, as (scheme, stored value), or None: none typed, or not valid
        (the form says why when it is cleaned)."""
        scheme, value = self._checked("identifier_scheme"), self._checked("identifier")
        if not scheme or not value:
            return None
        try:
            return scheme, identifiers.normalise(scheme, value)
        except ValidationError:
            return None

    @property
    def asks_match(self):
        """Whether the page asks which organisation the row means (not yet answered)."""
        return bool(self.suggestions) and self.organisation is None

    @property
    def awaits_answer(self):
        """Whether the row cannot be saved until the question is answered."""
        return self.asks_match and self._raw("match") != NEW_ORGANISATION

    def clean(self):
        data = super().clean()
        name, town = data.get("name", ""), data.get("town", "")
        scheme, identifier = data.get("identifier_scheme"), data.get("identifier", "")
        self.is_blank = not (name or town or data.get("organisation") or identifier)
        if self.is_blank:
            return data
        self._check_identifier(scheme, identifier)
        if not name and self.organisation is None:
            self.add_error("name", gettext("Enter the organisation's name, or clear this row."))
            return data
        shown = []
        if self.identifier is not None:
            shown.append(("identifier", self.identifier[1]))  # as the directory stores it
        if self.organisation is not None:
            # Show the chosen organisation as it is named in the directory, and keep its id so
            # that the next submission does not have to ask again.
            shown += [
                ("organisation", self.organisation.pk),
                ("name", self.organisation.name),
                ("name_cy", self.organisation.name_cy),
                ("town", self.organisation.town),
            ]
        for field, value in shown:
            if hasattr(self.data, "_mutable") and self.data._mutable:
                self.data[self.add_prefix(field)] = str(value)
        if self.organisation is None and not self.awaits_answer and not data.get("sector"):
            self.add_error(
                "sector",
                gettext("Choose the sector of “%(name)s”, which is new to the directory.")
                % {"name": name},
            )
        return data

    def _check_identifier(self, scheme, identifier):
        if not identifier:
            return  # a type chosen with nothing typed says nothing
        if not scheme:
            self.add_error(
                "identifier_scheme",
                gettext("Choose the type of the identifier, or clear the identifier."),
            )
            return
        try:
            identifiers.normalise(scheme, identifier)
        except ValidationError as error:
            self.add_error("identifier", error)

    @property
    def label_text(self):
        """How contacts and agreements name this row: the chosen directory organisation, or
        what was typed."""
        if self.organisation is not None:
            return _organisation_label(self.organisation)
        name, town = self._raw("name"), self._raw("town")
        if not name and not self.is_bound:
            name, town = self.initial.get("name", ""), self.initial.get("town", "")
        return f"{name}, {town}" if name and town else name


class ContactForm(QuietForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(
        max_length=150,
        required=False,
        label=_("Name"),
        help_text=_("A person or a role, such as “Library team”."),
    )
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    organisation = forms.ChoiceField(
        label=_("Organisation"),
        required=False,
        help_text=_("Chosen from the member organisations above."),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    is_lead = forms.BooleanField(label=_("This is the lead contact"), required=False)
    consent_to_publish = forms.BooleanField(label=CONSENT_LABEL, required=False)

    def clean(self):
        data = super().clean()
        text = [data.get(name) for name in ("name", "job_title", "organisation", "email", "phone")]
        self.is_blank = (
            not any(text) and not data.get("is_lead") and not data.get("consent_to_publish")
        )
        if not self.is_blank and not data.get("name"):
            self.add_error("name", gettext("Enter the contact's name or role, or clear this row."))
        return data

    def __init__(self, *args, organisation_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.is_blank = True
        self.fields["organisation"].choices = [("", gettext("Not given")), *organisation_choices]


class AgreementForm(QuietForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[("", _("Choose a type")), *AgreementKind.choices],
        required=False,
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=AgreementStatus.choices,
        initial=AgreementStatus.SIGNED,
        required=False,
    )
    signed_on = forms.DateField(
        label=_("Signed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    review_due = forms.DateField(
        label=_("Review due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    parties = forms.MultipleChoiceField(
        label=_("Parties to the agreement"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Chosen from the member organisations above."),
    )
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    document = forms.FileField(
        label=_("Document"),
        required=False,
        error_messages={"empty": uploads.EMPTY},
        help_text=format_lazy(
            _("A PDF, Word (.docx) or OpenDocument (.odt) file of at most {mb} MB."),
            mb=uploads.MAX_DOCUMENT_MB,
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".pdf,.docx,.odt,application/pdf,"
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
                "application/vnd.oasis.opendocument.text"
            }
        ),
    )
    document_token = forms.CharField(required=False, widget=forms.HiddenInput)
    remove_document = forms.BooleanField(label=_("Remove the document"), required=False)
    is_public = forms.BooleanField(
        label=_("Public: anyone may read and download this agreement"), required=False
    )
    shareable_example = forms.BooleanField(
        label=_("Other networks may use it as an example to adapt"), required=False
    )

    def __init__(self, *args, organisation_choices=(), user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.is_blank = True
        self.document_name = ""
        self.fields["parties"].choices = list(organisation_choices)
        self.fields["document"].widget = forms.FileInput(attrs=self.fields["document"].widget.attrs)

    @property
    def carried_document(self):
        """The stored file this row carries, if its token is good (for the page to mention)."""
        token = self._raw_token()
        if not token:
            return ""
        try:
            return uploads.unsign_document(token, self.user)
        except signing.BadSignature:
            return ""

    def _raw_token(self):
        return (
            self.data.get(self.add_prefix("document_token"))
            if self.is_bound
            else self.initial.get("document_token")
        ) or ""

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload:
            uploads.document_extension(upload)
        return upload

    def clean(self):
        data = super().clean()
        token = data.get("document_token")
        if token:
            try:
                self.document_name = uploads.unsign_document(token, self.user)
            except signing.SignatureExpired:
                self.add_error(
                    "document", gettext("The file chosen earlier has expired; choose it again.")
                )
            except signing.BadSignature:
                self.add_error(
                    "document", gettext("The file you chose earlier was lost; choose it again.")
                )
        if data.get("remove_document"):
            self.document_name = ""
        filled = [
            data.get(name) for name in ("kind", "title", "summary", "signed_on", "review_due")
        ]
        self.is_blank = (
            not any(filled) and not self.document_name and not self.has_error("document")
        )
        if self.is_blank:
            return data
        if not data.get("kind"):
            self.add_error("kind", gettext("Choose the type of agreement."))
        if not data.get("title"):
            self.add_error("title", gettext("Enter the agreement's title, or clear this row."))
        signed_on, review_due = data.get("signed_on"), data.get("review_due")
        if signed_on and review_due and review_due < signed_on:
            self.add_error(
                "review_due", gettext("The review date cannot be before the signing date.")
            )
        return data


def _row_formset(form, section, most):
    """A formset of `form` rows with the section's spare blank rows and at most `most` rows."""
    return forms.formset_factory(
        form,
        formset=QuietFormSet,
        extra=EXTRA_ROWS[section],
        can_delete=True,
        can_delete_extra=False,
        max_num=most,
        absolute_max=most,
    )


MemberFormSet = _row_formset(MemberForm, "members", 200)
ContactFormSet = _row_formset(ContactForm, "contacts", 50)
AgreementFormSet = _row_formset(AgreementForm, "agreements", 50)

SECTIONS = [
    ("details", _("About the partnership")),
    ("members", _("Member organisations")),
    ("contacts", _("Contacts")),
    ("agreements", _("Agreements")),
]
# How the error summary names a row: "Member 2: ...".
ROW_NAMES = {
    "members": _("Member %(number)s: %(error)s"),
    "contacts": _("Contact %(number)s: %(error)s"),
    "agreements": _("Agreement %(number)s: %(error)s"),
}


class PartnershipEditor:
    """The whole registration or editing page. `base` is the snapshot it starts from (the
    working copy of an existing partnership, or nothing for a new one)."""

    def __init__(self, *, user, base=None, data=None, files=None, quiet=False):
        self.user = user
        self.base = base or empty_snapshot()
        self.data = data
        self.section_errors = {}
        self.organisations = organisations = self._base_organisations()
        initial = self._initial(organisations)
        kwargs = {"quiet": quiet}
        self.details = PartnershipForm(data, initial=initial["details"], **kwargs)
        self.members = MemberFormSet(
            data,
            prefix="members",
            initial=initial["members"],
            form_kwargs={"user": user},
            **kwargs,
        )
        choices = self._organisation_choices()
        self.contacts = ContactFormSet(
            data,
            prefix="contacts",
            initial=initial["contacts"],
            form_kwargs={"organisation_choices": choices},
            **kwargs,
        )
        self.agreements = AgreementFormSet(
            data,
            files,
            prefix="agreements",
            initial=initial["agreements"],
            form_kwargs={"organisation_choices": choices, "user": user},
            **kwargs,
        )

    # Reading the snapshot in --------------------------------------------------------------

    def _base_organisations(self):
        ids = {m["organisation"] for m in self.base.get("members", [])}
        ids.update(self._named_organisations())
        return Organisation.objects.in_bulk(ids) if ids else {}

    def _named_organisations(self):
        """Organisations that the saved contacts and agreement parties name."""
        ids = {c["organisation"] for c in self.base.get("contacts", []) if c.get("organisation")}
        for agreement in self.base.get("agreements", []):
            ids.update(agreement.get("parties", []))
        return ids

    def _kept_organisations(self):
        """Organisations that a contact or an agreement already names but that are not members
        (set by a moderator, or a member since removed): offered as "o<pk>", so that saving the
        page loses nothing."""
        members = {m["organisation"] for m in self.base.get("members", [])}
        return (self._named_organisations() - members) & set(self.organisations)

    def _initial(self, organisations):
        base = self.base
        details = {**base.get("fields", {})}
        details["activities"] = list(base.get("activities", []))
        details["channels"] = list(base.get("channels", []))
        members, row_of = [], {}
        for member in base.get("members", []):
            organisation = organisations.get(member["organisation"])
            if organisation is None:
                continue
            row_of[organisation.pk] = str(len(members))
            members.append(
                {
                    "organisation": organisation.pk,
                    "name": organisation.name,
                    "name_cy": organisation.name_cy,
                    "town": organisation.town,
                    "sector": organisation.sector,
                    "role": member.get("role") or Role.MEMBER,
                    "joined_year": member.get("joined_year"),
                }
            )
        contacts = []
        for c in base.get("contacts", []):
            row = {name: c.get(name) for name in ContactForm.base_fields}
            pk = c.get("organisation")
            row["organisation"] = _choice_of(pk, row_of, organisations) or ""
            contacts.append(row)
        agreements = []
        for a in base.get("agreements", []):
            row = {name: a.get(name) for name in AgreementForm.base_fields if name in a}
            parties = (_choice_of(pk, row_of, organisations) for pk in a.get("parties", []))
            row["parties"] = [choice for choice in parties if choice]
            row.pop("document", None)
            if a.get("document") and uploads.is_document_name(a["document"]):
                row["document_token"] = uploads.sign_document(a["document"], self.user)
            agreements.append(row)
        return {
            "details": details,
            "members": members,
            "contacts": contacts,
            "agreements": agreements,
        }

    def _organisation_choices(self):
        """What a contact's organisation and an agreement's parties are chosen from: one choice
        per member row that names an organisation, its value the row number, then the
        organisations kept from before."""
        kept = sorted(
            (self.organisations[pk] for pk in self._kept_organisations()),
            key=lambda o: o.name.lower(),
        )
        return [
            *(
                (str(index), form.label_text)
                for index, form in enumerate(self.members.forms)
                if form.label_text
            ),
            *((f"o{o.pk}", _organisation_label(o)) for o in kept),
        ]

    # Checking -------------------------------------------------------------------------------

    def is_valid(self, *, submit=False):
        """Whether the page can be saved: as a draft (a name and a summary, and every row that
        holds something complete enough to keep) or, with `submit`, for review (also at least
        one member organisation and a lead contact with an email address)."""
        valid = [
            self.details.is_valid(),
            self.members.is_valid(),
            self.contacts.is_valid(),
            self.agreements.is_valid(),
        ]
        unique = self._check_duplicate_members()
        if submit:
            self._check_complete()
        return all(valid) and unique and not self.section_errors and not self.questions()

    def questions(self):
        """What the page asks before it can be saved, as (text, link): which organisation a
        member row means, where the directory has similar ones. Questions, not errors."""
        if self.data is None:
            return []
        return [
            (
                gettext("Member organisation %(number)s: is “%(name)s” already in the directory?")
                % {"number": index + 1, "name": form.label_text},
                f"#{form['match'].auto_id}_0",
            )
            for index, form in enumerate(self.members.forms)
            if not self.members.is_removed(form) and form.awaits_answer
        ]

    def _check_duplicate_members(self):
        seen, new_identifiers, unique = set(), set(), True
        for form in self.members.live_forms():
            if form.organisation is None:
                # Two new organisations cannot share an identifier: it names one.
                if form.identifier is not None and form.identifier in new_identifiers:
                    form.add_error(
                        "identifier",
                        gettext(
                            "Another row gives this identifier; an identifier names one "
                            "organisation."
                        ),
                    )
                    unique = False
                if form.identifier is not None:
                    new_identifiers.add(form.identifier)
                continue
            if form.organisation.pk in seen:
                form.add_error(
                    "name", gettext("This organisation is listed twice; clear one of the rows.")
                )
                unique = False
            seen.add(form.organisation.pk)
        return unique

    def _check_complete(self):
        if not self.members.live_forms():
            self.section_errors.setdefault("members", []).append(
                gettext("Add at least one member organisation before submitting for review.")
            )
        leads = [
            form
            for form in self.contacts.live_forms()
            if form.cleaned_data.get("is_lead") and form.cleaned_data.get("email")
        ]
        if not leads:
            self.section_errors.setdefault("contacts", []).append(
                gettext(
                    "Add a lead contact with an email address before submitting for review, so "
                    "that people can reach the partnership."
                )
            )

    def formsets(self):
        return [self.members, self.contacts, self.agreements]

    def error_summary(self):
        """Every problem on the page as (text, link to the field), in page order."""
        items = []
        for error in self.details.non_field_errors():
            items.append((error, "#details"))
        items += _field_errors(self.details)
        for section, formset in zip(
            ("members", "contacts", "agreements"), self.formsets(), strict=True
        ):
            for error in self.section_errors.get(section, []):
                items.append((error, f"#{section}"))
            for error in formset.non_form_errors():
                items.append((error, f"#{section}"))
            for index, form in enumerate(formset.forms):
                if formset.is_removed(form):
                    continue
                row = ROW_NAMES[section]
                for error in form.non_field_errors():
                    items.append((row % {"number": index + 1, "error": error}, f"#{form.prefix}"))
                items += [
                    (row % {"number": index + 1, "error": text}, href)
                    for text, href in _field_errors(form)
                ]
        return items

    # Writing the snapshot out --------------------------------------------------------------

    def snapshot(self):
        """The page as a snapshot. Creates the new organisations the member rows name, so call
        it inside the transaction that saves the partnership, and only once `is_valid()`."""
        members, organisation_of_row = [], {}
        for index, form in enumerate(self.members.forms):
            if form.is_blank or self.members.is_removed(form):
                continue
            organisation = form.organisation or services.new_member_organisation(
                name=form.cleaned_data["name"],
                town=form.cleaned_data["town"],
                sector=form.cleaned_data["sector"],
                identifier=form.identifier,
            )
            if form.organisation is None and form.cleaned_data.get("name_cy"):
                # Only a new organisation takes the Welsh name typed: an existing one's names
                # are the curators' to change.
                organisation.name_cy = form.cleaned_data["name_cy"]
                organisation.save(update_fields=["name_cy"])
            if organisation.pk in organisation_of_row.values():
                continue
            organisation_of_row[str(index)] = organisation.pk
            members.append(
                {
                    "organisation": organisation.pk,
                    "role": form.cleaned_data["role"] or Role.MEMBER,
                    "joined_year": form.cleaned_data.get("joined_year"),
                }
            )
        return {
            "fields": self.details.snapshot_fields(),
            "activities": sorted(a.slug for a in self.details.cleaned_data["activities"]),
            "channels": sorted(c.slug for c in self.details.cleaned_data["channels"]),
            "members": members,
            "contacts": self._contacts(organisation_of_row),
            "agreements": self._agreements(organisation_of_row),
        }

    def _contacts(self, organisation_of_row):
        base = {c["id"]: c for c in self.base.get("contacts", []) if c.get("id")}
        now = timezone.now().isoformat()
        contacts = []
        for form in self.contacts.live_forms():
            data = form.cleaned_data
            before = base.get(data.get("id"))
            item = {name: data.get(name) or "" for name in ("name", "job_title", "email", "phone")}
            item.update(
                is_lead=bool(data.get("is_lead")),
                consent_to_publish=bool(data.get("consent_to_publish")),
            )
            if before:
                item["id"] = before["id"]
            item["organisation"] = self._chosen_organisation(
                data.get("organisation"), organisation_of_row
            )
            consented_before = (
                before and before.get("consent_to_publish") and before.get("consented_at")
            )
            if item["consent_to_publish"]:
                item["consented_at"] = consented_before or now
            else:
                item["consented_at"] = None
            contacts.append(item)
        return contacts

    def _chosen_organisation(self, choice, organisation_of_row):
        """The organisation a choice stands for: a member row, or one named before."""
        if choice and choice.startswith("o") and choice[1:].isdigit():
            pk = int(choice[1:])
            return pk if pk in self._kept_organisations() else None
        return organisation_of_row.get(choice)

    def _agreements(self, organisation_of_row):
        base_ids = {a["id"] for a in self.base.get("agreements", []) if a.get("id")}
        agreements = []
        for form in self.agreements.live_forms():
            data = form.cleaned_data
            item = {
                "kind": data["kind"],
                "title": data["title"],
                "status": data["status"] or AgreementStatus.SIGNED,
                "signed_on": data["signed_on"].isoformat() if data.get("signed_on") else None,
                "review_due": data["review_due"].isoformat() if data.get("review_due") else None,
                "summary": data.get("summary") or "",
                "document": form.document_name,
                "is_public": bool(data.get("is_public")),
                "shareable_example": bool(data.get("shareable_example")),
                "parties": sorted(
                    {
                        pk
                        for choice in data.get("parties", [])
                        if (pk := self._chosen_organisation(choice, organisation_of_row))
                    }
                ),
            }
            if data.get("id") in base_ids:
                item["id"] = data["id"]
            agreements.append(item)
        return agreements

    # "Add more rows" -----------------------------------------------------------------------

    def with_more_rows(self):
        """The same page with more blank rows in every list, nothing checked yet."""
        data = self.data.copy()
        for formset in self.formsets():
            key = f"{formset.prefix}-TOTAL_FORMS"
            try:
                total = int(data.get(key, 0))
            except ValueError:
                total = 0
            more = min(total + EXTRA_ROWS[formset.prefix], formset.absolute_max)
            data[key] = str(more)
            # The new rows arrive as submitted data, so a field's initial value would not show
            # (a new member would read "Lead", the first role): fill those in as the browser would.
            for index in range(max(total, 0), more):
                for name, field in formset.form.base_fields.items():
                    if field.initial not in (None, "") and not isinstance(
                        field, forms.BooleanField
                    ):
                        data.setdefault(f"{formset.prefix}-{index}-{name}", str(field.initial))
        return PartnershipEditor(user=self.user, base=self.base, data=data, quiet=True)


def _choice_of(pk, row_of, organisations):
    """The form's choice for organisation `pk`: its member row, else "o<pk>" if it is known."""
    if pk in row_of:
        return row_of[pk]
    return f"o{pk}" if pk in organisations else None


def _organisation_label(organisation):
    if organisation.town:
        return f"{organisation.display_name}, {organisation.town}"
    return organisation.display_name


def _field_errors(form):
    items = []
    for field in form:
        if field.is_hidden:
            continue
        anchor = field.auto_id
        if field.widget_type in ("checkboxselectmultiple", "radioselect"):
            anchor = f"{anchor}_0"
        for error in field.errors:
            items.append((f"{field.label}: {error}", f"#{anchor}"))
    return items


def carry_uploads(data, files, user):
    """Store every acceptable agreement document in `files` at once and put a signed token for
    it in `data`, so that a page shown again with errors keeps it. Files that fail the checks
    are left in `files` for the form to report."""
    for key in list(files):
        if not (key.startswith("agreements-") and key.endswith("-document")):
            continue
        upload = files[key]
        try:
            name = uploads.store_document(upload)
        except ValidationError:
            continue
        data[key.removesuffix("-document") + "-document_token"] = uploads.sign_document(name, user)
        data.pop(key.removesuffix("-document") + "-remove_document", None)
        del files[key]


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of the person to invite"),
        help_text=_("They need an account with this address, verified, to accept."),
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class JoinDecisionForm(forms.Form):
    """An editor's answer to a request to join: accept or decline, with an optional reply that
    is emailed to the person who asked."""

    reply = forms.CharField(
        label=_("Your reply (optional)"),
        required=False,
        max_length=2000,
        help_text=_(
            "Sent by email to the person who asked, with the decision. Up to 2,000 characters."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "decision-%s")
        super().__init__(*args, **kwargs)
