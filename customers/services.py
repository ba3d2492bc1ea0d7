"""Every write on customers and their contact points."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from customers.models import ContactPoint, Customer, normalize_contact_value


def _normalized(kind: str, values: Iterable[str], field: str) -> list[str]:
    """Normalize every value; one ValidationError naming ``field`` lists all bad ones."""
    result: list[str] = []
    problems: list[str] = []
    for value in values:
        try:
            normalized = normalize_contact_value(kind, value)
        except ValidationError as exc:
            problems.extend(exc.message_dict.get("value", exc.messages))
            continue
        if normalized not in result:
            result.append(normalized)
    if problems:
        raise ValidationError({field: problems})
    return result


@transaction.atomic
def customer_create(
    *,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    by: AbstractBaseUser | None = None,
    **fields: Any,
) -> Customer:
    """Create a customer with its phone numbers (any format, stored E.164) and emails.

    Everything is validated before anything is written: a bad phone stores nothing.
    """
    customer = Customer(**fields)
    errors: dict[str, list[str]] = {}
    try:
        customer.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        phone_values = _normalized(ContactPoint.Kind.PHONE, phones, "phones")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        email_values = _normalized(ContactPoint.Kind.EMAIL, emails, "emails")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    customer._history_user = by
    customer.save()
    for kind, values in ((ContactPoint.Kind.PHONE, phone_values), (ContactPoint.Kind.EMAIL, email_values)):
        for position, value in enumerate(values):
            contact_point_add(customer=customer, kind=kind, value=value, is_primary=position == 0, by=by)
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by: AbstractBaseUser | None = None, **fields: Any) -> Customer:
    """Change a customer's own fields (not its contact points)."""
    for name, value in fields.items():
        setattr(customer, name, value)
    customer._history_user = by
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def contact_point_add(
    *,
    customer: Customer,
    kind: str,
    value: str,
    label: str = "",
    network: str = "",
    is_primary: bool = False,
    by: AbstractBaseUser | None = None,
) -> ContactPoint:
    """Attach a phone (normalized to E.164), email or social handle to a customer."""
    point = ContactPoint(customer=customer, kind=kind, value=value, label=label, network=network, is_primary=is_primary)
    point._history_user = by
    point.full_clean()
    point.save()
    return point
