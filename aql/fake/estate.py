"""An estate: SIMs already in use on the account before our project first looks at it.

A reseller that installs us has SIMs active, suspended and terminated at aql, each with its
number and services, that our database knows nothing about. `Estate` describes them: a range of
ICCIDs (serials counting up from `first`, each with its check digit), and for each one a record
drawn from `seed` and its place in the range. Nothing is made until a SIM is first touched, so an
estate of a million SIMs costs nothing until it is asked about, and the same seed gives the same
estate in every process.

Its numbers are allocated to the account but are not among `Account.geo_numbers` (the free ones
the simulator hands out), so no command can give an estate SIM's number to another SIM.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from stdnum import luhn

ESTATE_FIRST = "8944120000100000005"  # far above the account's own range (Account.iccid_first)
ESTATE_NUMBERS_FROM = 441132000000  # 0113 200 0000: the i-th SIM of the estate has this + i, while live
CALLS_AND_TEXTS = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")


@dataclass(frozen=True)
class EstateSim:
    """One SIM of the estate as aql holds it before anyone asks."""

    state: str
    geo_nos: str | None = None
    services: frozenset[str] = field(default_factory=frozenset)
    premium: bool = False


@dataclass(frozen=True)
class Estate:
    """SIMs already on the account: how many, from which ICCID, and in what shares of each state
    (what is left over is unused). Deterministic: a SIM's record depends on `seed` and its place only."""

    count: int = 0
    seed: int = 0
    first: str = ESTATE_FIRST
    active: float = 0.6
    suspended: float = 0.15
    terminated: float = 0.15

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("an estate's count cannot be negative")
        if min(self.active, self.suspended, self.terminated) < 0 or self.active + self.suspended + self.terminated > 1:
            raise ValueError("the shares of active, suspended and terminated are between 0 and 1, 1 at most together")
        if not (self.first.isascii() and self.first.isdigit() and 19 <= len(self.first) <= 20
                and luhn.is_valid(self.first)):
            raise ValueError(f"not an ICCID with its check digit: {self.first!r}")

    def iccids(self) -> Iterator[str]:
        """Every ICCID of the estate, in order."""
        start, width = int(self.first[:-1]), len(self.first) - 1
        for i in range(self.count):
            body = str(start + i).zfill(width)
            yield body + luhn.calc_check_digit(body)

    def place(self, iccid: str) -> int | None:
        """Where `iccid` stands in the estate (from 0), or None when it is not one of it."""
        if len(iccid) != len(self.first) or not (iccid.isascii() and iccid.isdigit()) or not luhn.is_valid(iccid):
            return None
        i = int(iccid[:-1]) - int(self.first[:-1])
        return i if 0 <= i < self.count else None

    def sim(self, iccid: str) -> EstateSim | None:
        """The SIM's record as aql holds it before anyone asks; None when it is not of the estate."""
        i = self.place(iccid)
        if i is None:
            return None
        draw = random.Random(f"{self.seed}:{i}")  # its own stream: the same SIM, whatever was asked before
        roll = draw.random()
        if roll < self.terminated:
            return EstateSim("terminated")  # terminated: its number went back, its services with it
        if roll >= self.terminated + self.active + self.suspended:
            return EstateSim("unused")
        state = "suspended" if roll < self.terminated + self.suspended else "active"
        services = set(CALLS_AND_TEXTS) if draw.random() < 0.9 else set()  # one in ten data only
        if services and draw.random() < 0.2:
            services.discard("mo_sms")  # a few with outgoing texts barred
        if draw.random() < 0.3:
            services.add("int_roaming")
        if services and draw.random() < 0.2:
            services.add("int_calling")
        return EstateSim(state, str(ESTATE_NUMBERS_FROM + i), frozenset(services), premium=draw.random() < 0.1)

    def describe(self) -> dict[str, object]:
        """What ``/_aqlsim/state`` shows of it."""
        return {"count": self.count, "seed": self.seed, "first": self.first, "active": self.active,
                "suspended": self.suspended, "terminated": self.terminated}
