"""Who must have a second factor, and whether this session has given one: read by the middleware,
the account page and the re-check before sensitive actions."""

import time
from collections.abc import Iterable
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest

# Set by single sign-on when the OpenID provider's token says it asked for a second factor itself
# (`amr`): the session then counts as having given one (the SSO app writes it, this app reads it).
PROVIDER_MFA_SESSION_KEY = "mfa_by_provider"
# What counts as a second factor by itself: recovery codes only back one of these up.
FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
# Why the last factor of a role that requires one stays: the account page shows it beside the factor,
# and allauth's pages (the app's removal, our passkey removal) refuse with it.
LAST_FACTOR_STAYS = ("Your role signs in with a second factor and this is your last one: add another "
                     "(an authenticator app, or a passkey or security key) before removing it.")


def required_roles() -> set[str]:
    """The roles MFA_REQUIRED_ROLES names ("all": every role)."""
    return {role.strip() for role in settings.MFA_REQUIRED_ROLES if role.strip()}


def must_have_second_factor(user: Any) -> bool:
    """Whether this user's role requires a second factor (superusers count as Admins)."""
    if not user.is_authenticated:
        return False
    roles = required_roles()
    if "all" in {role.lower() for role in roles}:
        return True
    if user.is_superuser and "Admin" in roles:
        return True
    return user.groups.filter(name__in=roles).exists()


def may_remove_factor(authenticator: Authenticator, *, required: bool, factors: Iterable[Authenticator]) -> bool:
    """The one rule for removing a factor, an authenticator app and a passkey alike: it may go unless
    it is the last of a user whose role requires one (`required`). `factors` are the user's enrolled
    ones; recovery codes never count as one left (they only back a factor up, and allauth deletes them
    with the last one)."""
    if not required or authenticator.type not in FACTOR_TYPES:
        return True
    return any(other.pk != authenticator.pk and other.type in FACTOR_TYPES for other in factors)


def has_second_factor(user: Any) -> bool:
    """An authenticator app or a passkey / security key is enrolled (recovery codes alone are not one)."""
    return Authenticator.objects.filter(user_id=user.pk, type__in=FACTOR_TYPES).exists()


def second_factor_given_at(request: HttpRequest) -> float | None:
    """When this session last gave a second factor (seconds since the epoch), or None: allauth records
    every step of a sign-in or re-check in the session; the provider's own MFA counts from sign-in."""
    records = get_authentication_records(request, request.user)
    times = [r["at"] for r in records if r.get("method") == "mfa"]
    if second_factor_by_provider(request):
        times += [r["at"] for r in records if r.get("method") == "socialaccount"] or [0.0]
    return max(times) if times else None


def second_factor_by_provider(request: HttpRequest) -> bool:
    """This session's second factor is the OpenID provider's (its `amr` said so at sign-in or at a
    re-check there), not one enrolled here."""
    return request.session.get(PROVIDER_MFA_SESSION_KEY) is True


def second_factor_given(request: HttpRequest) -> bool:
    return second_factor_given_at(request) is not None


def second_factor_recent(request: HttpRequest) -> bool:
    """Given within MFA_RECHECK_MINUTES: what the sensitive actions ask for."""
    at = second_factor_given_at(request)
    return at is not None and time.time() - at < settings.MFA_RECHECK_MINUTES * 60
