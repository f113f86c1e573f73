"""System checks on the gateway configuration (run by `manage.py check` and at start-up)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@register()
def gateway_urls_are_encrypted(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """aql documents the despatch endpoint as plain http: our password would cross the internet in clear."""
    found = []
    for name in ("AQL_USIM_URL", "AQL_DESPATCH_URL"):
        url = urlsplit(getattr(settings, name))
        if url.scheme != "https" and url.hostname not in LOOPBACK:
            found.append(Warning(
                f"{name} is {url.scheme}://{url.hostname}: the aql account password would travel unencrypted.",
                hint=f"Set {name} to an https:// address (aql's spec documents http for despatch; ask aql "
                     "for https) before using real credentials.",
                id="common.W001",
            ))
    return found


@register()
def follower_fits_the_task_timeout(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """django-q2 kills a task that outlives Q_CLUSTER's timeout: a follower killed mid-way leaves its
    lease and claims to run out before the next one starts, and a send cut off becomes unknown."""
    from ops.pipeline import step_margin
    from ops.worker import FOLLOW_AT_MOST

    longest = FOLLOW_AT_MOST + 2 * step_margin()
    timeout = settings.Q_CLUSTER["timeout"]
    if longest < timeout:
        return []
    return [Warning(
        f"With AQL_TIMEOUT={settings.AQL_TIMEOUT:g} the worker's follower may run {longest:g} s, longer than "
        f"the worker's task timeout of {timeout} s.",
        hint="Lower AQL_TIMEOUT (30 s is plenty for aql's answers).", id="common.W002")]


@register()
def sqlite_locks_at_begin(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """On SQLite the worker claims its rows with a read then one UPDATE (ops.leases.claim_due):
    exactly once only if the transaction holds the write lock from its BEGIN (IMMEDIATE)."""
    database = settings.DATABASES["default"]
    if "sqlite" not in database["ENGINE"] or database.get("OPTIONS", {}).get("transaction_mode") == "IMMEDIATE":
        return []
    return [Error("SQLite's transactions must be IMMEDIATE: two worker processes could otherwise claim the "
                  "same request and send it twice.",
                  hint='Keep DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE" (settings.py sets it).',
                  id="common.E001")]


@register(deploy=True)
def audit_seal_key_is_its_own(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """The audit trail's seals (ops.seal) are made with AUDIT_SEAL_KEY, or a key derived from SECRET_KEY:
    then changing SECRET_KEY (as after a leak) would make every seal made before fail to verify."""
    if len(settings.AUDIT_SEAL_KEY) >= 50:
        return []
    return [Warning(
        "AUDIT_SEAL_KEY is not set (or shorter than 50 characters): the audit trail's seals are made with a key "
        "derived from SECRET_KEY, so changing SECRET_KEY would make every seal fail to verify.",
        hint="Set AUDIT_SEAL_KEY to 50 or more random characters, keep it as safe as SECRET_KEY and never change it.",
        id="common.W003")]
