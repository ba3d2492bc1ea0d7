"""The second factor: a TOTP authenticator app and passkeys, with single-use recovery codes
(django-otp, django-otp-webauthn).

* Anyone may enrol (the desk's "Two-factor authentication" page): set up an authenticator app, add
  one or more passkeys, or both. Once enrolled, every login asks for the second factor: the desk's
  and the admin's (a second step after the password: the app's code, a recovery code, or a passkey)
  and the token endpoint (its ``otp`` field: the app's code or a recovery code; a passkey needs a
  browser, so a user whose only second factor is a passkey sets up an app to get API tokens).
* Users whose role is in ``REQUIRE_2FA_ROLES`` cannot log in without one: at an interactive login
  they enrol first, as the second step; the token endpoint refuses them until they have.
* Recovery codes (ten, each usable once) stand in for the authenticator or the passkey when it is
  lost; an admin may also remove a user's second factor (the user enrols again at the next login).
* Wrong codes are slowed down by django-otp (each failure doubles the wait of the device); wrong
  codes and refused passkeys count as failed logins against the username and address
  (:mod:`contactcenter.core.logins`).
* A passkey is made for one domain, the relying party ID (``OTP_WEBAUTHN_RP_ID``); a browser uses it
  only on that domain or under it (:func:`passkeys_usable_at`). Its answers are checked against the
  origins of ``OTP_WEBAUTHN_ALLOWED_ORIGINS`` and the page's own (:class:`PasskeyHelper`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.utils.translation import gettext as _
from django_otp import devices_for_user, match_token, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions
from webauthn.helpers.exceptions import WebAuthnException

from contactcenter.core.roles import role_of

RECOVERY_CODES = 10
AUTHENTICATOR_NAME = "Authenticator"
RECOVERY_NAME = "Recovery codes"
PASSKEY_NAME = "Passkey"
PASSKEY_NAME_MAX = 64


def second_factor_required(user: Any) -> bool:
    """Whether ``user``'s role must log in with a second factor (``REQUIRE_2FA_ROLES``)."""
    return role_of(user) in set(settings.REQUIRE_2FA_ROLES)


def has_second_factor(user: Any) -> bool:
    """Whether ``user`` has a confirmed authenticator or a passkey (one query)."""
    authenticator = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    passkey = WebAuthnCredential.objects.filter(user=OuterRef("pk"), confirmed=True)
    return get_user_model()._default_manager.filter(pk=user.pk).filter(Exists(authenticator) | Exists(passkey)).exists()


def has_authenticator(user: Any) -> bool:
    """Whether ``user`` has a confirmed authenticator app (the factor the token endpoint checks)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def has_passkey(user: Any) -> bool:
    """Whether ``user`` has a passkey."""
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def second_factor_asked(user: Any) -> bool:
    """Whether a login of ``user`` goes through the second step (a code, or enrolment first)."""
    return has_second_factor(user) or second_factor_required(user)


def second_factor_verify(*, user: Any, code: str) -> Device | None:
    """The device (authenticator or recovery codes) that accepts ``code`` for ``user``, or
    ``None``. A recovery code is used up by this call."""
    code = "".join(code.split())
    if not code or not user_has_device(user):
        return None
    return match_token(user, code)


@dataclass(frozen=True)
class SecondFactorRefusal:
    """Why a login without a page was refused; ``wrong_code`` counts as a failed login."""

    message: str
    wrong_code: bool = False


def second_factor_check(*, user: Any, code: str) -> SecondFactorRefusal | None:
    """For a login without a page (the token endpoint): ``None`` when ``user`` may go on, else
    why not, to tell the client."""
    if not second_factor_asked(user):
        return None
    if not has_second_factor(user):
        return SecondFactorRefusal(_("Your role must log in with a second factor: set one up from the desk first."))
    if not has_authenticator(user):
        # Only a browser can use a passkey; recovery codes are for a lost passkey, not for every token.
        return SecondFactorRefusal(
            _(
                "Your second factor is a passkey, which only the login pages can use: to get API tokens, set up "
                "an authenticator app too (desk, “Two-factor”) and send its code as “otp”."
            )
        )
    if not code.strip():
        return SecondFactorRefusal(_("Send the one-time code of your authenticator app (or a recovery code) as “otp”."))
    if second_factor_verify(user=user, code=code) is None:
        return SecondFactorRefusal(_("This one-time code is not valid."), wrong_code=True)
    return None


@transaction.atomic
def totp_enrol_start(*, user: Any) -> TOTPDevice:
    """A new, unconfirmed authenticator for ``user`` (any earlier unconfirmed one is dropped). Its
    ``config_url`` goes into the authenticator app (QR code, or the key typed by hand)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def totp_pending(*, user: Any, device_id: int | None) -> TOTPDevice | None:
    """The unconfirmed authenticator ``device_id`` of ``user``, if it is still there."""
    if device_id is None:
        return None
    return TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first()


@transaction.atomic
def totp_enrol_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirms ``device`` if ``code`` is its current code: it replaces any earlier authenticator,
    and new recovery codes replace the old ones. Returns the recovery codes (shown once), or
    ``None`` for a wrong code."""
    if not device.verify_token("".join(code.split())):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_issue(user=device.user)


@transaction.atomic
def recovery_codes_issue(*, user: Any) -> list[str]:
    """New recovery codes for ``user``; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(*, user: Any) -> int:
    """How many unused recovery codes ``user`` has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def second_factor_remove(*, user: Any) -> None:
    """Removes ``user``'s authenticator, passkeys and recovery codes (an admin's reset for a lost
    phone)."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()


