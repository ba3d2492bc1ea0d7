from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    """KPI computation and its daily rollup, the admin reports and the staffing forecast."""

    name = "kpis"
    verbose_name = _("KPIs and reports")

    def ready(self) -> None:
        # Signal receivers are connected once the models are loaded (Django's AppConfig.ready).
        from kpis import queue_counts  # noqa: PLC0415

        queue_counts.connect_signals()
