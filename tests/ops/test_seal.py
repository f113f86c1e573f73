"""The audit trail that proves itself (ops.seal): sealed rows edited, deleted or forged in the database
behind our back are each found and named by `manage.py audit verify`; erasure and the system's own
pruning are not mismatches; rows are sealed only once no transaction can still be writing below them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from common.models import AuditAction, AuditEvent
from common.roles import system_user
from ops.models import Seal, SealCheck
from ops.seal import SCHEDULES, trail_seal, trail_verify
from orders import services as order_services
from orders.models import DespatchOrder, OrderEvent
from sims import services
from sims.lifecycle import SimAction, SimState
from sims.models import SimEvent, Subscriber
from tests.conftest import POOL, manage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seal_at_once(settings) -> None:
    settings.AUDIT_SEAL_MARGIN = 0  # everything committed so far is old enough (the horizon's own tests set it)


@pytest.fixture
def trail(world, staff, make_sim) -> dict[str, list[int]]:
    """A little of each sealed trail, written by the services: SIM lines, an order's lines, the general trail."""
    sim = make_sim(0, number=POOL[0])
    services.sim_suspend(sim_id=sim.pk, actor=staff)
    order = order_services.order_create(actor=staff, name="Ada Lovelace", company="", address="1 Road\nLeeds",
                                        postcode="LS10 1JQ", contact_no="0113 320 3040")
    AuditEvent.objects.create(actor=staff, action=AuditAction.SIGNED_IN, message="Signed in.")
    return {"sims": list(SimEvent.objects.filter(sim=sim).order_by("pk").values_list("pk", flat=True)),
            "orders": list(OrderEvent.objects.filter(order=order).values_list("pk", flat=True)),
            "audit": list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))}


