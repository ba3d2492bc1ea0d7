"""The demo's customers: mostly French, some from abroad, with valid E.164 phones, emails on
reserved domains and a few social handles; about 1 % typed in twice, for the deduplication screens.

Plain values (:class:`Person`, :class:`CustomerSpec`, :class:`PointSpec`); the customers writer
turns them into ``Customer`` and ``ContactPoint`` rows.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import phonenumbers
from django.utils.translation import gettext as _
from faker import Faker

from contactcenter.demo.errors import DemoError
from contactcenter.demo.simulator.center import CUSTOMER_PREFIX
from contactcenter.demo.simulator.common import DAY, Advance, no_progress, weighted
from contactcenter.demo.simulator.values import PointKind


@dataclass(frozen=True)
class Country:
    locale: str
    language: str
    weight: float
    #: (E.164 digits after "+", how many random digits follow)
    mobiles: tuple[tuple[str, int], ...]
    landlines: tuple[tuple[str, int], ...]


COUNTRIES: tuple[Country, ...] = (
    Country("fr_FR", "fr", 0.85, (("336", 8), ("337", 8)), (("331", 8), ("332", 8), ("334", 8), ("335", 8))),
    Country("en_GB", "en", 0.05, (("447", 9),), (("4420", 8),)),
    Country("de_DE", "de", 0.04, (("4915", 9), ("4917", 8)), (("4930", 8),)),
    Country("en_US", "en", 0.03, (("1212", 7), ("1415", 7), ("1617", 7)), ()),
    Country("es_ES", "es", 0.03, (("346", 8),), (("3491", 7),)),
)
TAGS = (("premium", 8), ("vip", 3), ("fidèle", 10), ("nouveau client", 8), ("newsletter", 12), ("à rappeler", 3))
#: Reserved for documentation (RFC 2606): a demo never mails a real person.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
SOCIAL_NETWORKS = ("facebook", "instagram", "x", "linkedin")
CUSTOMER_NOTES = (
    "Préfère être contacté le matin.",
    "Client depuis l'ouverture, très attaché au service.",
    "Malentendant : privilégier l'email.",
    "A signalé un déménagement prévu.",
)


@dataclass
class CustomerSpec:
    """A customer's fields, as ``Customer`` has them."""

    first_name: str
    last_name: str
    company: str
    language: str
    tags: list[str]
    notes: str
    consent_marketing: bool
    consent_recording: bool
    consent_surveys: bool
    external_id: str
    created_at: datetime


@dataclass(frozen=True)
class PointSpec:
    """A contact point's fields, as ``ContactPoint`` has them; created with its customer."""

    kind: str
    value: str
    label: str = ""
    network: str = ""
    is_primary: bool = False


@dataclass
class Person:
    """A generated customer with its contact points and what routing needs to know of it."""

    customer: CustomerSpec
    points: list[PointSpec] = field(default_factory=list)

    @property
    def has_phone(self) -> bool:
        return any(p.kind == PointKind.PHONE for p in self.points)

    @property
    def has_email(self) -> bool:
        return any(p.kind == PointKind.EMAIL for p in self.points)

    @property
    def has_social(self) -> bool:
        return any(p.kind == PointKind.SOCIAL for p in self.points)

    def add(self, kind: str, value: str, label: str = "", network: str = "") -> None:
        """Add a contact point; the first of its kind is the primary one."""
        primary = not any(p.kind == kind for p in self.points)
        self.points.append(PointSpec(kind, value, label, network, primary))


@dataclass
class _Taken:
    """Phones and emails already given to a demo customer: each one belongs to one customer."""

    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)


def generate_customers(
    rng: random.Random, *, count: int, start: datetime, seed: int, advance: Advance = no_progress
) -> list[Person]:
    """``count`` customers, mostly French, with valid E.164 phones, emails and a few handles, all
    customers since before ``start``.

    External ids are ``demo-c-00001``…; about 1 % are duplicates of an earlier customer (same
    name and email, another phone), for the deduplication screens.
    """
    fakers = _fakers(seed)
    taken = _Taken()
    people: list[Person] = []
    weights = [c.weight for c in COUNTRIES]
    for n in range(1, count + 1):
        country = rng.choices(COUNTRIES, weights)[0]
        original = people[rng.randrange(len(people))] if n > 20 and rng.random() < 0.01 else None
        person = Person(_customer(rng, n, country, fakers[country.locale], original, start))
        _add_points(rng, person, country, original, taken)
        people.append(person)
        advance(1)
    return people


