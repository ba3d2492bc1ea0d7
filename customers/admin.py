"""Back-office screens for customers and their contact points."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from contactcenter.core.admin_utils import (
    LargeTablePaginator,
    ReadOnlyHistoryAdmin,
    TagsField,
    ViewerAwareAdmin,
    admin_change_link,
    admin_changelist_link,
    local_datetime,
    viewer_of,
    visible,
)
from customers.models import ContactPoint, Customer, CustomerRead
from customers.phones import format_phone_international, try_normalize_phone
from customers.services import customer_read_record, customer_update
from interactions.models import Interaction, Ticket

#: How many of a customer's newest interactions and tickets its page shows.
RECENT_ROWS = 20


def phone_search(queryset: QuerySet, search_term: str, customer_field: str) -> QuerySet:
    """Rows of ``queryset`` whose customer has the phone number ``search_term``, typed in any
    usual format; an empty queryset when the term is not a phone number."""
    e164 = try_normalize_phone(search_term)
    if e164 is None:
        return queryset.none()
    customer_ids = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, value=e164).values("customer_id")
    return queryset.filter(**{f"{customer_field}__in": customer_ids})


def interactions_table(queryset: QuerySet, footer: SafeString | str = "") -> SafeString:
    """The newest ``RECENT_ROWS`` interactions of ``queryset`` as a small read-only table with
    links, in one query."""
    rows = list(queryset.select_related("agent", "queue", "disposition")[:RECENT_ROWS])
    if not rows:
        return format_html("<p>{}</p><p>{}</p>", _("No interaction yet."), footer)
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                admin_change_link(row, local_datetime(row.offered_at)),
                row.get_channel_display(),
                row.get_direction_display(),
                row.agent or "—",
                row.queue or "—",
                row.disposition or "—",
                _("yes") if row.resolved else _("no"),
            )
            for row in rows
        ),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody></table><p>{}</p>",
        _("offered at"),
        _("channel"),
        _("direction"),
        _("agent"),
        _("queue"),
        _("disposition"),
        _("resolved"),
        body,
        footer,
    )


class CustomerAdminForm(forms.ModelForm):
    tags = TagsField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate tags with commas, e.g. vip, b2b."),
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
    )

    class Meta:
        model = Customer
        fields = (
            "first_name",
            "last_name",
            "company",
            "language",
            "tags",
            "external_id",
            "notes",
            "consent_marketing",
            "consent_recording",
            "consent_surveys",
        )


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    fields = ("kind", "value", "label", "network", "is_primary")
    extra = 1


class ErasedFilter(admin.SimpleListFilter):
    title = _("personal data")
    parameter_name = "erased"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("no", _("Kept")), ("yes", _("Erased"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(erased_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(erased_at__isnull=True)
        return queryset


@admin.register(Customer)
class CustomerAdmin(ViewerAwareAdmin, ReadOnlyHistoryAdmin):
    form = CustomerAdminForm
    inlines = [ContactPointInline]
    list_display = (
        "display_name_column",
        "company",
        "primary_phone",
        "primary_email",
        "language",
        "tags_column",
        "created_at",
    )
    list_display_links = ("display_name_column",)
    list_filter = (
        ErasedFilter,
        "consent_marketing",
        "consent_recording",
        "consent_surveys",
        ("created_at", admin.DateFieldListFilter),
    )
    # Phones are matched on their E.164 form in get_search_results, whatever the format typed.
    search_fields = ("last_name", "first_name", "company", "external_id", "contact_points__value")
    search_help_text = _("Name, company, external id, email, or a phone number in any format.")
    ordering = ("last_name", "first_name", "id")
    list_per_page = 50
    # A COUNT(*) over every customer on each filtered page costs more than it tells.
    show_full_result_count = False
    paginator = LargeTablePaginator
    readonly_fields = ("recent_interactions", "recent_tickets", "reads", "erased_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": (("first_name", "last_name"), "company", "language", "tags", "external_id")}),
        (_("Notes"), {"fields": ("notes",)}),
        (_("Consent"), {"fields": ("consent_marketing", "consent_recording", "consent_surveys")}),
        (_("Contact history"), {"fields": ("recent_interactions", "recent_tickets")}),
        (_("Record"), {"classes": ("collapse",), "fields": ("reads", "erased_at", "created_at", "updated_at")}),
    )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        # A page shown (200) is a read; a missing or hidden customer redirects, a save redirects.
        if request.method == "GET" and response.status_code == 200 and object_id.isdigit():
            customer_read_record(request=request, customer_id=int(object_id), what=CustomerRead.What.ADMIN)
        return response

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        points = ContactPoint.objects.order_by("-is_primary", "id")
        queryset = visible(super().get_queryset(request), Customer.objects.visible_to(request.user))
        return queryset.prefetch_related(Prefetch("contact_points", queryset=points))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= phone_search(queryset, search_term, "pk")
        return results, may_have_duplicates

    def save_model(self, request: HttpRequest, obj: Customer, form: forms.ModelForm, change: bool) -> None:
        if change:
            customer_update(customer=obj, by=request.user)
        else:
            super().save_model(request, obj, form, change)

    # --- list columns (contact points come from the prefetch: no query per row) ----------

    @admin.display(description=_("name"), ordering="last_name")
    def display_name_column(self, obj: Customer) -> str:
        return obj.display_name

    def _first_point(self, obj: Customer, kind: str) -> ContactPoint | None:
        return next((point for point in obj.contact_points.all() if point.kind == kind), None)

    @admin.display(description=_("phone"))
    def primary_phone(self, obj: Customer) -> str:
        point = self._first_point(obj, ContactPoint.Kind.PHONE)
        return format_phone_international(point.value) if point else "—"

    @admin.display(description=_("email"))
    def primary_email(self, obj: Customer) -> str:
        point = self._first_point(obj, ContactPoint.Kind.EMAIL)
        return point.value if point else "—"

    @admin.display(description=_("tags"))
    def tags_column(self, obj: Customer) -> str:
        return ", ".join(obj.tags or []) or "—"

    # --- the customer's contacts, read-only, one query each ----------------------------------

    @admin.display(description=_("latest interactions"))
    def recent_interactions(self, obj: Customer) -> SafeString | str:
        user = viewer_of(obj)
        if obj.pk is None or user is None:
            return "—"
        rows = visible(Interaction.objects.filter(customer=obj), Interaction.objects.visible_to(user)).order_by(
            "-offered_at", "-id"
        )
        all_link = admin_changelist_link(
            Interaction, _("All interactions of this customer"), customer__id__exact=obj.pk
        )
        return interactions_table(rows, all_link)

    @admin.display(description=_("read by"))
    def reads(self, obj: Customer) -> SafeString | str:
        if obj.pk is None:
            return "—"
        return admin_changelist_link(CustomerRead, _("Who read this customer's data"), customer_id=obj.pk)

    @admin.display(description=_("latest tickets"))
    def recent_tickets(self, obj: Customer) -> SafeString | str:
        user = viewer_of(obj)
        if obj.pk is None or user is None:
            return "—"
        tickets = visible(Ticket.objects.filter(customer=obj), Ticket.objects.visible_to(user))
        rows = list(tickets.select_related("assignee").order_by("-created_at", "-id")[:RECENT_ROWS])
        all_link = admin_changelist_link(Ticket, _("All tickets of this customer"), customer__id__exact=obj.pk)
        if not rows:
            return format_html("<p>{}</p><p>{}</p>", _("No ticket yet."), all_link)
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    admin_change_link(row, row.reference),
                    row.subject,
                    row.get_status_display(),
                    row.get_priority_display(),
                    row.assignee or "—",
                )
                for row in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table><p>{}</p>",
            _("reference"),
            _("subject"),
            _("status"),
            _("priority"),
            _("assignee"),
            body,
            all_link,
        )


@admin.register(ContactPoint)
class ContactPointAdmin(ReadOnlyHistoryAdmin):
    list_display = ("value_column", "kind", "label", "network", "is_primary", "customer", "updated_at")
    list_display_links = ("value_column",)
    list_filter = ("kind", "is_primary")
    list_select_related = ("customer",)
    search_fields = ("value", "customer__last_name", "customer__first_name", "customer__company")
    search_help_text = _("Value (a phone number in any format), or the customer's name or company.")
    ordering = ("customer", "kind", "-is_primary", "id")
    autocomplete_fields = ("customer",)
    fields = ("customer", "kind", "value", "label", "network", "is_primary")
    show_full_result_count = False
    paginator = LargeTablePaginator

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible(super().get_queryset(request), Customer.objects.visible_to(request.user), "customer")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        e164 = try_normalize_phone(search_term) if search_term.strip() else None
        if e164 is not None:
            results |= queryset.filter(kind=ContactPoint.Kind.PHONE, value=e164)
        return results, may_have_duplicates

    @admin.display(description=_("value"), ordering="value")
    def value_column(self, obj: ContactPoint) -> str:
        if obj.kind == ContactPoint.Kind.PHONE:
            return format_phone_international(obj.value)
        return obj.value


class CappedCountPaginator(Paginator):
    """Counts at most ``CAP`` rows (``SELECT COUNT(*)`` over a ``LIMIT``): the audit grows by a row
    per read, and an exact count of millions of rows costs more than a page of them. Beyond the cap
    the changelist says "10000" and offers as many pages."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.CAP].count()


