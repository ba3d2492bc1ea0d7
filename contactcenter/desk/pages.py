"""The role-aware home page, the desktop's frame and the agent's status switch."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from contactcenter.agents.api.serializers import MyStatusSerializer
from contactcenter.agents.models import AgentProfile, Role
from contactcenter.agents.states import CHOSEN_BREAK_REASONS, agent_state_request
from contactcenter.core import access
from contactcenter.core.roles import role_of
from contactcenter.desk import selectors
from contactcenter.desk.access import page_for
from contactcenter.desk.callbar import callbar_context
from contactcenter.desk.calls import call_context
from contactcenter.desk.offers import offer_card_context


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Agents and QA evaluators land on the desktop, supervisors on the wallboard; managers and
    admins choose."""
    if not request.user.is_authenticated:
        return redirect("desk:login")
    role = role_of(request.user)
    if role in (Role.AGENT, Role.QUALITY):
        # QA evaluators read the desktop (the interactions of the teams they cover) and take no call.
        return redirect("desk:desktop")
    if role == Role.SUPERVISOR:
        return redirect("desk:wallboard")
    if role in (Role.MANAGER, Role.ADMIN):
        return render(request, "desk/home.html", {"role": role})
    if request.user.is_staff:
        return redirect("admin:index")
    raise PermissionDenied(_("Your account has no role yet: ask an administrator to give you one."))


def _status_context(profile: AgentProfile | None, errors: dict[str, list[str]] | None = None) -> dict:
    reasons = [(reason.value, reason.label) for reason in CHOSEN_BREAK_REASONS]
    return {"profile": profile, "status_errors": errors or {}, "break_reasons": reasons}


@page_for("desk.open")
@require_GET
def desktop(request: HttpRequest) -> HttpResponse:
    """The agent desktop: status, the call bar, the work offered (its card drawn with the page when
    an offer is open), search, my work, the current call, script, log, tickets, knowledge."""
    profile = selectors.desk_profile(user=request.user)
    call = selectors.current_call(user=request.user)
    view = selectors.call_view(user=request.user, interaction=call) if call else None
    context = {
        **_status_context(profile),
        **call_context(request, view),
        **callbar_context(user=request.user, view=view),
        **offer_card_context(user=request.user),
        "may_open_wallboard": access.can(request.user, "wallboard.open"),
        "may_open_admin": request.user.is_staff,
    }
    return render(request, "desk/desktop.html", context)


@page_for("status.write_own")
def status(request: HttpRequest) -> HttpResponse:
    """GET: the status switch as it is now; POST: change it (``available``, ``break``, ``offline``)."""
    profile = selectors.desk_profile(user=request.user)
    if request.method != "POST":
        return render(request, "desk/partials/status.html", _status_context(profile))
    # Validated as PUT agents/me/status/ and the socket's set_status are: one rule for the three.
    sent = {key: request.POST[key] for key in ("status", "reason") if key in request.POST}
    serializer = MyStatusSerializer(data=sent)
    errors: dict[str, list[str]] = {}
    if profile is None:
        errors[""] = [_("Only agents have a presence status.")]
    elif not serializer.is_valid():
        errors = {field: [str(message) for message in messages] for field, messages in serializer.errors.items()}
    else:
        try:
            profile = agent_state_request(
                profile=profile,
                status=serializer.validated_data["status"],
                reason=serializer.validated_data["reason"],
                by=request.user,
            ).profile
        except ValidationError as exc:
            errors = {"": exc.messages}
    if errors:
        return render(request, "desk/partials/status.html", _status_context(profile, errors), status=400)
    return render(request, "desk/partials/status.html", _status_context(profile))


logout = auth_views.LogoutView.as_view()  # POST only (Django 5), then back to the login page

urlpatterns = [
    path("logout/", logout, name="logout"),
    path("desk/", desktop, name="desktop"),
    path("desk/status/", status, name="status"),
]
