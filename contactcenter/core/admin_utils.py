"""Admin building blocks shared by every app's back-office screens."""

from __future__ import annotations

import json
from datetime import date, datetime
from math import ceil
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import JSONField, ManyToManyField, Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject, HistoricalChanges, ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

from contactcenter.core.formats import EMPTY


class LabelledHistoryHelper(HistoricalRecordContextHelper):
    """The "Changes" column of a history page in words a person reads: a choice's label, not its
    stored code (``Pending``, not ``pending``); a time in the center's time zone, in the user's
    language; ``Yes``/``No``; a dash for an empty value (never ``None``)."""

    def prepare_delta_change_value(self, change: ModelChange, value: Any) -> Any:
        field = self.model._meta.get_field(change.field)
        if isinstance(field, ManyToManyField):
            return super().prepare_delta_change_value(change, value)
        return display_value(field, value)


def display_value(field: Any, value: Any) -> Any:
    """``value`` of the model field ``field`` as a screen shows it (see :class:`LabelledHistoryHelper`)."""
    if value is None or value == "" or value == [] or (isinstance(value, DeletedObject) and value.pk is None):
        # (django-simple-history reads an empty foreign key as a "deleted object" whose key is None.)
        return EMPTY
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, JSONField):
        # Tags read as a line; anything deeper (a script's steps) as JSON: null, never None.
        if isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
            return ", ".join(str(item) for item in value)
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime):
        return local_datetime(value)
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return value


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """``SimpleHistoryAdmin`` whose history can be read, never written, and reads as the rest of the
    admin: labels rather than codes, times in the center's time zone, no "None"
    (:class:`LabelledHistoryHelper`, ``core/history_list.html``).

    ``SIMPLE_HISTORY_REVERT_DISABLED`` only hides the Revert button: the history form view still
    saves whatever is POSTed to it. This refuses the POST as well.
    """

    object_history_list_template = "core/history_list.html"

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: HistoricalChanges
    ) -> HistoricalRecordContextHelper:
        return LabelledHistoryHelper(self.model, historical_record)

    def revert_disabled(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class LargeTablePaginator(Paginator):
    """The paginator of changelists over tables that grow without bound (interactions, tickets,
    survey answers, comments, customers, the presence log).

    It never counts a whole table, and never reads past :attr:`max_rows`: the count reads at most
    ``max_rows + 1`` rows, and the pages stop at ``max_rows`` (so no page costs an ``OFFSET``
    deeper than that); beyond, a filter or a search narrows the list. A list longer than
    ``max_rows`` shows, on PostgreSQL, the planner's estimate of the table's rows when it is not
    filtered, otherwise ``max_rows + 1``. Two small queries at most.
    """

    max_rows = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        capped = queryset.order_by()[: self.max_rows + 1].count()
        if capped <= self.max_rows or queryset.query.where or queryset.query.combinator:
            return capped
        return max(capped, _estimated_rows(queryset))

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, max(1, ceil(self.max_rows / self.per_page)))


def _estimated_rows(queryset: QuerySet) -> int:
    """PostgreSQL's estimate of the rows of ``queryset``'s table (kept by ``ANALYZE``, read without
    scanning); 0 elsewhere or when the table was never analysed."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
        )
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


def visible(queryset: QuerySet, allowed: QuerySet, through: str | None = None) -> QuerySet:
    """``queryset`` narrowed by an access-policy queryset (``contactcenter.core.access``), the one the
    API applies: directly when both are of one model, else on the relation ``through``.

    A policy that lets the user see everything adds nothing to the query.
    """
    if not allowed.query.where:
        return queryset
    if through is None:
        return queryset & allowed
    return queryset.filter(**{f"{through}__in": allowed.values("pk")})


class ViewerAwareAdmin(admin.ModelAdmin):
    """Remembers on the object who opens it, for read-only fields that list related rows: they
    list only what the access policy lets that user see (a read-only field gets no request)."""

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Model | None:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._admin_viewer = request.user
        return obj


def viewer_of(obj: Model) -> Any:
    """The user who opened ``obj`` in the admin (see ``ViewerAwareAdmin``), or ``None``."""
    return getattr(obj, "_admin_viewer", None)


def admin_change_link(obj: Model, text: Any | None = None) -> SafeString:
    """A link to ``obj``'s change page in this admin."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def admin_changelist_link(model: type[Model], text: Any, **filters: Any) -> SafeString:
    """A link to ``model``'s changelist narrowed by ``filters`` (admin query-string lookups)."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), text)


def local_datetime(value: datetime | None) -> str:
    """A timestamp in the center's time zone, formatted for the user's language."""
    if value is None:
        return EMPTY
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


class TagsField(forms.CharField):
    """A JSON list of tags (a customer's, an article's) typed as one comma-separated line."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(tag) for tag in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return value
        text = super().to_python(value) or ""
        return [tag.strip() for tag in text.split(",") if tag.strip()]
