"""Every write on survey responses (STYLE.md: services own writes).

A survey answer is a record of its interaction: the API (``surveys/``) records it here, and the
KPIs count it (``kpis``) without ever writing it.
"""

from __future__ import annotations

from django.db import transaction

from contactcenter.core.db import full_clean
from interactions.models import Interaction, SurveyResponse


@transaction.atomic
def survey_response_create(*, interaction: Interaction, kind: str, score: int, comment: str = "") -> SurveyResponse:
    """Record a survey answer; a score off its kind's scale is refused with a clear message."""
    response = SurveyResponse(interaction=interaction, kind=kind, score=score, comment=comment)
    full_clean(response)
    response.save()
    return response
