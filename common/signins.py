"""Sign-ins in the audit trail. Django tells of them only by signal, so these two receivers are
connected in `CommonConfig.ready`; each writes one event and nothing else."""

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest

from common.models import AuditAction, AuditEvent


def signed_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    AuditEvent.objects.create(actor=user, action=AuditAction.SIGNED_IN, message="Signed in.")


def sign_in_failed(sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # The username as typed, never the password (Django has already masked it in `credentials`).
    username = str(credentials.get("username", ""))[:150]
    known = get_user_model().objects.filter(username=username).first()
    AuditEvent.objects.create(actor=known, actor_name=username or "anonymous", action=AuditAction.SIGN_IN_FAILED,
                              subject=username, message=f"Sign-in failed for {username or 'no username'}.")
