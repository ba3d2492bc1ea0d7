"""Telephony reads: the commands a user may follow."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from contactcenter.telephony.models import Command


def commands_for(*, user: AbstractBaseUser) -> QuerySet[Command]:
    """The commands ``user`` may follow (:meth:`CommandQuerySet.visible_to`), newest first. Their
    answer reads no related row: one query per page."""
    return Command.objects.visible_to(user).order_by("-created_at", "-id")
