"""`manage.py numbers add NUMBER...`: add numbers aql allocated to our account to the pool."""

from typing import Any

from django.core.management.base import CommandParser

from common.cli import StaffCommand
from sims import services


class Command(StaffCommand):
    help = "Manage the pool of geographic numbers allocated to our account."
    permissions = {"add": "sims.add_geographicnumber"}

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("add", help="add numbers to the pool").add_argument("numbers", nargs="+", metavar="NUMBER")

    def handle(self, *args: Any, **options: Any) -> None:
        added = services.number_add(numbers=options["numbers"], actor=self.actor(options))
        self.stdout.write(f"{len(added)} numbers added to the pool.")
