"""The API's model serializers answer the plain fields without DRF's generic path
(:class:`contactcenter.core.api.serializers.ModelSerializer`): the answers must be DRF's own, for
every serializer of the project, on rows with empty and filled values, in any active time zone."""

from __future__ import annotations

import copy
import importlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import RequestFactory
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request

from contactcenter.core.api.serializers import ModelSerializer
from tests.customers.factories import CustomerFactory, EmailFactory, PhoneFactory
from tests.interactions.factories import InteractionFactory, SurveyResponseFactory, TicketCommentFactory, TicketFactory

MODULES = [
    "contactcenter.agents.api.serializers",
    "contactcenter.training.api.serializers",
    "contactcenter.scripts.api.serializers",
    "contactcenter.knowledge.api.serializers",
    "customers.api.serializers",
    "interactions.api.serializers",
    "interactions.api.survey_serializers",
]


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _project_serializers() -> list[type[ModelSerializer]]:
    for module in MODULES:
        importlib.import_module(module)
    return [cls for cls in _subclasses(ModelSerializer) if not cls.__module__.startswith("tests.")]


def _drf(serializer: ModelSerializer, instance: object) -> dict:
    return serializers.ModelSerializer.to_representation(serializer, instance)


def _answers(cls: type[ModelSerializer], instance: object, context: dict) -> tuple[object, object]:
    """(fast answer or exception type, DRF's answer or exception type) for ``instance``."""
    results = []
    for represent in (lambda s: s.to_representation(instance), lambda s: _drf(s, instance)):
        try:
            results.append(represent(cls(context=context)))
        except Exception as error:
            results.append(type(error))
    return results[0], results[1]


