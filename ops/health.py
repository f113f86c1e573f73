"""/healthz (the process answers: no database) and /readyz (the deployment can do its work): JSON,
no sign-in, no secrets, cheap enough to poll every few seconds.

A small view of our own rather than django-health-check: that library answers a failure with
HTTP 500 (we want 503 with the words of what is wrong), runs its checks at once in threads each
with a database connection of its own (a poll every few seconds would open several), and its
checks are independent, where ours are not: with the database down there is nothing else to ask.

Readiness reads evidence the worker already writes (ops.heartbeat), never calls aql
itself: a probe every few seconds must not add calls to the gateway's polite limit.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from common.models import Heartbeat
from ops.heartbeat import GATEWAY, worker_status
from ops.seal import check_age_words, last_check

OK = "ok"
_migrated = False  # once every migration is seen applied, it stays so for the code this process runs


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:  # the kind only: its message can name the host and the user
        return f"the database cannot be reached ({type(exc).__name__})"
    return OK


def _migrations() -> str:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:3])
            return f"{len(plan)} migration(s) not applied (first: {names}): run manage.py migrate"
        _migrated = True
    return OK


def _worker() -> str:
    status = worker_status()
    if status.state != "stopped":
        return OK
    if status.last_pass is None:
        return "no worker has ever run a pass: start one (manage.py qcluster)"
    minutes = (timezone.now() - status.last_pass).total_seconds() / 60
    return f"no worker has run a pass for {minutes:.0f} minutes: is manage.py qcluster running?"


def _gateway() -> str:
    within = timedelta(minutes=settings.READYZ_GATEWAY_MINUTES)
    answered = Heartbeat.objects.filter(name=GATEWAY).values_list("at", flat=True).first()
    if answered is None:
        return "the worker has had no answer from aql yet"
    if timezone.now() - answered > within:
        minutes = (timezone.now() - answered).total_seconds() / 60
        return (f"the worker's last answer from aql was {minutes:.0f} minutes ago "
                f"(more than {settings.READYZ_GATEWAY_MINUTES}): aql may be unreachable")
    return OK


def readiness() -> dict[str, str]:
    """Each check by name: "ok", or what is wrong in words."""
    checks = {"database": _database()}
    if checks["database"] != OK:
        return checks | dict.fromkeys(("migrations", "worker", "gateway"), "not checked: no database")
    return checks | {"migrations": _migrations(), "worker": _worker(), "gateway": _gateway()}


@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: this process answers. No database, so a slow database does not get it restarted."""
    return JsonResponse({"status": "ok"})


def audit_trail() -> dict[str, object]:
    """When the sealed audit trail was last verified and whether it matched: shown, not a check. A
    mismatch is for a person to look into (the dashboard says so in red); taking the site out of a load
    balancer would not undo it."""
    check = last_check()
    return {"verified_at": check.at.isoformat() if check else None, "matched": check.matched if check else None,
            "words": check_age_words(check)}


@login_not_required
@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness of the deployment: 200 when every check is ok, else 503 saying what is wrong."""
    checks = readiness()
    ready = all(result == OK for result in checks.values())
    trail = audit_trail() if checks["database"] == OK else {"verified_at": None, "matched": None,
                                                             "words": "not known: no database"}
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks, "audit_trail": trail},
                        status=200 if ready else 503)
