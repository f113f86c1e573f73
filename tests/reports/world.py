"""A journal whose figures are known: requests, their trails, replacements and stock levels written at
chosen instants (the columns' auto times moved after the insert), for the roll-ups to count."""

from datetime import datetime
from itertools import count

from orders.models import Product, StockLevel
from sims.lifecycle import Command, RequestState, SimAction, SimState
from sims.models import GatewayRequest, GeographicNumber, Sim, SimEvent
from sims.models_replacements import Replacement, ReplacementState, ReplacementStep

_serial = count(1)


def at(text: str) -> datetime:
    """An instant, written with its offset: "2026-03-29T23:30+00:00"."""
    return datetime.fromisoformat(text)


def sim() -> Sim:
    n = next(_serial)
    return Sim.objects.create(iccid=f"8944{n:016d}", state=SimState.ACTIVE)


def request(command: str, state: str, *, settled: str | None, created: str | None = None, sent: str | None = None,
            reason: str | None = None, codes: tuple[int, ...] = (), actor_name: str = "system",
            interface: str = "web", unknown: str | None = None, by_hand: str | None = None,
            on: Sim | None = None) -> GatewayRequest:
    """One journalled request and its trail: sent (accepted by aql) at `sent`, unknown at `unknown`,
    settled by a person at `by_hand`, finished at `settled`."""
    target = on or sim()
    made = GatewayRequest.objects.create(sim=target, command=command, state=state, state_before=target.state,
                                         actor_name=actor_name, reason=reason, codes=list(codes))
    created = created or settled
    GatewayRequest.objects.filter(pk=made.pk).update(created_at=at(created),
                                                     settled_at=at(settled) if settled else None)
    trail = [(SimAction.SENDING, created)] + [(SimAction.SENT, sent)] * bool(sent)
    trail += [(SimAction.UNKNOWN, unknown)] * bool(unknown) + [(SimAction.SETTLED, by_hand)] * bool(by_hand)
    for action, when in trail:
        event = SimEvent.objects.create(sim=target, request=made, action=action, message=action.label,
                                        actor_name=actor_name, interface=interface)
        SimEvent.objects.filter(pk=event.pk).update(at=at(when))
    return GatewayRequest.objects.get(pk=made.pk)


def replacement(finished: str, *, state: str = ReplacementState.DONE) -> Replacement:
    """A finished replacement, with its activation and termination as its own steps."""
    old, new = sim(), sim()
    number = GeographicNumber.objects.create(number=f"44113{next(_serial):06d}")
    done = Replacement.objects.create(old_sim=old, new_sim=new, plan="active", number=number, imei="",
                                      state=state, step="", finished_at=at(finished))
    for step, command, on in (("activate", Command.ACTIVATE, new), ("old_end", Command.DEACTIVATE, old)):
        ReplacementStep.objects.create(replacement=done, step=step, request=request(
            command, RequestState.SUCCESS, settled=finished, on=on, actor_name="priya"))
    return done


def stock(code: str, *levels: tuple[str, int]) -> Product:
    """aql's stock figures for a product code, each at its instant."""
    product, _ = Product.objects.get_or_create(code=code)
    for when, quantity in levels:
        StockLevel.objects.create(product=product, quantity=quantity, checked_at=at(when))
    return product
