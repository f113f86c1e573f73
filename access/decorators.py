"""The second factor asked again before an action that matters (making an API key, changing roles,
ending a number's rest early, settling by hand) when this session last gave it more than
MFA_RECHECK_MINUTES ago. A form sent meanwhile is kept and sent again once the factor is given
(allauth's suspended request). Someone whose second factor is their OpenID provider's gives it
there again (sso.recheck: the provider is asked to sign them in afresh)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account.internal.flows.reauthentication import suspend_request
from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from access import policy

View = Callable[..., HttpResponse]
# The re-check through the OpenID provider (sso.urls): named, not imported, since sso sits above access.
PROVIDER_RECHECK = "sso_recheck"


def recheck_url(user: Any) -> str:
    """Where this user gives the factor again: a code (app or recovery code), else a passkey."""
    codes = Authenticator.objects.filter(user_id=user.pk, type__in=(Authenticator.Type.TOTP,
                                                                    Authenticator.Type.RECOVERY_CODES)).exists()
    return reverse("mfa_reauthenticate" if codes else "mfa_reauthenticate_webauthn")


def second_factor_recent(view: View) -> View:
    """On a POST (the action itself; the page may be read), ask for the second factor again unless it
    was given within MFA_RECHECK_MINUTES: one enrolled here, or else the OpenID provider's when that
    is what this session gave. Someone with neither has nothing to re-check (their role does not
    require one)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and request.user.is_authenticated and not policy.second_factor_recent(request):
            if policy.has_second_factor(request.user):
                return suspend_request(request, recheck_url(request.user))
            if policy.second_factor_by_provider(request):
                return suspend_request(request, reverse(PROVIDER_RECHECK))
        return view(request, *args, **kwargs)

    return wrapped
