"""The merge form: which record survives, and which value each differing field keeps."""

from django import forms

from partnerships import imports, spreadsheets
from partnerships.merging import OTHER, SURVIVOR
from partnerships.models import ImportKind, ImportMapping, Sector

FIRST, SECOND = "first", "second"
EMPTY = "(empty)"


def entry_label(entry):
    """How the merge form names a record: its name, and where it is."""
    place = getattr(entry, "town", "") or getattr(entry, "area_name", "")
    return f"{entry.name}, {place}" if place else entry.name


class MergeForm(forms.Form):
    """`first` and `second` are the two records (two organisations or two partnerships),
    `preview` their `merging.Preview`. One radio choice picks the surviving record; one per
    field whose values differ picks the value to keep, the default survivor's first."""

    survivor = forms.ChoiceField(label="Which entry stays?", widget=forms.RadioSelect)

    def __init__(self, *args, first, second, preview, default_survivor, **kwargs):
        super().__init__(*args, **kwargs)
        self.first, self.second, self.preview = first, second, preview
        default = FIRST if default_survivor == first else SECOND
        survivor = self.fields["survivor"]
        survivor.choices = [
            (FIRST, f"Keep “{entry_label(first)}” (#{first.pk})"),
            (SECOND, f"Keep “{entry_label(second)}” (#{second.pk})"),
        ]
        survivor.initial = default
        survivor.help_text = (
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


class NewImportForm(forms.Form):
    """The first step of an import: what the file holds, the file, where it comes from, and
    optionally a mapping saved from an earlier file of the same shape."""

    kind = forms.ChoiceField(
        label="What does the file list?",
        choices=ImportKind.choices,
        initial=ImportKind.ORGANISATIONS,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label="File",
        help_text="A CSV file or an Excel workbook (.xlsx), with the column headings in the "
        "first row; or, for an Open Referral UK feed, a JSON file of services (a list, a page "
        "with “contents”, or one service a line).",
    )
    members_file = forms.FileField(
        label="Members file (optional, partnerships only)",
        required=False,
        help_text="A second CSV or .xlsx file listing the partnerships' members a row each, "
        "with the columns Partnership (its name or ID), Member (a name or an identifier such as "
        "“ODS code: RMC”) and Role; instead of a Members column or a workbook's Members sheet.",
    )
    source = forms.CharField(
        label="Source (optional)",
        required=False,
        max_length=100,
        help_text="Where the list comes from, e.g. “North West networks spreadsheet”. Importing "
        "a corrected file under the same source updates what the first one created; left empty, "
        "the file's name is used.",
    )
    saved_mapping = forms.ModelChoiceField(
        label="Saved column mapping (optional)",
        queryset=ImportMapping.objects.all(),
        required=False,
        empty_label="None: guess from the headings",
        help_text="How an earlier file of the same shape was read; headings it does not know "
        "are guessed.",
    )

    feed_default_sector = forms.ChoiceField(
        label="Sector of organisations the feed gives none for (Open Referral UK feeds only)",
        choices=[("", "None: such organisations are errors"), *Sector.choices],
        required=False,
    )
    feed_publish = forms.BooleanField(
        label="Publish the feed's partnerships at once (Open Referral UK feeds only)",
        required=False,
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
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the most that can be imported "
                f"at once is {spreadsheets.MAX_UPLOAD_BYTES / 1024 / 1024:g} MB. Split it into "
                "smaller files."
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        saved, kind = cleaned.get("saved_mapping"), cleaned.get("kind")
        if saved and kind == ImportKind.OPEN_REFERRAL:
            self.add_error("saved_mapping", "An Open Referral UK feed has no columns to map.")
            saved = None
        if cleaned.get("members_file") and kind and kind != ImportKind.PARTNERSHIPS:
            self.add_error(
                "members_file",
                "A members file goes with a list of partnerships, not organisations.",
            )
        if saved and kind and saved.kind != kind:
            self.add_error(
                "saved_mapping",
                f"“{saved.name}” is a mapping for {saved.get_kind_display().lower()}; choose one "
                f"for {ImportKind(kind).label.lower()}, or none.",
            )
        return cleaned


PUBLISH_CHOICES = [
    ("draft", "As drafts, for a curator to publish"),
    ("published", "Published at once"),
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
            label = heading or f"Column {index + 1} (no heading)"
            self.headings.append(label)
            values = samples[index] if index < len(samples) else []
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=False,
                initial=mapping[index],
                help_text=(
                    "For example: " + "; ".join(f"“{value}”" for value in values)
                    if values
                    else "Empty in the first rows."
                ),
            )
        if run.kind == ImportKind.ORGANISATIONS:
            self.fields["default_sector"] = forms.ChoiceField(
                label="Sector of rows that give none (optional)",
                choices=[("", "None: leave it empty"), *Sector.choices],
                required=False,
                initial=run.default_sector,
            )
        else:
            self.fields["publish"] = forms.ChoiceField(
                label="Import the partnerships",
                choices=PUBLISH_CHOICES,
                widget=forms.RadioSelect,
                initial="published" if run.publish else "draft",
            )
        self.fields["save_as"] = forms.CharField(
            label="Save this mapping as (optional)",
            required=False,
            max_length=100,
            help_text="A name, e.g. “NW networks list”, to choose this mapping for the next file "
            "of the same shape. A saved mapping of the same name is replaced.",
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
                headings = " and ".join(f"“{self.headings[i]}”" for i in indexes)
                for index in indexes:
                    self.add_error(
                        f"column_{index}",
                        f"{headings} both fill {self.field_labels[name]}; choose one column for "
                        "it and ignore the other.",
                    )
        if "name" not in columns_of:
            raise forms.ValidationError(
                "No column fills Name: choose the column that holds the names, since an entry "
                "cannot be imported without one."
            )
        cleaned["mapping"] = mapping
        return cleaned


class ApplyImportForm(forms.Form):
    skip_errors = forms.BooleanField(
        label="Skip the rows with errors and import the others",
        required=False,
        help_text="Left unticked, nothing is imported while any row has an error.",
    )


class UndoImportForm(forms.Form):
    reason = forms.CharField(
        label="Reason for undoing (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the history with the undo.",
    )
