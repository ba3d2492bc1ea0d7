"""Web chat on the agent desktop (``docs/desktop.md``, "Web chat"): the agent's open chats as tabs,
each chat's panel (its messages, the message box with canned replies and knowledge links, the
customer's card and history beside it), and the chat's actions: transfer, link to a customer,
close. A supervisor reads their team's open chats (read-only).

Thin adapters: reads through :mod:`contactcenter.desk.chat_selectors` (over
:mod:`contactcenter.chat.selectors`), writes through :mod:`contactcenter.chat.services`, the same as
the visitor's side. A chat that is not the user's to read answers 404; one they may read but is not
theirs (a supervisor) refuses every write with 404 too. The socket's ``chat.*`` events only say
what changed: the page fetches the HTML again (``static/desk/chat.js``).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from contactcenter.agents.models import Queue
from contactcenter.chat import services
from contactcenter.chat.models import ChatConversation
from contactcenter.chat.services import ChatOver
from contactcenter.core.choices import Channel
from contactcenter.desk import chat_selectors, selectors
from contactcenter.desk.access import page_for
from customers.models import CustomerRead
from customers.services import customer_read_record

#: The client event the answers carry when the agent's open chats changed (a tab to add or drop).
CHATS_CHANGED = "chats-changed"


def _chat_or_404(request: HttpRequest, pk: int) -> ChatConversation:
    try:
        return chat_selectors.chat_for_desk(user=request.user, pk=pk)
    except ChatConversation.DoesNotExist:
        raise Http404 from None


def _own_chat_or_404(request: HttpRequest, pk: int) -> ChatConversation:
    """The chat ``pk`` when it is the user's own (a supervisor may read, never write)."""
    conversation = _chat_or_404(request, pk)
    if conversation.agent_id != request.user.pk:
        raise Http404
    return conversation


def _after(request: HttpRequest) -> int | None:
    raw = request.GET.get("after", "")
    return int(raw) if raw.isdigit() else None


def _panel(request: HttpRequest, conversation: ChatConversation, *, status: int = 200, **extra) -> HttpResponse:
    panel = chat_selectors.chat_panel(user=request.user, conversation=conversation)
    if panel.customer is not None:
        customer_read_record(request=request, customer_id=panel.customer.pk, what=CustomerRead.What.DESK)
    context = {"panel": panel, **extra}
    if getattr(request, "htmx", False):
        return render(request, "desk/chats/chat.html", context, status=status)
    return render(request, "desk/chats/page.html", context, status=status)


def _error(message: str, status: int = 400) -> HttpResponse:
    """A refusal the message box shows in place (plain text, read by ``chat.js``)."""
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _over() -> HttpResponse:
    return _error(_("This chat is over: nothing more can be said or done in it."), status=409)


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- Reads ---------------------------------------------------------------------------------------


@page_for("desk.open")
@require_GET
def chat_tabs(request: HttpRequest) -> HttpResponse:
    """The agent's open chats as tabs, each with its unread count (asked for with the desktop, and
    again on the socket's ``chat.started`` and ``chat.ended``)."""
    return render(request, "desk/chats/tabs.html", {"tabs": chat_selectors.chat_tabs(user=request.user)})


@page_for("desk.open")
@require_GET
def chat_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One chat's panel: messages, message box, customer card and history (read-only for a
    supervisor reading a chat of their team)."""
    return _panel(request, _chat_or_404(request, pk))


@page_for("desk.open")
@require_GET
def chat_messages(request: HttpRequest, pk: int) -> HttpResponse:
    """The chat's messages after ``?after=`` (a message id), to append to its log: asked for on
    the socket's ``chat.message`` and after the agent sent one."""
    conversation = _chat_or_404(request, pk)
    messages = chat_selectors.chat_messages_after(conversation=conversation, after=_after(request))
    return render(request, "desk/chats/messages.html", {"messages": messages, "conversation": conversation})


