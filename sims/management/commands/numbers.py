"""`manage.py numbers add NUMBER...`: add numbers aql allocated to our account to the pool.
`manage.py numbers end-rest NUMBER --reason WHY`: end a resting number's rest early (recorded)."""

from typing import Any

from django.core.management.base import CommandParser

from common.cli import StaffCommand
from common.validators import phone_national
from sims import services


class Command(StaffCommand):
    help = "Manage the pool of geographic numbers allocated to our account."
    permissions = {"add": "sims.add_geographicnumber", "end-rest": "sims.add_geographicnumber"}

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("add", help="add numbers to the pool").add_argument("numbers", nargs="+", metavar="NUMBER")
        rest = sub.add_parser("end-rest", help="end a resting number's rest early, saying why (audited)")
        rest.add_argument("number")
        rest.add_argument("--reason", required=True, help="why its rest ends now")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "end-rest":
            number = services.number_rest_end(number=options["number"], actor=self.actor(options),
                                              reason=options["reason"])
            self.stdout.write(f"The rest of {phone_national(number.number)} was ended: anyone may have it now.")
            return
        added = services.number_add(numbers=options["numbers"], actor=self.actor(options))
        self.stdout.write(f"{len(added)} numbers added to the pool.")
