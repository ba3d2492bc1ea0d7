from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    """Surveys, KPI computation, performance reports and the staffing forecast."""

    name = "kpis"
    verbose_name = _("Surveys and KPIs")
