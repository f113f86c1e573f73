"""Who is calling and what they may do: the API key in `Authorization: Bearer …` (made and checked
in `api.keys`), and the one check of a key's permissions, refused in words and recorded."""

from django.http import HttpRequest
from ninja.errors import AuthorizationError, HttpError
from ninja.security import HttpBearer

from api import keys
from api.models import ApiKey
from common import audit
from common.models import AuditAction, AuditEvent
from common.roles import permission_words
from sims.lifecycle import PROVISION, TERMINATE  # noqa: F401 (the routers' permissions, named once in the registry)


class KeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`: the live key, whose name then goes with everything recorded."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        # First, before anything is looked up: a NUL character is never text of ours, and
        # PostgreSQL refuses it in any query (a 500 where the answer is "not valid").
        if "\x00" in request.path or any("\x00" in v for _, values in request.GET.lists() for v in values) or (
                b"\x00" in request.body or b"\\u0000" in request.body):
            raise HttpError(422, "Text with a NUL character (\\u0000) is not valid anywhere in a request.")
        key = keys.key_for(token)
        if key is not None:
            audit.with_key(key.name)  # for the rest of this request (the interface middleware resets it)
        return key


def may(request: HttpRequest, permission: str) -> None:
    """The one check of what a key may do (its role's permissions), refused in words and recorded."""
    key: ApiKey = request.auth
    if permission not in keys.permissions(key):
        what = permission_words(permission)
        AuditEvent.objects.create(actor=key.owner, action=AuditAction.FORBIDDEN, subject=request.path[:200],
                                  message=f"Refused: {request.method} {request.path} needs permission to {what}.")
        raise AuthorizationError(403, f"This key ({key.role.name}) may not {what}.")
