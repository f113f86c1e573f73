"""Our pages around allauth's: the second-factor step with django-axes in front of it, the account
page listing one's own factors, and allauth's passkey removal with the last-factor rule it skips."""

from typing import Any

from allauth.account.internal.stagekit import get_pending_stage
from allauth.mfa.base import views as mfa_views
from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn import views as webauthn_views
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

from access import policy
from access.forms import RemovePasskeyForm
from access.selectors import factors_of


@login_not_required
def authenticate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """allauth's second step of signing in, behind the same django-axes count as the first: a
    username locked out (too many wrong passwords or codes from this address) gets the lockout page
    whatever it types. Wrong codes are counted by `access.audit.factor_failed`."""
    stage_user = _pending_user(request)
    if request.method == "POST" and stage_user is not None:
        credentials = {"username": stage_user.get_username()}
        if AxesProxyHandler.is_locked(request, credentials):
            return get_lockout_response(request, None, credentials)
    return mfa_views.authenticate(request, *args, **kwargs)


def _pending_user(request: HttpRequest) -> Any:
    """Who has given a right password and is asked for the second factor (allauth's pending login)."""
    stage = get_pending_stage(request)
    return stage.login.user if stage is not None else None


def account(request: HttpRequest) -> HttpResponse:
    """One's own second factors: listed, added, renamed (passkeys), removed; and why, for a role that
    must have one."""
    user = request.user
    factors = list(factors_of(user=user))
    required = policy.must_have_second_factor(user)
    return render(request, "access/account.html", {
        # Each with whether it may go: the page offers "Remove" exactly where the server would allow it.
        "rows": [(factor, policy.may_remove_factor(factor, required=required, factors=factors)) for factor in factors],
        "last_factor_stays": policy.LAST_FACTOR_STAYS,
        "required": required,
        "enrolled": policy.has_second_factor(user),
        "has_totp": Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists(),
        "next": request.GET.get("next", ""),
    })


class RemovePasskeyView(webauthn_views.RemoveWebAuthnView):
    """allauth's passkey removal (its re-authentication first, its flow and signal, so the audit line)
    with the question allauth's leaves out: may this one go (access.forms.RemovePasskeyForm)? Refused,
    the page says why beside the button it no longer shows, and nothing is removed. Served at allauth's
    own address (mvnoadmin/urls.py), so no link or bookmark reaches the unguarded view."""

    form_class = RemovePasskeyForm
    success_url = reverse_lazy("access:account")  # our list of factors, not allauth's passkeys-only one

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["authenticator"] = self.object
        # Bound at once, as allauth binds its app's removal: the refusal shows before Remove is pressed.
        kwargs.setdefault("data", {})
        return kwargs


remove_passkey = RemovePasskeyView.as_view()


@login_not_required
def closed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """allauth's pages this site does not offer (mvnoadmin/urls.py says which and why): not found."""
    raise Http404("This site has no such page: an Admin makes staff accounts and sets their passwords.")
