"""`manage.py poll --once`: one polling pass in the foreground, for operators and scripts."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sims import tasks


class Command(BaseCommand):
    help = "Check every gateway request that is due, as the worker does (--once: one pass, then exit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--every", type=float, default=30, help="seconds between passes (default 30)")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            done = tasks.poll_pass()
            self.stdout.write("The worker's follower is running: it checks due requests itself." if done is None
                              else f"{done} requests checked.")
            if options["once"]:
                return
            time.sleep(options["every"])
