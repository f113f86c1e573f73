"""Signing in: Django's own check, except that the named system account never signs in."""

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q

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

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """Django's answer, in one query (its own asks the user's and the groups' permissions apart):
        every signed-in page asks, so this is a query less on each."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            perms = Permission.objects.all()
            if not user_obj.is_superuser:
                perms = perms.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {f"{app}.{name}" for app, name in
                                    perms.order_by().values_list("content_type__app_label", "codename").distinct()}
        return user_obj._perm_cache
