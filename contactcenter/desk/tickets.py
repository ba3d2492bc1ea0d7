"""The tickets part of the agent desktop (issue #6): the panel's two lists, a ticket's detail with
its comment and change forms, and the new-ticket form.

Views are adapters, as the REST API's are: every read starts from ``Ticket.objects.visible_to(user)`` (a
ticket the user may not see answers 404), every write goes through :mod:`interactions.services`
(``ticket_create``, ``ticket_update``, ``ticket_comment_add``, ``interaction_update``), and the
choices the forms offer are the service's own rules run on each candidate
(``ticket_check_transition``, ``ticket_check_assignee``), so the desk offers what the API accepts.

Contract with the page (``desk/tickets/panel.html``):

- ``#tickets-lists`` loads on page load and reloads on the body events ``tickets-changed`` and
  ``resync``; every successful write answers with ``HX-Trigger: tickets-changed``;
- forms and details load into ``#ticket-editor`` (inside ``<dialog id="ticket-dialog">``);
  ``static/desk/tickets.js`` opens the dialog when the editor gets content and closes it when the
  editor is emptied (a created ticket), and gives the focus back to the opener;
- errors answer 400 (validation) and 409 (stale version) with markup to show: ``tickets.js`` lets
  htmx swap those two statuses for targets inside the panel (htmx 2 swaps no 4xx by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from contactcenter.agents.models import AgentProfile, Queue
from contactcenter.core.db import relations_carried
from contactcenter.core.transactions import services_joined
from contactcenter.desk.access import page_for
from contactcenter.mail.models import EmailMessage
from contactcenter.mail.outbound import email_reply_add
from contactcenter.mail.selectors import CannedChoice, canned_choices, ticket_emails
from customers.models import Customer
from interactions.models import (
    OPEN_TICKET_STATUSES,
    Interaction,
    Priority,
    Ticket,
    TicketCategory,
    TicketStatus,
)
from interactions.querysets import ticket_surely_visible
from interactions.selectors import ticket_comments
from interactions.services import (
    TicketVersionConflict,
    interaction_update,
    ticket_check_assignee,
    ticket_check_transition,
    ticket_create,
    ticket_update,
)

User = get_user_model()

#: Rows per list page; "Show more" fetches the next ones.
LIST_LIMIT = 50
#: How far "Show more" goes: past this, the agent should search instead of scrolling.
MAX_OFFSET = 1000
#: Linked interactions shown on a ticket (newest first).
DETAIL_INTERACTIONS = 10
MINE, QUEUES = "mine", "queues"
TABS = (MINE, QUEUES)
CHANGED = "tickets-changed"


# --- SLA clock (what the countdown shows) ---------------------------------------------------------


@dataclass(frozen=True)
class SlaClock:
    """The next SLA due time of a ticket: first response while none was given, then resolution.

    ``paused``: the ticket is pending on the customer, its clocks stand still (no ``due``).
    """

    kind: str  # "first_response" | "resolution" | "paused"
    due: datetime | None
    seconds: float | None  # left (negative: overdue), at ``now``

    @property
    def paused(self) -> bool:
        return self.kind == "paused"

    @property
    def overdue(self) -> bool:
        return self.seconds is not None and self.seconds <= 0

    @property
    def soon(self) -> bool:
        return self.seconds is not None and 0 < self.seconds <= 3600

    @property
    def due_iso(self) -> str:
        """The due time for the page's script: UTC, whole seconds (every browser parses it)."""
        return self.due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if self.due else ""

    @property
    def label(self) -> str:
        if self.kind == "first_response":
            return _("First response due")
        if self.kind == "resolution":
            return _("Resolution due")
        return _("SLA paused while pending on the customer")

    @property
    def text(self) -> str:
        if self.paused:
            return _("paused")
        return sla_text(self.seconds or 0)


def sla_clock(ticket: Ticket, now: datetime | None = None) -> SlaClock | None:
    """The ticket's running SLA clock, ``None`` when none runs (resolved, closed, no policy)."""
    if ticket.status not in OPEN_TICKET_STATUSES:
        return None
    if ticket.status == TicketStatus.PENDING:
        return SlaClock("paused", None, None)
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        kind, due = "first_response", ticket.first_response_due
    elif ticket.resolution_due is not None:
        kind, due = "resolution", ticket.resolution_due
    else:
        return None
    return SlaClock(kind, due, (due - (now or timezone.now())).total_seconds())


