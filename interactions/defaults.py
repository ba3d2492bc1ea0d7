"""The defaults a new instance starts with: SLA policies, business hours, dispositions and
ticket categories (SPEC §2: they come from migrations, with no other step).

Labels are English and marked for translation: the admin shows them in the user's language.
The migration ``0002_defaults`` creates them; ``post_migrate`` puts back any that are missing
(after a test database flush, say). Nothing that a center has changed is overwritten.
"""

from __future__ import annotations

import datetime

from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_noop as _

# A business day is 9 opening hours (09:00–18:00).
SLA_POLICIES = [
    # priority, name, first response (min), resolution (min)
    ("urgent", _("Urgent: 30 min / 4 h"), 30, 4 * 60),
    ("high", _("High: 1 h / 8 h"), 60, 8 * 60),
    ("normal", _("Normal: 4 h / 3 business days"), 4 * 60, 3 * 9 * 60),
    ("low", _("Low: 1 business day / 5 business days"), 9 * 60, 5 * 9 * 60),
]

DISPOSITIONS = [
    # code, label, resolves
    ("resolved", _("Resolved"), True),
    ("information-given", _("Information given"), True),
    ("sale", _("Sale made"), True),
    ("ticket-opened", _("Ticket opened"), False),
    ("escalated", _("Escalated"), False),
    ("callback", _("Callback scheduled"), False),
    ("transferred", _("Transferred"), False),
    ("complaint", _("Complaint"), False),
    ("no-answer", _("No answer"), False),
    ("voicemail", _("Voicemail left"), False),
    ("wrong-number", _("Wrong number"), False),
]

CATEGORIES = [_("Billing"), _("Technical issue"), _("Delivery"), _("Account"), _("Complaint"), _("Other")]


def ensure_defaults(apps=global_apps) -> None:
    """Create the default rows that are missing; works with a migration's historical ``apps``."""
    SlaPolicy = apps.get_model("interactions", "SlaPolicy")
    BusinessHours = apps.get_model("interactions", "BusinessHours")
    Disposition = apps.get_model("interactions", "Disposition")
    TicketCategory = apps.get_model("interactions", "TicketCategory")
    for priority, name, first, resolution in SLA_POLICIES:
        SlaPolicy.objects.get_or_create(
            priority=priority,
            defaults={"name": name, "first_response_minutes": first, "resolution_minutes": resolution},
        )
    if not BusinessHours.objects.exists():
        for weekday in range(5):  # Monday to Friday, 09:00–18:00
            BusinessHours.objects.create(weekday=weekday, opens_at=datetime.time(9), closes_at=datetime.time(18))
    for order, (code, label, resolves) in enumerate(DISPOSITIONS):
        Disposition.objects.get_or_create(
            code=code, defaults={"label": label, "resolves": resolves, "sort_order": (order + 1) * 10}
        )
    for name in CATEGORIES:
        TicketCategory.objects.get_or_create(name=name)


def _after_migrate(sender, **kwargs) -> None:
    if sender.label == "interactions":
        ensure_defaults()


def connect_signals() -> None:
    post_migrate.connect(_after_migrate, dispatch_uid="switchboard_interaction_defaults")
