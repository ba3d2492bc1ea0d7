from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    """The organisation: teams, agents and their roles, skills, queues and presence."""

    name = "contactcenter.agents"
    label = "agents"
    verbose_name = _("Organisation: teams, agents, queues")

    def ready(self) -> None:
        # Signal receivers are connected once the models are loaded (Django's AppConfig.ready).
        from contactcenter.agents import events, roles  # noqa: PLC0415

        roles.connect_signals()
        # A socket's scope follows its user's role, team, queues and active flag.
        events.connect_signals()
