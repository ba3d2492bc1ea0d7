"""Chainable interaction and ticket filters."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone


class InteractionQuerySet(models.QuerySet):
    def offered_between(self, start: datetime, end: datetime) -> InteractionQuerySet:
        """Interactions whose ``offered_at`` lies in ``[start, end)``."""
        return self.filter(offered_at__gte=start, offered_at__lt=end)

    def for_customer(self, customer) -> InteractionQuerySet:
        return self.filter(customer=customer)

    def with_relations(self) -> InteractionQuerySet:
        return self.select_related("customer", "agent", "queue", "disposition", "ticket", "script_version")


class TicketQuerySet(models.QuerySet):
    def open(self) -> TicketQuerySet:
        return self.filter(status__in=("new", "open", "pending"))

    def for_queue(self, queue) -> TicketQuerySet:
        return self.filter(queue=queue)

    def overdue(self, now: datetime | None = None) -> TicketQuerySet:
        """Open tickets past their resolution due time."""
        return self.open().filter(resolution_due__lt=now or timezone.now())

    def with_relations(self) -> TicketQuerySet:
        return self.select_related("customer", "queue", "team", "assignee", "category", "sla_policy")
