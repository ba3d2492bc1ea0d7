from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    """Live events on WebSockets: the agent and wallboard consumers and what they read."""

    name = "contactcenter.live"
    label = "live"
    verbose_name = _("Live events")

    def ready(self) -> None:
        # Receivers are connected once the apps are loaded (Django's AppConfig.ready).
        from contactcenter.core import events  # noqa: PLC0415
        from contactcenter.live import selectors  # noqa: PLC0415

        events.scope_changed.connect(
            lambda sender, mark, **kwargs: selectors.forget_socket_scopes(mark),
            weak=False,
            dispatch_uid="live_forget_socket_scopes",
        )
