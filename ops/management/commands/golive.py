"""`manage.py golive`: the go-live checklist's state on this deployment (ops.golive), in order.

Exit 0 when every step it can see is done (the backups it cannot see are said to be not known), 1
otherwise. It calls aql only through the selftest: `check_stock` and one `queryiccid`.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from common.errors import EXIT_REFUSED
from ops.golive import Done, golive_checklist, golive_ready


class Command(BaseCommand):
    help = "Print the go-live checklist's state on this deployment: each step, its command, done or not."

    def handle(self, *args: Any, **options: Any) -> None:
        steps = golive_checklist()
        self.stdout.write("Going live, step by step, on this deployment:")
        for number, step in enumerate(steps, 1):
            self.stdout.write(f"{number}. {step.done:<10} {step.name}\n{'':<14}{step.words}\n"
                              f"{'':<14}Command: {step.command}")
        if not golive_ready(steps):
            left = [f"{n} ({step.name})" for n, step in enumerate(steps, 1) if step.done is Done.NOT_DONE]
            raise CommandError(f"Not ready to go live. Not done: {'; '.join(left)}.", returncode=EXIT_REFUSED)
        self.stdout.write("Ready to go live, once the steps marked not known are checked by hand.")
