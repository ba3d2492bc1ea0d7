from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """Quality management: scorecards, evaluations of interactions, disputes and calibration."""

    name = "contactcenter.quality"
    label = "quality"
    verbose_name = _("Quality")

    def ready(self) -> None:
        # The closed loop: training rules run each time an evaluation is scored for the agent.
        from contactcenter.quality.rules import training_rules_apply  # noqa: PLC0415
        from contactcenter.quality.services import evaluation_hooks_register  # noqa: PLC0415

        evaluation_hooks_register(scored=training_rules_apply)
