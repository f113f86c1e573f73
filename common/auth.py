"""Signing in: Django's own check, except that the named system account never signs in."""

from typing import Any

from django.contrib.auth.backends import ModelBackend

from common.roles import SYSTEM_USERNAME


class StaffBackend(ModelBackend):
    """Django's ModelBackend, refusing the system account whatever its password: it acts for the
    worker and the command line, never for a person at a browser."""

    def user_can_authenticate(self, user: Any) -> bool:
        return user.get_username() != SYSTEM_USERNAME and super().user_can_authenticate(user)
