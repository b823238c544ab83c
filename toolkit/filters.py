"""The agreement library's filter."""

import django_filters
from django.utils.translation import gettext_lazy as _

from partnerships.models import Agreement, AgreementKind


class SharedAgreementFilter(django_filters.FilterSet):
    """Shared example agreements by type (memorandum of understanding, terms of reference...)."""

    kind = django_filters.ChoiceFilter(
        label=_("Type of agreement"), choices=AgreementKind.choices, empty_label=_("All types")
    )

    class Meta:
        model = Agreement
        fields = ["kind"]
