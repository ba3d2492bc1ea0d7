from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    """Routing: Switchboard offers chats, emails, tickets and callbacks to one agent at a time."""

    name = "contactcenter.distribution"
    label = "routing"
    verbose_name = _("Routing")

    def ready(self) -> None:
        # Hooks are registered once the apps are loaded (Django's AppConfig.ready).
        from django.db.models.signals import m2m_changed, post_delete, post_save  # noqa: PLC0415

        from contactcenter.agents.models import Queue  # noqa: PLC0415
        from contactcenter.agents.states import available_hook_register  # noqa: PLC0415
        from contactcenter.distribution import selectors, services  # noqa: PLC0415
        from contactcenter.distribution.models import QueueRouting, QueueSkillLevel  # noqa: PLC0415
        from customers.services import customer_hooks_register  # noqa: PLC0415
        from interactions.services import ticket_watcher_register  # noqa: PLC0415

        # An agent who becomes available is offered waiting work, after the commit.
        available_hook_register(services.routing_agent_available)
        # A ticket put in a queue without an assignee waits there for an agent.
        ticket_watcher_register(services.ticket_followed)
        # Which queues route their tickets is kept in the cache: a change reads it again everywhere.
        post_save.connect(selectors.queue_routing_changed, sender=QueueRouting, dispatch_uid="routing_queue_saved")
        post_delete.connect(selectors.queue_routing_changed, sender=QueueRouting, dispatch_uid="routing_queue_deleted")
        # So are every queue's routing rules (its settings, the skills and levels it asks).
        for model in (Queue, QueueRouting, QueueSkillLevel):
            for signal in (post_save, post_delete):
                signal.connect(
                    selectors.queue_rules_changed, sender=model, dispatch_uid=f"routing_rules_{model.__name__}"
                )
        m2m_changed.connect(
            selectors.queue_rules_changed, sender=Queue.skills.through, dispatch_uid="routing_rules_skills"
        )
        # A customer's callbacks follow a merge; an erasure cancels them and blanks their numbers.
        customer_hooks_register(merged=services.callbacks_customer_merged, erased=services.callbacks_customer_erased)
