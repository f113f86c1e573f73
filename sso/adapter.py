"""django-allauth's hooks for our single sign-on: the one provider is built from the OIDC_* settings,
and every sign-in through it passes `pre_social_login`, which reads the provider's answer
(sso.claims.decide) before allauth signs anyone in or makes any account.

What "the provider says so" means here: at each sign-in, the provider's answer either carries the
disabled claim (OIDC_DISABLED_CLAIM) or puts the person in none of the groups mapped to a role. Either
way the sign-in is refused, nothing is made, and an account we already have for that person is
deactivated and loses its roles. A person the provider no longer lets sign in at all never reaches
us: their account here stays as it is, but cannot be used without passing the provider (passwords
are unusable for accounts made by single sign-on), and an Admin deactivates it in Django admin.
A deactivated account stays so, whatever the provider says later, until an Admin reactivates it.
"""

from typing import Any

from allauth.account.utils import filter_users_by_email
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthError
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.policy import PROVIDER_MFA_SESSION_KEY
from common.models import AuditAction, AuditEvent
from sso import recheck
from sso.claims import Decision, claims_of, decide
from sso.services import sso_refuse, sso_roles_apply

PROVIDER_ID = "sso"  # in the redirect URI: /accounts/oidc/sso/login/callback/


def configured() -> bool:
    return bool(settings.OIDC_SERVER_URL)


def provider_app() -> SocialApp:
    """The provider, as allauth wants it, from the OIDC_* settings (read at each use)."""
    return SocialApp(
        provider="openid_connect", provider_id=PROVIDER_ID, name=settings.OIDC_NAME,
        client_id=settings.OIDC_CLIENT_ID, secret=settings.OIDC_CLIENT_SECRET,
        settings={"server_url": settings.OIDC_SERVER_URL, "token_auth_method": "client_secret_basic",
                  "scope": list(settings.OIDC_SCOPES), "oauth_pkce_enabled": True})


def refused_page(request: HttpRequest, reason: str, *, deactivated: bool) -> HttpResponse:
    return render(request, "sso/refused.html", {"reason": reason, "deactivated": deactivated,
                                                "provider": settings.OIDC_NAME}, status=403)


class SsoAdapter(DefaultSocialAccountAdapter):
    """Our rules around allauth's OpenID Connect sign-in (SOCIALACCOUNT_ADAPTER)."""

    def list_apps(self, request: HttpRequest | None, provider: str | None = None,
                  client_id: str | None = None) -> list[SocialApp]:
        if not configured() or provider not in (None, PROVIDER_ID, "openid_connect"):
            return []
        app = provider_app()
        return [app] if client_id in (None, app.client_id) else []

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Before anyone is signed in or made: refuse (and deactivate) or set the roles. An answer to
        a re-check (sso.recheck) is refused the same way, then counted or refused as a re-check."""
        name = settings.OIDC_NAME
        claims = claims_of(sociallogin.account.extra_data)
        decision = decide(claims, groups_claim=settings.OIDC_GROUPS_CLAIM, role_groups=settings.OIDC_ROLE_GROUPS,
                          disabled_claim=settings.OIDC_DISABLED_CLAIM, mfa_amr=settings.OIDC_MFA_AMR,
                          provider=name)
        user: AbstractUser | None = sociallogin.user if sociallogin.is_existing else None
        username = user.get_username() if user else str(claims.get("preferred_username") or claims.get("email")
                                                          or claims.get("sub", "?"))
        if user is not None and not user.is_active and decision.allowed:
            reason = "this account was deactivated here; an Admin can reactivate it in Django admin."
            sso_refuse(user=None, username=username, reason=reason, provider=name)
            raise ImmediateHttpResponse(refused_page(request, reason, deactivated=True))
        if not decision.allowed:
            deactivated = sso_refuse(user=user, username=username, reason=decision.refusal, provider=name)
            raise ImmediateHttpResponse(refused_page(request, decision.refusal, deactivated=deactivated))
        if recheck.is_recheck(sociallogin):  # the second factor asked again, not a sign-in
            recheck.recheck_complete(request, sociallogin, decision)
            return
        email = claims.get("email")
        if user is None and email and filter_users_by_email(email):
            reason = (f"an account here already has the address {email}, and it is never taken over by "
                      "its address alone; an Admin can change or clear that account's address in Django admin.")
            sso_refuse(user=None, username=username, reason=reason, provider=name)
            raise ImmediateHttpResponse(refused_page(request, reason, deactivated=False))
        request.sso_decision = decision  # type: ignore[attr-defined]  # for save_user and signed_in
        request.sign_in_words = (  # type: ignore[attr-defined]  # what common.signins records
            f"Signed in with {name} as {', '.join(sorted(decision.roles))}"
            f"{' (second factor at the provider)' if decision.second_factor else ''}.")
        request.session.pop(PROVIDER_MFA_SESSION_KEY, None)
        if user is not None:
            sso_roles_apply(user=user, roles=decision.roles, provider=name)

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True  # pre_social_login has already let them in: no sign-up form, ever

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return hasattr(request, "sso_decision")  # only a person the provider gave a role

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> AbstractUser:
        """The account made at a first sign-in (no usable password), with its roles."""
        user = super().save_user(request, sociallogin, form)
        sso_roles_apply(user=user, roles=request.sso_decision.roles, provider=settings.OIDC_NAME)  # type: ignore[attr-defined]
        return user

    def on_authentication_error(self, request: HttpRequest, provider: Any, error: Any = None,
                                exception: Exception | None = None, extra_context: Any = None) -> None:
        """The provider's answer did not come, or could not be trusted (cancelled, a state that does
        not match, the token endpoint unreachable): recorded, and said on our page with a way back."""
        raise ImmediateHttpResponse(did_not_complete(request, error=error, exception=exception))


def did_not_complete(request: HttpRequest, *, error: Any, exception: BaseException | None) -> HttpResponse:
    """A sign-in through the provider that ended with no answer we can use: recorded, and said in words.
    Nobody is signed in and nothing is changed."""
    AuditEvent.objects.create(
        actor=None, actor_name="anonymous", action=AuditAction.SIGN_IN_FAILED,
        message=f"Sign-in with {settings.OIDC_NAME} did not complete ({error or 'unknown'}"
                f"{': ' + type(exception).__name__ if exception else ''}).")
    return render(request, "sso/error.html", {"provider": settings.OIDC_NAME,
                                              "cancelled": error == AuthError.CANCELLED}, status=401)


def signed_in(sender: Any, request: HttpRequest, user: AbstractUser, **kwargs: Any) -> None:
    """allauth's user_logged_in: after a single sign-on, say in the (now signed-in) session whether
    the provider's sign-in used a second factor; absent otherwise."""
    decision: Decision | None = getattr(request, "sso_decision", None)
    if kwargs.get("sociallogin") is None or decision is None:
        return
    if decision.second_factor:
        request.session[PROVIDER_MFA_SESSION_KEY] = True
    else:
        request.session.pop(PROVIDER_MFA_SESSION_KEY, None)
