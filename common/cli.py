"""What the management commands share: who a command acts for, what it may do, and the one
refusal handler that turns refusals and outcomes into words and exit codes (the README lists
them): 0 done or accepted, 1 refused or failed, 3 outcome unknown."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from common import audit
from common.errors import EXIT_DONE, EXIT_REFUSED, REFUSALS, refusal_exit_code, refusal_text
from common.models import AuditAction, AuditEvent
from common.outcomes import Outcome
from common.roles import permission_words, system_user


def migrations_missing() -> int:
    """How many of the code's migrations this database lacks (0 when it is up to date)."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def actor_from(username: str | None) -> Any:
    """The user a command-line action is done for (--user), or the named system account."""
    if username is None:
        return system_user()
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No active user {username!r}.", returncode=EXIT_REFUSED) from None


class StaffCommand(BaseCommand):
    """A command whose `handle` calls services, as a user (`--user`, or the system account).

    `permissions` names what each action (the first word after the command) needs; `actor()`
    checks it. A refusal becomes its words on stderr and exit 1 (3 when aql gave no clear
    answer), so no command handles them on its own.
    """

    permissions: dict[str, str] = {}  # action -> the permission it needs

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="who this is done for (a username); without it, the system account")

    def execute(self, *args: Any, **options: Any) -> Any:
        with audit.via(audit.Interface.CLI):
            try:
                return super().execute(*args, **options)
            except REFUSALS as exc:
                raise CommandError(refusal_text(exc), returncode=refusal_exit_code(exc)) from None
            except DatabaseError:
                # A fresh install's first command, before migrate: say so, not a traceback of SQL.
                if missing := migrations_missing():
                    raise CommandError(f"The database lacks {missing} migration{'s' if missing != 1 else ''}: "
                                       "run manage.py migrate first.", returncode=EXIT_REFUSED) from None
                raise

    def actor(self, options: dict[str, Any]) -> Any:
        """Who the command acts for, once it is clear they may: a refusal is recorded and exits 1."""
        user = actor_from(options.get("user"))
        permission = self.permissions.get(options.get("action", ""), self.permissions.get("*"))
        if permission is None:  # an action nobody said who may do: nobody may, until it is said
            raise CommandError(f"manage.py {self.name()} {options.get('action', '')}: no permission is named for "
                               "it (StaffCommand.permissions).", returncode=EXIT_REFUSED)
        if not user.has_perm(permission):
            what = permission_words(permission)
            AuditEvent.objects.create(actor=user, action=AuditAction.FORBIDDEN, subject=f"manage.py {self.name()}",
                                      message=f"Refused: manage.py {self.name()} {options.get('action', '')} needs "
                                              f"permission to {what}.")
            raise CommandError(f"{user.get_username()} may not {what}.", returncode=EXIT_REFUSED)
        return user

    def name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]

    def report(self, outcome: Outcome, *details: str) -> None:
        """Print an outcome (and any detail lines); one that is not done ends the command with its exit code."""
        text = "\n".join([outcome.text, *details])
        if outcome.exit_code != EXIT_DONE:
            raise CommandError(text, returncode=outcome.exit_code)
        self.stdout.write(text)
