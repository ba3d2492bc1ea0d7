from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    """KPI computation and its daily rollup, the admin reports and the staffing forecast."""

    name = "kpis"
    verbose_name = _("KPIs and reports")

    def ready(self) -> None:
        # Signal receivers are connected once the models are loaded (Django's AppConfig.ready).
        from django.db.models.signals import post_migrate  # noqa: PLC0415

        from kpis import queue_counts, rollups  # noqa: PLC0415

        queue_counts.connect_signals()
        # The queue counters' state row after migrate and flush (which empties it with the rest).
        post_migrate.connect(
            queue_counts.state_ensure_after_migrate, sender=self, dispatch_uid="kpis_queue_counts_state"
        )
        # The same for the FCR repeat flags' row (the triggers read the definition from it).
        post_migrate.connect(rollups.flags_ensure_after_migrate, sender=self, dispatch_uid="kpis_fcr_flags_state")
