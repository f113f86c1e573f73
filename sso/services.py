"""What a single sign-on does to our accounts: roles set from the provider at every sign-in, a
refused person's account deactivated, each recorded in the audit trail (common.models.AuditEvent)."""

from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction

from common.models import AuditAction, AuditEvent
from common.roles import system_user
from sso.claims import ROLES


def _roles_of(user: AbstractUser) -> set[str]:
    return set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))


def _words(roles: set[str] | frozenset[str]) -> str:
    return ", ".join(role for role in ROLES if role in roles) or "none"


def sso_roles_apply(*, user: AbstractUser, roles: frozenset[str], provider: str) -> bool:
    """Give `user` exactly `roles` of our four (groups that are not roles are left alone), and the
    staff flag Django admin asks for exactly when Admin is one. Recorded when anything changed;
    returns whether it did. The change is the provider's, so the system account is its actor."""
    with transaction.atomic():
        before = _roles_of(user)
        staff = "Admin" in roles
        if before == set(roles) and user.is_staff == staff:
            return False
        user.groups.remove(*Group.objects.filter(name__in=before - roles))
        user.groups.add(*Group.objects.filter(name__in=roles - before))
        if user.is_staff != staff:
            user.is_staff = staff
            user.save(update_fields=["is_staff"])
        AuditEvent.objects.create(
            actor=system_user(), action=AuditAction.ROLES_CHANGED, subject=user.get_username(),
            message=f"Roles of {user.get_username()} set from {provider} at sign-in: "
                    f"{_words(before)} before, {_words(roles)} now.")
    return True


def sso_refuse(*, user: AbstractUser | None, username: str, reason: str, provider: str) -> bool:
    """Record a refused single sign-on; an account we already have for that person is deactivated
    and loses its roles (the provider no longer vouches for it: its open sessions end at their next
    request, as an inactive user's do). Returns whether an account was deactivated."""
    with transaction.atomic():
        AuditEvent.objects.create(
            actor=None, actor_name="anonymous", action=AuditAction.SIGN_IN_FAILED, subject=username[:200],
            message=f"Sign-in with {provider} refused for {username}: {reason}")
        if user is None or not user.is_active:
            return False
        before = _roles_of(user)
        user.groups.remove(*Group.objects.filter(name__in=before))
        user.is_active = False
        user.is_staff = False
        user.save(update_fields=["is_active", "is_staff"])
        AuditEvent.objects.create(
            actor=system_user(), action=AuditAction.DEACTIVATED, subject=user.get_username(),
            message=f"{user.get_username()} deactivated, roles removed ({_words(before)} before): "
                    f"refused by {provider}: {reason}")
    return True
