"""``/api/v1/auth/token/``: ``POST`` a username and password for a new API token; ``DELETE`` revokes
the token the request is made with.

Login attempts count against the username and the client's address together
(:mod:`contactcenter.core.logins`, shared with the desk and the admin): past the limit the answer is
429 with ``Retry-After``, whatever the password. A user who has a second factor, or whose role must
have one (``REQUIRE_2FA_ROLES``), sends the current one-time code as ``otp`` too
(:mod:`contactcenter.core.twofactor`). A passkey needs a browser: a user whose only second factor is
a passkey is refused (400, saying so) until they set up an authenticator app as well.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.api.authentication import ApiTokenAuthentication
from contactcenter.core.logins import login_failed, login_retry_after, login_succeeded
from contactcenter.core.models import ApiToken
from contactcenter.core.tokens import api_token_issue, api_token_revoke
from contactcenter.core.twofactor import second_factor_check

#: What every API view authenticates with: a token (its user's agent profile and team read in the
#: same query), else the session of the pages.
API_AUTHENTICATION: tuple[type[BaseAuthentication], ...] = (ApiTokenAuthentication, SessionAuthentication)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("Username"), trim_whitespace=False, write_only=True)
    password = serializers.CharField(
        label=_("Password"), style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )
    otp = serializers.CharField(
        label=_("One-time code"),
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("The authenticator's current code, or a recovery code: for users with a second factor."),
    )


class TooManyLogins(exceptions.Throttled):
    default_detail = _("Too many failed logins for this username from your address.")
    extra_detail_singular = extra_detail_plural = _("Try again in {wait} seconds.")


class TokenView(APIView):
    serializer_class = TokenRequestSerializer

    def get_authenticators(self) -> list:
        # Logging in needs no credentials but the body's: a stale token sent along is no reason
        # to refuse a login.
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list:
        return [] if self.request.method == "POST" else super().get_throttles()

    @extend_schema(
        operation_id="auth_token_create",
        summary="A new API token for a username and password",
        description=(
            "Each call issues a new token, which expires after the configured number of days. "
            "Too many failed logins for a username from one address answer 429 with Retry-After."
        ),
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Missing fields, wrong credentials or a wrong one-time code."),
            429: OpenApiResponse(description="Too many failed logins: wait Retry-After seconds."),
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username, password = serializer.validated_data["username"], serializer.validated_data["password"]
        wait = login_retry_after(request, username)
        if wait is not None:
            raise TooManyLogins(wait=wait)
        user = authenticate(request=request, username=username, password=password)
        if user is None:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]}, code="authorization"
            )
        refusal = second_factor_check(user=user, code=serializer.validated_data.get("otp", ""))
        if refusal is not None:
            if refusal.wrong_code:
                login_failed(request, username)
            raise exceptions.ValidationError({"otp": [refusal.message]}, code="otp")
        login_succeeded(request, user)
        return Response({"token": api_token_issue(user=user, label="login").key})

    @extend_schema(
        operation_id="auth_token_destroy",
        summary="Revoke the token this request is made with",
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked: the token authenticates nothing any more."),
            400: OpenApiResponse(description="The request was not made with a token."),
            401: OpenApiResponse(description="No valid token: unknown, expired or already revoked."),
        },
        tags=["auth"],
    )
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, ApiToken):
            raise exceptions.ValidationError(
                {"non_field_errors": [_("This request carries no API token to revoke.")]}, code="no_token"
            )
        api_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
