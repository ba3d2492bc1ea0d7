"""Query filters of ``surveys/``; a bad value answers 400 naming the filter."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from interactions.api.filters import IdFilter
from kpis.models import SurveyKind, SurveyResponse


class SurveyResponseFilter(django_filters.FilterSet):
    interaction = IdFilter(field_name="interaction_id", help_text=_("Interaction id."))
    kind = django_filters.ChoiceFilter(choices=SurveyKind.choices)

    class Meta:
        model = SurveyResponse
        fields: list[str] = []
