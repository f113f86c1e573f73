"""The second factor asked again of someone whose second factor is their OpenID provider's (its `amr`
said so) and who has none enrolled here: before the actions access.decorators guards, they are sent
to the provider to sign in afresh, and come back with the action they had sent kept for them.

The way there is allauth's own: the provider's start address with `process=redirect` (allauth checks
the answer, then runs our adapter's `pre_social_login` and sends the browser to `next`, signing
nobody in or out) and `auth_params` asking the provider for a new sign-in: `prompt=login` and
`max_age=0` (OpenID Connect Core 3.1.2.1; with max_age the ID token must say when the person signed
in, `auth_time`). The answer counts as the second factor given only if it is the same person, its
`amr` names a second factor, and `auth_time` is within MFA_RECHECK_MINUTES: a provider that answered
from a sign-in it remembered does not count. Refused, the action is not done, and the page says why
and that a factor enrolled here would do instead."""

import time

from allauth.account.internal.flows.login import record_authentication
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from access.policy import PROVIDER_MFA_SESSION_KEY
from common.audit import name_of
from common.models import AuditAction, AuditEvent
from sso.claims import Decision, claims_of, signed_in_since
from sso.services import sso_roles_apply

# What the provider is asked for: sign the person in again now, whatever session it holds for them.
AUTH_PARAMS = {"prompt": "login", "max_age": "0"}


def is_recheck(sociallogin: SocialLogin) -> bool:
    """This answer comes back from a re-check (started by `start_url`), not from a sign-in."""
    return sociallogin.state.get("process") == AuthProcess.REDIRECT


def start_url(*, provider_id: str, back: str) -> str:
    """allauth's start address for the provider, asking for a new sign-in, then `back` (the re-check
    page, sso.views.recheck, which sends the kept action on once the factor counts)."""
    query = {"process": AuthProcess.REDIRECT, "next": back, "auth_params": urlencode(AUTH_PARAMS)}
    return f"{reverse('openid_connect_login', kwargs={'provider_id': provider_id})}?{urlencode(query)}"


def recheck_complete(request: HttpRequest, sociallogin: SocialLogin, decision: Decision) -> None:
    """Count the provider's answer as the second factor given again, or raise ImmediateHttpResponse
    with a refusal in words (recorded; nothing else changes). `decision` has already let them in."""
    user = request.user
    provider = settings.OIDC_NAME
    again = sociallogin.state.get("next") or reverse("sso_recheck")
    if not user.is_authenticated or not sociallogin.is_existing or sociallogin.user.pk != user.pk:
        _refuse(request, again, f"you signed in at {provider} as someone else than the person signed in here.")
    sso_roles_apply(user=user, roles=decision.roles, provider=provider)  # the provider's word, as at sign-in
    if not decision.second_factor:
        _refuse(request, again, f"{provider} did not say that it asked for your second factor this time.")
    claims = claims_of(sociallogin.account.extra_data)
    if not signed_in_since(claims, time.time() - settings.MFA_RECHECK_MINUTES * 60):
        _refuse(request, again, f"{provider} did not sign you in again (it answered from an earlier sign-in).")
    # The step access.policy.second_factor_given_at counts for a provider's second factor.
    record_authentication(request, user, "socialaccount", provider=sociallogin.account.provider,
                          uid=sociallogin.account.uid, reauthenticated=True)
    request.session[PROVIDER_MFA_SESSION_KEY] = True


def _refuse(request: HttpRequest, again: str, reason: str) -> None:
    """Recorded as a second factor refused, and said on a page with a way to try again (`again`)."""
    user = request.user
    actor = user if user.is_authenticated else None
    AuditEvent.objects.create(actor=actor, actor_name="anonymous", action=AuditAction.FACTOR_FAILED,
                              subject=name_of(actor) if actor else "",
                              message=f"A second factor asked again through {settings.OIDC_NAME} was refused: {reason}")
    raise ImmediateHttpResponse(render(request, "sso/recheck_refused.html",
                                       {"reason": reason, "again": again,
                                        "provider": settings.OIDC_NAME}, status=403))
