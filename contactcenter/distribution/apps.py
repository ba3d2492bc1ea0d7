from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    """Routing: Switchboard offers chats, emails, tickets and callbacks to one agent at a time."""

    name = "contactcenter.distribution"
    label = "routing"
    verbose_name = _("Routing")

    def ready(self) -> None:
        # Hooks are registered once the apps are loaded (Django's AppConfig.ready).
        from contactcenter.agents.states import available_hook_register  # noqa: PLC0415
        from contactcenter.distribution import services  # noqa: PLC0415
        from customers.services import customer_hooks_register  # noqa: PLC0415
        from interactions.services import ticket_watcher_register  # noqa: PLC0415

        # An agent who becomes available is offered waiting work, after the commit.
        available_hook_register(services.routing_agent_available)
        # A ticket put in a queue without an assignee waits there for an agent.
        ticket_watcher_register(services.ticket_followed)
        # A customer's callbacks follow a merge; an erasure cancels them and blanks their numbers.
        customer_hooks_register(merged=services.callbacks_customer_merged, erased=services.callbacks_customer_erased)
