"""Template helpers for the dial buttons: a customer's phone numbers, primary first."""

from __future__ import annotations

from django import template

from customers.models import ContactPoint, Customer

register = template.Library()


@register.filter
def phone_numbers(customer: Customer) -> list[str]:
    """The customer's phone numbers (E.164), the primary one first, from their contact points as
    read with them (prefetched: no query)."""
    points = [point for point in customer.contact_points.all() if point.kind == ContactPoint.Kind.PHONE]
    points.sort(key=lambda point: (not point.is_primary, point.pk))
    return [point.value for point in points]
