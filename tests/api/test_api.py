"""The REST API (api/v1/) against the simulator over loopback: every endpoint's success and
refusal, key scopes, idempotent replay, problem details, attribution in the audit trail."""

import pytest
from django.utils import timezone

from api import keys
from api.models import ApiKey
from common.models import AuditAction, AuditEvent
from sims import tasks
from sims.lifecycle import RequestState, SimState
from sims.models import GatewayRequest, SimEvent
from tests.conftest import IMEI, POOL, iccid

pytestmark = pytest.mark.django_db
LOST = {"reason": "lost"}  # why a suspend or a termination is asked: every one says

ADA = {"imei": IMEI, "number": POOL[3], "name": "Ada Lovelace", "address": "11-15 Hunslet Road, Leeds",
       "postcode": "LS10 1JQ", "contact_number": "0113 320 3040"}


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["instance"]
    return body


# --- keys ---------------------------------------------------------------------------------------

def test_a_call_without_a_live_key_is_401_in_problem_details(client, as_role):
    is_problem(client.get("/api/v1/sims"), 401)
    assert client.get("/api/v1/sims", HTTP_AUTHORIZATION="Bearer mvno_nope_nope")["WWW-Authenticate"] == "Bearer"
    api = as_role("Observer")
    keys.key_revoke(key_id=api.row.pk, actor=None)
    is_problem(api.get("/api/v1/sims"), 401)


def test_a_key_is_kept_only_as_a_hash_and_its_last_use_is_recorded(world, agent_api):
    row = ApiKey.objects.get(pk=agent_api.row.pk)
    assert agent_api.key not in (row.hashed, row.prefix) and agent_api.key.startswith(f"mvno_{row.prefix}_")
    assert row.last_used_at is None
    assert agent_api.get("/api/v1/sims").status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_a_key_may_do_what_its_role_may_and_a_refusal_is_403_and_recorded(world, make_sim, as_role):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    observer = as_role("Observer")
    assert observer.get(f"/api/v1/sims/{iccid(1)}").status_code == 200
    body = is_problem(observer.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST), 403)
    assert body["detail"].startswith("This key (Observer) may not activate, suspend")
    assert AuditEvent.objects.filter(action=AuditAction.FORBIDDEN, actor=observer.row.owner).exists()
    agent = as_role("Customer service")
    is_problem(agent.post(f"/api/v1/sims/{iccid(1)}/deactivate", LOST), 403)  # terminating is a Supervisor's
    assert as_role("Supervisor").post(f"/api/v1/sims/{iccid(1)}/deactivate", LOST).status_code == 202


def test_personal_details_go_only_to_a_key_whose_role_sees_them(world, make_sim, as_role, agent_api):
    agent_api.post(f"/api/v1/sims/{iccid(0)}/activate", ADA)
    assert agent_api.get(f"/api/v1/sims/{iccid(0)}").json()["subscriber"]["name"] == "Ada Lovelace"
    assert as_role("Observer").get(f"/api/v1/sims/{iccid(0)}").json()["subscriber"] is None


def test_the_key_must_not_be_an_admin_and_needs_a_name(world, django_user_model):
    from common.errors import Refused
    from tests.conftest import member_of

    owner = member_of("Admin", "boss", django_user_model)
    with pytest.raises(Refused, match="one of these roles"):
        keys.key_create(name="x", role="Admin", owner=owner, actor=owner)
    with pytest.raises(Refused, match="Name the key"):
        keys.key_create(name=" ", role="Observer", owner=owner, actor=owner)


# --- SIMs and commands ----------------------------------------------------------------------------

def test_sims_are_listed_a_page_at_a_time_with_a_cursor(world, agent_api):
    first = agent_api.get("/api/v1/sims?sort=iccid").json()
    assert [s["iccid"] for s in first["items"]] == sorted(iccid(n) for n in range(10))
    assert first["next"] is None and first["items"][0]["url"] == f"/api/v1/sims/{iccid(0)}"
    assert agent_api.get("/api/v1/sims?state=active").json()["items"] == []
    assert agent_api.get(f"/api/v1/sims?q={iccid(4)[-6:]}").json()["items"][0]["iccid"] == iccid(4)


def test_bad_query_parameters_are_422_with_the_field(world, agent_api):
    body = is_problem(agent_api.get("/api/v1/sims?state=sleepy"), 422)
    assert body["errors"][0]["field"] == "state"


