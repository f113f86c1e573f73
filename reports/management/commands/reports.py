"""`manage.py reports rollup` and `manage.py reports rebuild [--since DATE]`: the reports' daily roll-ups.

rollup:  what the worker's pass does every ten minutes: today's figures (and any day since its last pass).
rebuild: count every day again from the records (from DATE, or the first record): after an upgrade that
         changes how a figure is counted, or to fill the days before the worker first ran. The SIMs each
         day ended with are what the worker saw on the day, and stay as they were.
"""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.services import rollup_pass, rollup_rebuild


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--since wants a date as YYYY-MM-DD, not {text!r}.") from None


class Command(BaseCommand):
    help = "Keep the reports' daily roll-ups: today's now (rollup), or every day again (rebuild)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("rollup", help="count today's figures now (and any day since the worker's last pass)")
        rebuild = actions.add_parser("rebuild", help="count every day's figures again from the records")
        rebuild.add_argument("--since", type=str, default=None, help="the first day to count again (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rollup":
            self.stdout.write(f"{rollup_pass()} day(s) rolled up.")
            return
        since = _day(options["since"]) if options["since"] else None
        self.stdout.write(f"{rollup_rebuild(since=since)} day(s) counted again from the records.")
