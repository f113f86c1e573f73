"""The API's rate limit holds across processes (api/throttle.py): two real server processes on one
database, as gunicorn's workers are, share one count per key, not one each."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from api import keys
from tests.conftest import member_of
from tests.worker.test_cluster import ROOT, database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]
RATE = 4  # a day: no window ends while the test runs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(url: str, key: str = "") -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def two_servers():
    """Two `manage.py runserver` processes on loopback, on the test database; their base URLs."""
    env = {**os.environ, "DATABASE_URL": database_url(), "API_RATE": f"{RATE}/day"}
    ports = [free_port(), free_port()]
    servers = [subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        for url in urls:
            while True:
                try:
                    status(f"{url}/healthz")
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the servers did not start"
                    time.sleep(0.2)
        yield urls
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)


def test_two_server_processes_hold_one_rate_limit_per_key_between_them(two_servers):
    _, key = keys.key_create(name="shop", role="Observer", owner=member_of("Observer", "watcher"), actor=None)
    first, second = two_servers
    answers = [status(f"{url}/api/v1/sims", key) for url in (first, second) * RATE]
    assert answers[:RATE] == [200] * RATE  # the rate's calls, half to each...
    assert answers[RATE:] == [429] * RATE  # ...and no more from either
    _, other = keys.key_create(name="crm", role="Observer", owner=member_of("Observer", "other"), actor=None)
    assert status(f"{second}/api/v1/sims", other) == 200  # each key its own count
