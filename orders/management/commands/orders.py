"""`manage.py orders despatch|refresh|stock`: despatch orders and stock from the command line.

Exit status (`common.cli`): 0 done, 1 refused or failed (with the reason), 3 aql gave no clear answer.
"""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from common.cli import StaffCommand
from common.errors import EXIT_REFUSED
from orders import services
from orders.lifecycle import OPEN
from orders.models import DespatchOrder
from orders.outcomes import order_outcome


class Command(StaffCommand):
    help = "Despatch a SIM to a customer, follow orders, and check stock."
    permissions = {"despatch": "orders.place_order", "refresh": "orders.place_order", "stock": "orders.place_order"}

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        despatch = sub.add_parser("despatch", help="create an order and send it to aql")
        for field in ("name", "address", "postcode", "contact"):
            despatch.add_argument(f"--{field}", required=True)
        despatch.add_argument("--company", default="")
        refresh = sub.add_parser("refresh", help="ask aql about one order, or every open one")
        refresh.add_argument("order_ref", nargs="?")
        sub.add_parser("stock", help="take a stock snapshot from aql and print it")

    def handle(self, *args: Any, **options: Any) -> None:
        action, actor = options["action"], self.actor(options)
        if action == "despatch":
            order = services.order_despatch(
                actor=actor, name=options["name"], company=options["company"],
                address=options["address"], postcode=options["postcode"], contact_no=options["contact"])
            self.report(order_outcome(order))
        elif action == "refresh":
            self._refresh(options["order_ref"], actor)
        else:
            for level in services.stock_refresh():
                self.stdout.write(f"{level.product.code}: {level.quantity}" + ("  LOW" if level.low else ""))

    def _refresh(self, order_ref: str | None, actor: Any) -> None:
        if order_ref:
            order = DespatchOrder.objects.filter(order_ref=order_ref).first()
            if order is None:
                raise CommandError(f"No order {order_ref}.", returncode=EXIT_REFUSED)
            orders = [order]
        else:
            orders = list(DespatchOrder.objects.filter(state__in=OPEN))
        problems = []
        for order in orders:  # every one is asked, whatever the one before said
            try:
                self.report(order_outcome(services.order_refresh(order_id=order.pk, actor=actor)))
            except CommandError as exc:
                self.stderr.write(str(exc))
                problems.append(exc.returncode)
        if problems:
            raise CommandError(f"{len(problems)} of {len(orders)} orders need attention.", returncode=max(problems))
