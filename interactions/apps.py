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
        from interactions.models import BusinessHours, Disposition, Holiday, SlaPolicy  # noqa: PLC0415
        from interactions.partitions import check_partitioning, partition_new_database  # noqa: PLC0415
        from interactions.selectors import dispositions_changed, sla_changed  # noqa: PLC0415

        connect_signals()
        # The dispositions are kept in the cache (interactions.selectors.dispositions).
        post_save.connect(dispositions_changed, sender=Disposition, dispatch_uid="switchboard_dispositions_saved")
        post_delete.connect(dispositions_changed, sender=Disposition, dispatch_uid="switchboard_dispositions_deleted")
        # The SLA policies and the business calendar too (interactions.selectors.sla_policy_of).
        for model in (SlaPolicy, BusinessHours, Holiday):
            post_save.connect(sla_changed, sender=model, dispatch_uid=f"switchboard_sla_saved_{model.__name__}")
            post_delete.connect(sla_changed, sender=model, dispatch_uid=f"switchboard_sla_deleted_{model.__name__}")
        # The agents' states follow their calls (docs/agent-states.md).
        contact_source_register(CallContacts())
        # After the defaults' receiver: a new database is partitioned when the setting asks for it.
        post_migrate.connect(partition_new_database, dispatch_uid="switchboard_partition_new_database")
        checks.register(check_partitioning, checks.Tags.database)