def sla_formats() -> dict[str, str]:
    """The countdown's phrases, for :func:`sla_text` and for the page's script (``data-sla-*``):
    one set of messages for the translators, the same words before and after a tick."""
    return {
        "left": _("%(time)s left"),
        "overdue": _("overdue by %(time)s"),
        "days": _("%(days)d d %(hours)d h"),
        "hours": _("%(hours)d h %(minutes)02d min"),
        "minutes": _("%(minutes)d min"),
    }


def sla_text(seconds: float) -> str:
    """ "2 h 05 min left" / "overdue by 3 min", to the minute: time left rounds up, time overdue
    rounds down but shows at least a minute (``tickets.js`` computes the same)."""
    formats = sla_formats()
    overdue = seconds <= 0
    minutes = max(1, math.floor(-seconds / 60)) if overdue else math.ceil(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        span = formats["days"] % {"days": days, "hours": hours}
    elif hours:
        span = formats["hours"] % {"hours": hours, "minutes": minutes}
    else:
        span = formats["minutes"] % {"minutes": minutes}
    return formats["overdue" if overdue else "left"] % {"time": span}


# --- Reads (desk-specific selectors) --------------------------------------------------------------


def _next_due() -> Case:
    """The next due time in SQL, as :func:`sla_clock` reads it (first response, then resolution)."""
    return Case(
        When(first_responded_at__isnull=True, first_response_due__isnull=False, then=F("first_response_due")),
        default=F("resolution_due"),
    )


def desk_ticket_list(*, user: AbstractBaseUser, tab: str, offset: int = 0, limit: int = LIST_LIMIT) -> list[Ticket]:
    """One page of the panel's list, ``limit + 1`` rows at most (the extra one says "more").

    ``mine``: open tickets assigned to ``user``; ``queues``: open tickets of the queues ``user``
    works, unassigned first. Both: running clocks before paused (pending) ones, then the soonest
    due first, then the oldest. Always within ``Ticket.objects.visible_to(user)``. One query.
    """
    tickets = Ticket.objects.visible_to(user).filter(status__in=OPEN_TICKET_STATUSES)
    if tab == QUEUES:
        tickets = tickets.filter(queue__in=Queue.objects.filter(agents__user=user).values("pk"))
    else:
        tickets = tickets.filter(assignee=user)
    assigned = Case(When(assignee__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    paused = Case(When(status=TicketStatus.PENDING, then=Value(1)), default=Value(0), output_field=IntegerField())
    return list(
        tickets.annotate(desk_assigned=assigned, desk_paused=paused, desk_next_due=_next_due())
        .select_related("customer", "queue", "assignee")
        .order_by("desk_assigned", "desk_paused", F("desk_next_due").asc(nulls_last=True), "created_at", "id")[
            offset : offset + limit + 1
        ]
    )


def desk_ticket(*, user: AbstractBaseUser, pk: int) -> Ticket:
    """The ticket ``pk`` with what its detail names, or 404 when ``user`` may not see it."""
    return get_object_or_404(
        Ticket.objects.visible_to(user).select_related(
            "customer", "queue", "team", "assignee", "category", "sla_policy"
        ),
        pk=pk,
    )


def ticket_interactions(*, user: AbstractBaseUser, ticket: Ticket) -> QuerySet[Interaction]:
    """The interactions linked to ``ticket`` that ``user`` may see, newest first (a few)."""
    return (
        Interaction.objects.visible_to(user)
        .filter(ticket=ticket)
        .select_related("agent")
        .order_by("-offered_at", "-id")[:DETAIL_INTERACTIONS]
    )


def ticket_status_choices(*, ticket: Ticket) -> list[tuple[str, str]]:
    """The statuses ``ticket`` may take now (its own first): the workflow's own check on each."""
    choices = []
    for value, label in TicketStatus.choices:
        try:
            ticket_check_transition(current=ticket.status, target=value)
        except ValidationError:
            continue
        choices.append((value, label))
    return choices


def ticket_assignee_candidates(*, user: AbstractBaseUser) -> list[AbstractBaseUser]:
    """The active agents ``user`` may see (their profiles joined), by name: whom the assignee
    choices are picked from. One query."""
    return list(
        User.objects.filter(is_active=True, agent_profile__in=AgentProfile.objects.visible_to(user))
        .select_related("agent_profile")
        .order_by("first_name", "last_name", "username")
    )


def ticket_assignee_choices(
    *, user: AbstractBaseUser, ticket: Ticket, candidates: list[AbstractBaseUser] | None = None
) -> list[AbstractBaseUser | None]:
    """Whom ``user`` may assign ``ticket`` to (``None``: nobody): each agent ``user`` may see, run
    through :func:`ticket_check_assignee`. Agents: themselves or nobody, when the ticket is free or
    theirs; supervisors: their team; managers and admins: every active agent. One query, none when
    given the ``candidates`` (:func:`ticket_assignee_candidates`, read for another form of the same
    request)."""
    if candidates is None:
        candidates = ticket_assignee_candidates(user=user)
    allowed: list[AbstractBaseUser | None] = []
    for candidate in [None, *candidates]:
        try:
            ticket_check_assignee(by=user, current=ticket.assignee, assignee=candidate)
        except ValidationError:
            continue
        allowed.append(candidate)
    return allowed


def _user_label(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def _first_queue(user: AbstractBaseUser) -> Queue | None:
    return Queue.objects.filter(agents__user=user, is_active=True).order_by("name").first()


# --- Forms ----------------------------------------------------------------------------------------


class TicketNewForm(forms.Form):
    """A new ticket, optionally for a customer and linked to the interaction it came from."""

    subject = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=200,
        error_messages={"required": gettext_lazy("Give the ticket a subject.")},
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=TicketCategory.objects.filter(is_active=True),
        required=False,
        empty_label="—",
    )
    queue = forms.ModelChoiceField(
        label=gettext_lazy("Queue"), queryset=Queue.objects.none(), required=False, empty_label="—"
    )
    assign_to_me = forms.BooleanField(label=gettext_lazy("Assign to me"), required=False, initial=True)
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), required=False, widget=forms.HiddenInput)
    interaction = forms.ModelChoiceField(queryset=Interaction.objects.none(), required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "ticket-new-%s")
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.visible_to(user).filter(is_active=True).order_by("name")
        self.fields["customer"].queryset = Customer.objects.visible_to(user)
        self.fields["interaction"].queryset = Interaction.objects.visible_to(user).select_related("customer", "queue")
        if getattr(user, "agent_profile", None) is None:
            del self.fields["assign_to_me"]  # only agents can be assignees
        if not self.is_bound:
            self.fields["subject"].widget.attrs["autofocus"] = True

    def _picked(self, name: str) -> Any:
        """The customer or interaction the form carries, for display (``None``: none or unknown)."""
        if self.is_bound and hasattr(self, "cleaned_data") and name in self.cleaned_data:
            return self.cleaned_data[name]
        try:
            return self.fields[name].clean(self[name].value())
        except ValidationError:
            return None

    @property
    def customer_object(self) -> Customer | None:
        return self._picked("customer")

    @property
    def interaction_object(self) -> Interaction | None:
        return self._picked("interaction")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        interaction = data.get("interaction")
        if interaction is not None and data.get("customer") is None:
            data["customer"] = interaction.customer
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (``<input type=file multiple>``): a list, empty when none."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class TicketCommentForm(forms.Form):
    """A comment; on an email ticket a public one is the reply sent to the customer, with its files
    (``attachments``) and a canned reply to start from."""

    body = forms.CharField(
        label=gettext_lazy("Comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("A comment cannot be empty.")},
    )
    public = forms.BooleanField(
        label=gettext_lazy("Public (sent to the customer)"),
        required=False,
        help_text=gettext_lazy("Leave unticked for an internal note."),
    )

    attachments = MultipleFileField(
        label=gettext_lazy("Attachments"),
        required=False,
        help_text=gettext_lazy("Sent with a public reply."),
    )

    def __init__(
        self,
        *args: Any,
        autofocus: bool = False,
        email: bool = False,
        canned: list[CannedChoice] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "ticket-comment-%s")
        super().__init__(*args, **kwargs)
        #: An email ticket: the public comment is mailed, files may go with it.
        self.email = email
        #: The canned replies of the ticket's queue, filled (email tickets only).
        self.canned = canned or []
        if not email:
            del self.fields["attachments"]
        if autofocus:
            self.fields["body"].widget.attrs["autofocus"] = True


class AssigneeField(forms.ModelChoiceField):
    """An active agent by id, as ``ModelChoiceField`` takes it; one the form offered (its
    candidates, read to draw the choices) is taken as read, without reading it again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known: dict[str, AbstractBaseUser] = {}

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and str(value) in self.known:
            return self.known[str(value)]
        return super().to_python(value)


class TicketChangeForm(forms.Form):
    """Status, priority and (when the user may change it) assignee, with the version read.

    Fields accept any status and any active agent, as the API does; the select boxes offer only
    what the rules allow now, and :func:`ticket_update` decides (stale version first, then the
    workflow and the assignment rules).
    """

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=TicketStatus.choices)
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=Priority.choices)
    assignee = AssigneeField(
        label=gettext_lazy("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Unassigned"),
    )

    def __init__(
        self,
        *args: Any,
        user: AbstractBaseUser,
        ticket: Ticket,
        candidates: list[AbstractBaseUser] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "ticket-change-%s")
        kwargs.setdefault(
            "initial",
            {
                "version": ticket.version,
                "status": ticket.status,
                "priority": ticket.priority,
                "assignee": ticket.assignee_id,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.choices = ticket_status_choices(ticket=ticket)
        #: The agents the choices are picked from: another form of the request reuses them.
        self.candidates = ticket_assignee_candidates(user=user) if candidates is None else candidates
        allowed = ticket_assignee_choices(user=user, ticket=ticket, candidates=self.candidates)
        current = ticket.assignee
        options = [(None if a is None else a.pk, a) for a in allowed]
        if all(pk != ticket.assignee_id for pk, _a in options):
            options.insert(0, (ticket.assignee_id, current))  # keeping it as it is is always possible
        #: Whether to show the assignee select: only when there is something else to choose.
        self.may_assign = any(pk != ticket.assignee_id for pk, _a in options)
        self.fields["assignee"].queryset = User.objects.filter(is_active=True, agent_profile__isnull=False)
        # Every candidate is an active agent: one of them is taken as read.
        self.fields["assignee"].known = {str(a.pk): a for a in self.candidates}
        self.fields["assignee"].widget.choices = [
            ("" if a is None else pk, _("Unassigned") if a is None else _user_label(a)) for pk, a in options
        ]

    def changes(self) -> dict[str, Any]:
        """What to hand to :func:`ticket_update`: the assignee only when the form sent one (as a
        PATCH without it), so a form showing no assignee select never unassigns."""
        names = ["status", "priority", *(["assignee"] if "assignee" in self.data else [])]
        return {name: self.cleaned_data[name] for name in names}


def _add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ``ValidationError`` onto the form: on the field it names when the form shows
    it, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        if name in form.fields and name != NON_FIELD_ERRORS:
            form.add_error(name, errors)
        else:
            form.add_error(None, [message for e in errors for message in e.messages])


def _focus_first_error(form: forms.Form) -> None:
    """The first field in error gets ``autofocus``: htmx moves the focus there after the swap."""
    for name, field in form.fields.items():
        if name in form.errors and not field.widget.is_hidden:
            field.widget.attrs["autofocus"] = True
            return


# --- Rendering --------------------------------------------------------------------------------------


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """A fragment for htmx; outside htmx (a link opened in a new tab), the same in a page."""
    context = {"sla_formats": sla_formats(), **context}
    if request.htmx:
        return render(request, template, context, status=status)
    return render(request, "desk/tickets/page.html", {**context, "partial": template}, status=status)


def _changed(response: HttpResponse) -> HttpResponse:
    return trigger_client_event(response, CHANGED)


def _conversation(request: HttpRequest, ticket: Ticket) -> tuple[list[EmailMessage], dict[str, Any]]:
    """The ticket's mail and what the comment form needs to know of it (email or not, the canned
    replies). One query for a ticket without mail; three otherwise."""
    emails = ticket_emails(ticket=ticket)
    email = any(message.direction == "inbound" for message in emails)
    canned = canned_choices(ticket=ticket, agent=request.user) if email else []
    return emails, {"email": email, "canned": canned}


def _detail_context(
    request: HttpRequest,
    ticket: Ticket,
    *,
    change_form: TicketChangeForm | None = None,
    comment_form: TicketCommentForm | None = None,
    notice: str = "",
    candidates: list[AbstractBaseUser] | None = None,
) -> dict[str, Any]:
    emails, reply = _conversation(request, ticket)
    return {
        "ticket": ticket,
        "clock": sla_clock(ticket),
        "emails": emails,
        "comments": list(ticket_comments(ticket=ticket)),
        "interactions": list(ticket_interactions(user=request.user, ticket=ticket)),
        "change_form": change_form or TicketChangeForm(user=request.user, ticket=ticket, candidates=candidates),
        "comment_form": comment_form or TicketCommentForm(**reply),
        "notice": notice,
    }


def _int_param(value: str | None) -> int | None:
    """A query-string id or offset; anything else (empty, ``None``, text, absurdly long) is absent."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 18 else None


# --- Views ----------------------------------------------------------------------------------------


@page_for("ticket.read")
@require_GET
def ticket_lists(request: HttpRequest) -> HttpResponse:
    """``?tab=mine|queues&offset=N``: the tabs and the first page (``offset`` 0), or the next rows."""
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else MINE
    offset = min(_int_param(request.GET.get("offset")) or 0, MAX_OFFSET)
    rows = desk_ticket_list(user=request.user, tab=tab, offset=offset)
    now = timezone.now()
    context = {
        "tab": tab,
        "offset": offset,
        "rows": [(ticket, sla_clock(ticket, now)) for ticket in rows[:LIST_LIMIT]],
        "next_offset": offset + LIST_LIMIT if len(rows) > LIST_LIMIT and offset + LIST_LIMIT <= MAX_OFFSET else None,
        # An empty queues tab says why when the user works no queue at all (a manager, say).
        "no_queues": tab == QUEUES and not rows and not Queue.objects.filter(agents__user=request.user).exists(),
    }
    return _render(request, "desk/tickets/lists.html" if offset == 0 else "desk/tickets/rows.html", context)


@page_for("ticket.read")
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket with its dues, comments, linked interactions and the forms (404: not visible)."""
    ticket = desk_ticket(user=request.user, pk=pk)
    return _render(request, "desk/tickets/detail.html", _detail_context(request, ticket))


@page_for("ticket.write")
@require_POST
def ticket_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a comment; answers the comments section (and the dues, which a first public reply
    stops), or the form with its errors (400)."""
    ticket = desk_ticket(user=request.user, pk=pk)
    emails, reply = _conversation(request, ticket)
    form = TicketCommentForm(request.POST, request.FILES, **reply)
    if form.is_valid():
        data = form.cleaned_data
        try:
            email_reply_add(
                ticket=ticket,
                author=request.user,
                body=data["body"],
                public=data["public"],
                files=data.get("attachments") or [],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
    if form.errors:
        context = {
            "ticket": ticket,
            "emails": emails,
            "comments": list(ticket_comments(ticket=ticket)),
            "comment_form": form,
        }
        _focus_first_error(form)
        return _render(request, "desk/tickets/comments.html", context, status=400)
    # ``ticket`` is as the comment left it (a first public reply brought its first response and
    # version up to date in place): no second read. A comment changes nothing of who sees it.
    context = {
        "ticket": ticket,
        "clock": sla_clock(ticket),
        "emails": ticket_emails(ticket=ticket) if reply["email"] else emails,
        "comments": list(ticket_comments(ticket=ticket)),
        "comment_form": TicketCommentForm(autofocus=True, **reply),  # ready for the next one
        "comment_added": True,
    }
    return _changed(_render(request, "desk/tickets/comments.html", context))


@page_for("ticket.write")
@require_POST
def ticket_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Change status, priority, assignee with the version read. Saved: the fresh detail (into
    ``#ticket-editor``); invalid: the form with its errors (400); stale: the conflict (409)."""
    ticket = desk_ticket(user=request.user, pk=pk)
    form = TicketChangeForm(request.POST, user=request.user, ticket=ticket)
    if form.is_valid():
        try:
            saved = ticket_update(
                ticket=ticket, changes=form.changes(), by=request.user, version=form.cleaned_data["version"]
            )
        except TicketVersionConflict:
            context = {"ticket": ticket, "change_form": form, "conflict": True, "attempt": _attempt(form)}
            return _render(request, "desk/tickets/change.html", context, status=409)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            return _saved(request, pk, _("Changes saved."), saved=saved, read=ticket, candidates=form.candidates)
    _focus_first_error(form)
    return _render(request, "desk/tickets/change.html", {"ticket": ticket, "change_form": form}, status=400)


def _attempt(form: TicketChangeForm) -> list[tuple[str, str]]:
    """What a refused edit asked for, to show beside the conflict message (it was not saved)."""
    data = form.cleaned_data
    shown = [
        (form.fields["status"].label, TicketStatus(data["status"]).label),
        (form.fields["priority"].label, Priority(data["priority"]).label),
    ]
    if "assignee" in form.fields:
        assignee = data.get("assignee")
        shown.append((form.fields["assignee"].label, _user_label(assignee) if assignee else _("Unassigned")))
    return [(str(label), str(value)) for label, value in shown]


#: What the ticket's detail shows of its related rows (joined by :func:`desk_ticket`).
DETAIL_RELATIONS = ("customer", "queue", "team", "assignee", "category", "sla_policy")


def _saved(
    request: HttpRequest,
    pk: int,
    notice: str,
    *,
    saved: Ticket | None = None,
    read: Ticket | None = None,
    candidates: list[AbstractBaseUser] | None = None,
) -> HttpResponse:
    """After a change: the fresh detail in the editor, or (the ticket left the user's sight, e.g.
    handed to another queue's agent) an empty editor and a note in the panel. ``saved``: the
    ticket as the service saved it (``read``: as :func:`desk_ticket` read it before), shown as it
    is when the user surely still sees it, with the related rows of ``read`` it still names;
    otherwise read again."""
    ticket = None
    if saved is not None and read is not None and ticket_surely_visible(request.user, saved):
        ticket = relations_carried(saved, read=read, names=DETAIL_RELATIONS)
    try:
        ticket = ticket or desk_ticket(user=request.user, pk=pk)
    except Http404:
        response = _render(
            request, "desk/tickets/done.html", {"notice": _("Saved. The ticket is no longer in your lists.")}
        )
    else:
        context = _detail_context(request, ticket, notice=notice, candidates=candidates)
        response = _render(request, "desk/tickets/detail.html", context)
    if request.htmx:
        response = reswap(retarget(response, "#ticket-editor"), "innerHTML")
    return _changed(response)


@page_for("ticket.write")
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    """GET ``?customer=ID&interaction=ID``: the form, prefilled; POST: create the ticket and link
    the interaction (one transaction: a refused link saves no ticket)."""
    user = request.user
    if request.method == "POST":
        form = TicketNewForm(request.POST, user=user)
        if form.is_valid():
            try:
                ticket = _create(user, form.cleaned_data)
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                if not request.htmx:
                    return redirect("desk:ticket_detail", pk=ticket.pk)
                visible = (
                    ticket_surely_visible(user, ticket) or Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists()
                )
                context = {"created": ticket, "visible": visible}
                response = render(request, "desk/tickets/done.html", context)
                return _changed(reswap(retarget(response, "#ticket-editor"), "innerHTML"))  # empty: it closes
        _focus_first_error(form)
        return _render(request, "desk/tickets/new.html", {"form": form}, status=400)
    initial: dict[str, Any] = {"priority": Priority.NORMAL, "assign_to_me": True}
    interaction_id, customer_id = _int_param(request.GET.get("interaction")), _int_param(request.GET.get("customer"))
    interaction = None
    if interaction_id is not None:
        interaction = get_object_or_404(
            Interaction.objects.visible_to(user).select_related("customer", "queue"), pk=interaction_id
        )
        initial |= {"interaction": interaction.pk, "customer": interaction.customer_id, "queue": interaction.queue_id}
    if customer_id is not None:
        initial["customer"] = get_object_or_404(Customer.objects.visible_to(user), pk=customer_id).pk
    if not initial.get("queue"):
        queue = _first_queue(user)
        initial["queue"] = queue.pk if queue else None
    form = TicketNewForm(initial=initial, user=user)
    return _render(request, "desk/tickets/new.html", {"form": form})


def _create(user: AbstractBaseUser, data: dict[str, Any]) -> Ticket:
    with services_joined():  # the ticket and its call, both or neither
        ticket = ticket_create(
            by=user,
            subject=data["subject"],
            description=data["description"],
            priority=data["priority"],
            category=data["category"],
            queue=data["queue"],
            customer=data["customer"],
            assignee=user if data.get("assign_to_me") else None,
        )
        if data["interaction"] is not None:
            interaction_update(interaction=data["interaction"], ticket=ticket, by=user)
    return ticket


urlpatterns = [
    path("desk/tickets/", ticket_lists, name="tickets_list"),
    path("desk/tickets/new/", ticket_new, name="ticket_new"),
    path("desk/tickets/<int:pk>/", ticket_detail, name="ticket_detail"),
    path("desk/tickets/<int:pk>/comment/", ticket_comment, name="ticket_comment"),
    path("desk/tickets/<int:pk>/change/", ticket_change, name="ticket_change"),
]
