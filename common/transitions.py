"""A transition table's row, for the state machines that are not a SIM's (requests, orders).

Each way a record can change state is a named `Transition`: the states it may start from and
the states it may lead to. The services apply a step only to a record still in one of the
step's sources (re-read under lock: a double click or a second worker finds it moved on and
leaves it), and a step that would lead anywhere else is a bug, stopped before it is saved.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Transition:
    name: str
    source: frozenset[str]
    target: frozenset[str]

    def allows(self, state: str) -> bool:
        return state in self.source

    def check(self, before: str, after: str) -> None:
        """Raise if the step moved a record where its row does not lead (staying put is fine)."""
        if after != before and after not in self.target:
            raise ValueError(f"{self.name} may not move a record from {before} to {after}")
