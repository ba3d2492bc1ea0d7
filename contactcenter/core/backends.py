"""The password backend: Django's own, reading a signed-in user together with their agent profile.

Every signed-in request reads its user from the session; the role check that follows needs the
user's agent profile and team (:func:`contactcenter.core.roles.profile_of`). Joined here, both come
in one query instead of two.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from contactcenter.core.compiled import CompiledQuery
from contactcenter.core.roles import PROFILE_RELATION

UserModel = get_user_model()
_WITH_PROFILE = f"{PROFILE_RELATION}__team"
#: Run on every signed-in request: compiled once (:mod:`contactcenter.core.compiled`).
_USER_BY_PK = CompiledQuery(
    lambda pk: UserModel._default_manager.select_related(_WITH_PROFILE).filter(pk=pk), [-7_000_001]
)


class ProfileModelBackend(ModelBackend):
    """Django's ``ModelBackend``; reading a signed-in user joins their agent profile and its team."""

    def get_user(self, user_id: Any) -> Any:
        try:
            pk = UserModel._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = _USER_BY_PK.first(pk)
        return user if user is not None and self.user_can_authenticate(user) else None

    async def aget_user(self, user_id: Any) -> Any:
        try:
            user = await UserModel._default_manager.select_related(_WITH_PROFILE).aget(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
