"""Stopping a worker cluster started as the systemd unit starts it (`deploy/worker`): a SIGTERM for
its whole process group, as Ctrl-C or a supervisor sends, ends every process of the cluster in
seconds, where django-q2 alone would hang in its stop until killed."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.demo.test_bin_demo import alive, descendants
from tests.worker.test_cluster import database_url

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def test_sigterm_to_the_workers_process_group_stops_the_whole_cluster_within_30_s(tmp_path):
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHON": sys.executable, "Q_WORKERS": "2",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}  # the sqlite default: the ORM broker
    (tmp_path / "metrics").mkdir()
    with log.open("wb") as out:
        worker = subprocess.Popen([str(ROOT / "deploy" / "worker")], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while "running." not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "running." in log.read_text(), log.read_text()
        started = descendants(worker.pid)
        assert len(started) >= 5  # the cluster, its sentinel, two workers, the monitor and the pusher

        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in started if alive(pid)], "processes of the cluster left behind"
        assert "has stopped." in log.read_text()  # stopped in order, not killed
    finally:  # whatever failed, nothing of this test's cluster outlives it
        for pid in started | descendants(worker.pid) | {worker.pid}:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)


def test_the_worker_unit_stops_the_main_process_alone_and_lets_it_stop_the_rest():
    # systemd's default (control-group) sends SIGTERM to every process of the unit at once: the hang above
    unit = (ROOT / "deploy" / "mvnoadmin-worker.service").read_text()
    assert "\nKillMode=mixed\n" in unit
