"""Django's makemessages without fuzzy matching: a new string starts untranslated rather than
with the translation of a similar old one ("Description in Welsh" given "Enw yn Gymraeg"), which
a translator could miss and the checks would then accept."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
