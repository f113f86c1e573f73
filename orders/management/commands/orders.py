"""`manage.py orders despatch|refresh|stock`: despatch orders and stock from the command line.

Exit status: 0 done, 1 refused (with the reason), 3 aql gave no clear answer.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aql.http import GatewayError
from orders import services
from orders.models import OPEN, DespatchOrder, OrderState
from sims.lifecycle import CommandNotAllowed
from sims.management.commands.sim import actor_from, messages_of


class Command(BaseCommand):
    help = "Despatch a SIM to a customer, follow orders, and check stock."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="the member of staff this is done for (a username)")
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        despatch = sub.add_parser("despatch", help="create an order and send it to aql")
        for field in ("name", "address", "postcode", "contact"):
            despatch.add_argument(f"--{field}", required=True)
        despatch.add_argument("--company", default="")
        refresh = sub.add_parser("refresh", help="ask aql about one order, or every open one")
        refresh.add_argument("order_ref", nargs="?")
        sub.add_parser("stock", help="take a stock snapshot from aql and print it")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "despatch":
                order = services.order_despatch(
                    actor=actor_from(options["user"]), name=options["name"], company=options["company"],
                    address=options["address"], postcode=options["postcode"], contact_no=options["contact"])
                self._report(order)
            elif action == "refresh":
                self._refresh(options["order_ref"])
            else:
                for level in services.stock_refresh():
                    self.stdout.write(f"{level.product.code}: {level.quantity}" + ("  LOW" if level.low else ""))
        except ValidationError as exc:
            raise CommandError(messages_of(exc), returncode=1) from None
        except CommandNotAllowed as exc:
            raise CommandError(exc.message, returncode=1) from None
        except GatewayError as exc:
            raise CommandError(f"No clear answer from aql: {exc}", returncode=3) from None

    def _refresh(self, order_ref: str | None) -> None:
        if order_ref:
            order = DespatchOrder.objects.filter(order_ref=order_ref).first()
            if order is None:
                raise CommandError(f"No order {order_ref}.", returncode=1)
            orders = [order]
        else:
            orders = list(DespatchOrder.objects.filter(state__in=OPEN))
        problems = []
        for order in orders:  # every one is asked, whatever the one before said
            try:
                self._report(services.order_refresh(order_id=order.pk))
            except CommandError as exc:
                self.stderr.write(str(exc))
                problems.append(exc.returncode)
        if problems:
            raise CommandError(f"{len(problems)} of {len(orders)} orders need attention.", returncode=max(problems))

    def _report(self, order: DespatchOrder) -> None:
        line = f"{order.order_ref}: {order.get_state_display().lower()}"
        if order.iccid:
            line += f", SIM {order.iccid}"
        if order.reason:
            line += f". {order.reason}"
        if order.state in (OrderState.FAILED, OrderState.DRAFT):
            raise CommandError(line, returncode=1)
        if order.state == OrderState.SUBMITTED:
            raise CommandError(line, returncode=3)
        self.stdout.write(line)