def test_activation_is_202_with_the_request_to_follow_and_recorded_as_the_keys_owner(world, agent_api):
    response = agent_api.post(f"/api/v1/sims/{iccid(0)}/activate", ADA)
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"] == f"/api/v1/requests/{body['id']}"
    assert (body["command"], body["state"], body["settled"]) == ("activate", "pending", False)
    assert body["by"] == "customer-service (API key shop)"
    event = SimEvent.objects.filter(request_id=body["id"]).first()
    assert (event.interface, event.actor, event.actor_name) == ("api", agent_api.row.owner,
                                                                "customer-service (API key shop)")
    followed = agent_api.get(body["url"]).json()
    assert followed["id"] == body["id"] and followed["outcome"] == "Activate sent: aql is working on it."


def test_an_unknown_outcome_says_so_in_words_and_blocks_a_second_command(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    world.fake.force("suspend", [500])  # aql's reply is its error page: not known whether it acted
    body = agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST).json()
    assert (body["state"], body["settled"]) == ("unknown", False)
    assert "aql may still be doing this" in body["outcome"] and body["next_check_at"]
    refused = is_problem(agent_api.post(f"/api/v1/sims/{iccid(1)}/reactivate"), 409)
    assert "in progress" in refused["detail"] or "waiting" in refused["detail"] or "unknown" in refused["detail"]


def test_aql_refusing_is_422_with_each_code_in_words_next_to_its_field(world, agent_api):
    world.fake.force("activate", [63204])
    body = is_problem(agent_api.post(f"/api/v1/sims/{iccid(0)}/activate", ADA), 422)
    assert body["request"].startswith("/api/v1/requests/")
    (error,) = body["errors"]
    assert error["code"] == 63204 and error["field"] == "number" and "aql code 63204" in error["message"]


def test_bad_input_is_422_per_field_and_changes_nothing(world, agent_api):
    body = is_problem(agent_api.post(f"/api/v1/sims/{iccid(0)}/activate", {**ADA, "imei": "12", "name": "R2D2"}), 422)
    assert {e["field"] for e in body["errors"]} >= {"imei"}
    assert not GatewayRequest.objects.exists()
    body = is_problem(agent_api.post(f"/api/v1/sims/{iccid(0)}/activate", {"imei": IMEI}), 422)  # fields missing
    assert {e["field"] for e in body["errors"]} >= {"name", "number"}


def test_a_sim_not_ours_is_404(world, agent_api):
    is_problem(agent_api.get("/api/v1/sims/8944000000000009999"), 404)
    is_problem(agent_api.post("/api/v1/sims/8944000000000009999/suspend", LOST), 404)


