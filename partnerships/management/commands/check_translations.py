"""Fail when a string marked for translation has no Welsh translation, or when the compiled
catalogue is out of date. Runs `makemessages` (GNU gettext), so the committed catalogue is
compared with what the code marks today; the committed .po files are put back afterwards."""

import polib
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from partnerships.translations import _key, catalogue_paths, compiled_differences, untranslated

IGNORE = ["staticfiles/*", "bench/*", "tests/*", "docs/*", "build/*"]


class Command(BaseCommand):
    help = "Check that the Welsh catalogue translates every marked string and is compiled."

    def handle(self, *args, **options):
        problems = []
        for domain, path in catalogue_paths().items():
            committed = path.read_bytes() if path.exists() else None
            if committed is None:
                problems.append(f"{path} is missing: run `make messages`")
                continue
            try:
                call_command(
                    "makemessages",
                    locale=["cy"],
                    domain=domain,
                    ignore_patterns=IGNORE,
                    no_obsolete=True,
                    add_location="file",
                    verbosity=0,
                )
                extracted = polib.pofile(str(path))
            finally:
                path.write_bytes(committed)
            catalogue = polib.pofile(str(path))
            known = {_key(entry) for entry in catalogue if not entry.obsolete}
            for entry in extracted:
                if _key(entry) not in known:
                    problems.append(f"{domain}: not in the catalogue: {entry.msgid!r}")
            marked = {_key(entry) for entry in extracted}
            for entry in catalogue:
                if not entry.obsolete and _key(entry) not in marked:
                    problems.append(f"{domain}: no longer marked anywhere: {entry.msgid!r}")
            for entry in untranslated(catalogue):
                problems.append(f"{domain}: no Welsh translation: {entry.msgid!r}")
            problems += [f"{domain}: {problem}" for problem in compiled_differences(path)]
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(problems)} problem(s) with the Welsh catalogue. Run `make messages`, "
                "translate what is new in locale/cy/LC_MESSAGES/*.po, run it again and commit."
            )
        self.stdout.write("The Welsh catalogue translates every marked string and is compiled.")
