from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScriptsConfig(AppConfig):
    """Call scripts: what agents say, as numbered, immutable published versions."""

    name = "contactcenter.scripts"
    label = "scripts"
    verbose_name = _("Call scripts")
