"""Base views shared by the apps' APIs."""

from __future__ import annotations

from rest_framework import mixins, viewsets
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.request import Request

from contactcenter.core.api.auth import API_AUTHENTICATION
from contactcenter.core.api.permissions import PolicyAllows


class PolicyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A viewset whose actions are allowed by ``contactcenter.core.access`` (``policy_actions``), with the
    usual paginated ``list``."""

    permission_classes = [PolicyAllows]
    authentication_classes = API_AUTHENTICATION
    http_method_names = ["get", "post", "patch", "head", "options"]

    def check_permissions(self, request: Request) -> None:
        # A method this endpoint does not offer (PUT) is a 405, not a policy refusal.
        if self.action is None and request.method != "OPTIONS" and request.user.is_authenticated:
            raise MethodNotAllowed(request.method)
        super().check_permissions(request)
