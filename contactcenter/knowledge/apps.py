from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """The knowledge base: articles in French and English that agents search from their desktop."""

    name = "contactcenter.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")
