from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    """KPI computation and its daily rollup, the admin reports and the staffing forecast."""

    name = "kpis"
    verbose_name = _("KPIs and reports")
