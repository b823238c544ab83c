"""Helpers for the editing-form tests: the POST data the registration and edit form expects."""

import re
from html import unescape

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    b"xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \n"
    b"trailer << /Size 2 /Root 1 0 R >>\nstartxref\n45\n%%EOF\n"
)


def pdf(name="mou.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def form_data(action="draft", *, members=(), contacts=(), agreements=(), initial=None, **fields):
    """The page's POST data: the partnership's fields, then one row per dict in each list.
    True booleans become ticked checkboxes and False ones are left out, as a browser does."""
    data = {
        "action": action,
        "name": "",
        "summary": "",
        "kind": "network",
        "formality": "informal",
        "status": "active",
        "scope": "local",
    }
    data.update(fields)
    initial = initial or {}
    for prefix, rows in (("members", members), ("contacts", contacts), ("agreements", agreements)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(initial.get(prefix, 0))
        for index, row in enumerate(rows):
            for key, value in row.items():
                if value is False or value is None:
                    continue
                data[f"{prefix}-{index}-{key}"] = "on" if value is True else value
    return {key: value for key, value in data.items() if value is not False}


def member_row(organisation, role="lead"):
    """A member row naming an organisation already in the directory, as the edit page sends it."""
    return {
        "organisation": str(organisation.pk),
        "name": organisation.name,
        "town": organisation.town,
        "role": role,
    }


def input_value(html, name):
    """The value of the input called `name` in a rendered page, or None."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    if not tag:
        return None
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""
