"""Sign-ins in the audit trail. Django tells of them only by signal, so these two receivers are
connected in `CommonConfig.ready`; each writes one event and nothing else."""

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest

from common.models import AuditAction, AuditEvent


def signed_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    # A door that knows more (single sign-on: which provider, which roles) leaves its words on the request.
    words = getattr(request, "sign_in_words", "") if request is not None else ""
    AuditEvent.objects.create(actor=user, action=AuditAction.SIGNED_IN, message=words or "Signed in.")


def sign_in_failed(sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Who failed is not known, so no actor. The typed username is kept only when it is an
    # account's: anything else may be a password typed into the wrong box.
    typed = str(credentials.get("username", ""))[:150]
    account = typed if get_user_model().objects.filter(username=typed).exists() else ""
    AuditEvent.objects.create(actor=None, actor_name="anonymous", action=AuditAction.SIGN_IN_FAILED, subject=account,
                              message=f"Sign-in failed for {account or 'a username we do not have'}.")
