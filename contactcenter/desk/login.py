"""Logging in: the password, then the second factor when the user has one or their role needs one;
and the page where a logged-in user sets up their authenticator.

The desk's login and the admin's (``contactcenter.admin_site``) are this one view with two
templates, so both share the limits of :mod:`contactcenter.core.logins` (failures per username and
address, in the database) and the second step of :mod:`contactcenter.core.twofactor`.

Between the password and the code the session holds only the pending user's id (for five
minutes): nobody is logged in until the second step succeeds, so a half-done login opens no page,
no API call and no socket.
"""

from __future__ import annotations

import io
import time
from typing import Any

import segno
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from contactcenter.core.logins import login_failed, login_retry_after
from contactcenter.core.twofactor import (
    has_second_factor,
    recovery_codes_issue,
    recovery_codes_left,
    second_factor_asked,
    second_factor_required,
    second_factor_verify,
    totp_enrol_confirm,
    totp_enrol_start,
    totp_pending,
)

PENDING_KEY = "login_pending"
ENROL_KEY = "twofactor_enrol_device"
PENDING_SECONDS = 300


def _too_many(wait: int) -> str:
    return _("Too many attempts. Try again in %(seconds)d seconds.") % {"seconds": wait}


class LoginView(auth_views.LoginView):
    """The password step (Django's login form), limited per username and address; a user with a
    second factor, or whose role needs one, goes on to :func:`second_step`."""

    template_name = "desk/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Our answer to a refused login stands (see contactcenter.core.logins.LoginLimitMiddleware).
        request.login_limit_answered = True
        wait = login_retry_after(request, request.POST.get("username", ""))
        if wait is not None:
            return self._refused(wait)
        return super().post(request, *args, **kwargs)

    def _refused(self, wait: int) -> HttpResponse:
        form = self.get_form()
        form.errors.clear()
        form.add_error(None, _too_many(wait))
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(wait)
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not second_factor_asked(user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return redirect("desk:login-second-step")


def _pending_user(request: HttpRequest) -> tuple[Any, dict] | tuple[None, None]:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, None
    user = get_user_model()._default_manager.filter(pk=pending["user"], is_active=True).first()
    return (user, pending) if user is not None else (None, None)


def _finish(request: HttpRequest, user: Any, pending: dict, device: Any) -> None:
    request.session.pop(PENDING_KEY, None)
    request.session.pop(ENROL_KEY, None)
    auth_login(request, user, backend=pending["backend"])
    otp_login(request, device)


def _next_url(request: HttpRequest, pending: dict) -> str:
    target = pending.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url("home")


def _show_codes(request: HttpRequest, codes: list[str], next_url: str) -> HttpResponse:
    return render(request, "desk/recovery_codes.html", {"codes": codes, "next_url": next_url})


def _enrol_device(request: HttpRequest, user: Any) -> TOTPDevice:
    """The authenticator being set up in this session (a new one the first time)."""
    device = totp_pending(user=user, device_id=request.session.get(ENROL_KEY))
    if device is None:
        device = totp_enrol_start(user=user)
        request.session[ENROL_KEY] = device.pk
    return device


def _enrol_context(device: TOTPDevice) -> dict[str, Any]:
    key = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    return {"secret": key, "secret_groups": [key[i : i + 4] for i in range(0, len(key), 4)]}


@sensitive_post_parameters("otp")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def second_step(request: HttpRequest) -> HttpResponse:
    """After the password: the one-time code (or a recovery code); or, for a user whose role needs
    a second factor and who has none yet, setting up the authenticator, then its recovery codes."""
    user, pending = _pending_user(request)
    if user is None:
        return redirect("desk:login")
    request.login_limit_answered = True
    enrolling = not has_second_factor(user)
    context: dict[str, Any] = {"pending_user": user, "enrolling": enrolling}
    if enrolling:
        device = _enrol_device(request, user)
        context.update(_enrol_context(device))
    if request.method == "POST":
        wait = login_retry_after(request, user.get_username())
        if wait is not None:
            context["error"] = _too_many(wait)
            response = render(request, "desk/login_second_step.html", context, status=429)
            response["Retry-After"] = str(wait)
            return response
        code = request.POST.get("otp", "")
        if enrolling:
            codes = totp_enrol_confirm(device=device, code=code)
            if codes is not None:
                _finish(request, user, pending, device)
                return _show_codes(request, codes, _next_url(request, pending))
        else:
            verified = second_factor_verify(user=user, code=code)
            if verified is not None:
                _finish(request, user, pending, verified)
                return redirect(_next_url(request, pending))
        # A wrong code is a failed login: it counts against the username and address.
        login_failed(request, user.get_username())
        context["error"] = _("This code is not valid. Check your authenticator app's clock and try again.")
        return render(request, "desk/login_second_step.html", context, status=400)
    return render(request, "desk/login_second_step.html", context)


@login_required
@sensitive_post_parameters("otp")
@never_cache
@require_http_methods(["GET", "POST"])
def twofactor(request: HttpRequest) -> HttpResponse:
    """The logged-in user's second factor: set up (or replace) the authenticator, get new
    recovery codes."""
    user = request.user
    context: dict[str, Any] = {
        "enrolled": has_second_factor(user),
        "required": second_factor_required(user),
        "codes_left": recovery_codes_left(user=user),
    }
    action = request.POST.get("action") if request.method == "POST" else None
    if action in {"enrol", "confirm"}:
        device = _enrol_device(request, user)
        context.update(_enrol_context(device), enrolling=True)
        if action == "confirm":
            codes = totp_enrol_confirm(device=device, code=request.POST.get("otp", ""))
            if codes is None:
                context["error"] = _("This code is not valid. Check your authenticator app's clock and try again.")
                return render(request, "desk/twofactor.html", context, status=400)
            request.session.pop(ENROL_KEY, None)
            otp_login(request, device)
            return render(
                request, "desk/recovery_codes.html", {"codes": codes, "next_url": resolve_url("desk:twofactor")}
            )
    elif action == "recovery" and context["enrolled"]:
        codes = recovery_codes_issue(user=user)
        return render(request, "desk/recovery_codes.html", {"codes": codes, "next_url": resolve_url("desk:twofactor")})
    return render(request, "desk/twofactor.html", context)


@never_cache
@require_GET
def twofactor_qr(request: HttpRequest) -> HttpResponseBase:
    """The QR code of the authenticator being set up in this session (SVG); 404 without one."""
    device_id = request.session.get(ENROL_KEY)
    device = TOTPDevice.objects.filter(pk=device_id, confirmed=False).first() if device_id else None
    if device is None:
        return HttpResponse(status=404)
    svg = io.BytesIO()
    # A document of its own (XML declaration and namespace), so that an <img> shows it.
    segno.make(device.config_url, error="m").save(svg, kind="svg", scale=5, border=2)
    return HttpResponse(svg.getvalue(), content_type="image/svg+xml")


urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("login/second-step/", second_step, name="login-second-step"),
    path("account/two-factor/", twofactor, name="twofactor"),
    path("account/two-factor/qr.svg", twofactor_qr, name="twofactor-qr"),
]
