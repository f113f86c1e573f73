"""/metrics: who may read it (a token or an allowed address), and figures that move with the work."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ops import gateway
from ops.metrics import allowed, clear_dead
from orders.services import stock_refresh
from sims import services
from sims.lifecycle import Command

pytestmark = pytest.mark.django_db


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode()) for sample in family.samples}


def value(figures: dict, name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def closed(settings) -> None:
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = "", []


def test_metrics_are_refused_without_the_token_or_an_allowed_address(client, closed):
    response = client.get("/metrics")
    assert response.status_code == 403 and b"mvnoadmin" not in response.content


def test_metrics_answer_the_bearer_token_and_refuse_a_wrong_one(client, closed, settings):
    settings.METRICS_TOKEN = "a-long-random-token"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer a-long-random-token").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer a-long-random-tokem").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic a-long-random-token").status_code == 403


def test_metrics_answer_an_address_on_the_allow_list_and_no_other(client, closed, settings):
    settings.METRICS_ALLOW = ["10.0.0.0/8", "192.168.1.7"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.8").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_no_token_set_means_no_token_is_accepted():
    assert not allowed(address="8.8.8.8", authorization="Bearer ", token="", allow=[])
    assert not allowed(address="not an address", authorization="", token="", allow=["0.0.0.0/0"])


def test_production_allows_no_address_by_default():
    import os
    import subprocess
    import sys

    env = {**os.environ, "ALLOWED_HOSTS": "mvno.example.org", "SECRET_KEY": "x" * 20 + "abcdefghij" * 4}
    env.pop("METRICS_ALLOW", None)
    out = subprocess.run([sys.executable, "-c", "from django.conf import settings; import django; django.setup(); "
                          "print(settings.METRICS_ALLOW, repr(settings.METRICS_TOKEN))"],
                         env=env | {"DJANGO_SETTINGS_MODULE": "mvnoadmin.settings"}, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[] ''"


def test_sending_a_command_moves_the_gateway_counters(client, make_sim, staff):
    sim = make_sim(1, number="44113000001")
    before = scrape(client)
    services.sim_suspend(sim_id=sim.pk, actor=staff)
    with pytest.raises(Exception, match="63003"):
        gateway.usim_client().queryiccid(iccid="8944000000000000999")  # a SIM aql does not know
    after = scrape(client)
    assert value(after, "mvnoadmin_gateway_calls_total", command="suspend", outcome="ok") == \
        value(before, "mvnoadmin_gateway_calls_total", command="suspend", outcome="ok") + 1
    assert value(after, "mvnoadmin_gateway_call_seconds_count", command="suspend") == \
        value(before, "mvnoadmin_gateway_call_seconds_count", command="suspend") + 1
    assert value(after, "mvnoadmin_gateway_calls_total", command="queryiccid", outcome="rejected") == \
        value(before, "mvnoadmin_gateway_calls_total", command="queryiccid", outcome="rejected") + 1
    assert value(after, "mvnoadmin_gateway_error_codes_total", command="queryiccid", code="63003") == \
        value(before, "mvnoadmin_gateway_error_codes_total", command="queryiccid", code="63003") + 1
    assert value(after, "mvnoadmin_requests_in_flight", state="pending") == 1  # the suspension, at aql


def test_the_deployments_figures_come_from_the_database(client, make_sim, staff):
    sims = [make_sim(n, number=f"4411300000{n}") for n in (1, 2, 3)]
    services.batch_start(sim_ids=[s.pk for s in sims[:2]], command=Command.SUSPEND, actor=staff)
    stock_refresh()
    figures = scrape(client)
    batch = next(labels for (name, labels) in figures if name == "mvnoadmin_batch_requests")
    assert value(figures, "mvnoadmin_requests_in_flight", state="to_send") == 2
    assert value(figures, "mvnoadmin_batch_requests", batch=dict(batch)["batch"], stage="waiting") == 2
    assert value(figures, "mvnoadmin_oldest_in_flight_seconds") >= 0
    assert value(figures, "mvnoadmin_requests_needing_attention") == 0
    assert any(name == "mvnoadmin_stock" and value(figures, name, **dict(labels)) > 0 for name, labels in figures)
    assert ("mvnoadmin_drift_found_last_day", ()) in figures


def test_the_multiprocess_directory_keeps_the_files_of_live_processes_only(tmp_path):
    import os

    live, dead = tmp_path / f"counter_{os.getpid()}.db", tmp_path / "counter_999999999.db"
    live.write_bytes(b""), dead.write_bytes(b"")
    assert clear_dead(str(tmp_path)) == [dead]
    assert live.exists() and not dead.exists()


def test_the_counters_of_every_process_add_up_in_multiprocess_mode(tmp_path):
    """Two processes count calls into one directory; a scrape in a third sees their sum."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = "from ops import metrics; metrics.GATEWAY_CALLS.labels('suspend', 'ok').inc()"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True)
    show = ("from prometheus_client import generate_latest; from ops import metrics; "
            "print(generate_latest(metrics.registry()).decode())")
    out = subprocess.run([sys.executable, "-c", show], env=env, check=True, capture_output=True, text=True).stdout
    assert 'mvnoadmin_gateway_calls_total{command="suspend",outcome="ok"} 2.0' in out


def test_a_worker_machine_serves_its_counters_under_the_same_rule():
    """What `manage.py metrics_serve` runs (deploy/worker, WORKER_METRICS_PORT)."""
    from wsgiref.util import setup_testing_defaults

    from ops.metrics import guarded_app

    def call(**environ: str) -> tuple[str, bytes]:
        setup_testing_defaults(environ)
        said: list[str] = []
        body = b"".join(guarded_app(token="t0ken-t0ken", allow=["10.0.0.0/8"])(
            environ, lambda status, headers: said.append(status)))
        return said[0], body

    assert call(REMOTE_ADDR="192.0.2.1")[0].startswith("403")
    assert call(REMOTE_ADDR="10.1.1.1")[0].startswith("200")
    status, body = call(REMOTE_ADDR="192.0.2.1", HTTP_AUTHORIZATION="Bearer t0ken-t0ken")
    assert status.startswith("200") and b"mvnoadmin_gateway_calls" in body