def passkeys_usable_at(request: HttpRequest) -> bool:
    """Whether a browser at this request's address can use passkeys: the address is the relying
    party ID (``OTP_WEBAUTHN_RP_ID``) or a name under it. Never at a bare IP address."""
    rp_id = settings.OTP_WEBAUTHN_RP_ID
    host, _port = split_domain_port(request.get_host())
    return bool(rp_id) and (host == rp_id or host.endswith(f".{rp_id}"))


def _page_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


class PasskeyHelper(WebAuthnHelper):
    """django-otp-webauthn's ceremonies, with the origins this instance accepts: those of
    ``OTP_WEBAUTHN_ALLOWED_ORIGINS``, and the address the page was served from when it lies under
    the relying party ID (``http://localhost:8000`` in development, a server's own port): the
    browser itself refuses a passkey to any page outside its domain."""

    def get_allowed_origins(self) -> list[str]:
        origins = list(super().get_allowed_origins())
        if passkeys_usable_at(self.request) and _page_origin(self.request) not in origins:
            origins.append(_page_origin(self.request))
        return origins


def _verified(action: Any) -> Any:
    """The result of a ceremony step, or ``None`` when the browser's answer does not hold (malformed,
    unknown passkey, someone else's, wrong signature, wrong origin or challenge)."""
    try:
        with rewrite_exceptions():
            return action()
    except (OTPWebAuthnApiError, WebAuthnException, KeyError, TypeError, ValueError):
        return None


def passkeys_of(*, user: Any) -> list[WebAuthnCredential]:
    """``user``'s passkeys, oldest first."""
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk"))


def passkey_register_begin(*, request: HttpRequest, user: Any) -> tuple[dict, dict]:
    """The options for the browser to make a new passkey for ``user`` (JSON), and the state to keep
    in the session until :func:`passkey_register_complete`."""
    return PasskeyHelper(request).register_begin(user=user)


@transaction.atomic
def passkey_register_complete(
    *, request: HttpRequest, user: Any, state: dict, data: Any, name: str = ""
) -> WebAuthnCredential | None:
    """Saves the passkey the browser made (``data``, its JSON answer) as ``name``; ``None`` when the
    answer does not hold (nothing saved)."""
    if not isinstance(state, dict) or not isinstance(data, dict):
        return None
    passkey = _verified(lambda: PasskeyHelper(request).register_complete(user=user, state=state, data=data))
    if passkey is None:
        transaction.set_rollback(True)
        return None
    passkey.name = " ".join(name.split())[:PASSKEY_NAME_MAX] or PASSKEY_NAME
    passkey.save(update_fields=["name"])
    return passkey


@transaction.atomic
def passkey_remove(*, user: Any, passkey_id: int) -> None:
    """Removes ``user``'s passkey ``passkey_id``. A user whose role requires a second factor keeps
    one: the last passkey of a user without an authenticator app stays."""
    passkey = WebAuthnCredential.objects.select_for_update().filter(user=user, pk=passkey_id).first()
    if passkey is None:
        raise ValidationError(_("This passkey no longer exists."), code="not_found")
    others = WebAuthnCredential.objects.filter(user=user, confirmed=True).exclude(pk=passkey.pk).exists()
    if second_factor_required(user) and not others and not has_authenticator(user):
        raise ValidationError(
            _(
                "Your role must use a second factor: add another passkey or an authenticator app before "
                "removing this one."
            ),
            code="last_factor",
        )
    passkey.delete()


def passkey_login_begin(*, request: HttpRequest, user: Any) -> tuple[dict, dict]:
    """The options for the browser to sign in with one of ``user``'s passkeys (JSON), and the state
    to keep in the session until :func:`passkey_login_verify`."""
    return PasskeyHelper(request).authenticate_begin(user=user, require_user_verification=False)


@transaction.atomic
def passkey_login_verify(*, request: HttpRequest, user: Any, state: dict, data: Any) -> WebAuthnCredential | None:
    """The passkey of ``user`` that signed this login (``data``: the browser's JSON answer to the
    challenge of ``state``), its use recorded; ``None`` when the answer does not hold."""
    if not isinstance(state, dict) or not isinstance(data, dict):
        return None
    passkey = _verified(lambda: PasskeyHelper(request).authenticate_complete(user=user, state=state, data=data))
    if passkey is None or not passkey.confirmed:
        transaction.set_rollback(True)
        return None
    return passkey


class SecondFactorRequiredMiddleware:
    """A browser session of a user whose role requires a second factor, opened without one (before
    the role was required, or by other means than the login pages), is ended: the user logs in
    again, through the second step. Nothing to check, and no query, while ``REQUIRE_2FA_ROLES`` is
    empty. API tokens are not sessions: the token endpoint asks for the code itself."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.REQUIRE_2FA_ROLES
            and user is not None
            and user.is_authenticated
            and not getattr(user, "is_verified", lambda: False)()
            and second_factor_required(user)
        ):
            logout(request)
            if not request.path.startswith("/api/"):
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
