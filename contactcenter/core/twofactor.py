"""The second factor: a TOTP authenticator app, with single-use recovery codes (django-otp).

* Anyone may enrol (the desk's "Two-factor authentication" page). Once enrolled, every login asks
  for the current code: the desk's and the admin's (a second step after the password) and the
  token endpoint (its ``otp`` field).
* Users whose role is in ``REQUIRE_2FA_ROLES`` cannot log in without one: at an interactive login
  they enrol first, as the second step; the token endpoint refuses them until they have.
* Recovery codes (ten, each usable once) stand in for the authenticator when it is lost; an admin
  may also remove a user's second factor (the user enrols again at the next login).
* Wrong codes are slowed down by django-otp (each failure doubles the wait of the device) and
  count as failed logins against the username and address (:mod:`contactcenter.core.logins`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_otp import devices_for_user, match_token, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from contactcenter.core.roles import role_of

RECOVERY_CODES = 10
AUTHENTICATOR_NAME = "Authenticator"
RECOVERY_NAME = "Recovery codes"


def second_factor_required(user: Any) -> bool:
    """Whether ``user``'s role must log in with a second factor (``REQUIRE_2FA_ROLES``)."""
    return role_of(user) in set(settings.REQUIRE_2FA_ROLES)


def has_second_factor(user: Any) -> bool:
    """Whether ``user`` has a confirmed authenticator."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


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
    """Removes ``user``'s authenticator and recovery codes (an admin's reset for a lost phone)."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()


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
