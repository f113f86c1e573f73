"""The despatch endpoint's rules: placing orders, answering queries, despatching in time."""

from __future__ import annotations

from aql.fake.state import OrderRecord, SimulatorState

DESPATCH_COMMANDS = frozenset({"despatch", "query", "check_stock"})

DESPATCH_TEXT = {
    0: "Successful",
    1: "Authentication Error",
    2: "Missing parameters",
    3: "Insufficient SIMs on account",
    8: "Unrecognised Command",
    9: "Undefined error",
}


class DespatchRules(SimulatorState):
    """Answers ``/mobile/despatch_sim.php`` for `FakeAql` (call with the lock held)."""

    def _despatch(self, params: dict[str, str] | None) -> str:
        """The despatch endpoint's answer."""
        # No code for an unreadable request: the catch-all, 9.
        stop = self._opening_checks(params, DESPATCH_COMMANDS, (9, 1, 8))
        if stop is not None:
            return _despatch_lines(stop[0])
        assert params is not None
        command = params["command"]
        order_ref = params.get("order_ref", "").strip()
        if not order_ref:
            return _despatch_lines(2)
        if command == "check_stock":
            return _despatch_lines(0, *(f"{code}:{qty}" for code, qty in self.account.stock.items()))
        if command == "query":
            order = self._orders.get(order_ref)
            if order is None:
                return _despatch_lines(9)
            return _despatch_lines(0, *(f"{key}:{getattr(order, key)}" for key in (
                "name", "company", "address", "postcode", "contact_no", "iccid", "status")))
        return self._place_order(order_ref, params)

    def _place_order(self, order_ref: str, params: dict[str, str]) -> str:
        values = {key: params.get(key, "").strip() for key in (
            "name", "company", "address", "postcode", "contact_no")}
        if not all(values[key] for key in ("name", "address", "postcode", "contact_no")):
            return _despatch_lines(2)  # company may be empty: a person at home has none
        if order_ref in self._orders:  # the spec is silent; we refuse, and make no second order
            return _despatch_lines(9)
        product = next((code for code, qty in self.account.stock.items() if qty > 0), None)
        if product is None:
            return _despatch_lines(3)
        self.account.stock[product] -= 1
        self._orders[order_ref] = OrderRecord(order_ref, **values, created=self.now(), product_code=product)
        return _despatch_lines(0)

    def _despatch_order(self, order: OrderRecord) -> None:
        """An order leaves the warehouse with the next unused SIM, or is cancelled."""
        cancelled = self._chance("cancel", self.faults.cancel_rate)
        iccid = None if cancelled else self._next_despatchable_iccid()
        if iccid is None:
            order.status = "cancelled"
        else:
            order.status, order.iccid = "despatched", iccid

    def _next_despatchable_iccid(self) -> str | None:
        taken = {o.iccid for o in self._orders.values() if o.iccid}
        for iccid in self.account.iccids():
            sim = self._sims.get(iccid)
            if iccid not in taken and (sim is None or (sim.state == "unused" and sim.pending_request is None)):
                return iccid
        return None


def _despatch_lines(code: int, *extra: str) -> str:
    """A despatch reply: ``<code>: <text>``, then ``key:value`` lines."""
    text = DESPATCH_TEXT.get(code, DESPATCH_TEXT[9])
    return "".join(f"{line}\n" for line in (f"{code}: {text}", *extra))
