"""``Authorization: Token <key>``, checked against the hashed, expiring keys of
:mod:`contactcenter.core.tokens`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from contactcenter.core.models import ApiToken
from contactcenter.core.tokens import api_token_find


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's header parsing (keyword ``Token``), our lookup: one query for the token and its user.
    ``request.auth`` is the :class:`~contactcenter.core.models.ApiToken`."""

    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = api_token_find(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
