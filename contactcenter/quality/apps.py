from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """Quality management: scorecards, evaluations of interactions, disputes and calibration."""

    name = "contactcenter.quality"
    label = "quality"
    verbose_name = _("Quality")
