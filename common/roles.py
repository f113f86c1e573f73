"""The roles in words, for the pages and the README. The groups and their permissions are made by a
migration (common/migrations/0003_roles.py); tests/common/test_roles.py holds the two together."""

from django.contrib.auth.models import AbstractBaseUser, Permission

SYSTEM_USERNAME = "system"  # who the worker, and a command line without --user, act as


def permission_words(permission: str) -> str:
    """'sims.terminate_sim' -> 'terminate a SIM (cannot be undone)': the permission's own name, lower-cased."""
    app_label, _, codename = permission.partition(".")
    name = (Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            .values_list("name", flat=True).first())
    if not name:
        return permission
    return name.removeprefix("Can ").rstrip(".")


def system_user() -> AbstractBaseUser:
    """The named system account (made by the roles migration; made again here if it is gone)."""
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"first_name": "System", "password": "!", "is_superuser": True})
    return user
