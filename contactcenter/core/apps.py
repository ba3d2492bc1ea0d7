from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The foundation every other app builds on: the access policy and roles, shared choices, the
    API framework pieces, admin helpers, the search rule, middleware, idempotency and the
    publishing half of live events.

    Its label stays ``contactcenter`` (the label of its tables and migrations since the start).
    """

    name = "contactcenter.core"
    label = "contactcenter"
    verbose_name = _("Switchboard")
