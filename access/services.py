"""Second factors made or taken away outside allauth's own pages: an Admin's reset for a locked-out
colleague, and enrolment by the command line (the demo, a first Admin)."""

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import transaction

from common.audit import name_of
from common.errors import Refused
from common.models import AuditAction, AuditEvent


@transaction.atomic(durable=True)
def factors_reset(*, user: Any, actor: Any) -> int:
    """Remove every second factor of `user` (a colleague who lost their phone and key), recorded. If
    their role requires one, their next sign-in sends them to enrol again. Returns how many went."""
    if user.pk == actor.pk:
        raise Refused("Reset another person's factors: your own are removed on your account page.")
    kinds = sorted({a.get_type_display() for a in Authenticator.objects.filter(user_id=user.pk)})
    count, _ = Authenticator.objects.filter(user_id=user.pk).delete()
    AuditEvent.objects.create(
        actor=actor, action=AuditAction.FACTORS_RESET, subject=name_of(user),
        message=f"Second factors of {name_of(user)} reset ({', '.join(kinds) or 'none enrolled'}): "
                "they set up a new one at their next sign-in.")
    return count


@transaction.atomic
def totp_enrol(*, user: Any, actor: Any) -> tuple[str, list[str]]:
    """Enrol an authenticator app for `user` with a new secret, and recovery codes: the secret (to type
    into an app) and the codes. Refused if one is enrolled already (an Admin resets it first)."""
    if Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists():
        raise Refused(f"{name_of(user)} has an authenticator app already: reset their factors first.")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).generate_codes()
    AuditEvent.objects.create(actor=actor, action=AuditAction.FACTOR_ADDED, subject=name_of(user),
                              message=f"Authenticator app and recovery codes enrolled for {name_of(user)}.")
    return secret, codes
