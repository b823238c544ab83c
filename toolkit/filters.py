"""The agreement library's filter."""

import django_filters

from partnerships.models import Agreement, AgreementKind


class SharedAgreementFilter(django_filters.FilterSet):
    """Shared example agreements by type (memorandum of understanding, terms of reference...)."""

    kind = django_filters.ChoiceFilter(
        label="Type of agreement", choices=AgreementKind.choices, empty_label="All types"
    )

    class Meta:
        model = Agreement
        fields = ["kind"]
