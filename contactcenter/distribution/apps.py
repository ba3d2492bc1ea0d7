from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    """Routing: Switchboard offers chats, emails, tickets and callbacks to one agent at a time."""

    name = "contactcenter.distribution"
    label = "routing"
    verbose_name = _("Routing")

    def ready(self) -> None:
        # Hooks are registered once the apps are loaded (Django's AppConfig.ready).
        from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

        from contactcenter.agents.states import available_hook_register  # noqa: PLC0415
        from contactcenter.distribution import selectors, services  # noqa: PLC0415
        from contactcenter.distribution.models import QueueRouting  # noqa: PLC0415
        from interactions.services import ticket_watcher_register  # noqa: PLC0415

        # An agent who becomes available is offered waiting work, after the commit.
        available_hook_register(services.routing_agent_available)
        # A ticket put in a queue without an assignee waits there for an agent.
        ticket_watcher_register(services.ticket_followed)
        # Which queues route their tickets is kept in the cache: a change reads it again everywhere.
        post_save.connect(selectors.queue_routing_changed, sender=QueueRouting, dispatch_uid="routing_queue_saved")
        post_delete.connect(selectors.queue_routing_changed, sender=QueueRouting, dispatch_uid="routing_queue_deleted")