@page_for("desk.open")
@require_GET
def chat_transfer_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The transfer form: another chat queue or a colleague."""
    conversation = _own_chat_or_404(request, pk)
    targets = chat_selectors.chat_transfer_targets(user=request.user, conversation=conversation)
    return render(request, "desk/chats/transfer.html", {"conversation": conversation, "targets": targets})


@page_for("customer.read")
@require_GET
def chat_identify_search(request: HttpRequest, pk: int) -> HttpResponse:
    """The customers matching ``?q=``, each with *This is the visitor* (the chat's agent only)."""
    conversation = _own_chat_or_404(request, pk)
    term = request.GET.get("q", "")
    error = ""
    try:
        results = selectors.customer_quick_search(user=request.user, term=term)
    except ValidationError as exc:
        results, error = [], _messages_of(exc)
    context = {"conversation": conversation, "results": results, "term": term, "error": error}
    return render(request, "desk/chats/identify_results.html", context)


@page_for("wallboard.open")
@require_GET
def team_chats(request: HttpRequest) -> HttpResponse:
    """A supervisor's page: the open chats of their team's agents, each readable (read-only)."""
    chats = list(chat_selectors.team_open_chats(user=request.user))
    return render(request, "desk/chats/team.html", {"chats": chats})


@page_for("interaction.read")
@require_GET
def chat_transcript(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """A past chat's messages, opened from the customer's timeline."""
    messages = chat_selectors.chat_transcript(user=request.user, interaction_id=interaction_id)
    if messages is None:
        raise Http404
    return render(request, "desk/chats/transcript.html", {"messages": messages})


# --- Writes --------------------------------------------------------------------------------------


@page_for("interaction.write")
@require_POST
def chat_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the agent's message to the visitor: 204 (the page then fetches the new messages), or
    400 with the reason as plain text (empty, too long, the chat is over)."""
    conversation = _own_chat_or_404(request, pk)
    try:
        services.chat_agent_send(conversation=conversation, by=request.user, text=request.POST.get("text", ""))
    except ValidationError as exc:
        return _error(_messages_of(exc))
    except ChatOver:
        return _over()
    except PermissionDenied:
        raise Http404 from None
    return HttpResponse(status=204)


@page_for("interaction.write")
@require_POST
def chat_typing(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent is typing (``typing=1``) or stopped (``typing=0``): the visitor sees it. The page
    sends it at most every few seconds while the agent types."""
    conversation = _own_chat_or_404(request, pk)
    try:
        services.chat_agent_typing(conversation=conversation, by=request.user, typing=request.POST.get("typing") == "1")
    except ValidationError as exc:
        return _error(_messages_of(exc))
    except ChatOver:
        return _over()
    except PermissionDenied:
        raise Http404 from None
    return HttpResponse(status=204)


@page_for("interaction.write")
@require_POST
def chat_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Transfer the chat to another chat queue (``queue``: its id) or a colleague (``agent``: their
    username): it leaves the agent's tabs."""
    conversation = _own_chat_or_404(request, pk)
    queue_id, username = request.POST.get("queue", ""), request.POST.get("agent", "").strip()
    queue = Queue.objects.filter(pk=int(queue_id), channel=Channel.CHAT).first() if queue_id.isdigit() else None
    agent = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
    targets = chat_selectors.chat_transfer_targets(user=request.user, conversation=conversation)
    context = {"conversation": conversation, "targets": targets}
    if (queue is None) == (agent is None):
        context["error"] = _("Choose a queue or a colleague to transfer the chat to.")
        return render(request, "desk/chats/transfer.html", context, status=400)
    try:
        services.chat_transfer(conversation=conversation, by=request.user, queue=queue, agent=agent)
    except ValidationError as exc:
        context["error"] = _messages_of(exc)
        return render(request, "desk/chats/transfer.html", context, status=400)
    except ChatOver:
        context["error"] = _("This chat is over: nothing more can be said or done in it.")
        return render(request, "desk/chats/transfer.html", context, status=409)
    except PermissionDenied:
        # Read as theirs above, moved away since (a supervisor gave it to someone else).
        context["error"] = _("This chat is no longer yours to transfer.")
        return render(request, "desk/chats/transfer.html", context, status=409)
    target = queue.name if queue is not None else (agent.get_full_name() or agent.get_username())
    response = render(request, "desk/chats/gone.html", {"conversation": conversation, "transferred_to": target})
    return trigger_client_event(response, CHATS_CHANGED)


@page_for("interaction.write")
@require_POST
def chat_identify(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the visitor to the customer ``customer`` (an id found by the search): their card and
    history show beside the chat, and the chat lands on their timeline."""
    conversation = _own_chat_or_404(request, pk)
    raw = request.POST.get("customer", "")
    customer = chat_selectors.chat_identify_candidates(user=request.user, pk=int(raw)) if raw.isdigit() else None
    if customer is None:
        raise Http404
    try:
        conversation = services.chat_identify(conversation=conversation, by=request.user, customer=customer)
    except ValidationError as exc:
        return _error(_messages_of(exc))
    except ChatOver:
        return _over()
    except PermissionDenied:
        raise Http404 from None
    response = _panel(request, _chat_or_404(request, conversation.pk))
    return trigger_client_event(response, CHATS_CHANGED)


@page_for("interaction.write")
@require_POST
def chat_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the chat: the visitor is asked for their rating, the transcript is kept on the
    interaction, the tab goes."""
    conversation = _own_chat_or_404(request, pk)
    try:
        conversation = services.chat_close(conversation=conversation, by=request.user)
    except ValidationError as exc:
        return _error(_messages_of(exc))
    except ChatOver:
        return _over()
    except PermissionDenied:
        raise Http404 from None
    response = _panel(request, _chat_or_404(request, conversation.pk))
    return trigger_client_event(response, CHATS_CHANGED)


urlpatterns = [
    path("desk/chats/", chat_tabs, name="chat_tabs"),
    path("desk/chats/team/", team_chats, name="team_chats"),
    path("desk/chats/<int:pk>/", chat_detail, name="chat_detail"),
    path("desk/chats/<int:pk>/messages/", chat_messages, name="chat_messages"),
    path("desk/chats/<int:pk>/send/", chat_send, name="chat_send"),
    path("desk/chats/<int:pk>/typing/", chat_typing, name="chat_typing"),
    path("desk/chats/<int:pk>/transfer/", chat_transfer_form, name="chat_transfer_form"),
    path("desk/chats/<int:pk>/transfer/send/", chat_transfer, name="chat_transfer"),
    path("desk/chats/<int:pk>/identify/", chat_identify_search, name="chat_identify_search"),
    path("desk/chats/<int:pk>/identify/link/", chat_identify, name="chat_identify"),
    path("desk/chats/<int:pk>/close/", chat_close, name="chat_close"),
    path("desk/transcripts/<int:interaction_id>/", chat_transcript, name="chat_transcript"),
]
