from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    """Training material: courses of lessons and quizzes assigned to agents, with their progress."""

    name = "contactcenter.training"
    label = "training"
    verbose_name = _("Training")
