"""The base of the API's model serializers."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

#: Fields whose answer is ``str(value)`` (DRF's ``CharField.to_representation``), by exact type:
#: a subclass may answer otherwise and takes DRF's own path.
_TEXT_FIELDS = frozenset({serializers.CharField, serializers.EmailField, serializers.SlugField, serializers.URLField})

#: How one readable field is answered: ``(name, attribute, kind, field)``; kind is one of the
#: ``_K_*`` below, ``attribute`` the instance's attribute for the fast kinds.
_K_GENERIC, _K_TEXT, _K_INT, _K_BOOL, _K_DATETIME, _K_CHOICE, _K_TEXT_LIST, _K_AS_IS, _K_SLUG = range(9)
Step = tuple[str, str, int, serializers.Field]


def _kind(field: serializers.Field) -> int:
    """The fast kind of ``field``, or :data:`_K_GENERIC` when DRF's own path must answer it."""
    kind = type(field)
    if len(field.source_attrs) != 1 or field.source == "*":
        return _K_GENERIC
    if kind in _TEXT_FIELDS:
        return _K_TEXT
    if kind is serializers.IntegerField:
        return _K_INT
    if kind is serializers.BooleanField:
        return _K_BOOL
    if kind is serializers.ChoiceField:
        return _K_CHOICE
    if kind is serializers.JSONField and not field.binary:
        return _K_AS_IS
    if (
        (kind is serializers.DateTimeField or getattr(kind, "represents_aware_as_drf", False))
        and getattr(field, "format", api_settings.DATETIME_FORMAT).lower() == "iso-8601"
        and settings.USE_TZ
    ):
        return _K_DATETIME
    if kind is serializers.SlugRelatedField and "__" not in field.slug_field:
        return _K_SLUG
    if kind is serializers.ListField and type(field.child) in _TEXT_FIELDS:
        return _K_TEXT_LIST
    return _K_GENERIC


def _iso(value: datetime, zone: tzinfo) -> str:
    """DRF's ``DateTimeField.to_representation`` of an aware datetime in ISO 8601."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ``ModelSerializer``, whose fields are worked out from the model once per class, and
    whose answers are built without DRF's generic machinery for the plain fields.

    DRF builds a model serializer's fields afresh for every instance, inspecting the model each
    time: about two milliseconds of every API request. The fields depend only on the class (its
    ``Meta`` and declared fields), so the first instance's are kept and every later instance gets a
    deep copy of them (fresh, unbound field objects, as DRF hands out for declared fields).
    Subclasses that change their fields per request do it on that copy, in ``get_fields`` after
    ``super()`` or in ``__init__``.

    Reading, DRF asks each field of each row for its attribute (a generic walk along the source,
    with its exception handling) and its representation (a datetime asks for the active time zone
    each time): on a list of 50 customers, most of the request's Python. :meth:`to_representation`
    answers the fields of the plain kinds (text, integers, booleans, choices, JSON, aware
    datetimes in ISO 8601, related objects by slug, lists of text; by exact field type, from one
    attribute) directly, with the same result, and the others as DRF does. A subclass of
    ``DateTimeField`` that answers aware datetimes as DRF does says so with
    ``represents_aware_as_drf = True``. ``tests/test_serializers_fast.py`` compares both.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        built: dict[str, serializers.Field] | None = cls.__dict__.get("_model_fields_built")
        if built is None:
            built = super().get_fields()
            cls._model_fields_built = built  # one class, one set: a race only builds it twice
        return copy.deepcopy(built)

    def _steps(self) -> list[Step]:
        steps: list[Step] | None = self.__dict__.get("_representation_steps")
        if steps is None:
            steps = [
                (field.field_name, field.source_attrs[0] if field.source_attrs else "", _kind(field), field)
                for field in self._readable_fields
            ]
            self.__dict__["_representation_steps"] = steps
        return steps

    def _zone(self) -> tzinfo:
        """The time zone active when this serializer first answered a datetime: a serializer
        lives for one request (one answer of :func:`represent`), and asking for the active zone
        costs more than the rest of a row."""
        zone: tzinfo | None = self.__dict__.get("_representation_zone")
        if zone is None:
            zone = self.__dict__["_representation_zone"] = timezone.get_current_timezone()
        return zone

    def to_representation(self, instance: Any) -> dict[str, Any]:
        zone: tzinfo | None = None
        answer: dict[str, Any] = {}
        for name, attribute, kind, field in self._steps():
            if kind != _K_GENERIC:
                try:
                    value = getattr(instance, attribute)
                except Exception:  # DRF's path below says what it means (a default, a skip, an error)
                    kind = _K_GENERIC
                else:
                    if callable(value):  # a method as the source: DRF calls it
                        kind = _K_GENERIC
            if kind == _K_GENERIC:
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                empty = value.pk if isinstance(value, PKOnlyObject) else value
                answer[name] = None if empty is None else field.to_representation(value)
            elif value is None:
                answer[name] = None
            elif kind == _K_TEXT:
                answer[name] = str(value)
            elif kind == _K_INT:
                answer[name] = int(value)
            elif kind == _K_BOOL:
                answer[name] = value if value is True or value is False else field.to_representation(value)
            elif kind == _K_CHOICE:
                answer[name] = value if value == "" else field.choice_strings_to_values.get(str(value), value)
            elif kind == _K_AS_IS:
                answer[name] = value
            elif kind == _K_DATETIME:
                if isinstance(value, datetime) and timezone.is_aware(value):
                    if hasattr(field, "timezone"):  # the field's own zone (``default_timezone``)
                        answer[name] = _iso(value, field.timezone)
                    else:
                        if zone is None:
                            zone = self._zone()
                        answer[name] = _iso(value, zone)
                else:
                    answer[name] = field.to_representation(value)
            elif kind == _K_SLUG:  # the related object (joined by the query): its slug
                answer[name] = getattr(value, field.slug_field)
            else:  # _K_TEXT_LIST
                answer[name] = [None if item is None else str(item) for item in value]
        return answer


# --- Answers from a serializer built once ------------------------------------------------------


class _Kept(threading.local):
    """Per thread: each serializer class's one instance, with the model serializers within it."""

    def __init__(self) -> None:
        self.by_class: dict[type[serializers.BaseSerializer], tuple[serializers.BaseSerializer, list]] = {}


