"""Signing in: Django's own check, except that the named system account never signs in."""

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from common.roles import SYSTEM_USERNAME


class StaffBackend(ModelBackend):
    """Django's ModelBackend, refusing the system account whatever its password: it acts for the
    worker and the command line, never for a person at a browser."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> Any:
        # PASSWORD_SIGN_IN=false (single sign-on only): no password opens any door, Django admin's
        # included. Signed-in sessions still find their user (get_user), however they signed in.
        if not settings.PASSWORD_SIGN_IN:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def user_can_authenticate(self, user: Any) -> bool:
        return user.get_username() != SYSTEM_USERNAME and super().user_can_authenticate(user)
