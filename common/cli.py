"""What the management commands share: who a command acts for, and the one refusal handler that
turns refusals and outcomes into words and exit codes (the README lists them):
0 done or accepted, 1 refused or failed, 3 outcome unknown."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from common.errors import EXIT_DONE, EXIT_REFUSED, REFUSALS, refusal_exit_code, refusal_text
from common.outcomes import Outcome


def actor_from(username: str | None) -> Any:
    """The user a command-line action is done for (--user), or None for the system."""
    if username is None:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No user {username!r}.", returncode=EXIT_REFUSED) from None


class StaffCommand(BaseCommand):
    """A command whose `handle` calls services: a refusal becomes its words on stderr and exit 1
    (3 when aql gave no clear answer), so no command handles them on its own."""

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except REFUSALS as exc:
            raise CommandError(refusal_text(exc), returncode=refusal_exit_code(exc)) from None

    def report(self, outcome: Outcome, *details: str) -> None:
        """Print an outcome (and any detail lines); one that is not done ends the command with its exit code."""
        text = "\n".join([outcome.text, *details])
        if outcome.exit_code != EXIT_DONE:
            raise CommandError(text, returncode=outcome.exit_code)
        self.stdout.write(text)
