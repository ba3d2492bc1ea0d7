from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    """The organisation: teams, agents and their roles, skills, queues and presence."""

    name = "contactcenter.agents"
    label = "agents"
    verbose_name = _("Organisation: teams, agents, queues")

    def ready(self) -> None:
        # Signal receivers are connected once the models are loaded (Django's AppConfig.ready).
        from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

        from contactcenter.agents import events, roles  # noqa: PLC0415
        from contactcenter.agents.models import Queue  # noqa: PLC0415
        from contactcenter.agents.queues import queues_changed  # noqa: PLC0415

        roles.connect_signals()
        # The queues by name are kept in the cache (contactcenter.agents.queues).
        post_save.connect(queues_changed, sender=Queue, dispatch_uid="switchboard_queues_saved")
        post_delete.connect(queues_changed, sender=Queue, dispatch_uid="switchboard_queues_deleted")
        # A socket's scope follows its user's role, team, queues and active flag.
        events.connect_signals()
