from django import template

from directory import agreements

register = template.Library()


@register.filter
def agreement_description(agreement):
    """'Memorandum of understanding, signed 15 January 2026, review due 15 January 2027'."""
    return agreements.description(agreement)
