"""The base of the API's model serializers."""

from __future__ import annotations

import copy

from rest_framework import serializers


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ``ModelSerializer``, whose fields are worked out from the model once per class.

    DRF builds a model serializer's fields afresh for every instance, inspecting the model each
    time: about two milliseconds of every API request. The fields depend only on the class (its
    ``Meta`` and declared fields), so the first instance's are kept and every later instance gets a
    deep copy of them (fresh, unbound field objects, as DRF hands out for declared fields).
    Subclasses that change their fields per request do it on that copy, in ``get_fields`` after
    ``super()`` or in ``__init__``.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        built: dict[str, serializers.Field] | None = cls.__dict__.get("_model_fields_built")
        if built is None:
            built = super().get_fields()
            cls._model_fields_built = built  # one class, one set: a race only builds it twice
        return copy.deepcopy(built)
