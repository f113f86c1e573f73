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
