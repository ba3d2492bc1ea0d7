"""Logging in: the password, then the second factor when the user has one or their role needs one;
and the page where a logged-in user sets up their authenticator and passkeys.

The desk's login and the admin's (``contactcenter.admin_site``) are this one view with two
templates, so both share the limits of :mod:`contactcenter.core.logins` (failures per username and
address, in the database) and the second step of :mod:`contactcenter.core.twofactor`.

Between the password and the code the session holds only the pending user's id (for five
minutes): nobody is logged in until the second step succeeds, so a half-done login opens no page,
no API call and no socket.

Passkeys talk JSON with ``desk/passkeys.js`` (a static file: the Content-Security-Policy allows no
inline script): a "begin" call hands the browser its options and keeps the challenge in the
session, a "complete" call checks the browser's answer. At the second step a refused answer counts
as a failed login, like a wrong code.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from contactcenter.core.logins import login_failed, login_retry_after
from contactcenter.core.twofactor import (
    has_authenticator,
    has_passkey,
    has_second_factor,
    passkey_login_begin,
    passkey_login_verify,
    passkey_register_begin,
    passkey_register_complete,
    passkey_remove,
    passkeys_of,
    passkeys_usable_at,
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
PASSKEY_LOGIN_KEY = "passkey_login_state"
PASSKEY_REGISTER_KEY = "passkey_register_state"
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
    if not enrolling:
        context["authenticator"] = has_authenticator(user)
        context["passkey"] = has_passkey(user)
        context["passkey_here"] = context["passkey"] and passkeys_usable_at(request)
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
        context["error"] = (
            _("This code is not valid. Check your authenticator app's clock and try again.")
            if enrolling or context["authenticator"]
            else _("This recovery code is not valid.")
        )
        return render(request, "desk/login_second_step.html", context, status=400)
    return render(request, "desk/login_second_step.html", context)


@login_required
@sensitive_post_parameters("otp")
@never_cache
@require_http_methods(["GET", "POST"])
def twofactor(request: HttpRequest) -> HttpResponse:
    """The logged-in user's second factor: set up (or replace) the authenticator, add and remove
    passkeys, get new recovery codes."""
    user = request.user
    authenticator = has_authenticator(user)
    passkeys = passkeys_of(user=user)
    context: dict[str, Any] = {
        "enrolled": authenticator or bool(passkeys),
        "authenticator": authenticator,
        "passkeys": passkeys,
        "passkeys_here": passkeys_usable_at(request),
        "rp_id": settings.OTP_WEBAUTHN_RP_ID,
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
    elif action == "remove-passkey":
        try:
            passkey_remove(user=user, passkey_id=int(request.POST.get("passkey") or 0))
        except (ValueError, ValidationError) as exc:
            context["error"] = exc.messages[0] if isinstance(exc, ValidationError) else _("No such passkey.")
            return render(request, "desk/twofactor.html", context, status=400)
        return redirect("desk:twofactor")
    return render(request, "desk/twofactor.html", context)


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, RequestDataTooBig):
        return None


def _json_refusal(message: str, status: int, wait: int | None = None) -> JsonResponse:
    response = JsonResponse({"detail": message}, status=status)
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


def _passkey_step_user(request: HttpRequest) -> tuple[Any, Any, JsonResponse | None]:
    """The user whose password step is pending and their pending login, or the JSON refusal: the
    login expired (403) or its username and address are locked out (429, this view answers it)."""
    user, pending = _pending_user(request)
    if user is None:
        return None, None, _json_refusal(_("This login has expired: start again."), 403)
    request.login_limit_answered = True
    wait = login_retry_after(request, user.get_username())
    if wait is not None:
        return user, pending, _json_refusal(_too_many(wait), 429, wait)
    return user, pending, None


@never_cache
@require_POST
def second_step_passkey_begin(request: HttpRequest) -> JsonResponse:
    """The second step with a passkey, part one: the browser's options to sign with one of the
    pending user's passkeys (JSON)."""
    user, _pending, refusal = _passkey_step_user(request)
    if refusal is not None:
        return refusal
    if not has_passkey(user):
        return _json_refusal(_("You have no passkey: type a code instead."), 400)
    options, state = passkey_login_begin(request=request, user=user)
    request.session[PASSKEY_LOGIN_KEY] = state
    return JsonResponse(options)


@never_cache
@require_POST
def second_step_passkey_complete(request: HttpRequest) -> JsonResponse:
    """The second step with a passkey, part two: the browser's signature. Accepted, the user is
    logged in (the answer says where to go); refused, it counts as a failed login."""
    user, pending, refusal = _passkey_step_user(request)
    if refusal is not None:
        return refusal
    # Each challenge is answered once, whatever the answer.
    state = request.session.pop(PASSKEY_LOGIN_KEY, None)
    passkey = passkey_login_verify(request=request, user=user, state=state, data=_json_body(request))
    if passkey is None:
        login_failed(request, user.get_username())
        return _json_refusal(_("This passkey was not accepted. Try again, or type a code."), 400)
    _finish(request, user, pending, passkey)
    return JsonResponse({"redirect": _next_url(request, pending)})


def _may_register_passkey(request: HttpRequest) -> JsonResponse | None:
    """Why this session may not add a passkey (JSON), or ``None``: a user who has a second factor
    adds another only from a session opened with it."""
    if not request.user.is_authenticated:
        return _json_refusal(_("Log in first."), 403)
    if not request.user.is_verified() and has_second_factor(request.user):
        return _json_refusal(_("Log out and in again with your second factor before adding a passkey."), 403)
    return None


@never_cache
@require_POST
def passkey_register_begin_view(request: HttpRequest) -> JsonResponse:
    """Adding a passkey, part one: the browser's options to make it (JSON)."""
    refusal = _may_register_passkey(request)
    if refusal is not None:
        return refusal
    options, state = passkey_register_begin(request=request, user=request.user)
    request.session[PASSKEY_REGISTER_KEY] = state
    return JsonResponse(options)


@never_cache
@require_POST
def passkey_register_complete_view(request: HttpRequest) -> JsonResponse:
    """Adding a passkey, part two: the passkey the browser made (``{"name", "credential"}``), saved.
    A session not yet verified by a second factor is from then on."""
    refusal = _may_register_passkey(request)
    if refusal is not None:
        return refusal
    state = request.session.pop(PASSKEY_REGISTER_KEY, None)
    body = _json_body(request)
    body = body if isinstance(body, dict) else {}
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    passkey = passkey_register_complete(
        request=request, user=request.user, state=state, data=body.get("credential"), name=name
    )
    if passkey is None:
        return _json_refusal(_("This passkey could not be added. Try again."), 400)
    if not request.user.is_verified():
        otp_login(request, passkey)
    return JsonResponse({"id": passkey.pk, "redirect": resolve_url("desk:twofactor")})


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
    path("login/second-step/passkey/begin/", second_step_passkey_begin, name="login-passkey-begin"),
    path("login/second-step/passkey/complete/", second_step_passkey_complete, name="login-passkey-complete"),
    path("account/two-factor/passkeys/begin/", passkey_register_begin_view, name="passkey-register-begin"),
    path("account/two-factor/passkeys/complete/", passkey_register_complete_view, name="passkey-register-complete"),
]