def test_services_number_and_query(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    services = agent_api.put(f"/api/v1/sims/{iccid(1)}/services", {"services": ["mo_voice", "mt_voice"]})
    assert services.status_code == 202, services.content
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.filter(state=RequestState.PENDING).update(next_poll_at=timezone.now())
    tasks.poll_pass()
    tasks.poll_pass()
    number = agent_api.put(f"/api/v1/sims/{iccid(1)}/number", {"number": POOL[5]})
    assert number.status_code == 200 and number.json()["state"] == "success", number.content
    query = agent_api.post(f"/api/v1/sims/{iccid(1)}/query")
    assert query.status_code == 200 and query.json()["command"] == "queryiccid"
    detail = agent_api.get(f"/api/v1/sims/{iccid(1)}").json()
    assert detail["number"] == POOL[5] and detail["requests"][0]["command"] == "queryiccid"


# --- idempotency ----------------------------------------------------------------------------------

def test_the_same_idempotency_key_replays_the_first_answer_and_sends_nothing_twice(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    first = agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="k-1")
    again = agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert world.fake.count("suspend") == 1
    body = is_problem(agent_api.post(f"/api/v1/sims/{iccid(2)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="k-1"), 422)
    assert body["errors"][0]["field"] == "Idempotency-Key"


def test_a_refusal_is_replayed_too(world, agent_api):
    first = agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="k-2")  # unused: refused
    again = agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="k-2")
    assert first.status_code == again.status_code == 409 and first.json() == again.json()


def test_idempotency_keys_are_each_keys_own(world, make_sim, as_role):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    make_sim(2, SimState.ACTIVE, number=POOL[2])
    one, two = as_role("Customer service", "one"), as_role("Customer service", "two")
    assert one.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="same").status_code == 202
    assert two.post(f"/api/v1/sims/{iccid(2)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="same").status_code == 202


def test_answers_past_their_day_are_deleted_by_the_worker_and_their_keys_free_again(world, make_sim, agent_api,
                                                                                     settings):
    from api import tasks
    from api.models import IdempotentReply

    for n in (1, 2, 3):
        make_sim(n, SimState.ACTIVE, number=POOL[n])
    assert agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="k-old").status_code == 202
    assert agent_api.post(f"/api/v1/sims/{iccid(2)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="k-new").status_code == 202
    IdempotentReply.objects.filter(idempotency_key="k-old").update(
        created_at=timezone.now() - settings.API_IDEMPOTENCY_KEPT - timezone.timedelta(minutes=1))
    # Past its day and not yet deleted, the key reads as new: another request with it is done.
    assert agent_api.post(f"/api/v1/sims/{iccid(3)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="k-old").status_code == 202
    assert world.fake.count("suspend") == 3
    IdempotentReply.objects.update(created_at=timezone.now() - settings.API_IDEMPOTENCY_KEPT * 2)
    IdempotentReply.objects.filter(idempotency_key="k-new").update(created_at=timezone.now())
    assert tasks.replies_prune_pass() == 1
    assert list(IdempotentReply.objects.values_list("idempotency_key", flat=True)) == ["k-new"]


# --- the journal, batches, orders, stock -----------------------------------------------------------

def test_the_journal_lists_and_filters(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST)
    items = agent_api.get("/api/v1/requests?command=suspend").json()["items"]
    assert [r["sim"] for r in items] == [iccid(1)]
    assert agent_api.get("/api/v1/requests?view=failed").json()["items"] == []
    is_problem(agent_api.get("/api/v1/requests/999999"), 404)


def test_a_batch_is_202_and_followed_to_its_end(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    make_sim(2, SimState.ACTIVE, number=POOL[2])
    response = agent_api.post("/api/v1/batches", {"command": "suspend", **LOST, "iccids": [iccid(1), iccid(2)]})
    assert response.status_code == 202, response.content
    batch = response.json()
    assert (batch["size"], batch["progress"]["waiting"], batch["finished"]) == (2, 2, False)
    tasks.poll_pass()
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.filter(state=RequestState.PENDING).update(next_poll_at=timezone.now())
    tasks.poll_pass()
    done = agent_api.get(batch["url"]).json()
    assert (done["progress"]["succeeded"], done["finished"]) == (2, True)
    assert agent_api.get("/api/v1/batches").json()["items"][0]["id"] == batch["id"]
    body = is_problem(agent_api.post("/api/v1/batches", {"command": "suspend", **LOST,
                                                         "iccids": ["89440000000000099999"]}), 422)
    assert body["errors"][0]["field"] == "iccids"
    is_problem(agent_api.post("/api/v1/batches", {"command": "deactivate", **LOST, "iccids": [iccid(1)]}), 403)


def test_an_order_is_placed_and_followed_and_stock_is_listed(world, agent_api):
    response = agent_api.post("/api/v1/orders", {"name": "Ada Lovelace", "address": "11-15 Hunslet Road, Leeds",
                                                 "postcode": "LS10 1JQ", "contact_no": "0113 320 3040"})
    assert response.status_code == 202, response.content
    order = response.json()
    assert order["state"] in ("submitted", "processing", "despatched") and response["Location"] == order["url"]
    assert agent_api.get(order["url"]).json()["ref"] == order["ref"]
    assert agent_api.get("/api/v1/orders").json()["items"][0]["ref"] == order["ref"]
    body = is_problem(agent_api.post("/api/v1/orders", {"name": "Ada", "address": "x", "postcode": "nope",
                                                        "contact_no": "1"}), 422)
    assert "postcode" in {e["field"] for e in body["errors"]}
    assert agent_api.get("/api/v1/stock").status_code == 200


# --- the schema and its docs -------------------------------------------------------------------

def test_the_openapi_schema_and_the_docs_need_a_sign_in(client, staff):
    assert client.get("/api/v1/docs").status_code == 302
    assert client.get("/api/v1/openapi.json").status_code == 302
    client.force_login(staff)
    assert client.get("/api/v1/docs").status_code == 200
    assert "/api/v1/sims/{iccid}/activate" in client.get("/api/v1/openapi.json").json()["paths"]


def test_a_key_is_throttled_with_429_and_retry_after(world, agent_api, settings):
    from django.core.cache import cache

    cache.clear()
    from api import v1

    throttle = v1.api.throttle[0]
    throttle.num_requests = 2
    try:
        assert agent_api.get("/api/v1/sims").status_code == 200
        assert agent_api.get("/api/v1/sims").status_code == 200
        response = agent_api.get("/api/v1/sims")
        is_problem(response, 429)
        assert int(response["Retry-After"]) > 0
    finally:
        throttle.num_requests = v1.KeyThrottle().num_requests
        cache.clear()


# --- stock in, numbers, checking and settling, scheduled actions ------------------------------------

def test_sims_and_numbers_are_added_all_or_nothing(world, as_role):
    supervisor = as_role("Supervisor")
    added = supervisor.post("/api/v1/sims", {"iccids": ["89440000000000000002", "8944 0000 0000 0000 001 0"]})
    assert added.status_code == 201 and added.json() == {"added": 2}, added.content
    body = is_problem(supervisor.post("/api/v1/sims", {"iccids": ["89440000000000000028", "12"]}), 422)
    assert "Not an ICCID" in body["detail"]
    assert supervisor.post("/api/v1/numbers", {"numbers": ["0113 496 0999"]}).json() == {"added": 1}
    free = supervisor.get("/api/v1/numbers?show=available&q=0113496099").json()["items"]
    assert free == [{"number": "441134960999", "sim": None, "rests_until": None}]
    is_problem(as_role("Observer").post("/api/v1/numbers", {"numbers": ["0113 496 0998"]}), 403)


def test_an_unknown_request_is_checked_then_settled_by_a_supervisor(world, make_sim, as_role):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    agent, supervisor = as_role("Customer service"), as_role("Supervisor")
    world.fake.force("suspend", [500])
    unknown = agent.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST).json()
    assert unknown["state"] == "unknown"
    checked = agent.post(f"{unknown['url']}/check")
    assert checked.status_code in (200, 202) and checked.json()["id"] == unknown["id"]
    is_problem(agent.post(f"{unknown['url']}/settle", {"happened": False}), 403)
    body = is_problem(supervisor.post(f"{unknown['url']}/settle", {"happened": False}), 409)
    assert body["detail"] == "Ask aql about the SIM first: its answer is the evidence to settle by."
    assert supervisor.post(f"/api/v1/sims/{iccid(1)}/query").status_code == 200
    settled = supervisor.post(f"{unknown['url']}/settle", {"happened": False})
    assert settled.status_code == 200, settled.content
    assert settled.json()["settled"] and settled.json()["state"] != "unknown"


def test_scheduled_actions_are_made_moved_and_cancelled(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    when = (timezone.now() + timezone.timedelta(days=3)).replace(microsecond=0)
    made = agent_api.post("/api/v1/scheduled", {"command": "suspend", **LOST, "iccids": [iccid(1)],
                                                "due_at": when.isoformat()})
    assert made.status_code == 201, made.content
    (action,) = made.json()["items"]
    assert (action["sim"], action["state"], action["by"]) == (iccid(1), "scheduled", "customer-service (API key shop)")
    later = when + timezone.timedelta(days=1)
    moved = agent_api.patch(action["url"], {"due_at": later.isoformat()}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["due_at"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    assert agent_api.get("/api/v1/scheduled").json()["items"][0]["id"] == action["id"]
    assert agent_api.delete(action["url"]).json()["state"] == "cancelled"
    is_problem(agent_api.delete(action["url"]), 409)
    past = agent_api.post("/api/v1/scheduled", {"command": "suspend", **LOST, "iccids": [iccid(1)],
                                                "due_at": "2020-01-01T00:00:00Z"})
    is_problem(past, 422)


# --- webhook subscriptions ------------------------------------------------------------------------

def test_a_supervisor_subscribes_changes_pauses_resumes_and_removes_a_webhook(world, as_role, settings):
    settings.WEBHOOKS_ALLOW_HTTP = settings.WEBHOOKS_ALLOW_PRIVATE = True  # a receiver on this machine
    supervisor = as_role("Supervisor")
    made = supervisor.post("/api/v1/webhooks", {"target": "http://127.0.0.1:9/hook", "events": ["request.settled"]})
    assert made.status_code == 201, made.content
    sub = made.json()
    assert sub["secret"] and sub["active"] and made["Location"] == sub["url"]
    shown = supervisor.get(sub["url"]).json()
    assert "secret" not in shown and shown["target"] == "http://127.0.0.1:9/hook"
    changed = supervisor.patch(sub["url"], {"events": ["request.settled", "batch.finished"], "active": False},
                               content_type="application/json").json()
    assert changed["events"] == ["request.settled", "batch.finished"] and not changed["active"]
    assert changed["paused_reason"]
    assert supervisor.patch(sub["url"], {"active": True}, content_type="application/json").json()["active"]
    assert [s["id"] for s in supervisor.get("/api/v1/webhooks").json()["items"]] == [sub["id"]]
    assert supervisor.delete(sub["url"]).status_code == 204
    is_problem(supervisor.get(sub["url"]), 404)


def test_a_webhook_to_our_own_network_is_refused_next_to_its_field(world, as_role, settings):
    supervisor = as_role("Supervisor")
    for target in ("https://127.0.0.1/hook", "https://10.0.0.7/hook", "https://169.254.169.254/latest"):
        body = is_problem(supervisor.post("/api/v1/webhooks", {"target": target, "events": ["request.settled"]}),
                          422)
        assert body["errors"][0]["field"] == "target", body
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    body = is_problem(supervisor.post("/api/v1/webhooks", {"target": "https://127.0.0.1/hook",
                                                           "events": ["nonsense"]}), 422)
    assert body["errors"][0]["field"] == "events"


def test_only_a_supervisor_manages_webhooks(world, as_role):
    for role in ("Observer", "Customer service"):
        is_problem(as_role(role, role.lower().replace(" ", "")).get("/api/v1/webhooks"), 403)


def test_a_key_never_does_more_than_its_owner_may_now(world, make_sim, django_user_model):
    from django.contrib.auth.models import Group

    from common.errors import Refused
    from tests.conftest import member_of

    observer = member_of("Observer", "watcher", django_user_model)
    with pytest.raises(Refused, match="may not do all a Supervisor may") as refused:
        keys.key_create(name="too much", role="Supervisor", owner=observer, actor=None)
    assert refused.value.field == "role"
    supervisor = member_of("Supervisor", "boss", django_user_model)
    _, key = keys.key_create(name="ops", role="Supervisor", owner=supervisor, actor=None)
    from tests.api.conftest import KeyClient

    api = KeyClient(key)
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    supervisor.groups.set([Group.objects.get(name="Observer")])  # moved to a lesser role
    is_problem(api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST), 403)


def test_a_write_that_died_without_an_answer_is_not_run_again_for_its_key(world, make_sim, agent_api):
    from api.models import IdempotentReply

    make_sim(1, SimState.ACTIVE, number=POOL[1])
    IdempotentReply.objects.create(key=agent_api.row, idempotency_key="k-dead", fingerprint="x")
    IdempotentReply.objects.filter(idempotency_key="k-dead").update(
        created_at=timezone.now() - timezone.timedelta(minutes=10))
    same = IdempotentReply.objects.get(idempotency_key="k-dead")
    import hashlib

    path = f"/api/v1/sims/{iccid(1)}/suspend"
    same.fingerprint = hashlib.sha256(b"\n".join([b"POST", path.encode(), b'{"reason": "lost"}'])).hexdigest()
    same.save()
    body = is_problem(agent_api.post(path, LOST, HTTP_IDEMPOTENCY_KEY="k-dead"), 409)
    assert "ended without an answer: whether it did anything is not known" in body["detail"]
    assert world.fake.count("suspend") == 0


def test_a_nul_character_anywhere_is_422_before_anything_is_looked_up(world, agent_api):
    is_problem(agent_api.get("/api/v1/sims?q=ab%00cd"), 422)
    is_problem(agent_api.get("/api/v1/sims/8944%0000"), 422)
    body = is_problem(agent_api.post("/api/v1/batches", {"command": "queryiccid", "iccids": ["8944\u0000"]}), 422)
    assert "NUL" in body["detail"]


def test_services_and_number_refusals_are_422_next_to_their_field(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    body = is_problem(agent_api.put(f"/api/v1/sims/{iccid(1)}/services", {"services": ["teleport"]}), 422)
    assert body["errors"][0]["field"] == "services"
    body = is_problem(agent_api.put(f"/api/v1/sims/{iccid(1)}/number", {"number": "0113 496 0000"}), 422)
    assert body["errors"][0]["field"] == "number"
    assert not GatewayRequest.objects.filter(sim__iccid=iccid(1)).exclude(command="queryiccid").exists()
