"""The merge form: which record survives, and which value each differing field keeps."""

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from partnerships import imports, spreadsheets
from partnerships.merging import OTHER, SURVIVOR
from partnerships.models import ImportKind, ImportMapping, Sector

FIRST, SECOND = "first", "second"
EMPTY = pgettext_lazy("no value", "(empty)")


def entry_label(entry):
    """How the merge form names a record: its name, and where it is."""
    place = getattr(entry, "town", "") or getattr(entry, "area_name", "")
    return f"{entry.display_name}, {place}" if place else entry.display_name


class MergeForm(forms.Form):
    """`first` and `second` are the two records (two organisations or two partnerships),
    `preview` their `merging.Preview`. One radio choice picks the surviving record; one per
    field whose values differ picks the value to keep, the default survivor's first."""

    survivor = forms.ChoiceField(label=_("Which entry stays?"), widget=forms.RadioSelect)

    def __init__(self, *args, first, second, preview, default_survivor, **kwargs):
        super().__init__(*args, **kwargs)
        self.first, self.second, self.preview = first, second, preview
        default = FIRST if default_survivor == first else SECOND
        survivor = self.fields["survivor"]
        keep = gettext("Keep “%(entry)s” (#%(pk)s)")
        survivor.choices = [
            (FIRST, keep % {"entry": entry_label(first), "pk": first.pk}),
            (SECOND, keep % {"entry": entry_label(second), "pk": second.pk}),
        ]
        survivor.initial = default
        survivor.help_text = _(
            "The other entry is kept as a record of the merge: its address redirects to the one "
            "that stays."
        )
        self.field_choices = preview.fields
        for choice in preview.fields:
            self.fields[f"field_{choice.name}"] = forms.ChoiceField(
                label=choice.label,
                widget=forms.RadioSelect,
                choices=[
                    (FIRST, choice.first_value or EMPTY),
                    (SECOND, choice.second_value or EMPTY),
                ],
                initial=default,
            )

    def field_rows(self):
        """(FieldChoice, bound field) for each differing field, for the template."""
        return [(choice, self[f"field_{choice.name}"]) for choice in self.field_choices]

    def entries(self):
        """(survivor, other) as chosen."""
        if self.cleaned_data["survivor"] == FIRST:
            return self.first, self.second
        return self.second, self.first

    def choices(self):
        """What merge_organisations / merge_partnerships take: field name to SURVIVOR or
        OTHER."""
        kept = self.cleaned_data["survivor"]
        return {
            choice.name: SURVIVOR if self.cleaned_data[f"field_{choice.name}"] == kept else OTHER
            for choice in self.field_choices
        }

    def kept_values(self):
        """(label, value kept) for each differing field, for the confirmation page."""
        rows = []
        for choice in self.field_choices:
            source = self.cleaned_data[f"field_{choice.name}"]
            value = choice.first_value if source == FIRST else choice.second_value
            rows.append((choice.label, value))
        return rows


# Importing ------------------------------------------------------------------------------------


def _english(word):
    return format_html('<span lang="en">{}</span>', word)


