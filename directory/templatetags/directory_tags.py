"""Filters for the public pages.

Messages that belong to one section of a page (their `extra_tags` name it) are shown in that
section, where the person is looking, instead of at the top of the page."""

from django import template

from partnerships import agreements, freshness

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


@register.filter
def agreement_description(agreement):
    """'Memorandum of understanding, signed 15 January 2026, review due 15 January 2027'."""
    return agreements.description(agreement)


@register.filter
def review_overdue(agreement):
    """Whether an agreement in force has passed its review date ("Review overdue")."""
    return agreements.is_review_overdue(agreement)


@register.filter
def absolute_uri(request, path):
    """`path` as a full address on the host the page was asked for (for printouts)."""
    return request.build_absolute_uri(path)


@register.filter
def is_stale(partnership):
    """Whether the entry has gone `freshness.STALE_AFTER` months without a confirmation."""
    return freshness.is_stale(partnership)


@register.filter
def confirmed_at(partnership):
    """When the entry was last confirmed or, if never, listed: what "stale" counts from."""
    return freshness.confirmed_at(partnership)
