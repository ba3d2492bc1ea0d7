"""API tokens: issued, found, revoked (the model: :class:`contactcenter.core.models.ApiToken`).

* Every login at ``POST /api/v1/auth/token/`` issues a new key, which expires ``TOKEN_TTL_DAYS``
  after it was issued; ``DELETE /api/v1/auth/token/`` revokes the key it was sent with.
* An admin may issue a key that never expires, for an integration account (the admin's "API
  tokens" screen); nobody else can.
* A password change revokes every key of the user (the receiver is connected by the core app);
  Django itself ends the user's other sessions then, since a session carries a hash of the
  password it was opened with.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contactcenter.core.compiled import CompiledQuery
from contactcenter.core.models import ApiToken
from contactcenter.core.roles import PROFILE_RELATION


class _Default:
    """``expires_at`` not given: ``TOKEN_TTL_DAYS`` from now."""


DEFAULT_EXPIRY = _Default()


def token_digest(key: str) -> str:
    """The stored form of ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_issue(*, user: Any, label: str = "", expires_at: datetime | _Default | None = DEFAULT_EXPIRY) -> ApiToken:
    """A new token for ``user``. The key is on the returned object's ``key`` attribute, and only
    there: it is not stored. ``expires_at=None`` issues a key that never expires (for integration
    accounts: only the admin screen offers it to people)."""
    if isinstance(expires_at, _Default):
        expires_at = timezone.now() + timedelta(days=settings.TOKEN_TTL_DAYS)
    key = secrets.token_urlsafe(32)
    token = ApiToken(user=user, digest=token_digest(key), prefix=key[:8], label=label, expires_at=expires_at)
    # No uniqueness look-up: 32 random bytes do not collide (and the database would refuse it).
    token.full_clean(exclude=["user"], validate_unique=False)
    token.save()
    token.key = key
    return token


#: The token by digest with its user, the user's agent profile and team (every API request runs it:
#: compiled once, see :mod:`contactcenter.core.compiled`).
_TOKEN_BY_DIGEST: CompiledQuery[ApiToken] = CompiledQuery(
    lambda digest: ApiToken.objects.select_related(f"user__{PROFILE_RELATION}__team").filter(digest=digest)[:1],
    samples=["\x00digest"],
)


def api_token_find(*, key: str) -> ApiToken | None:
    """The live token whose key is ``key``, with its user and the user's profile (one query); ``None`` when the key is
    unknown, revoked or expired."""
    # The user's agent profile and team come in the same query: the role and scope every view
    # asks for next then cost nothing (contactcenter.core.roles.profile_of).
    token = _TOKEN_BY_DIGEST.first(token_digest(key))
    if token is None or token.is_expired:
        return None
    return token


def api_token_revoke(*, token: ApiToken) -> None:
    """Revokes ``token``: its key authenticates nothing any more."""
    ApiToken.objects.filter(pk=token.pk).delete()


@transaction.atomic
def api_tokens_revoke_all(*, user: Any) -> int:
    """Revokes every token of ``user``; returns how many there were."""
    deleted, _by_model = ApiToken.objects.filter(user=user).delete()
    return deleted


def api_tokens_purge_expired() -> int:
    """Deletes the tokens past their expiry (they authenticate nothing already)."""
    deleted, _by_model = ApiToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def revoke_tokens_on_password_change(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """``post_save`` receiver for the user model: a saved user whose password was just set (Django
    keeps the new raw password on ``_password`` until the save is over) loses every token."""
    if not created and getattr(instance, "_password", None) is not None:
        api_tokens_revoke_all(user=instance)
