"""The go-live checklist, read on this deployment (`manage.py golive`; the README's "Going live" lists
the same steps in the same order, each with its command).

Each step is done, not done, or not known: what this deployment cannot see (its backups) is said
to be not known and left to a person, never guessed. The selftest calls aql (two read-only
calls); everything else reads settings and what the worker already records.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core import checks

from common.cli import migrations_missing
from ops.health import OK, readiness
from ops.selftest import Status, aql_selftest, held


class Done(StrEnum):
    DONE = "done"
    NOT_DONE = "not done"
    NOT_KNOWN = "not known"  # not ours to see: a person checks it


@dataclass(frozen=True)
class Step:
    """One step of the checklist: what it is, the command that does or shows it, and where it stands."""

    name: str
    command: str
    done: Done
    words: str


def _selftest() -> Step:
    name, command = "The connection to aql proves itself, changing nothing", "manage.py aql selftest"
    found = aql_selftest()
    failed = [check.name for check in found if not check.passed]
    if failed:
        return Step(name, command, Done.NOT_DONE, f"{len(failed)} of {len(found)} checks did not pass "
                                                  f"({', '.join(failed)}): run it to read why.")
    warned = sum(check.status is Status.WARNING for check in found)
    return Step(name, command, Done.DONE, f"All {len(found)} checks passed"
                                          + (f" ({warned} with a warning: run it to read them)." if warned else "."))


def _deploy_checks() -> Step:
    name, command = "Django's deployment checks find nothing", "manage.py check --deploy"
    found = [m for m in checks.run_checks(include_deployment_checks=True)
             if m.level >= checks.WARNING and not m.is_silenced()]
    if found:
        return Step(name, command, Done.NOT_DONE, f"{len(found)} found ({', '.join(sorted({m.id for m in found}))}): "
                                                  "run it to read each, with its hint.")
    return Step(name, command, Done.DONE, "Nothing found.")


def _adopted() -> Step:
    name, command = "The SIMs in use at aql are adopted", "manage.py sim adopt --file FILE"
    count = held().count
    if not count:
        return Step(name, command, Done.NOT_DONE, "No SIM held yet: adopt those already in use at aql, and add "
                                                  "the unused ones as stock.")
    return Step(name, command, Done.DONE, f"{count:,} SIM{'s' if count != 1 else ''} held.")


def _worker() -> Step:
    name = "The worker runs and is healthy"
    command = "manage.py qcluster (systemctl start mvnoadmin-worker), then GET /readyz"
    wrong = [f"{check}: {said}" for check, said in readiness().items() if said != OK]
    if wrong:
        return Step(name, command, Done.NOT_DONE, "; ".join(wrong) + ".")
    return Step(name, command, Done.DONE, "/readyz is ready: a worker ran a pass lately and aql answered it.")


def _metrics_token() -> Step:
    name, command = "The metrics token is set", "METRICS_TOKEN in /etc/mvnoadmin/env"
    if not settings.METRICS_TOKEN:
        return Step(name, command, Done.NOT_DONE, "METRICS_TOKEN is not set: /metrics answers only the addresses "
                                                  "in METRICS_ALLOW.")
    return Step(name, command, Done.DONE, "METRICS_TOKEN is set (not shown).")


def _backups() -> Step:
    return Step("The database is backed up", "pg_dump, daily (the README's Backups)", Done.NOT_KNOWN,
                "Not known: check your backups (this deployment cannot see them), and that one restores.")


STEPS: tuple[Callable[[], Step], ...] = (_selftest, _deploy_checks, _adopted, _worker, _metrics_token, _backups)


def golive_checklist() -> list[Step]:
    """Each step of going live, in order, with where this deployment stands on it; on a database not
    yet migrated, that alone (every other step reads the database)."""
    if missing := migrations_missing():
        return [Step("The database is migrated", "manage.py migrate", Done.NOT_DONE,
                     f"{missing} migration{'s' if missing != 1 else ''} not applied: run manage.py migrate, "
                     "then this again (the other steps read the database).")]
    return [step() for step in STEPS]


def golive_ready(steps: list[Step]) -> bool:
    """Whether every step this deployment can see is done."""
    return all(step.done is not Done.NOT_DONE for step in steps)
