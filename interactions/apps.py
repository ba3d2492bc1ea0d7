from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    """Interactions on every channel with their survey responses, tickets with their SLA, and CTI intake."""

    name = "interactions"
    verbose_name = _("Interactions and tickets")

    def ready(self) -> None:
        # Receivers are connected once the models are loaded (Django's AppConfig.ready).
        from django.core import checks  # noqa: PLC0415
        from django.db.models.signals import post_delete, post_migrate, post_save  # noqa: PLC0415

        from contactcenter.agents.states import contact_source_register  # noqa: PLC0415
        from interactions.contacts import CallContacts  # noqa: PLC0415
        from interactions.defaults import connect_signals  # noqa: PLC0415
        from interactions.models import Disposition  # noqa: PLC0415
        from interactions.partitions import check_partitioning, partition_new_database  # noqa: PLC0415
        from interactions.selectors import dispositions_changed  # noqa: PLC0415

        connect_signals()
        # The dispositions are kept in the cache (interactions.selectors.dispositions).
        post_save.connect(dispositions_changed, sender=Disposition, dispatch_uid="switchboard_dispositions_saved")
        post_delete.connect(dispositions_changed, sender=Disposition, dispatch_uid="switchboard_dispositions_deleted")
        # The agents' states follow their calls (docs/agent-states.md).
        contact_source_register(CallContacts())
        # After the defaults' receiver: a new database is partitioned when the setting asks for it.
        post_migrate.connect(partition_new_database, dispatch_uid="switchboard_partition_new_database")
        checks.register(check_partitioning, checks.Tags.database)