_kept = _Kept()


def _model_serializers(serializer: serializers.BaseSerializer) -> list[ModelSerializer]:
    """``serializer`` and the serializers nested in it (a list's child included) that are ours."""
    found = [serializer] if isinstance(serializer, ModelSerializer) else []
    if isinstance(serializer, serializers.ListSerializer):
        return found + _model_serializers(serializer.child)
    for field in serializer.fields.values():
        if isinstance(field, serializers.BaseSerializer):
            found += _model_serializers(field)
    return found


def represent(serializer_class: type[serializers.BaseSerializer], instance: Any) -> Any:
    """What ``serializer_class(instance).data`` answers, from one instance of the class kept per
    thread, whose fields are built once.

    DRF builds a serializer's fields for every instance: a copy of each declared field, and of a
    nested serializer its whole tree, each field constructed again. A screen pop's serializer
    (a customer, a list of tickets, a list of interactions) spent about a millisecond on it, twenty
    times what answering took. Reading needs none of it: the fields hold no state of their own
    while they answer. So a serializer answering from the instance alone (no ``context``: no
    request, no fields changed per request) answers here with the same result; the active time
    zone is asked again at each answer.
    """
    return answering_serializer(serializer_class).to_representation(instance)


def represent_many(serializer_class: type[serializers.BaseSerializer], instances: Iterable[Any]) -> list[Any]:
    """What ``serializer_class(instances, many=True).data`` answers, as :func:`represent` does."""
    serializer = answering_serializer(serializer_class)
    return [serializer.to_representation(instance) for instance in instances]


def answering_serializer(serializer_class: type[serializers.BaseSerializer]) -> serializers.BaseSerializer:
    """The one instance of ``serializer_class`` kept in this thread, ready for the answers of one
    request (its ``to_representation``): see :func:`represent`."""
    kept = _kept.by_class.get(serializer_class)
    if kept is None:
        serializer = serializer_class()
        kept = _kept.by_class[serializer_class] = (serializer, _model_serializers(serializer))
    serializer, nested = kept
    for each in nested:  # the active time zone, asked again at its first datetime
        each.__dict__.pop("_representation_zone", None)
    return serializer
