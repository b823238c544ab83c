"""The merge form: which record survives, and which value each differing field keeps."""

from django import forms

from partnerships.merging import OTHER, SURVIVOR

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
