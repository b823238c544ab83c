"""Helpers for tests that save through the admin: the POST data its change page would send back
unchanged, read from the page's own forms, for a test to change and post."""

from django import forms


def _field_data(form, data):
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        value = form[name].value()
        if isinstance(field, forms.FileField):
            continue  # an unchanged file input sends nothing
        if isinstance(field, forms.BooleanField):
            if value:
                data[key] = "on"
            continue
        if isinstance(field.widget, forms.MultiWidget):
            if not isinstance(value, list):
                value = field.widget.decompress(value)
            for index, part in enumerate(value):
                data[f"{key}_{index}"] = "" if part is None else str(part)
            continue
        if value is None:
            value = ""
        if isinstance(value, (list, tuple)):
            data[key] = [str(item) for item in value]
        else:
            data[key] = str(value)


def change_form_data(response):
    """What the admin change page in `response` posts if nothing is changed: the main form's
    fields and every inline formset with its management form."""
    data = {}
    _field_data(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _field_data(formset.management_form, data)
        for form in formset.forms:
            _field_data(form, data)
    return data
