"""API keys: made, checked and revoked. A key is `mvno_<prefix>_<secret>`: the prefix finds its row,
the whole key's sha256 is compared in constant time. 32 random bytes need no slow hash: there is
nothing to guess."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.utils import timezone

from api.models import ApiKey
from common.actors import Actor, recorded
from common.auth import StaffBackend
from common.errors import Refused
from common.models import AuditAction, AuditEvent
from common.roles import SYSTEM_USERNAME

ROLES = ("Observer", "Customer service", "Supervisor")  # a key may be one of these, never Admin
USED_EVERY = timedelta(minutes=1)  # last use is written at most this often: not a write a call


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_create(*, name: str, role: str, owner: AbstractBaseUser, actor: Actor) -> tuple[ApiKey, str]:
    """A new key for `owner` with `role`'s permissions: the row, and the key itself, to be shown
    once (only its hash is kept)."""
    name = name.strip()
    if not name:
        raise Refused("Name the key after what will use it (the shop, the CRM).", "name")
    if role not in ROLES:
        raise Refused(f"A key is one of these roles: {', '.join(ROLES)}.", "role")
    if why := owner_refusal(owner):  # first: a deactivated owner's role would be refused with no why
        raise Refused(why, "owner")
    row = ApiKey(name=name[:60], role=Group.objects.get(name=role), owner=owner)
    if why := role_refusal(owner, row.role):
        raise Refused(why, "role")
    return row, key_issue(row, actor=actor)


def owner_refusal(owner: AbstractBaseUser) -> str | None:
    """Why `owner` may not own a key, or None. A key acts as its owner: a person who can sign in (so
    it stops with them), never the system account, whose actions would be no one's."""
    if owner.get_username() == SYSTEM_USERNAME:
        return "The system account is the worker's, not a person's: give the key to the person it acts for."
    if not StaffBackend().user_can_authenticate(owner):
        return f"{owner.get_username()}'s account is deactivated: give the key to a person who can sign in."
    return None


def role_refusal(owner: AbstractBaseUser, role: Group) -> str | None:
    """Why `owner` may not hold a key of `role` (it may do what they may not), or None."""
    beyond = _role_permissions(role) - owner.get_all_permissions()
    if beyond:
        return (f"{owner.get_username()} may not do all a {role.name} may (for one, "
                f"{sorted(beyond)[0]}): give the key a role of theirs or below.")
    return None


def _role_permissions(role: Group) -> set[str]:
    return {f"{app}.{code}" for app, code in Permission.objects.filter(group=role)
            .values_list("content_type__app_label", "codename")}


def key_issue(row: ApiKey, *, actor: Actor) -> str:
    """Give a new key (its name, role and owner chosen) its secret, save it, record who made it:
    the key, to be shown once."""
    if why := owner_refusal(row.owner):
        raise Refused(why, "owner")
    row.prefix = secrets.token_hex(4)
    key = f"mvno_{row.prefix}_{secrets.token_urlsafe(32)}"
    row.hashed = _hash(key)
    row.save()
    AuditEvent.objects.create(actor=recorded(actor), action=AuditAction.API_KEY, subject=str(row)[:200],
                              message=f"API key {row.name} ({row.prefix}…) made for {row.owner.get_username()} "
                                      f"as {row.role.name}.")
    return key


def key_revoke(*, key_id: int, actor: Actor) -> ApiKey:
    """Stop a key working, at once and for good."""
    row = ApiKey.objects.get(pk=key_id)
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        AuditEvent.objects.create(actor=recorded(actor), action=AuditAction.API_KEY, subject=str(row)[:200],
                                  message=f"API key {row.name} ({row.prefix}…) revoked.")
    return row


def key_for(presented: str) -> ApiKey | None:
    """The live key `presented` is, with its owner and role, or None."""
    parts = presented.split("_", 2)  # (the secret itself may hold "_")
    if len(parts) != 3 or parts[0] != "mvno":
        return None
    row = (ApiKey.objects.select_related("owner", "role").filter(prefix=parts[1], revoked_at__isnull=True,
                                                                    owner__is_active=True)
           .exclude(owner__username=SYSTEM_USERNAME).first())  # (one made before owners were checked)
    if row is None or not hmac.compare_digest(row.hashed, _hash(presented)):
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= USED_EVERY:
        ApiKey.objects.filter(pk=row.pk).update(last_used_at=now)
    return row


def permissions(key: ApiKey) -> set[str]:
    """What the key may do, as 'app.codename' (read once a call): what its role may, and its owner
    may now (an owner moved to a lesser role takes their keys down with them)."""
    if not hasattr(key, "_permissions"):
        key._permissions = _role_permissions(key.role) & key.owner.get_all_permissions()
    return key._permissions
