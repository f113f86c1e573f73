"""`manage.py golive`: the go-live checklist's state on this deployment, in the README's order."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils import timezone

from ops import gateway, heartbeat
from tests.conftest import PASSWORD, manage

pytestmark = pytest.mark.django_db

STEPS = [
    ("The connection to aql proves itself, changing nothing", "manage.py aql selftest"),
    ("Django's deployment checks find nothing", "manage.py check --deploy"),
    ("The SIMs in use at aql are adopted", "manage.py sim adopt"),
    ("The worker runs and is healthy", "manage.py qcluster"),
    ("The metrics token is set", "METRICS_TOKEN"),
    ("The database is backed up", "pg_dump"),
]


@pytest.fixture
def production(world, settings):
    """A deployment as it should be on the day: production's security settings, a worker that has
    just run a pass and had an answer from aql, a metrics token; SIMs held (the world's ten)."""
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    settings.AUDIT_SEAL_KEY = secrets.token_urlsafe(50)
    settings.SECURE_SSL_REDIRECT = settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True
    settings.METRICS_TOKEN = "a-token-for-prometheus"
    heartbeat.heartbeat(name="poll")
    heartbeat.answered_at(timezone.now())
    return world


def step_lines(out: str) -> list[str]:
    """The checklist's steps: each numbered line with the two under it (its words, its command)."""
    lines = out.splitlines()
    return ["\n".join(lines[n:n + 3]) for n, line in enumerate(lines) if line[:1].isdigit()]


def test_golive_prints_every_step_in_order_with_its_command(world):
    _, out = manage("golive")
    found = step_lines(out)
    assert len(found) == len(STEPS)
    for number, (line, (name, command)) in enumerate(zip(found, STEPS, strict=True), 1):
        assert line.startswith(f"{number}. ") and name in line and f"Command: {command}" in line, line


def test_a_deployment_with_every_step_it_can_see_done_exits_0(production):
    status, out = manage("golive")
    assert status == 0, out
    assert [line.split()[1] for line in step_lines(out)] == ["done"] * 5 + ["not"]
    assert "All 7 checks passed" in out and "Nothing found." in out and "10 SIMs held." in out
    assert "METRICS_TOKEN is set (not shown)" in out and "a-token-for-prometheus" not in out


def test_the_backups_are_not_known_never_guessed(production):
    _, out = manage("golive")
    assert step_lines(out)[-1].startswith("6. not known ")
    assert "Not known: check your backups" in out


def test_a_fresh_deployment_is_not_ready_and_each_step_says_why(aql_settings, settings):
    settings.METRICS_TOKEN = ""
    status, out = manage("golive")
    assert status == 1
    assert "Not ready to go live. Not done: 2 (Django's deployment checks find nothing); 3 (" in out
    assert "security.W004" in out and "run it to read each" in out
    assert "No SIM held yet" in out
    assert "worker: no worker has ever run a pass: start one (manage.py qcluster)" in out
    assert "METRICS_TOKEN is not set" in out
    assert step_lines(out)[0].startswith("1. done ")  # with no SIM held, the selftest still passes (a warning)


def test_a_failing_selftest_leaves_the_first_step_not_done_without_the_password(production, settings, caplog):
    settings.AQL_PASSWORD = "Wr0ng-Pa55word-for-golive"
    gateway.reset()
    status, out = manage("golive")
    assert status == 1
    assert step_lines(out)[0].startswith("1. not done ")
    assert "4 of 7 checks did not pass (USIM gateway accepted the username and password" in out
    for secret in ("Wr0ng-Pa55word-for-golive", PASSWORD):
        assert secret not in out + caplog.text


def test_golive_sends_aql_only_what_changes_nothing(production):
    manage("golive")
    assert sorted(call.command for call in production.fake.calls) == ["check_stock", "queryiccid"]


@pytest.mark.parametrize("command", [["golive"], ["aql", "selftest"], ["sim", "show", "8944120000000000006"]])
def test_before_migrate_the_commands_say_so_in_words_not_a_traceback(command, tmp_path):
    """A fresh install's first command, on a database not yet made: what to do, exit 1."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "manage.py", *command], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "migrat" in done.stdout + done.stderr and "run manage.py migrate" in done.stdout + done.stderr
