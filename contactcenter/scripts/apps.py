from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScriptsConfig(AppConfig):
    """Call scripts: what agents say, as numbered, immutable published versions."""

    name = "contactcenter.scripts"
    label = "scripts"
    verbose_name = _("Call scripts")

    def ready(self) -> None:
        # The queues' published scripts are kept in the cache (scripts.selectors.published_script).
        from django.db.models.signals import m2m_changed, post_delete, post_save  # noqa: PLC0415

        from contactcenter.scripts.models import Script, ScriptVersion  # noqa: PLC0415
        from contactcenter.scripts.selectors import scripts_changed  # noqa: PLC0415

        for model in (Script, ScriptVersion):
            name = model._meta.model_name
            post_save.connect(scripts_changed, sender=model, dispatch_uid=f"switchboard_{name}_saved")
            post_delete.connect(scripts_changed, sender=model, dispatch_uid=f"switchboard_{name}_deleted")
        m2m_changed.connect(scripts_changed, sender=Script.queues.through, dispatch_uid="switchboard_script_queues")
