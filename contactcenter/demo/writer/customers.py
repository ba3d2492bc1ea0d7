"""The customers phase: draws the demo's customers (with their progress bar) and writes them with
their contact points, history included.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TextIO

from django.utils.translation import gettext as _

from contactcenter.demo.result import DemoResult
from contactcenter.demo.simulator.people import Person, PointSpec, generate_customers
from contactcenter.demo.writer.bulk import progress_bar, save_rows
from customers.models import ContactPoint, Customer


def draw_customers(
    rng: random.Random, *, count: int, now: datetime, days: int, seed: int, progress: TextIO | None
) -> list[Person]:
    """``count`` customers, all customers since before the period of ``days`` up to ``now``."""
    with progress_bar(progress, total=count, desc=_("Generating customers"), unit=_("customer")) as bar:
        return generate_customers(rng, count=count, start=now - timedelta(days=days), seed=seed, advance=bar.update)


def save_customers(people: list[Person], result: DemoResult, progress: TextIO | None) -> list[Customer]:
    """Write the customers and their contact points; the customers in ``people``'s order."""
    customers = [_customer(person) for person in people]
    points = [
        _point(point, customer) for person, customer in zip(people, customers, strict=True) for point in person.points
    ]
    save_rows(Customer, customers, result, "customers", progress, history=True)
    save_rows(ContactPoint, points, result, "contact points", progress, exclude=("customer",), history=True)
    return customers


def _customer(person: Person) -> Customer:
    spec = person.customer
    return Customer(
        first_name=spec.first_name,
        last_name=spec.last_name,
        company=spec.company,
        language=spec.language,
        tags=spec.tags,
        notes=spec.notes,
        consent_marketing=spec.consent_marketing,
        consent_recording=spec.consent_recording,
        consent_surveys=spec.consent_surveys,
        external_id=spec.external_id,
        created_at=spec.created_at,
        updated_at=spec.created_at,
    )


def _point(point: PointSpec, customer: Customer) -> ContactPoint:
    return ContactPoint(
        customer=customer,
        kind=point.kind,
        value=point.value,
        label=point.label,
        network=point.network,
        is_primary=point.is_primary,
        created_at=customer.created_at,
        updated_at=customer.created_at,
    )
