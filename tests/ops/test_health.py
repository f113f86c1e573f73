"""/healthz and /readyz: JSON, no sign-in, and each failure /readyz reports said in words with a 503."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from common.models import AuditAction, AuditEvent, Heartbeat
from ops import gateway, health, heartbeat, worker
from ops.models import SealCheck
from ops.seal import trail_seal, trail_verify
from tests.conftest import iccid

pytestmark = pytest.mark.django_db


@pytest.fixture
def healthy(db) -> None:
    """A worker that has just run a pass and had an answer from aql."""
    heartbeat.heartbeat(name="poll")
    heartbeat.answered_at(timezone.now())


def beat(name: str, ago: timedelta) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now() - ago})


def test_healthz_answers_without_sign_in_and_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_200_when_everything_is_well(client, healthy):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": dict.fromkeys(
        ("database", "migrations", "worker", "gateway"), "ok"), "audit_trail": {
        "verified_at": None, "matched": None,
        "words": "The audit trail has not been verified yet (manage.py audit verify; the worker does it daily)."}}


def test_readyz_says_when_the_audit_trail_was_last_verified_and_whether_it_matched(client, healthy, staff):
    AuditEvent.objects.create(actor=staff, action=AuditAction.SIGNED_IN, message="Signed in.")
    trail_seal(margin=0)
    trail_verify()
    trail = client.get("/readyz").json()["audit_trail"]
    assert trail["matched"] is True and trail["verified_at"] == SealCheck.objects.get().at.isoformat()
    assert trail["words"].startswith("Verified 0 minutes ago") and "Every sealed row matched its seal" in trail["words"]
    AuditEvent.objects.update(message="Nothing to see.")
    trail_verify()
    response = client.get("/readyz")
    assert response.status_code == 200  # shown, not a readiness check: a person looks into it
    assert response.json()["audit_trail"]["matched"] is False
    assert "common.AuditEvent id" in response.json()["audit_trail"]["words"]


def test_readyz_takes_a_few_cheap_queries(client, healthy, django_assert_max_num_queries):
    client.get("/readyz")  # the migrations are read once, then known applied
    with django_assert_max_num_queries(4):  # the last verification of the audit trail too
        assert client.get("/readyz").status_code == 200


def test_readyz_says_the_database_cannot_be_reached(client, healthy, monkeypatch):
    def down() -> None:
        raise DatabaseError("connection to server at 10.0.0.5 failed for user mvno")

    monkeypatch.setattr(connection, "ensure_connection", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "the database cannot be reached (DatabaseError)"
    assert checks["worker"] == "not checked: no database"
    assert "10.0.0.5" not in response.content.decode() and "mvno" not in response.content.decode()  # no secrets


def test_readyz_says_which_migrations_are_not_applied(client, healthy, monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    last = MigrationRecorder.Migration.objects.filter(app="common").order_by("-name").first()
    last.delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == (
        f"1 migration(s) not applied (first: common.{last.name}): run manage.py migrate")


def test_readyz_says_no_worker_has_ever_run(client, db):
    heartbeat.answered_at(timezone.now())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "no worker has ever run a pass: start one (manage.py qcluster)"


def test_readyz_says_how_long_the_worker_has_been_silent(client, healthy):
    beat("poll", timedelta(minutes=7))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == (
        "no worker has run a pass for 7 minutes: is manage.py qcluster running?")


def test_a_worker_starting_counts_as_seen(client, healthy):
    beat("poll", timedelta(minutes=30))
    beat("start", timedelta(seconds=10))
    assert client.get("/readyz").json()["checks"]["worker"] == "ok"


def test_readyz_says_the_worker_has_had_no_answer_from_aql_yet(client, db):
    heartbeat.heartbeat(name="poll")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["gateway"] == "the worker has had no answer from aql yet"


def test_readyz_says_when_aql_last_answered_once_it_is_too_long_ago(client, healthy, settings):
    settings.READYZ_GATEWAY_MINUTES = 20
    beat(heartbeat.GATEWAY, timedelta(minutes=25))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok", "migrations": "ok", "worker": "ok",
        "gateway": "the worker's last answer from aql was 25 minutes ago (more than 20): aql may be unreachable"}


def test_the_follower_records_when_aql_last_answered_it(world, settings):
    gateway.usim_client().queryiccid(iccid=iccid(1))  # answered by the simulator
    answered = gateway.last_answer()
    worker.follow(span=0)  # (which may ask aql for stock too)
    assert Heartbeat.objects.get(name=heartbeat.GATEWAY).at == gateway.last_answer() >= answered


def test_an_unanswered_call_is_no_evidence_and_an_older_answer_never_moves_it_back(world, settings):
    settings.AQL_USIM_URL = "http://127.0.0.1:9/nothing-listens-here"
    gateway.reset()
    before = gateway.last_answer()
    with pytest.raises(Exception, match="could not reach aql"):
        gateway.usim_client().queryiccid(iccid=iccid(1))
    assert gateway.last_answer() == before
    now = timezone.now()
    heartbeat.answered_at(now)
    heartbeat.answered_at(now - timedelta(minutes=5))  # another cluster's older answer
    assert Heartbeat.objects.get(name=heartbeat.GATEWAY).at == now


def test_health_probes_over_plain_http_are_not_redirected_to_https(settings, client, healthy):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 301  # it carries a token: https only