class NewImportForm(forms.Form):
    """The first step of an import: what the file holds, the file, where it comes from, and
    optionally a mapping saved from an earlier file of the same shape."""

    kind = forms.ChoiceField(
        label=_("What does the file list?"),
        choices=ImportKind.choices,
        initial=ImportKind.ORGANISATIONS,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A CSV file or an Excel workbook (.xlsx), with the column headings in the first row; "
            "or, for an Open Referral UK feed, a JSON file of services (a list, a page with "
            "“contents”, or one service a line)."
        ),
    )
    members_file = forms.FileField(
        label=_("Members file (optional, partnerships only)"),
        required=False,
    )
    source = forms.CharField(
        label=_("Source (optional)"),
        required=False,
        max_length=100,
        help_text=_(
            "Where the list comes from, e.g. “North West networks spreadsheet”. Importing a "
            "corrected file under the same source updates what the first one created; left "
            "empty, the file's name is used."
        ),
    )
    saved_mapping = forms.ModelChoiceField(
        label=_("Saved column mapping (optional)"),
        queryset=ImportMapping.objects.all(),
        required=False,
        empty_label=_("None: guess from the headings"),
        help_text=_(
            "How an earlier file of the same shape was read; headings it does not know are guessed."
        ),
    )

    feed_default_sector = forms.ChoiceField(
        label=_("Sector of organisations the feed gives none for (Open Referral UK feeds only)"),
        choices=[("", _("None: such organisations are errors")), *Sector.choices],
        required=False,
    )
    feed_publish = forms.BooleanField(
        label=_("Publish the feed's partnerships at once (Open Referral UK feeds only)"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The headings and the sheet's name are read as they are, in English: marked as English.
        self.fields["members_file"].help_text = format_html(
            gettext(
                "A second CSV or .xlsx file listing the partnerships' members a row each, with "
                "the columns {partnership} (its name or ID), {member} (a name or an identifier "
                "such as “ODS code: RMC”) and {role}; instead of a {members} column or a "
                "workbook's {members} sheet."
            ),
            partnership=_english("Partnership"),
            member=_english("Member"),
            role=_english("Role"),
            members=_english("Members"),
        )

    def clean_file(self):
        return self._within_limit(self.cleaned_data["file"])

    def clean_members_file(self):
        upload = self.cleaned_data.get("members_file")
        return self._within_limit(upload) if upload else upload

    def _within_limit(self, upload):
        # The module's value at call time, so that a test can lower it.
        if upload.size > spreadsheets.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is %(size)s MB; the most that can be imported at once is "
                    "%(limit)s MB. Split it into smaller files."
                ),
                code="too_large",
                params={
                    "size": f"{upload.size / 1024 / 1024:.1f}",
                    "limit": f"{spreadsheets.MAX_UPLOAD_BYTES / 1024 / 1024:g}",
                },
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        saved, kind = cleaned.get("saved_mapping"), cleaned.get("kind")
        if saved and kind == ImportKind.OPEN_REFERRAL:
            self.add_error(
                "saved_mapping",
                forms.ValidationError(
                    _("An Open Referral UK feed has no columns to map."), code="no_columns"
                ),
            )
            saved = None
        if cleaned.get("members_file") and kind and kind != ImportKind.PARTNERSHIPS:
            self.add_error(
                "members_file",
                forms.ValidationError(
                    _("A members file goes with a list of partnerships, not organisations."),
                    code="members_without_partnerships",
                ),
            )
        if saved and kind and saved.kind != kind:
            self.add_error(
                "saved_mapping",
                forms.ValidationError(
                    _(
                        "“%(mapping)s” is a mapping for %(its_kind)s; choose one for %(kind)s, "
                        "or none."
                    ),
                    code="other_kind",
                    params={
                        "mapping": saved.name,
                        "its_kind": saved.get_kind_display().lower(),
                        "kind": ImportKind(kind).label.lower(),
                    },
                ),
            )
        return cleaned


PUBLISH_CHOICES = [
    ("draft", _("As drafts, for a curator to publish")),
    ("published", _("Published at once")),
]


class ColumnsForm(forms.Form):
    """Which field each column of an uploaded file fills, with the run's options. A column's
    help shows a few of its values, so that a curator can tell what it holds."""

    def __init__(self, *args, run, samples, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run
        self.headings = []
        choices = imports.field_choices(run.kind)
        self.field_labels = dict(choices)
        mapping = list(run.mapping) + [""] * (len(run.headers) - len(run.mapping))
        for index, heading in enumerate(run.headers):
            label = heading or gettext("Column %(number)s (no heading)") % {"number": index + 1}
            self.headings.append(label)
            values = samples[index] if index < len(samples) else []
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=False,
                initial=mapping[index],
                help_text=(
                    gettext("For example: %(values)s")
                    % {"values": "; ".join(f"“{value}”" for value in values)}
                    if values
                    else gettext("Empty in the first rows.")
                ),
            )
        if run.kind == ImportKind.ORGANISATIONS:
            self.fields["default_sector"] = forms.ChoiceField(
                label=_("Sector of rows that give none (optional)"),
                choices=[("", _("None: leave it empty")), *Sector.choices],
                required=False,
                initial=run.default_sector,
            )
        else:
            self.fields["publish"] = forms.ChoiceField(
                label=_("Import the partnerships"),
                choices=PUBLISH_CHOICES,
                widget=forms.RadioSelect,
                initial="published" if run.publish else "draft",
            )
        self.fields["save_as"] = forms.CharField(
            label=_("Save this mapping as (optional)"),
            required=False,
            max_length=100,
            help_text=_(
                "A name, e.g. “NW networks list”, to choose this mapping for the next file of the "
                "same shape. A saved mapping of the same name is replaced."
            ),
        )

    def column_fields(self):
        return [self[f"column_{index}"] for index in range(len(self.run.headers))]

    def option_fields(self):
        return [
            self[name] for name in ("default_sector", "publish", "save_as") if name in self.fields
        ]

    def clean(self):
        cleaned = super().clean()
        mapping = [cleaned.get(f"column_{i}", "") or "" for i in range(len(self.run.headers))]
        columns_of = {}
        for index, name in enumerate(mapping):
            if name:
                columns_of.setdefault(name, []).append(index)
        for name, indexes in columns_of.items():
            if len(indexes) > 1:
                headings = pgettext("between column headings", " and ").join(
                    f"“{self.headings[i]}”" for i in indexes
                )
                for index in indexes:
                    self.add_error(
                        f"column_{index}",
                        forms.ValidationError(
                            _(
                                "%(headings)s both fill %(field)s; choose one column for it and "
                                "ignore the other."
                            ),
                            code="same_field",
                            params={"headings": headings, "field": self.field_labels[name]},
                        ),
                    )
        if "name" not in columns_of:
            raise forms.ValidationError(
                _(
                    "No column fills Name: choose the column that holds the names, since an "
                    "entry cannot be imported without one."
                ),
                code="no_name",
            )
        cleaned["mapping"] = mapping
        return cleaned


class ApplyImportForm(forms.Form):
    skip_errors = forms.BooleanField(
        label=_("Skip the rows with errors and import the others"),
        required=False,
        help_text=_("Left unticked, nothing is imported while any row has an error."),
    )


class UndoImportForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for undoing (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the history with the undo."),
    )
