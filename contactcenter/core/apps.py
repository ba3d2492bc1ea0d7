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

    def ready(self) -> None:
        # Every app declares its background jobs in its own tasks.py (contactcenter.core.jobs):
        # load them all, as the admin loads admin.py, then keep the queue's schedules in step
        # with them after each migrate (the workers sync them again when they start).
        from django.contrib.auth import get_user_model  # noqa: PLC0415
        from django.db.models.signals import post_migrate, post_save  # noqa: PLC0415
        from django.utils.module_loading import autodiscover_modules  # noqa: PLC0415

        from contactcenter.core import checks, jobs, tokens  # noqa: F401, PLC0415

        autodiscover_modules("tasks")
        post_migrate.connect(jobs.schedules_sync_after_migrate, dispatch_uid="contactcenter.core.schedules_sync")
        # A password change revokes every API token of the user (contactcenter.core.tokens).
        post_save.connect(
            tokens.revoke_tokens_on_password_change,
            sender=get_user_model(),
            dispatch_uid="contactcenter.core.revoke_tokens_on_password_change",
        )
