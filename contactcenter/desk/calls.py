"""The call region of the desktop: screen pop, customer search and card, new customer, the script
walk and the interaction log. Thin adapters over the selectors of :mod:`contactcenter.desk.selectors`
and the services of ``customers`` and ``interactions``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from contactcenter.core.unset import UNSET
from contactcenter.desk import drafts, selectors
from contactcenter.desk.access import page_for
from contactcenter.distribution.models import Callback
from contactcenter.distribution.selectors import callback_promised_on
from contactcenter.distribution.services import callback_create
from contactcenter.scripts.models import ScriptVersion
from contactcenter.scripts.selectors import parse_trail, placeholder_values, script_step
from customers.models import Customer, CustomerRead
from customers.phones import format_phone_international
from customers.services import customer_create_from_call, customer_read_record
from interactions.models import Disposition, Interaction, Priority, Ticket
from interactions.selectors import active_dispositions, disposition_of
from interactions.services import WrapupAlreadyEnded, interaction_update, interaction_wrapup_log

# --- The call ------------------------------------------------------------------------------------


def call_context(request: HttpRequest, view: selectors.CallView | None, **extra) -> dict:
    """What ``desk/partials/call.html`` needs for ``view`` (``None``: no call)."""
    context = {"call": view, "oob": request.htmx and not request.htmx.history_restore_request}
    if view is not None:
        draft = drafts.draft_of(request, view.interaction.pk)
        context["log_form"] = extra.pop("log_form", None) or LogForm.for_call(view, draft=draft.get("log"))
        context["step"], context["script_trail"] = _current_step(view, request, draft)
        context["new_customer_form"] = extra.pop("new_customer_form", None) or NewCustomerForm(
            initial={"phone": view.caller or ""}
        )
    context.update(extra)
    return context


def _current_step(view: selectors.CallView, request: HttpRequest, draft: dict) -> tuple[Any, list[str]]:
    """The script step to show and the steps before it: where the agent was (the call's draft), or
    the first step."""
    if view.script is None:
        return None, []
    values = placeholder_values(customer=view.customer, agent=request.user)
    if draft.get("step"):
        step = script_step(version=view.script, key=draft["step"], values=values)
        if step is not None:
            return step, [key for key in draft.get("trail", []) if isinstance(key, str)]
    return script_step(version=view.script, key=None, values=values), []


def _call_or_404(request: HttpRequest, interaction_id: int, *, history: bool = True) -> selectors.CallView:
    view = selectors.call_view(user=request.user, interaction_id=interaction_id, history=history)
    if view is None:
        raise Http404
    return view


def _call_line_or_404(request: HttpRequest, interaction_id: int) -> selectors.CallLine:
    """The contact alone (one query), for a write on it before the call region is drawn again."""
    line = selectors.call_line(user=request.user, interaction_id=interaction_id)
    if line is None:
        raise Http404
    return line


def _record_screen_pop(request: HttpRequest, view: selectors.CallView | None) -> None:
    """A call panel shows its customer's card and history: that is a read of the customer."""
    if view is not None and view.customer is not None:
        customer_read_record(request=request, customer_id=view.customer.pk, what=CustomerRead.What.DESK)


@page_for("desk.open")
@require_GET
def current_call(request: HttpRequest) -> HttpResponse:
    """The call region as it should be now: the agent's current call, or the idle panel."""
    call = selectors.current_call(user=request.user)
    view = selectors.call_view(user=request.user, interaction=call) if call else None
    _record_screen_pop(request, view)
    return render(request, "desk/partials/call.html", call_context(request, view))


@page_for("desk.open")
@require_GET
def call(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """The screen pop of one call (the page asks for it when the socket says ``screen_pop``)."""
    view = _call_or_404(request, interaction_id)
    _record_screen_pop(request, view)
    return render(request, "desk/partials/call.html", call_context(request, view))


@page_for("desk.open")
@require_GET
def call_state(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """The call's state line (talking, wrap-up, done), refreshed when the agent's status moves."""
    return render(request, "desk/partials/call_state.html", {"call": _call_line_or_404(request, interaction_id)})


@page_for("desk.open")
@require_GET
def call_tickets(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """The call's ticket choice in the log form (``?ticket=`` the one chosen so far, kept while it
    is still offered) and, out of band, its customer's open tickets: refetched when a ticket is
    created or changed during the call, so that a new ticket shows at once and can be linked
    before the log is saved."""
    view = _call_or_404(request, interaction_id, history=False)
    form = LogForm.for_call(view)
    chosen = request.GET.get("ticket", "")
    if chosen.isdigit() and any(str(value) == chosen for value, _label in form.fields["ticket"].choices):
        form.initial["ticket"] = int(chosen)
    return render(request, "desk/partials/call_tickets.html", {"call": view, "log_form": form})


@page_for("interaction.write")
@require_POST
def call_draft(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Keeps the log form of the call as typed (the page sends it as the agent types): a reload
    draws it again. Nothing is recorded on the contact until the log is saved."""
    if not Interaction.objects.visible_to(request.user).filter(pk=interaction_id).exists():
        raise Http404
    drafts.draft_save_log(request, interaction_id, request.POST)
    return HttpResponse(status=204)


# --- The log ---------------------------------------------------------------------------------------


class DispositionField(forms.ChoiceField):
    """The active dispositions by code, as a ``ModelChoiceField`` of them would offer and take, read
    from the cache (:func:`interactions.selectors.active_dispositions`): drawing and checking the
    log form read no disposition row while none has changed."""

    default_error_messages = forms.ModelChoiceField.default_error_messages

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=self._choices_now, **kwargs)

    @staticmethod
    def _choices_now() -> list[tuple[str, str]]:
        return [("", "—")] + [(d.code, str(d)) for d in active_dispositions()]

    def clean(self, value: Any) -> Disposition | None:
        code = super().clean(value)
        return disposition_of(code, active=True) if code else None


class LogForm(forms.Form):
    """What the agent records about the contact, during or after it."""

    disposition = DispositionField(label=gettext_lazy("Disposition"), required=False)
    resolved = forms.BooleanField(label=gettext_lazy("Resolved on this contact"), required=False)
    notes = forms.CharField(label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    ticket = forms.TypedChoiceField(label=gettext_lazy("Linked ticket"), coerce=int, required=False, empty_value=None)
    follow_up = forms.BooleanField(label=gettext_lazy("Open a follow-up ticket"), required=False)
    follow_up_subject = forms.CharField(label=gettext_lazy("Follow-up subject"), max_length=200, required=False)
    follow_up_priority = forms.ChoiceField(
        label=gettext_lazy("Follow-up priority"), choices=Priority.choices, initial=Priority.NORMAL, required=False
    )
    script_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Shown with the "callback" disposition: the call promised to the customer (docs/desktop.md).
    callback_date = forms.DateField(
        label=gettext_lazy("Callback date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    callback_time = forms.TimeField(
        label=gettext_lazy("Callback time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    callback_phone = forms.CharField(label=gettext_lazy("Number to call"), max_length=50, required=False)
    callback_note = forms.CharField(
        label=gettext_lazy("Callback note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, view: selectors.CallView, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.view = view
        #: The callback this log promises when saved (the callback disposition, none promised yet).
        self.callback_due_at: datetime | None = None
        #: The callback the contact's log promised already, if the form looked.
        self.promised: Callback | None = None
        #: The script steps the agent went through on the call (the desktop's draft keeps them).
        self.script_path: list[str] = []
        self.fields["ticket"].choices = [("", "—")] + [
            (ticket.pk, f"{ticket.reference} · {ticket.subject}") for ticket in view.open_tickets
        ]
        if view.interaction.ticket_id and view.interaction.ticket_id not in {t.pk for t in view.open_tickets}:
            ticket = view.interaction.ticket
            self.fields["ticket"].choices.append((ticket.pk, f"{ticket.reference} · {ticket.subject}"))

    @classmethod
    def for_call(cls, view: selectors.CallView, draft: dict | None = None) -> LogForm:
        """The form as stored on the contact, or as the agent left it (``draft``: the call's
        draft, :mod:`contactcenter.desk.drafts`)."""
        interaction = view.interaction
        initial = {
            "disposition": interaction.disposition.code if interaction.disposition else None,
            "resolved": interaction.resolved,
            "notes": interaction.notes,
            "ticket": interaction.ticket_id,
            "script_version": view.script.pk if view.script else None,
            "callback_phone": format_phone_international(view.caller) if view.caller else "",
        }
        if draft:
            initial |= {name: value for name, value in draft.items() if name in drafts.LOG_FIELDS}
            if str(initial.get("ticket") or "").isdigit():
                initial["ticket"] = int(initial["ticket"])
        return cls(view=view, initial=initial)

    @property
    def shows_callback(self) -> bool:
        """Whether the callback fields show: the disposition chosen (as sent, or as drawn) is the
        callback one."""
        chosen = self.data.get("disposition") if self.is_bound else self.initial.get("disposition")
        return chosen == CALLBACK_DISPOSITION

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        disposition = data.get("disposition")
        if disposition is None or disposition.code != CALLBACK_DISPOSITION:
            return data
        # Saving the log again (a correction) promises nothing more: one callback per contact.
        self.promised = callback_promised_on(interaction_id=self.view.interaction.pk)
        if self.promised is not None:
            return data
        if self.view.interaction.queue_id is None:
            self.add_error("disposition", _("This contact has no queue: a callback is promised in the call's queue."))
        for name in ("callback_date", "callback_time", "callback_phone"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("Needed for a callback."))
        if data.get("callback_date") and data.get("callback_time"):
            moment = datetime.combine(data["callback_date"], data["callback_time"])
            self.callback_due_at = timezone.make_aware(moment, timezone.get_current_timezone())
        return data

    def clean_script_version(self) -> ScriptVersion | None:
        pk = self.cleaned_data.get("script_version")
        if pk is None:
            return None
        version = ScriptVersion.objects.filter(pk=pk).first()
        if version is None:
            raise ValidationError(_("This script version does not exist."))
        return version

    def chosen_ticket(self) -> Ticket | None:
        """The ticket chosen in the list (one of the caller's open tickets, or the linked one)."""
        chosen = self.cleaned_data.get("ticket")
        if chosen is None:
            return None
        if self.view.interaction.ticket_id == chosen:
            return self.view.interaction.ticket
        return next((ticket for ticket in self.view.open_tickets if ticket.pk == chosen), None)


#: The disposition whose log promises a callback.
CALLBACK_DISPOSITION = "callback"
#: The callback service's fields → the log form's.
CALLBACK_FIELDS = {
    "phone": "callback_phone",
    "due_at": "callback_date",
    "note": "callback_note",
    "queue": "disposition",
}


def _save_log(*, form: LogForm, by: AbstractBaseUser) -> Interaction:
    """Save the log through :func:`interactions.services.interaction_wrapup_log`, as
    ``POST /api/v1/interactions/{id}/wrapup/`` does: once the conversation is over, and the
    wrap-up not over yet, this ends it. With the callback disposition, the callback promised by
    ``by`` in the call's queue too (:func:`contactcenter.distribution.services.callback_create`):
    both or nothing."""
    if form.callback_due_at is None:
        return _log(form=form, by=by)
    with transaction.atomic():
        interaction = _log(form=form, by=by)
        data = form.cleaned_data
        try:
            form.promised = callback_create(
                queue=interaction.queue,
                phone=data["callback_phone"],
                due_at=form.callback_due_at,
                by=by,
                customer=interaction.customer,
                note=data.get("callback_note") or "",
                interaction_id=interaction.pk,
            )
        except ValidationError as exc:
            raise ValidationError(
                {CALLBACK_FIELDS.get(name, name): messages for name, messages in exc.message_dict.items()}
            ) from exc
    return interaction


def _log(*, form: LogForm, by: AbstractBaseUser) -> Interaction:
    data = form.cleaned_data
    interaction = form.view.interaction
    ticket = form.chosen_ticket()
    return interaction_wrapup_log(
        interaction=interaction,
        by=by,
        disposition=data.get("disposition"),
        resolved=bool(data.get("resolved")),
        notes=data.get("notes") or "",
        # No ticket chosen keeps the link the contact has: a ticket created from the call after the
        # log form was drawn (the tickets panel links it) must not be undone by saving the log.
        ticket=ticket if ticket is not None else UNSET,
        script_version=data.get("script_version") or UNSET,
        script_path=form.script_path if data.get("script_version") and form.script_path else UNSET,
        follow_up_subject=data.get("follow_up_subject", "") if data.get("follow_up") else None,
        follow_up_priority=data.get("follow_up_priority") or Priority.NORMAL,
        # A log saved on a contact whose wrap-up is over is a correction of it.
        end_wrapup=interaction.wrapup_ended_at is None,
    )


@page_for("interaction.write")
@require_POST
def call_log(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Save the log of a contact; once the conversation is over this ends the wrap-up too."""
    # The log form needs the contact, its customer's open tickets (the ticket choice) and its script.
    view = _call_or_404(request, interaction_id, history=False)
    form = LogForm(request.POST, view=view)
    form.script_path = drafts.draft_script_path(request, interaction_id)
    saved = None
    if form.is_valid():
        try:
            saved = _save_log(form=form, by=request.user)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        except WrapupAlreadyEnded:
            form.add_error(None, _("After-call work ended meanwhile: nothing was saved. Check the log and save again."))
    if not form.is_valid():
        return render(request, "desk/partials/log.html", {"call": view, "log_form": form}, status=400)
    drafts.draft_forget_log(request, interaction_id)
    follow_up = bool(form.cleaned_data.get("follow_up"))
    view = selectors.call_log_view_saved(user=request.user, view=view, saved=saved, tickets_changed=follow_up)
    if view is None:
        raise Http404
    log_form = LogForm.for_call(view)
    log_form.promised = form.promised
    context = {"call": view, "log_form": log_form, "saved": True, "promised": form.promised}
    if form.promised is not None:
        context["promised_phone"] = format_phone_international(form.promised.phone)
    response = render(request, "desk/partials/log.html", context)
    if follow_up:
        trigger_client_event(response, "tickets-changed")
    if form.callback_due_at is not None:
        trigger_client_event(response, "callbacks-changed")
    return trigger_client_event(response, "call-logged", {"interaction": view.interaction.pk})


# --- The script ------------------------------------------------------------------------------------


@page_for("script.read")
@require_GET
def script_step_view(request: HttpRequest, version_id: int) -> HttpResponse:
    """One step of a published script, for the call ``?interaction=`` (placeholders filled with its
    customer), reached by ``?step=`` after the steps in ``?trail=``."""
    version = ScriptVersion.objects.select_related("script").filter(pk=version_id).first()
    if version is None:
        raise Http404
    customer, contact = None, None
    interaction_id = request.GET.get("interaction", "")
    if interaction_id.isdigit():
        contact = selectors.call_contact(user=request.user, interaction_id=int(interaction_id))
        customer = selectors.call_customer(user=request.user, interaction=contact) if contact else None
    step = script_step(
        version=version,
        key=request.GET.get("step", ""),
        values=placeholder_values(customer=customer, agent=request.user),
    )
    if step is None:
        raise Http404
    trail = parse_trail(request.GET.get("trail", ""))
    if contact is not None:  # where the agent is in the call's script survives a reload
        drafts.draft_save_step(request, contact.pk, step=step.key, trail=trail)
    # An end step's suggested disposition, by its label (and whether it resolves the contact).
    suggested = disposition_of(step.disposition) if step.disposition else None
    return render(
        request,
        "desk/partials/script_step.html",
        {"version": version, "step": step, "trail": trail, "interaction_id": interaction_id, "suggested": suggested},
    )


# --- Customers -------------------------------------------------------------------------------------


@page_for("customer.read")
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The customers matching ``?q=``: name, company, email, a phone in any format."""
    term = request.GET.get("q", "")
    error = None
    try:
        results = selectors.customer_quick_search(user=request.user, term=term)
    except ValidationError as exc:
        results, error = [], " ".join(exc.messages)
    call = selectors.current_call(user=request.user)
    return render(
        request,
        "desk/partials/search_results.html",
        {"results": results, "term": term, "error": error, "current_call": call},
    )


@page_for("customer.read")
@require_GET
def customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A customer's card, open tickets and history, opened from the search."""
    try:
        view = selectors.customer_view(user=request.user, customer_id=customer_id, cursor=request.GET.get("cursor"))
    except ValidationError:
        view = None
    if view is None:
        raise Http404
    customer_read_record(request=request, customer_id=view.customer.pk, what=CustomerRead.What.DESK)
    # "Back to the call" only when there is one; "New ticket" carries this customer.
    return render(request, "desk/partials/customer_panel.html", {"view": view, "current_call": view.on_call})


#: The languages offered for a new customer (the record itself takes any language code).
CUSTOMER_LANGUAGES = [
    ("fr", gettext_lazy("French")),
    ("en", gettext_lazy("English")),
    ("de", gettext_lazy("German")),
    ("es", gettext_lazy("Spanish")),
    ("it", gettext_lazy("Italian")),
    ("nl", gettext_lazy("Dutch")),
    ("ar", gettext_lazy("Arabic")),
]


class NewCustomerForm(forms.Form):
    """A caller the center does not know yet, prefilled with their number."""

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    company = forms.CharField(label=gettext_lazy("Company"), max_length=200, required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=CUSTOMER_LANGUAGES)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=50, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)


@page_for("customer.write")
@require_POST
def call_new_customer(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Create the unknown caller's customer record and put it on the call."""
    view = _call_line_or_404(request, interaction_id)
    form = NewCustomerForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            customer_create_from_call(
                interaction=view.interaction,
                by=request.user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                company=data["company"],
                language=data["language"],
                phones=[data["phone"]] if data["phone"] else [],
                emails=[data["email"]] if data["email"] else [],
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                target = {"phones": "phone", "emails": "email"}.get(field, field)
                form.add_error(target if target in form.fields else None, messages)
    if not form.is_valid():
        return render(
            request,
            "desk/partials/new_customer.html",
            {"call": view, "new_customer_form": form},
            status=400,
        )
    return render(request, "desk/partials/call.html", call_context(request, _call_or_404(request, interaction_id)))


@page_for("interaction.write")
@require_POST
def call_set_customer(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Put a customer found by search on the call (the caller is not who the number said)."""
    view = _call_line_or_404(request, interaction_id)
    customer_id = request.POST.get("customer", "")
    found = (
        Customer.objects.visible_to(request.user).filter(pk=int(customer_id), erased_at__isnull=True).first()
        if customer_id.isdigit()
        else None
    )
    if found is None:
        raise Http404
    saved = interaction_update(interaction=view.interaction, by=request.user, customer=found)
    # The call region drawn again from the contact as saved (its customer is the one found).
    contact = selectors.call_contact_saved(user=request.user, saved=saved, read=view.interaction)
    if contact is None:
        raise Http404
    updated = selectors.call_view(user=request.user, interaction=contact)
    return render(request, "desk/partials/call.html", call_context(request, updated))


urlpatterns = [
    path("desk/calls/current/", current_call, name="current_call"),
    path("desk/calls/<int:interaction_id>/", call, name="call"),
    path("desk/calls/<int:interaction_id>/state/", call_state, name="call_state"),
    path("desk/calls/<int:interaction_id>/log/", call_log, name="call_log"),
    path("desk/calls/<int:interaction_id>/draft/", call_draft, name="call_draft"),
    path("desk/calls/<int:interaction_id>/tickets/", call_tickets, name="call_tickets"),
    path("desk/calls/<int:interaction_id>/customer/", call_set_customer, name="call_set_customer"),
    path("desk/calls/<int:interaction_id>/new-customer/", call_new_customer, name="call_new_customer"),
    path("desk/scripts/<int:version_id>/", script_step_view, name="script_step"),
    path("desk/search/", search, name="search"),
    path("desk/customers/<int:customer_id>/", customer, name="customer"),
]
