"""The API's authentication: ``POST /api/v1/auth/token/`` (a username and password give the user's
API token), and the classes every API view authenticates with (:data:`API_AUTHENTICATION`)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.api.throttling import LoginThrottle
from contactcenter.core.roles import PROFILE_RELATION


class ProfileTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, the user's agent profile and team read in the same
    query: the role and scope every view asks for next (:func:`contactcenter.core.roles.profile_of`)
    then cost nothing. Same answers as DRF's class (401 for an unknown key or an inactive user)."""

    def authenticate_credentials(self, key: str) -> tuple:
        model = self.get_model()
        try:
            token = model.objects.select_related(f"user__{PROFILE_RELATION}__team").get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)


#: What every API view authenticates with: a token (profile joined), else the session of the pages.
API_AUTHENTICATION: tuple[type[BaseAuthentication], ...] = (ProfileTokenAuthentication, SessionAuthentication)


class TokenObtainView(APIView):
    authentication_classes = ()
    permission_classes = ()
    throttle_classes = (LoginThrottle,)
    serializer_class = AuthTokenSerializer

    @extend_schema(
        operation_id="auth_token_create",
        request=AuthTokenSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
