"""`manage.py numbers add NUMBER...`: add numbers aql allocated to our account to the pool."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sims import services


class Command(BaseCommand):
    help = "Manage the pool of geographic numbers allocated to our account."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("add", help="add numbers to the pool").add_argument("numbers", nargs="+", metavar="NUMBER")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            added = services.number_add(numbers=options["numbers"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=1) from None
        self.stdout.write(f"{len(added)} numbers added to the pool.")
