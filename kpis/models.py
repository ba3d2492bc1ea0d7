"""Survey responses (SPEC §3): CSAT 1–5, NPS 0–10, CES 1–7, each linked to an interaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contactcenter.db import CleanCheckedConstraintsModel


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT (1–5)")
    NPS = "nps", _("NPS (0–10)")
    CES = "ces", _("CES (1–7)")


#: The inclusive score range of each kind of survey.
SCALES: dict[str, tuple[int, int]] = {
    SurveyKind.CSAT: (1, 5),
    SurveyKind.NPS: (0, 10),
    SurveyKind.CES: (1, 7),
}


def _scale_condition() -> Q:
    condition = Q()
    for kind, (low, high) in SCALES.items():
        condition |= Q(kind=kind, score__gte=low, score__lte=high)
    return condition


class SurveyResponse(CleanCheckedConstraintsModel):
    interaction = models.ForeignKey(
        "interactions.Interaction",
        on_delete=models.CASCADE,
        related_name="survey_responses",
        verbose_name=_("interaction"),
    )
    kind = models.CharField(_("kind"), max_length=5, choices=SurveyKind.choices)
    score = models.SmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    CLEAN_CHECKED_CONSTRAINTS = frozenset({"survey_score_on_its_scale"})

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(condition=_scale_condition(), name="survey_score_on_its_scale"),
            models.UniqueConstraint(
                fields=["interaction", "kind"],
                name="survey_one_response_per_interaction_and_kind",
                violation_error_message=_("This interaction already has a response to this survey."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score}"

    def clean(self) -> None:
        scale = SCALES.get(self.kind)
        if scale is None or self.score is None:
            return  # the field validation already says what is missing
        low, high = scale
        if not low <= self.score <= high:
            raise ValidationError(
                {
                    "score": _("A %(kind)s score is between %(low)s and %(high)s; %(score)s is outside.")
                    % {"kind": self.kind.upper(), "low": low, "high": high, "score": self.score}
                }
            )
