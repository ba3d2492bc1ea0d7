"""DRF permission that asks the access policy (``contactcenter.core.access``) about the view's action."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from contactcenter.core import access


class PolicyAllows(BasePermission):
    """A view lists ``policy_actions``: DRF action (or HTTP method, lower case) → policy action.

    An action missing from the table is refused, so that a new endpoint is closed until someone
    says who may use it.
    """

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        table: dict[str, str] = getattr(view, "policy_actions", {})
        key = getattr(view, "action", None) or request.method.lower()
        if key == "metadata" or request.method == "OPTIONS":
            return True
        policy_action = table.get(key) or table.get(request.method.lower())
        return policy_action is not None and access.can(request.user, policy_action)
