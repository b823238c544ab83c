"""Messages that belong to one section of a page (their `extra_tags` name it) are shown in that
section, where the person is looking, instead of at the top of the page."""

from django import template

register = template.Library()


def _sections(message):
    return set((message.extra_tags or "").split())


@register.filter
def in_section(messages, section):
    """The messages tagged for `section`."""
    return [message for message in messages if section in _sections(message)]


@register.filter
def outside_section(messages, section):
    """The messages not tagged for `section`: the ones the top of the page shows."""
    return [message for message in messages if section not in _sections(message)]
