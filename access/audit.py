"""The second factor in the audit trail. allauth tells of enrolments, removals, new recovery codes,
wrong codes and uses only by signal, so these receivers are connected in `AccessConfig.ready`; each
writes one event (a wrong code is also counted by django-axes, as a wrong password is)."""

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa import signals
from allauth.mfa.models import Authenticator
from axes.handlers.proxy import AxesProxyHandler
from django.http import HttpRequest

from access import policy
from common.audit import name_of
from common.models import AuditAction, AuditEvent


def _kind(authenticator: Authenticator) -> str:
    name = authenticator.data.get("name") if authenticator.type == Authenticator.Type.WEBAUTHN else ""
    kind = {Authenticator.Type.TOTP: "authenticator app", Authenticator.Type.RECOVERY_CODES: "recovery codes",
            Authenticator.Type.WEBAUTHN: "passkey / security key"}.get(authenticator.type, authenticator.type)
    return f"{kind} “{name}”" if name else kind


def factor_added(sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs: Any) -> None:
    AuditEvent.objects.create(actor=user, action=AuditAction.FACTOR_ADDED, subject=name_of(user),
                              message=f"Second factor added: {_kind(authenticator)}.")
    if authenticator.type in policy.FACTOR_TYPES:
        # Enrolling proves the factor (a code typed, a key touched): the session has given it.
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)


def factor_removed(sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs: Any) -> None:
    AuditEvent.objects.create(actor=user, action=AuditAction.FACTOR_REMOVED, subject=name_of(user),
                              message=f"Second factor removed: {_kind(authenticator)}.")


def codes_made(sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs: Any) -> None:
    AuditEvent.objects.create(actor=user, action=AuditAction.RECOVERY_CODES_MADE, subject=name_of(user),
                              message="New recovery codes made: the old ones no longer work.")


def factor_used(sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs: Any) -> None:
    if authenticator.type != Authenticator.Type.RECOVERY_CODES:
        return  # a sign-in is recorded as such; a recovery code used up is worth its own line
    left = len(Authenticator.objects.get(pk=authenticator.pk).wrap().get_unused_codes())  # as saved, this one used
    AuditEvent.objects.create(actor=user, action=AuditAction.RECOVERY_CODE_USED, subject=name_of(user),
                              message=f"A recovery code was used ({left} left).")


def factor_failed(sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs: Any) -> None:
    reauth = bool(kwargs.get("reauthentication"))
    again = " (re-check)" if reauth else " at sign-in"
    AuditEvent.objects.create(
        actor=user if reauth else None, actor_name="anonymous", action=AuditAction.FACTOR_FAILED,
        subject=name_of(user), message=f"A wrong second-factor code was given for {name_of(user)}{again}.")
    # Counted with the wrong passwords: five of either, and that username waits (django-axes).
    AxesProxyHandler.user_login_failed(sender, {"username": user.get_username()}, request)


def connect() -> None:
    signals.authenticator_added.connect(factor_added, dispatch_uid="audit-factor-added")
    signals.authenticator_removed.connect(factor_removed, dispatch_uid="audit-factor-removed")
    signals.authenticator_reset.connect(codes_made, dispatch_uid="audit-codes-made")
    signals.authenticator_used.connect(factor_used, dispatch_uid="audit-factor-used")
    signals.authentication_failed.connect(factor_failed, dispatch_uid="audit-factor-failed")
