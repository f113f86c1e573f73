"""A client for aql's despatch endpoint (despatch_sim.php): despatch, query and check_stock.

Replies open with `<code>: <text>` (0 is success), then `key:value` lines. Every request
carries our order reference, check_stock included, as the spec asks.
"""

from dataclasses import dataclass
from enum import StrEnum

from aql import codes
from aql.http import GatewayClient, GatewayRejected, GatewayReplyUnreadable, post_form


class OrderStatus(StrEnum):
    PROCESSING = "processing"  # awaiting despatch
    DESPATCHED = "despatched"
    CANCELLED = "cancelled"  # aql rejected the order


@dataclass(frozen=True)
class Order:
    """An order as aql reports it."""

    name: str
    company: str
    address: str
    postcode: str
    contact_no: str
    iccid: str | None  # known once despatched
    status: OrderStatus


@dataclass(frozen=True)
class StockLine:
    product_code: str
    quantity: int


def parse_reply(text: str) -> list[tuple[str, str]]:
    """Check the opening `<code>: <text>` line and return the `key:value` lines after it, in order."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise GatewayReplyUnreadable("the reply is empty", text)
    head, colon, _ = lines[0].partition(":")
    if not colon or not head.strip().isdigit():
        raise GatewayReplyUnreadable("the reply does not open with a result code", text)
    number = int(head)
    if number != codes.DESPATCH_OK:
        raise GatewayRejected([codes.despatch(number)], text)
    pairs = []
    for line in lines[1:]:
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise GatewayReplyUnreadable("a line is not 'key:value'", text)
        pairs.append((key.strip(), value.strip()))
    return pairs


class DespatchClient(GatewayClient):
    """Speaks to the despatch endpoint with one account's credentials over one reused connection."""

    def _send(self, command: str, order_ref: str, fields: dict[str, str] | None = None) -> tuple[list, str]:
        body = {"username": self.username, "password": self._password, "order_ref": order_ref,
                "command": command, **(fields or {})}
        text = post_form(self.session, self.url, body)
        return parse_reply(text), text

    def despatch(self, *, order_ref: str, name: str, company: str, address: str, postcode: str,
                 contact_no: str) -> None:
        """Ask aql to post a SIM to this recipient under our unique `order_ref`."""
        fields = {"name": name, "company": company, "address": address, "postcode": postcode,
                  "contact_no": contact_no}
        self._send("despatch", order_ref, fields)

    def query(self, *, order_ref: str) -> Order:
        """The order's recipient, state and, once despatched, the SIM's ICCID."""
        pairs, text = self._send("query", order_ref)
        reply = {key.lower(): value for key, value in pairs}
        missing = [k for k in ("name", "address", "postcode", "status") if k not in reply]
        if missing:
            raise GatewayReplyUnreadable(f"the order reply has no {', '.join(missing)}", text)
        try:
            status = OrderStatus(reply["status"].lower())
        except ValueError:
            raise GatewayReplyUnreadable(f"unknown order status '{reply['status']}'", text) from None
        return Order(name=reply["name"], company=reply.get("company", ""), address=reply["address"],
                     postcode=reply["postcode"], contact_no=reply.get("contact_no", ""),
                     iccid=reply.get("iccid") or None, status=status)

    def check_stock(self, *, order_ref: str = "stock-check") -> list[StockLine]:
        """SIMs on the account per product code. The endpoint wants an order_ref even here."""
        pairs, text = self._send("check_stock", order_ref)
        try:
            return [StockLine(code, int(quantity)) for code, quantity in pairs]
        except ValueError:
            raise GatewayReplyUnreadable("a stock quantity is not a number", text) from None