@admin.register(CustomerRead)
class CustomerReadAdmin(admin.ModelAdmin):
    """Who read which customer's data, when and how: read-only (only retention removes rows)."""

    list_display = ("read_at", "username", "what", "customer_column", "ip", "request_id")
    # Users from their own table (a few hundred), not "the users found in the audit" (a scan of it).
    list_filter = ("what", ("read_at", admin.DateFieldListFilter), "user")
    search_fields = ("customer_id",)  # shows the box; get_search_results matches the id, on its index
    search_help_text = _("A customer id.")
    ordering = ("-read_at", "-id")
    list_per_page = 100
    paginator = CappedCountPaginator
    show_full_result_count = False
    fields = ("read_at", "customer_column", "user", "username", "what", "ip", "request_id")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        term = search_term.strip().lstrip("#")
        if not term:
            return queryset, False
        if not term.isdigit():
            return queryset.none(), False
        return queryset.filter(customer_id=int(term)), False

    @admin.display(description=_("customer"), ordering="customer_id")
    def customer_column(self, obj: CustomerRead) -> SafeString:
        # A link by id: no join, and it still names a customer deleted since.
        url = reverse("admin:customers_customer_change", args=[obj.customer_id])
        return format_html('<a href="{}">#{}</a>', url, obj.customer_id)
