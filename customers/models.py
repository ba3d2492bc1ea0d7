"""Customers and their contact points (SPEC §3)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from customers.phones import normalize_phone
from customers.querysets import ContactPointQuerySet, CustomerQuerySet

MAX_TAGS = 30
MAX_TAG_LENGTH = 50


class Customer(models.Model):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        default="fr",
        help_text=_("Language code such as fr, en, de, es."),
    )
    notes = models.TextField(_("notes"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    consent_marketing = models.BooleanField(_("consents to marketing"), default=False)
    consent_recording = models.BooleanField(_("consents to call recording"), default=True)
    consent_surveys = models.BooleanField(_("consents to surveys"), default=True)
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        blank=True,
        help_text=_("The customer's id in the company's other systems, unique when set."),
    )
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("historical customer"), verbose_name_plural=_("customer history"))
    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="customer_name_idx"),
            models.Index(fields=["company"], name="customer_company_idx"),
            models.Index(fields=["created_at"], name="customer_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="customer_external_id_unique",
                violation_error_message=_("Another customer already has this external id."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.company or _("Customer #%(id)s") % {"id": self.pk}

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if not (self.first_name.strip() or self.last_name.strip() or self.company.strip()) and not self.erased_at:
            errors["last_name"] = [_("Give the customer a name or a company.")]
        try:
            self.tags = clean_tags(self.tags)
        except ValidationError as exc:
            errors["tags"] = exc.messages
        self.language = (self.language or "").strip().lower()
        if not self.language:
            errors["language"] = [_("Choose a preferred language.")]
        if errors:
            raise ValidationError(errors)


def clean_tags(value: object) -> list[str]:
    """Tags are a list of short, distinct labels; blanks are dropped, order is kept."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise ValidationError(_("Tags must be a list of words."), code="invalid_tags")
    tags: list[str] = []
    for tag in value:
        tag = tag.strip()
        if not tag or tag in tags:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(
                _("The tag “%(tag)s…” is longer than %(max)s characters."),
                code="tag_too_long",
                params={"tag": tag[:20], "max": MAX_TAG_LENGTH},
            )
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError(_("A customer has %(max)s tags at most."), code="too_many_tags", params={"max": MAX_TAGS})
    return tags


class ContactPoint(models.Model):
    """One way to reach a customer: a phone number (E.164), an email or a social handle."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        SOCIAL = "social", _("Social")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contact_points", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(
        _("value"),
        max_length=254,
        help_text=_("Phone numbers in any usual format are stored in E.164 (+33612345678)."),
    )
    network = models.CharField(
        _("network"), max_length=30, blank=True, help_text=_("For a social handle: whatsapp, facebook, x…")
    )
    label = models.CharField(_("label"), max_length=50, blank=True, help_text=_("mobile, work, home…"))
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(
        verbose_name=_("historical contact point"), verbose_name_plural=_("contact point history")
    )
    objects = ContactPointQuerySet.as_manager()

    class Meta:
        ordering = ["customer", "kind", "-is_primary", "id"]
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        indexes = [models.Index(fields=["kind", "value"], name="contact_point_lookup_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"],
                name="contact_point_unique_per_customer",
                violation_error_message=_("This customer already has this contact point."),
            ),
        ]

    def __str__(self) -> str:
        return self.value

    def clean(self) -> None:
        self.value = normalize_contact_value(self.kind, self.value)


def normalize_contact_value(kind: str, value: str) -> str:
    """The one stored form of a contact point's value; ``ValidationError`` when it is not one."""
    value = (value or "").strip()
    if kind == ContactPoint.Kind.PHONE:
        try:
            return normalize_phone(value)
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None
    if kind == ContactPoint.Kind.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError({"value": [_("“%(value)s” is not an email address.") % {"value": value}]}) from None
        # Stored lower-case so that a lookup finds John.Doe@x.fr whatever case is typed.
        return value.lower()
    if not value:
        raise ValidationError({"value": [_("Enter a handle.")]})
    return value


class ErasureRecord(models.Model):
    """One data-protection erasure, recorded without personal data (SPEC §8).

    It names the customer by id only (the anonymous row stays, but the record outlives a later
    deletion), says who asked and when, and counts what was erased.
    """

    customer_id = models.BigIntegerField(_("customer id"), db_index=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erased by"),
    )
    erased_by_username = models.CharField(
        _("erased by (username)"),
        max_length=150,
        blank=True,
        help_text=_("Kept when the user is deleted later."),
    )
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)
    counts = models.JSONField(
        _("what was erased"),
        default=dict,
        blank=True,
        help_text=_("Rows blanked or deleted, by kind: contact points, interactions, tickets, history rows…"),
    )

    class Meta:
        ordering = ["-erased_at", "-id"]
        verbose_name = _("erasure record")
        verbose_name_plural = _("erasure records")

    def __str__(self) -> str:
        return _("Erasure of customer #%(id)s") % {"id": self.customer_id}


class CustomerRead(models.Model):
    """One read of a customer's personal data by a user: who opened which customer, what, when.

    Written by :func:`customers.services.customer_read_record` in one ``INSERT`` per read (the API's
    detail, timeline and export, the desk's customer panel and screen pop, the admin's change page).
    The customer is named by id, without a database constraint, so that the trail outlives the
    customer; the username is kept beside the user for the same reason. Old rows go with the
    retention of ``customer_reads`` (``manage.py retention_apply``).
    """

    class What(models.TextChoices):
        DETAIL = "detail", _("Detail")
        TIMELINE = "timeline", _("Timeline")
        EXPORT = "export", _("Data-protection export")
        DESK = "desk", _("Agent desktop")
        ADMIN = "admin", _("Back office")

    customer_id = models.BigIntegerField(_("customer id"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(
        _("username"), max_length=150, blank=True, help_text=_("Kept when the user is deleted.")
    )
    what = models.CharField(_("what"), max_length=10, choices=What.choices)
    read_at = models.DateTimeField(_("read at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        ordering = ["-read_at", "-id"]
        verbose_name = _("customer read")
        verbose_name_plural = _("customer reads")
        indexes = [
            models.Index(fields=["customer_id", "read_at"], name="customer_read_customer_idx"),
            models.Index(fields=["user", "read_at"], name="customer_read_user_idx"),
            models.Index(fields=["read_at"], name="customer_read_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username or '?'} {self.get_what_display()} #{self.customer_id}"
