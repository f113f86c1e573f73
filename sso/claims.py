"""What the provider said, read: the claims, our roles from its groups, whether it refuses the
person, and whether its sign-in used a second factor. Pure functions, no database."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ROLES = ("Observer", "Customer service", "Supervisor", "Admin")  # the groups made by common's roles migration


@dataclass(frozen=True)
class Decision:
    """Who the provider says this person is to us: our roles, or why they may not come in."""

    roles: frozenset[str]
    refusal: str  # "" when they may come in; otherwise why not, in staff's words
    second_factor: bool  # the ID token's amr names a second factor

    @property
    def allowed(self) -> bool:
        return not self.refusal


def claims_of(extra_data: Mapping[str, Any]) -> dict[str, Any]:
    """The ID token's claims and the userinfo answer in one dict (allauth keeps them apart in
    `SocialAccount.extra_data`). Userinfo is fresher for profile claims; `amr` is only in the token."""
    id_token = dict(extra_data.get("id_token") or {})
    userinfo = dict(extra_data.get("userinfo") or {})
    merged = id_token | userinfo
    if "amr" in id_token:
        merged["amr"] = id_token["amr"]
    return merged


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by name, or by a dotted path into nested claims (Keycloak's `realm_access.roles`)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def as_names(value: Any) -> set[str]:
    """A groups claim as a set of names: providers send a list, some a single string."""
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    if isinstance(value, Iterable):
        return {str(item) for item in value}
    return {str(value)}


def is_true(value: Any) -> bool:
    """A claim meaning yes: true, or a string such as "true", "1", "yes"."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "y"}
    return value is True or (isinstance(value, int) and value == 1)


def decide(claims: Mapping[str, Any], *, groups_claim: str, role_groups: Mapping[str, Iterable[str]],
           disabled_claim: str, mfa_amr: Iterable[str], provider: str) -> Decision:
    """Our roles from the provider's groups (`role_groups`: our role -> the provider's groups that
    give it), or a refusal: when the provider marks the person disabled, or they are in no mapped group."""
    # RFC 8176: "mfa" says several factors were used; otherwise two methods, one of them a second
    # factor (a password and a code). A code or a key alone may be the only factor (passwordless).
    used = as_names(claims.get("amr"))
    second_factor = "mfa" in used or (len(used) >= 2 and bool(used & set(mfa_amr)))
    if disabled_claim and is_true(claim(claims, disabled_claim)):
        return Decision(frozenset(), f"{provider} says this account is disabled ({disabled_claim}).", second_factor)
    theirs = as_names(claim(claims, groups_claim))
    roles = frozenset(role for role in ROLES if theirs & set(role_groups.get(role, ())))
    if not roles:
        return Decision(roles, f"{provider} puts this account in no group that has a role here.", second_factor)
    return Decision(roles, "", second_factor)


def signed_in_since(claims: Mapping[str, Any], since: float) -> bool:
    """The provider's sign-in (`auth_time`, seconds since the epoch, in the ID token when `max_age`
    was asked for) happened after `since`: proof that it asked the person again rather than
    answering from a sign-in it remembered. No `auth_time` proves nothing."""
    auth_time = claims.get("auth_time")
    if isinstance(auth_time, bool) or not isinstance(auth_time, int | float):
        return False
    return auth_time > since
