"""Is the Welsh catalogue complete and compiled? Used by the `check_translations` command (in
`make lint`, which also finds strings marked in the code but missing from the catalogue) and by
tests/test_welsh_catalogue.py (which needs no GNU gettext)."""

from pathlib import Path

import polib
from django.conf import settings

DOMAINS = ("django", "djangojs")


def catalogue_paths(language="cy"):
    base = Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES"
    return {domain: base / f"{domain}.po" for domain in DOMAINS}


def _key(entry):
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def untranslated(po):
    """Entries a Welsh reader would see in English: no translation, or a fuzzy (guessed) one."""
    return [
        entry
        for entry in po
        if not entry.obsolete and ("fuzzy" in entry.flags or not entry.translated())
    ]


def compiled_differences(po_path):
    """Entries whose compiled (.mo) translation differs from the .po, or is missing from it.
    Empty when the .mo was compiled from this .po."""
    po = polib.pofile(str(po_path))
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return [f"{mo_path.name} is missing"]
    compiled = {_key(entry): entry for entry in polib.mofile(str(mo_path))}
    problems = []
    expected = set()
    for entry in po:
        if entry.obsolete or "fuzzy" in entry.flags or not entry.translated():
            continue
        expected.add(_key(entry))
        found = compiled.get(_key(entry))
        if found is None:
            problems.append(f"not compiled: {entry.msgid!r}")
        elif found.msgstr != entry.msgstr or found.msgstr_plural != entry.msgstr_plural:
            problems.append(f"compiled translation differs: {entry.msgid!r}")
    for key in compiled.keys() - expected:
        if key[1]:  # the header entry has an empty msgid
            problems.append(f"compiled but not in the .po: {key[1]!r}")
    return problems