@pytest.fixture
def world(org):
    """Rows of every model the serializers show, with empty and filled optional values."""
    plain = CustomerFactory(tags=[], notes="")
    rich = CustomerFactory(tags=["vip", "retail"], company="ACME", notes="Calls on Mondays", consent_marketing=True)
    PhoneFactory(customer=rich, is_primary=True)
    PhoneFactory(customer=rich)
    EmailFactory(customer=rich, value="anne@example.test")
    answered = InteractionFactory(customer=rich, queue=org.queue_a, agent=org.agent_a, notes="Refund asked")
    InteractionFactory(customer=None, queue=org.queue_a, answered_at=None, ended_at=None, wrapup_ended_at=None)
    ticket = TicketFactory(customer=rich, queue=org.queue_a, assignee=org.agent_a)
    TicketFactory(customer=plain, queue=org.queue_b, first_response_due=datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    TicketCommentFactory(ticket=ticket, author=org.agent_a)
    SurveyResponseFactory(interaction=answered, comment="Great")
    return org


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/New_York"])
def test_every_serializer_answers_as_drf(world, zone) -> None:
    request = Request(RequestFactory().get("/api/v1/"))
    request.user = world.admin
    context = {"request": request}
    compared = 0
    with timezone.override(ZoneInfo(zone)):
        for cls in _project_serializers():
            model = cls.Meta.model
            for instance in model._default_manager.all()[:20]:
                fast, drf = _answers(cls, instance, context)
                assert fast == drf, (cls.__name__, instance.pk)
                compared += not isinstance(drf, type)
    # Customers, interactions, tickets, comments, surveys, queues, teams, agents at least.
    assert compared >= 20


class _Row:
    """An object with values of every plain kind, the awkward ones included."""

    def __init__(self) -> None:
        self.text = 42  # not a string: str() of it
        self.number = "7"
        self.flag = 1  # not a bool: DRF's mapping
        self.when = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
        self.naive = datetime(2026, 10, 25, 0, 30)
        self.empty = None
        self.words = ["a", None, 3]
        self.choice = "b"
        self.blank_choice = ""
        self.document = {"k": [1, 2]}

    def computed(self) -> str:
        return "called"


class _PlainSerializer(ModelSerializer):
    text = serializers.CharField()
    number = serializers.IntegerField()
    flag = serializers.BooleanField()
    when = serializers.DateTimeField()
    naive = serializers.DateTimeField()
    shifted = serializers.DateTimeField(source="when", default_timezone=ZoneInfo("Asia/Tokyo"))
    formatted = serializers.DateTimeField(source="when", format="%Y-%m-%d %H:%M")
    empty = serializers.CharField(allow_null=True)
    words = serializers.ListField(child=serializers.CharField())
    choice = serializers.ChoiceField(choices=[("a", "A"), ("b", "B")])
    blank_choice = serializers.ChoiceField(choices=[("a", "A")], allow_blank=True)
    document = serializers.JSONField()
    computed = serializers.CharField()
    missing = serializers.CharField(required=False)
    year = serializers.IntegerField(source="when.year")

    class Meta:
        model = None
        fields = "__all__"

    def get_fields(self) -> dict[str, serializers.Field]:
        return copy.deepcopy(self._declared_fields)  # no model to inspect


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_awkward_values_answer_as_drf(zone) -> None:
    row = _Row()
    with timezone.override(ZoneInfo(zone)):
        fast = _PlainSerializer().to_representation(row)
        drf = _drf(_PlainSerializer(), row)
    assert fast == drf
    assert fast["computed"] == "called"
    assert "missing" not in fast
    assert fast["when"] == ("2026-10-25T00:30:00Z" if zone == "UTC" else "2026-10-25T02:30:00+02:00")
    assert fast["words"] == ["a", None, "3"]
    assert fast["year"] == 2026


def test_a_list_answers_each_row_in_the_active_zone(world) -> None:
    from customers.api.serializers import CustomerSerializer

    assert CustomerSerializer([], many=True).data == []
    late = CustomerFactory()
    type(late).objects.filter(pk=late.pk).update(created_at=datetime(2026, 7, 1, 22, 0, tzinfo=UTC))
    late.refresh_from_db()
    with timezone.override(ZoneInfo("Europe/Paris")):
        assert CustomerSerializer([late], many=True).data[0]["created_at"] == "2026-07-02T00:00:00+02:00"
    with timezone.override(UTC):
        assert CustomerSerializer(late).data["created_at"] == "2026-07-01T22:00:00Z"


def test_a_kept_serializer_answers_as_a_fresh_one_in_each_answers_zone(world) -> None:
    """:func:`represent` answers from one serializer per class and thread, built once: the same
    answers as a new serializer's, nested lists included, in the zone active at each answer."""
    from contactcenter.core.api.serializers import answering_serializer, represent, represent_many
    from customers.api.serializers import TIMELINE_SERIALIZERS, CustomerSerializer, ScreenPopSerializer
    from customers.models import Customer
    from customers.selectors import screen_pop

    rich = Customer.objects.get(company="ACME")
    phone = rich.contact_points.filter(kind="phone", is_primary=True).get().value
    pop = screen_pop(user=world.admin, phone=phone)
    assert pop.last_interactions and pop.open_tickets  # the nested lists are answered
    customers = list(Customer.objects.prefetch_related("contact_points"))
    for zone in ("Europe/Paris", "America/New_York", "UTC", "Europe/Paris"):
        with timezone.override(ZoneInfo(zone)):
            fresh = ScreenPopSerializer(pop).data
            assert represent(ScreenPopSerializer, pop) == fresh
            assert represent_many(CustomerSerializer, customers) == CustomerSerializer(customers, many=True).data
            for entry in pop.last_interactions:
                kind = TIMELINE_SERIALIZERS["interaction"]
                assert represent(kind, entry) == kind(entry).data
        offset = "Z" if zone == "UTC" else ("+0" if zone == "Europe/Paris" else "-0")
        assert offset in fresh["last_interactions"][0]["offered_at"][19:]
    # One serializer kept: the second answer builds no field.
    assert answering_serializer(ScreenPopSerializer) is answering_serializer(ScreenPopSerializer)
