"""One SIM's story for bench/seed.py: from the day it was added, what it went through, as rows."""

from typing import TYPE_CHECKING

from bench.seed_values import ACTIVATION_SERVICES, DAY, HOUR, SERVICE_ORDER, luhn, services_json

if TYPE_CHECKING:
    from bench.seed_world import World


class Story:
    """One SIM from the day it was added: what it went through, as rows, agreeing with where it ends."""

    def __init__(self, world: "World", pk: int, iccid: str, created: float) -> None:
        self.w, self.id, self.iccid, self.created = world, pk, iccid, created
        self.state, self.imei, self.number_id, self.number, self.subscriber_id = "unused", "", None, None, None
        self.name = self.postcode = ""
        self.services: tuple[str, ...] = ()
        self.premium = False
        self.updated = created
        self.checked = self.recheck = self.terminated = None

    def snapshot(self) -> str:
        """The SIM as an audit event records it before and after (Sim.snapshot), as JSON text."""
        number = f'"{self.number}"' if self.number else "null"
        return (f'{{"state": "{self.state}", "number": {number}, "services": {services_json(self.services)}, '
                f'"premium": {"true" if self.premium else "false"}, "imei": "{self.imei}"}}')

    # --- what can happen to it ---

    def query(self, at: float, who: tuple[int | None, str, str]) -> None:
        """aql asked about the SIM (queryiccid), by staff or by the drift sweep: it agreed."""
        w = self.w
        reply = f"status: 200\niccid: {self.iccid}\niccidstate: {self.state}"
        if self.number:
            reply += f"\ngeo_nos: {self.number}\nint_roaming: {int('int_roaming' in self.services)}"
        pk = w.request(self, "queryiccid", at, who, state="success", params={}, settled=at + 0.4, reply=reply)
        snap = self.snapshot()
        w.event(at + 0.4, who, self.id, pk, "queried", f"Asked aql: {self.state}.", snap, snap)

    def command(self, command: str, label: str, at: float, who: tuple[int | None, str, str], params: dict, *,
                outcome: str = "success", change=None) -> float:
        """A command sent at `at` and settled by the worker's checkstatus (or at once when refused); `change`
        applies success to the story. Returns when it settled."""
        w = self.w
        one_step = command in ("assigngeo", "changegeo")
        settled = at + (0.5 if one_step or outcome == "rejected" else w.rng.uniform(31 * 60, 95 * 60))
        codes = {"rejected": (w.rng.choice((63204, 63026, 63017)),)}.get(outcome, ())
        reply = {"success": f"status: 200\nrequeststate: success\niccid: {self.iccid}",
                 "failed": f"status: 200\nrequeststate: failed\niccid: {self.iccid}",
                 "rejected": f"status: {codes[0] if codes else ''}",
                 "not_sent": f"status: 200\niccid: {self.iccid}\niccidstate: {self.state}"}[outcome]
        before = self.snapshot()
        polls = 0 if one_step or outcome == "rejected" else w.rng.randrange(1, 4)
        pk = w.request(self, command, at, who, state=outcome, params=params, settled=settled, codes=codes,
                       reply=reply, polls=polls)
        w.event(at, who, self.id, pk, "sending", f"{label} sent.", before, before)
        if outcome == "success" and change is not None:
            change()
        self.updated = settled
        after = self.snapshot()
        system = (None, "system", "worker")
        if outcome == "rejected":
            w.event(settled, who, self.id, pk, "refused", f"{label}: refused by aql (aql code {codes[0]}).", before,
                    after)
        elif outcome == "not_sent":
            w.event(at + 30, system, self.id, pk, "unknown", f"{label}: no answer from aql (read timed out).", before,
                    before)
            w.event(settled, system, self.id, pk, "not_sent", f"{label} did not take effect: aql's record shows no "
                    "change after the settle window.", before, after)
        else:
            words = {"success": "succeeded", "failed": "failed"}[outcome]
            w.event(settled, who if one_step else system, self.id, pk, "succeeded" if outcome == "success" else
                    "failed", f"{label} {words}.", before, after)
        return settled

    def unused(self) -> None:
        """Never activated; now and then compared with aql by the drift sweep."""
        w = self.w
        if w.rng.random() < 0.2:
            self.checked = w.rng.uniform(self.created, w.now - HOUR)
            self.query(self.checked, w.system())

    def activating(self) -> None:
        """An activation in flight: the subscriber recorded, the number held, aql not finished."""
        w = self.w
        at = max(self.created + 60, w.now - w.rng.uniform(120, 2 * DAY))
        self.give_subscriber_and_imei()
        who = w.person()
        before = self.snapshot()
        unknown = w.rng.random() < 0.12
        age = w.now - at
        # The number is held for the activation written next (ids are given here, in order).
        _, number = w.new_number(at - 3 * DAY, held_by=w.ids["request"] + 1)
        attention = (age > DAY) or (unknown and w.rng.random() < 0.5)
        pk = w.request(self, "activate", at, who, state="unknown" if unknown else "pending",
                       params={"imei": self.imei, "geo_nos": number}, settled=None,
                       reply="no answer: read timed out" if unknown else "status: 200",
                       next_poll=w.now + w.rng.uniform(300, HOUR), polls=int(age // HOUR), attention=attention)
        self.state = "pending"  # what the SIM shows while aql works on it
        w.event(at, who, self.id, pk, "sending", f"Activation sent with number {number}.", before, self.snapshot())
        if unknown:
            w.event(at + 30, (None, "system", "worker"), self.id, pk, "unknown",
                    "Activate: no answer from aql (read timed out).", before, self.snapshot())
        if attention:
            w.event(min(at + DAY, w.now - 30), (None, "system", "worker"), self.id, pk, "attention",
                    "Activate has been in progress for 24 hours: aql has not finished it.", before, self.snapshot())
        self.updated = at

    def give_subscriber_and_imei(self) -> None:
        """What an activation records: the subscriber, and the handset's IMEI."""
        self.subscriber_id, self.name, self.postcode = self.w.subscriber()
        self.imei = luhn(f"35{self.w.rng.randrange(10 ** 12):012d}")

    def activated(self, final: str) -> None:
        """Activated (by hand, settled by the worker), then whatever brought it to `final`."""
        w, rng = self.w, self.w.rng
        span = max(w.now - self.created - 6 * HOUR, HOUR)
        at = self.created + rng.uniform(0.2, 0.6) * min(span, 120 * DAY)
        self.give_subscriber_and_imei()
        self.premium = rng.random() < 0.005
        number_pk, number = w.new_number(at - rng.uniform(DAY, 90 * DAY))

        def activate() -> None:
            self.state, self.number_id, self.number, self.services = "active", number_pk, number, ACTIVATION_SERVICES

        who = w.person()
        t = self.command("activate", "Activation", at, who, {"imei": self.imei, "geo_nos": number}, change=activate)
        if rng.random() < 0.04:  # posted to the customer by a despatch order, before it was added
            w.order(self.created - rng.uniform(DAY, 4 * DAY), "despatched", name=self.name, sim_id=self.id,
                    iccid=self.iccid, settled=self.created)
        # Later steps at random times from then until a few hours ago, in order, none before the last settled.
        later = self.plan(final)
        last = w.now - 2 * HOUR * (len(later) + 1)
        for step, when in zip(later, sorted(rng.uniform(t, max(t, last)) for _ in later), strict=True):
            t = self.run(step, max(when, t + 60))
        if final in ("active", "suspended") and rng.random() < 0.015:
            self.start_in_flight()
        if rng.random() < 0.002:
            self.recheck = w.now + rng.uniform(60, 600)

    def plan(self, final: str) -> list[str]:
        """The steps after activation that lead to `final`: services changed, a number changed,
        suspended for a while, aql asked by staff and by the drift sweep, with some failures and
        refusals on the way."""
        rng = self.w.rng
        plan = ["drift"] * rng.choices((0, 1, 2), weights=(4, 4, 2))[0]
        for step, chance in (("add_int_calling", 0.12), ("add_int_roaming", 0.015), ("remove_sms", 0.03),
                             ("changegeo", 0.02), ("ask", 0.15), ("suspend_reactivate", 0.06),
                             ("failed_roaming", 0.02), ("refused", 0.02), ("not_sent", 0.003)):
            if rng.random() < chance:
                plan.append(step)
        rng.shuffle(plan)
        if final == "suspended":
            plan.append("suspend")
        elif final == "terminated":
            plan += ["suspend", "deactivate"] if rng.random() < 0.3 else ["deactivate"]
        return [part for step in plan for part in (["suspend", "reactivate"] if step == "suspend_reactivate"
                                                   else [step])]

    def run(self, step: str, t: float) -> float:
        """One planned step at time t; returns when it settled."""
        w = self.w
        who = w.person()
        geo = {"geo_nos": self.number}

        def services(add: tuple[str, ...] = (), remove: tuple[str, ...] = ()):
            def change() -> None:
                on = (set(self.services) | set(add)) - set(remove)
                self.services = tuple(s for s in SERVICE_ORDER if s in on)
            return change

        def state(new: str):
            def change() -> None:
                self.state = new
            return change

        if step == "add_int_calling":
            return self.command("addservice", "Add services", t, who, {**geo, "services": ["int_calling"]},
                                change=services(add=("int_calling",)))
        if step == "add_int_roaming":
            return self.command("addservice", "Add services", t, who, {**geo, "services": ["int_roaming"]},
                                change=services(add=("int_roaming",)))
        if step == "failed_roaming":
            return self.command("addservice", "Add services", t, who, {**geo, "services": ["int_roaming"]},
                                outcome="failed")
        if step == "remove_sms":
            return self.command("removeservice", "Remove services", t, who, {**geo, "services": ["mo_sms"]},
                                change=services(remove=("mo_sms",)))
        if step == "changegeo":
            new_pk, new = w.new_number(t - DAY)

            def change() -> None:
                self.number_id, self.number = new_pk, new  # the old number goes back to the pool

            return self.command("changegeo", "Change number", t, who, {**geo, "new_geo_nos": new}, change=change)
        if step == "ask":
            self.query(t, who)
            return t + 1
        if step == "drift":
            self.query(t, w.system())
            self.checked = t
            return t + 1
        if step == "reactivate":
            return self.command("reactivate", "Reactivate", t, who, geo, change=state("active"))
        if step == "refused":
            return self.command("changegeo", "Change number", t, who, {**geo, "new_geo_nos": "441130000000"},
                                outcome="rejected")
        if step == "not_sent":
            return self.command("suspend", "Suspend", t, who, geo, outcome="not_sent")
        if step == "suspend":
            return self.command("suspend", "Suspend", t, who, geo, change=state("suspended"))
        if step == "deactivate":
            def terminate() -> None:
                self.state, self.services, self.number_id, self.number = "terminated", (), None, None

            settled = self.command("deactivate", "Terminate", t, who, geo, change=terminate)
            self.terminated = settled
            if w.rng.random() < 0.4:  # erased since, by hand or by retention: the subscriber's row is gone
                before = self.snapshot()
                assert w.t["subscriber"].rows[-1][0] == self.subscriber_id  # this story's, the last made
                w.t["subscriber"].rows.pop()
                self.subscriber_id = None
                w.event(min(settled + w.rng.uniform(DAY, 30 * DAY), w.now - HOUR), w.person(), self.id, None,
                        "erased", "The subscriber's personal details were erased.", before, self.snapshot())
            return settled
        raise ValueError(step)

    def start_in_flight(self) -> None:
        """The last command is still with aql: pending (polled) or unknown (reconciled); some need a person."""
        w, rng = self.w, self.w.rng
        age = min(3600 * rng.expovariate(1 / 8), 5 * DAY)
        at = min(max(w.now - max(age, 120), self.updated + 60), w.now - 60)  # after what it did before
        age = w.now - at
        who = w.person()
        if self.state == "suspended":
            command, label = rng.choice((("reactivate", "Reactivate"), ("reactivate", "Reactivate"),
                                         ("deactivate", "Terminate")))
            params = {"geo_nos": self.number}
        else:
            command, label, params = rng.choice((
                ("suspend", "Suspend", {"geo_nos": self.number}),
                ("addservice", "Add services", {"geo_nos": self.number, "services": ["int_roaming"]}),
                ("removeservice", "Remove services", {"geo_nos": self.number, "services": ["mt_sms"]}),
                ("deactivate", "Terminate", {"geo_nos": self.number})))
        unknown = rng.random() < 0.15
        attention = age > DAY or (unknown and rng.random() < 0.4)
        pk = self.w.request(self, command, at, who, state="unknown" if unknown else "pending", params=params,
                            settled=None, reply="no answer: read timed out" if unknown else "status: 200",
                            next_poll=w.now + rng.uniform(300, HOUR), polls=int(age // (2 * HOUR)),
                            attention=attention)
        snap = self.snapshot()
        w.event(at, who, self.id, pk, "sending", f"{label} sent.", snap, snap)
        if unknown:
            w.event(at + 30, (None, "system", "worker"), self.id, pk, "unknown",
                    f"{label}: no answer from aql (read timed out).", snap, snap)
        if attention:
            w.event(min(at + DAY, w.now - 30), (None, "system", "worker"), self.id, pk, "attention",
                    f"{label} has been in progress for a day: aql has not finished it.", snap, snap)
        self.updated = max(self.updated, at)

    def write(self) -> None:
        """The SIM's own row, as its story left it."""
        w = self.w
        on = set(self.services)
        w.t["sim"].rows.append((
            self.id, self.iccid, self.iccid[::-1], self.state, self.imei, self.number_id, self.subscriber_id,
            *(name in on for name in SERVICE_ORDER), self.premium,
            None if self.checked is None else w.stamp(self.checked),
            None if self.recheck is None else w.stamp(self.recheck),
            None if self.terminated is None else w.stamp(self.terminated), None, self.drift_at(),
            w.stamp(self.created), w.stamp(self.updated)))

    def drift_at(self) -> str | None:
        """When the drift sweep last took the SIM, as a day-long sweep leaves it: a live SIM within
        the last day; a terminated one (never taken again) half never, half before it ended, so they
        lie at the front of the sweep's order, where its index must skip them."""
        w = self.w
        if self.terminated is None:
            return w.stamp(w.now - w.rng.uniform(60, DAY))
        return None if w.rng.random() < 0.5 else w.stamp(self.terminated - w.rng.uniform(HOUR, 30 * DAY))

