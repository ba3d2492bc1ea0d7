"""Chainable customer filters."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from contactcenter.core.access import can
from customers.phones import try_normalize_phone


def customers_visible_to(user: AbstractBaseUser) -> bool:
    """Whether ``user`` reads customers: every role does, a user without a role does not (the
    access policy). The rule of :meth:`CustomerQuerySet.visible_to`, for a customer already in hand."""
    return can(user, "customer.read")


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser) -> CustomerQuerySet:
        """Every role reads customers; a user without a role reads none."""
        return self if customers_visible_to(user) else self.none()

    def with_phone(self, raw: str) -> CustomerQuerySet:
        """Customers having this phone number, typed in any usual format (none when invalid)."""
        e164 = try_normalize_phone(raw)
        if e164 is None:
            return self.none()
        return self.filter(contact_points__kind="phone", contact_points__value=e164).distinct()

    def not_erased(self) -> CustomerQuerySet:
        return self.filter(erased_at__isnull=True)


class ContactPointQuerySet(models.QuerySet):
    def phones(self) -> ContactPointQuerySet:
        return self.filter(kind="phone")

    def emails(self) -> ContactPointQuerySet:
        return self.filter(kind="email")