def raw(sql: str, *params) -> None:
    """Behind the application's back, as someone with the database's password would."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify() -> tuple[int, str]:
    return manage("audit", "verify")


def test_a_sealed_trail_verifies_and_rows_written_after_are_counted_as_not_yet_sealed(trail, staff):
    assert manage("audit", "seal")[0] == 0
    assert {s.table for s in Seal.objects.all()} == {"common.AuditEvent", "sims.SimEvent", "orders.OrderEvent"}
    AuditEvent.objects.create(actor=staff, action=AuditAction.SIGNED_IN, message="Signed in again.")
    code, out = verify()
    assert code == 0, out
    assert "common.AuditEvent: " in out and "1 not yet sealed; 0 mismatch(es)" in out
    assert out.strip().endswith("not yet sealed).") and "OK: Every sealed row matched" in out
    check = SealCheck.objects.get()
    assert check.matched and check.unsealed == 1 and check.sealed == sum(len(ids) for ids in trail.values())


def test_a_sealed_sim_event_changed_by_raw_sql_is_named_with_its_table_and_id(trail):
    trail_seal()
    edited = trail["sims"][-1]
    raw(f"UPDATE {SimEvent._meta.db_table} SET message = %s WHERE id = %s", "Nothing happened.", edited)
    code, out = verify()
    assert code == 1
    assert f"sims.SimEvent id {edited}: changed: differs from what was sealed" in out
    assert f"MISMATCH: 1 sealed row(s) or seal(s) do not match; the first: sims.SimEvent id {edited}: changed" in out
    assert not SealCheck.objects.get().matched


def test_a_sealed_order_event_changed_through_a_queryset_is_found(trail):
    trail_seal()
    OrderEvent.objects.filter(pk=trail["orders"][0]).update(at=timezone.now() - timedelta(days=3))
    report = trail_verify()
    assert [(m.table, m.id, m.kind) for m in report.tables[2].found] == [("orders.OrderEvent", trail["orders"][0],
                                                                         "changed")]


def test_a_deleted_sealed_row_is_named_missing(trail):
    trail_seal()
    gone = trail["audit"][1]
    raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", gone)
    code, out = verify()
    assert code == 1 and f"common.AuditEvent id {gone}: missing: sealed, and no longer in the table" in out


def test_a_row_forged_among_sealed_ids_is_named_inserted(trail, staff):
    # An id that never committed (a rolled-back transaction's) leaves a gap inside the sealed range.
    gap = AuditEvent.objects.create(actor=staff, action=AuditAction.SIGNED_IN, message="Signed in.").pk
    AuditEvent.objects.filter(pk=gap).delete()
    AuditEvent.objects.create(actor=staff, action=AuditAction.SIGNED_IN, message="Signed in.")
    trail_seal()
    raw(f"INSERT INTO {AuditEvent._meta.db_table} (id, at, actor_name, interface, message, action, subject) "
        "VALUES (%s, %s, 'boss', 'web', 'Signed in.', 'signed_in', '')", gap, timezone.now())
    code, out = verify()
    assert code == 1 and f"common.AuditEvent id {gap}: inserted: in a sealed range of ids" in out


def test_every_mismatch_is_counted_and_the_first_named(trail):
    trail_seal()
    for pk in trail["sims"]:
        SimEvent.objects.filter(pk=pk).update(after={})
    SimEvent.objects.filter(pk=trail["sims"][0]).delete()
    report = trail_verify()
    assert report.tables[1].mismatches == len(trail["sims"])
    assert (report.first.id, report.first.kind) == (trail["sims"][0], "missing")


def test_erasing_a_subscriber_after_sealing_still_verifies(world, staff, make_sim):
    sim = make_sim(1, state=SimState.TERMINATED)
    sim.subscriber = Subscriber.objects.create(name="Grace Hopper", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900123")
    sim.save()
    order = order_services.order_create(actor=staff, name="Grace Hopper", company="", address="1 Road\nLeeds",
                                        postcode="LS10 1JQ", contact_no="0113 320 3040")
    DespatchOrder.objects.filter(pk=order.pk).update(sim=sim)
    services.sim_query(sim_id=sim.pk, actor=staff)
    trail_seal()
    services.subscriber_erase(sim_id=sim.pk, actor=staff)
    report = trail_verify()
    assert report.matched, report.words()
    assert SimEvent.objects.filter(sim=sim, action=SimAction.ERASED).exists()  # written after: not yet sealed
    assert sum(t.unsealed for t in report.tables) >= 1


def test_the_actor_link_may_be_erased_but_not_changed(trail, django_user_model):
    trail_seal()
    first, second = trail["audit"][-1], trail["sims"][0]
    AuditEvent.objects.filter(pk=first).update(actor=None)  # the user row went: Django's SET_NULL
    assert trail_verify().matched
    other = django_user_model.objects.create_user(username="mallory")
    SimEvent.objects.filter(pk=second).update(actor=other)
    report = trail_verify()
    assert (report.first.table, report.first.id, report.first.kind) == ("sims.SimEvent", second, "changed")
    assert "actor_id differs" in report.first.words


def test_the_routine_checks_the_system_prunes_are_counted_not_reported(world, make_sim):
    sim = make_sim(2)
    services.sim_query(sim_id=sim.pk, actor=system_user())
    routine = SimEvent.objects.get(sim=sim, action=SimAction.QUERIED)
    trail_seal()
    assert services.checks_prune(days=0) == 1
    assert not SimEvent.objects.filter(pk=routine.pk).exists()
    report = trail_verify()
    assert report.matched and report.tables[1].pruned == 1


def test_a_seal_edited_or_deleted_is_found_and_so_are_seals_removed_since_the_last_verification(trail, staff):
    trail_seal()
    assert trail_verify().matched
    link = Seal.objects.get(table="sims.SimEvent")
    Seal.objects.filter(pk=link.pk).update(digest="0" * 64)
    assert trail_verify().first.kind == "seal altered"
    Seal.objects.filter(pk=link.pk).delete()  # the seal, and with it the proof of the rows it covered
    report = trail_verify()
    assert (report.first.table, report.first.kind) == ("sims.SimEvent", "seals removed")


def test_a_trail_sealed_with_another_key_says_so(trail, settings):
    trail_seal()
    settings.AUDIT_SEAL_KEY = "another key entirely, of some length and randomness 8f3a"
    code, out = verify()
    assert code == 1 and "other key: sealed with another key" in out


def test_rows_younger_than_the_margin_wait_and_a_late_commit_below_them_is_sealed_not_reported(world, staff,
                                                                                                  settings):
    """PostgreSQL gives ids out of commit order: a transaction holding a lower id may commit after a higher
    one. Only rows older than the margin are sealed, so the late row lands above the horizon."""
    settings.AUDIT_SEAL_MARGIN = 300
    AuditEvent.objects.update(at=timezone.now() - timedelta(minutes=10))
    old_top = AuditEvent.objects.order_by("-pk").first().pk
    in_flight = AuditEvent.objects.create(actor=staff, action=AuditAction.SIGNED_IN, message="Signed in.").pk
    AuditEvent.objects.filter(pk=in_flight).delete()  # its id taken, its transaction not committed yet
    young = AuditEvent.objects.create(actor=staff, action=AuditAction.SIGNED_IN, message="Signed in.").pk
    sealed = {s.label: s for s in trail_seal()}["common.AuditEvent"]
    assert sealed.upto == old_top  # not the young row, nor past the id still in flight
    raw(f"INSERT INTO {AuditEvent._meta.db_table} (id, at, actor_name, interface, message, action, subject) "
        "VALUES (%s, %s, 'staff', 'web', 'Signed in.', 'signed_in', '')", in_flight, timezone.now())  # commits late
    AuditEvent.objects.filter(pk__in=[in_flight, young]).update(at=timezone.now() - timedelta(minutes=10))
    assert {s.label: s for s in trail_seal()}["common.AuditEvent"].upto == young
    assert trail_verify().matched


def test_sealing_twice_adds_nothing_and_chains_each_link_to_the_one_before(trail, staff):
    trail_seal()
    assert sum(s.rows for s in trail_seal()) == 0
    AuditEvent.objects.create(actor=staff, action=AuditAction.SIGNED_IN, message="Signed in.")
    trail_seal()
    first, second = Seal.objects.filter(table="common.AuditEvent").order_by("after_id")
    assert second.after_id == first.last_id and second.count == 1
    assert trail_verify().matched


def test_the_dashboard_says_when_the_trail_was_last_verified_and_warns_on_a_mismatch(trail, agent):
    assert "The audit trail has not been verified yet" in agent.get("/").content.decode()
    trail_seal()
    trail_verify()
    page = agent.get("/").content.decode()
    assert "Audit trail: Verified 0 minutes ago" in page and "Every sealed row matched its seal" in page
    SimEvent.objects.filter(pk=trail["sims"][0]).update(message="Edited.")
    trail_verify()
    page = agent.get("/").content.decode()
    assert "The audit trail does not match its seal." in page and f"sims.SimEvent id {trail['sims'][0]}" in page


def test_the_worker_seals_every_five_minutes_and_verifies_daily_by_its_schedules():
    from django_q.models import Schedule

    from tests.conftest import make_schedules

    make_schedules()
    every = dict(Schedule.objects.filter(func__startswith="ops.seal.").values_list("func", "minutes"))
    assert every == SCHEDULES == {"ops.seal.seal_pass": 5, "ops.seal.verify_pass": 24 * 60}


def test_a_sims_timeline_marks_the_lines_not_yet_sealed(trail, agent):
    sim = SimEvent.objects.get(pk=trail["sims"][0]).sim
    assert agent.get(f"/sims/{sim.iccid}/").text.count("not yet sealed") == len(trail["sims"])
    trail_seal()
    assert "not yet sealed" not in agent.get(f"/sims/{sim.iccid}/").text


def test_two_sealers_at_once_cannot_fork_a_chain_the_second_stops(trail, monkeypatch):
    from ops.seal import sealing

    trail_seal()
    monkeypatch.setattr(sealing, "head", lambda label: None)  # the second read the head before the first sealed
    raced = {s.label: s for s in trail_seal()}["sims.SimEvent"]
    assert raced.raced and raced.rows == 0
    assert Seal.objects.filter(table="sims.SimEvent").count() == 1
    monkeypatch.undo()
    assert trail_verify().matched


def test_the_deploy_checks_warn_until_the_seal_has_a_key_of_its_own(settings):
    from ops.checks import audit_seal_key_is_its_own

    settings.AUDIT_SEAL_KEY = ""
    assert [w.id for w in audit_seal_key_is_its_own()] == ["common.W003"]
    settings.AUDIT_SEAL_KEY = "q" * 20 + "a-key-of-its-own-fifty-characters-or-more"
    assert audit_seal_key_is_its_own() == []