def _customer(
    rng: random.Random, n: int, country: Country, fake: Faker, original: Person | None, start: datetime
) -> CustomerSpec:
    """The ``n``-th customer's fields: a new person of ``country``, or ``original`` typed in again."""
    if original is not None:
        first, last = original.customer.first_name, original.customer.last_name
        company, language = original.customer.company, original.customer.language
    else:
        first, last = fake.first_name(), fake.last_name()
        company = fake.company() if rng.random() < 0.18 else ""
        language = "en" if country.language == "fr" and rng.random() < 0.03 else country.language
    tags = sorted({weighted(rng, TAGS) for _tag in range(rng.randint(0, 3))})
    if company:
        tags.append("b2b")
    since = start - timedelta(seconds=rng.randrange(DAY, 3 * 365 * DAY))
    return CustomerSpec(
        first_name=first,
        last_name=last,
        company=company,
        language=language,
        tags=tags,
        notes=rng.choice(CUSTOMER_NOTES) if rng.random() < 0.05 else "",
        consent_marketing=rng.random() < 0.35,
        consent_recording=rng.random() < 0.9,
        consent_surveys=rng.random() < 0.8,
        external_id=f"{CUSTOMER_PREFIX}{n:05d}",
        created_at=since,
    )


def _add_points(rng: random.Random, person: Person, country: Country, original: Person | None, taken: _Taken) -> None:
    """A mobile for most, a landline for some, personal and work emails, now and then a handle;
    at least one contact point each. A duplicate keeps the original's email."""
    first, last, company = person.customer.first_name, person.customer.last_name, person.customer.company
    if rng.random() < 0.9:
        person.add(PointKind.PHONE, _phone(rng, country.mobiles, taken.phones), "mobile")
    if country.landlines and rng.random() < 0.3:
        person.add(PointKind.PHONE, _phone(rng, country.landlines, taken.phones), "home")
    original_emails = [p.value for p in original.points if p.kind == PointKind.EMAIL] if original else []
    if original_emails:
        # A duplicate: same person typed in twice, recognisable by name and email.
        person.add(PointKind.EMAIL, original_emails[0], "personal")
    elif rng.random() < 0.82:
        person.add(PointKind.EMAIL, _email(rng, first, last, rng.choice(EMAIL_DOMAINS), taken.emails), "personal")
    if company and rng.random() < 0.6:
        domain = f"{_ascii(company, '-')[:40].strip('-') or 'company'}.example"
        person.add(PointKind.EMAIL, _email(rng, first[:1], last, domain, taken.emails), "work")
    if rng.random() < 0.12:
        handle = f"@{_ascii(first, '')}{_ascii(last, '')[:4]}{rng.randint(1, 99)}"
        person.add(PointKind.SOCIAL, handle, network=rng.choice(SOCIAL_NETWORKS))
    if not person.points:
        person.add(PointKind.EMAIL, _email(rng, first, last, rng.choice(EMAIL_DOMAINS), taken.emails), "personal")


def _fakers(seed: int) -> dict[str, Faker]:
    """One Faker per country's locale, each seeded from ``seed``."""
    fakers = {}
    for offset, country in enumerate(COUNTRIES):
        fake = Faker(country.locale)
        fake.seed_instance(seed + offset)
        fakers[country.locale] = fake
    return fakers


def _phone(rng: random.Random, patterns: Sequence[tuple[str, int]], taken: set[str]) -> str:
    """A number valid for libphonenumber, in E.164, that no other demo customer has."""
    for _attempt in range(200):
        prefix, digits = rng.choice(patterns)
        value = "+" + prefix + "".join(str(rng.randrange(10)) for _digit in range(digits))
        if value not in taken and phonenumbers.is_valid_number(phonenumbers.parse(value, None)):
            taken.add(value)
            return value
    raise DemoError(_("Could not find a free valid phone number; ask for fewer customers."))


def _ascii(text: str, separator: str) -> str:
    """``Hélène Le Goff`` → ``helene-le-goff`` (with ``separator`` "-")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", separator, plain).strip(separator)


def _email(rng: random.Random, first: str, last: str, domain: str, taken: set[str]) -> str:
    """``first.last@domain``, with a number when another demo customer has it already."""
    local = ".".join(part for part in (_ascii(first, "-"), _ascii(last, "-")) if part) or "client"
    email = f"{local}@{domain}"
    while email in taken:
        email = f"{local}{rng.randint(1, 9999)}@{domain}"
    taken.add(email)
    return email
