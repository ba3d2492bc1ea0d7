"""Survey API shapes (SPEC §5): ``{"interaction": id, "kind": "csat"|"nps"|"ces", "score": n, "comment": ""}``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contactcenter.core.api.serializers import ModelSerializer
from interactions.api.serializers import AwareDateTimeField
from interactions.models import Interaction, SurveyKind, SurveyResponse


class SurveyResponseSerializer(ModelSerializer):
    interaction = serializers.PrimaryKeyRelatedField(
        queryset=Interaction.objects.none(), help_text=_("Id of an interaction you may see.")
    )
    kind = serializers.ChoiceField(choices=SurveyKind.choices)
    created_at = AwareDateTimeField(read_only=True)
    score = serializers.IntegerField(min_value=-32768, max_value=32767, help_text=_("CSAT 1–5, NPS 0–10, CES 1–7."))

    class Meta:
        model = SurveyResponse
        fields = ["id", "interaction", "kind", "score", "comment", "created_at"]
        read_only_fields = ["id", "created_at"]
        # One response per interaction and kind: a second one is a 409, answered by the view.
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # An interaction the caller may not see is refused as if it did not exist.
            self.fields["interaction"].queryset = Interaction.objects.visible_to(request.user)


class SurveyConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    id = serializers.IntegerField(help_text=_("The response already stored."))
