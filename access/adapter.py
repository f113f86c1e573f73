"""Our choices inside django-allauth: no sign-up (Admins make staff accounts), and never removing the
last second factor of someone whose role requires one."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from access import policy


class AccountAdapter(DefaultAccountAdapter):
    # Staff read the same words as before the sign-in moved to allauth.
    error_messages = DefaultAccountAdapter.error_messages | {
        "username_password_mismatch": "Please enter a correct username and password. Note that both fields "
                                      "may be case-sensitive.",
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Staff accounts are made by an Admin (Django admin), never by whoever finds the site."""
        return False


class SecondFactorAdapter(DefaultMFAAdapter):
    # allauth's own words ("You cannot deactivate two-factor authentication.") do not say why or what to do.
    error_messages = DefaultMFAAdapter.error_messages | {"cannot_delete_authenticator": policy.LAST_FACTOR_STAYS}

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """allauth asks this before the authenticator app goes; our passkey removal (access.forms.
        RemovePasskeyForm) asks it too, since allauth's own passkey removal does not."""
        user: Any = authenticator.user
        if authenticator.type not in policy.FACTOR_TYPES:
            return True  # cheapest first: recovery codes are never "the last factor"
        factors = Authenticator.objects.filter(user_id=user.pk, type__in=policy.FACTOR_TYPES).only("pk", "type")
        return policy.may_remove_factor(authenticator, required=policy.must_have_second_factor(user), factors=factors)
