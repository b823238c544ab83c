"""The Welsh catalogue (locale/cy) is complete, compiled, and keeps every placeholder and tag.

`make lint` (manage.py check_translations) also checks that every string marked in the code is in
the catalogue; that needs GNU gettext, which these tests do not."""

import re

import polib
import pytest

from partnerships.translations import catalogue_paths, compiled_differences, untranslated

CATALOGUES = [path for path in catalogue_paths().values() if path.exists()]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
TAG = re.compile(r"</?([a-z]+)")


def entries():
    for path in CATALOGUES:
        for entry in polib.pofile(str(path)):
            if not entry.obsolete:
                yield pytest.param(entry, id=f"{path.stem}:{entry.msgid[:40]}")


def translations(entry):
    if entry.msgid_plural:
        return [text for _n, text in sorted(entry.msgstr_plural.items())]
    return [entry.msgstr]


def test_the_django_catalogue_exists():
    assert catalogue_paths()["django"] in CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_every_string_has_a_welsh_translation(path):
    missing = [entry.msgid for entry in untranslated(polib.pofile(str(path)))]
    assert not missing, f"{len(missing)} without Welsh: {missing[:20]}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_the_compiled_catalogue_is_up_to_date(path):
    assert not compiled_differences(path), "run `make messages` and commit the .mo file"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_welsh_plurals_have_all_four_forms(path):
    for entry in polib.pofile(str(path)):
        if entry.msgid_plural and not entry.obsolete:
            assert sorted(entry.msgstr_plural) == [0, 1, 2, 3], entry.msgid
            assert all(entry.msgstr_plural.values()), entry.msgid


def test_each_translation_keeps_the_placeholders_and_tags_of_its_english():
    wrong = []
    for path in CATALOGUES:
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            english = sorted(PLACEHOLDER.findall(entry.msgid))
            english_plural = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
            tags = sorted(TAG.findall(entry.msgid))
            for text in translations(entry):
                found = sorted(PLACEHOLDER.findall(text))
                # A Welsh plural form may leave out the number ("dau", "un") but adds none.
                if not set(found) <= set(english) | set(english_plural):
                    wrong.append((entry.msgid, text))
                if sorted(TAG.findall(text)) != tags:
                    wrong.append((entry.msgid, text))
    assert not wrong, wrong[:20]
