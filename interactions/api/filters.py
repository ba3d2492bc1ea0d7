"""Query filters of ``interactions/``, ``tickets/`` and ``surveys/``; a bad value answers 400 naming the filter.

Names and ids are matched as given (an unknown queue or agent simply matches nothing); values
that cannot mean anything (a word for an id, a time without its offset, ``overdue=maybe``) are
refused.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from contactcenter.agents.models import Queue
from contactcenter.core.choices import Channel
from contactcenter.core.db import MAX_ID
from interactions.models import Interaction, Priority, SurveyKind, SurveyResponse, Ticket, TicketStatus
from interactions.selectors import ticket_overdue_q

NAIVE_TIME_MESSAGE = _("Give the time zone: an offset such as +01:00, or Z for UTC.")


class AwareDateTimeFormField(IsoDateTimeField):
    """ISO-8601 with an offset; a time without one is refused rather than guessed. The value is
    turned to UTC: the database need not understand an exotic offset (PostgreSQL refuses +20:31)."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                raise ValidationError(NAIVE_TIME_MESSAGE, code="naive")
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(UTC)
        except OverflowError:
            raise ValidationError(_("This time is out of range."), code="overflow") from None


class AwareDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = AwareDateTimeFormField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.Filter):
    """An object id: a whole number from 1."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.Field):
    def to_python(self, value: Any) -> bool | None:
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValidationError(_("Use true or false."), code="invalid")


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.Filter):
    """``true`` or ``false`` (or 1/0); anything else is an error, not "no filter"."""

    field_class = StrictBooleanField


class NamedFilter(django_filters.CharFilter):
    """The rows whose foreign key ``field_name`` points at the row of ``model`` named ``value``
    (a username, a queue name): compared by id, ``field_id = (SELECT id … WHERE name = value)``.
    The database looks the name up once, before reading the list, so the list is read along its
    ``(foreign key, time)`` index in the list's order; a join on the name would read the newest
    rows of every owner until enough are found."""

    def __init__(self, *, model: type[Model], name_field: str, **kwargs: Any) -> None:
        self.named_model, self.name_field = model, name_field
        super().__init__(**kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        named = self.named_model.objects.filter(**{self.name_field: value}).values("pk")[:1]
        return qs.filter(**{f"{self.field_name}_id": Subquery(named)})


class InteractionFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    agent = NamedFilter(
        field_name="agent", model=get_user_model(), name_field="username", help_text=_("Agent username.")
    )
    queue = NamedFilter(field_name="queue", model=Queue, name_field="name", help_text=_("Queue name."))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, help_text=_("Channel code."))
    offered_after = AwareDateTimeFilter(
        field_name="offered_at", lookup_expr="gte", help_text=_("Offered at or after this time (with its offset).")
    )
    offered_before = AwareDateTimeFilter(
        field_name="offered_at", lookup_expr="lt", help_text=_("Offered before this time (with its offset).")
    )

    class Meta:
        model = Interaction
        fields: list[str] = []


class TicketFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=TicketStatus.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    assignee = NamedFilter(
        field_name="assignee", model=get_user_model(), name_field="username", help_text=_("Assignee username.")
    )
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    queue = NamedFilter(field_name="queue", model=Queue, name_field="name", help_text=_("Queue name."))
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        help_text=_(
            "true: new or open tickets past their resolution due time, or past their first-response "
            "due time without a first response (a pending ticket's clocks are paused); false: all the others."
        ),
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        late = ticket_overdue_q(timezone.now())
        return queryset.filter(late) if value else queryset.exclude(late)


class SurveyResponseFilter(django_filters.FilterSet):
    interaction = IdFilter(field_name="interaction_id", help_text=_("Interaction id."))
    kind = django_filters.ChoiceFilter(choices=SurveyKind.choices)

    class Meta:
        model = SurveyResponse
        fields: list[str] = []
