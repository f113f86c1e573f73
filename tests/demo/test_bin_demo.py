"""`bin/demo` as a newcomer starts it: a clear error when a port is taken; a login per role, last on
the console and as the README shows it; and, on Ctrl-C or SIGTERM, exit 0 with nothing left running,
even when started in the background (which ignores SIGINT)."""

import contextlib
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import time
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Each demo owns var/demo.sqlite3 (it deletes and re-creates it), its logs there and staticfiles/
# (collectstatic): two at once, on two pytest-xdist workers, migrate one database together and fail
# ("table ... already exists"). The taken-port test stops before any of that.
# bin/demo runs on its own SQLite file whatever DATABASE_URL says: .ci/run checks it once.
pytestmark = [pytest.mark.one_at_a_time("bin-demo"), pytest.mark.one_database]


def free_port() -> int:
    """A free port below the kernel's ephemeral range (32768 and up), so that no outgoing connection
    made meanwhile (a test's, a database's) can be given it before the demo binds it."""
    while True:
        port = random.randrange(20_000, 32_000)
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind(("127.0.0.1", port))
            return port


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def said(log: Path) -> str:
    """What the demo printed so far (nothing yet, before its shell has opened the file)."""
    return log.read_text() if log.exists() else ""


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_taken_port_is_a_clear_error_before_anything_is_seeded():
    web, sim = free_port(), free_port()
    with socket.create_server(("127.0.0.1", sim)):
        result = subprocess.run(["bin/demo"], cwd=ROOT, env={**os.environ, "WEB_PORT": str(web), "SIM_PORT": str(sim)},
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"port {sim} (for the aql simulator) is taken" in result.stderr and "SIM_PORT=" in result.stderr
    assert "Seeding" not in result.stdout and "sign in as" not in result.stdout


@pytest.mark.timeout(300)
def test_sigterm_stops_a_background_demo_leaving_no_process(tmp_path):
    """...after its worker has built the seeded world's notifications and written the Supervisor's email of
    low stock (at once, by default) where the README says: var/demo-mail/, one file a message."""
    web, sim = free_port(), free_port()
    log = tmp_path / "demo.log"
    # As `bin/demo &` from a script: the shell makes a background job ignore SIGINT.
    shell = subprocess.Popen(["bash", "-c", f"bin/demo > {log} 2>&1 & echo $!; wait $!"], cwd=ROOT,
                             env={**os.environ, "WEB_PORT": str(web), "SIM_PORT": str(sim)},
                             stdout=subprocess.PIPE, text=True)
    demo = int(shell.stdout.readline())
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while "sign in as" not in said(log) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "sign in as" in said(log), said(log)
        time.sleep(2)  # the worker and the web server are starting
        started = descendants(demo)
        assert len(started) >= 3  # the simulator, the worker, the web server
        mail = ROOT / "var" / "demo-mail"
        deadline = time.monotonic() + 120  # the worker's notification pass runs every minute
        def told(emails: list[str]) -> bool:  # a file may be seen while it is still being written: read again
            return any("To: priya@example.org" in e and "Stock below its threshold" in e for e in emails)
        while not told(emails := demo_emails(mail)) and time.monotonic() < deadline:
            time.sleep(1)
        assert told(emails), emails
        os.kill(demo, signal.SIGTERM)
        assert shell.wait(timeout=60) == 0  # asked to stop, it did: not a failure
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in started if alive(pid)], "processes left behind"
        assert said(log).rstrip().endswith("mvnoadmin demo stopped.")
        for port in (web, sim):
            with socket.create_server(("127.0.0.1", port)):  # free again
                pass
    finally:  # checked above; here, whatever failed, nothing of this test's demo outlives it
        for pid in started | descendants(demo) | {demo}:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def demo_emails(folder: Path) -> list[str]:
    return [f.read_text() for f in sorted(folder.glob("*.log"))] if folder.is_dir() else []


def readme_banner(port: int) -> re.Pattern:
    """The logins as the README's demo section shows them, with the passwords, the key and the port as they come."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"^```text\n(mvnoadmin demo: .*?)^```", readme, re.MULTILINE | re.DOTALL)
    pattern = re.escape(block.group(1).replace(":8000/", f":{port}/"))
    return re.compile(pattern.replace("PASSWORD", "[A-Za-z0-9]{12}").replace("KEY", "mvno_[^']+")
                      .replace("CODE", "[0-9]{8}").replace("SECRET", "[A-Z2-7]{32}"))


def signs_in(port: int, username: str, password: str, code: str | None) -> bool:
    """Sign in on the demo's staff site as a browser would (the form, its CSRF token, the cookies), with
    the banner's recovery code where the second step asks for one."""
    browser = build_opener(HTTPCookieProcessor(CookieJar()))
    page = browser.open(f"http://127.0.0.1:{port}/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
    landed = browser.open(f"http://127.0.0.1:{port}/login/", data=form, timeout=10)  # redirects followed
    if landed.url.endswith("/accounts/2fa/authenticate/"):
        if code is None:
            return False
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', landed.read().decode()).group(1)
        form = urlencode({"code": code, "csrfmiddlewaretoken": token}).encode()
        landed = browser.open(landed.url, data=form, timeout=10)
    return landed.status == 200 and landed.url == f"http://127.0.0.1:{port}/"


@pytest.mark.timeout(360)
def test_make_demo_shows_a_login_per_role_last_each_signs_in_and_ctrl_c_ends_it_without_an_error(tmp_path):
    web, sim = free_port(), free_port()
    log = tmp_path / "demo.log"
    # As a terminal runs it: make and bin/demo in one process group, which Ctrl-C signals (both get SIGINT).
    # `-o install`: installing is not what this test is about.
    with log.open("w") as out:
        # A terminal's Ctrl-C reaches processes that take SIGINT; pytest-xdist's workers ignore it, and an
        # ignored signal is inherited (bash could not even trap it): give the demo a terminal's default.
        make = subprocess.Popen(["make", "-o", "install", "demo"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "WEB_PORT": str(web), "SIM_PORT": str(sim)}, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 180
        while "(Ctrl-C stops" not in said(log) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(3)  # whatever the web server, the worker or the simulator would still print at start-up
        text = said(log)
        banner = readme_banner(web).search(text)
        assert banner, text
        assert text.endswith(banner.group(0))  # the last thing on the console
        logins = re.findall(r"sign in as (\w+) / (\w+)  \((.+)\)", banner.group(0))
        assert [(user, role) for user, _, role in logins] == [
            ("admin", "Admin: everything, and Django admin"), ("sam", "Customer service"), ("priya", "Supervisor"),
            ("olu", "Observer")]
        codes = dict(re.findall(r"^    (\w+): recovery code (\d+)", banner.group(0), re.MULTILINE))
        assert set(codes) == {"admin", "priya"}  # Admin and Supervisor: enrolled, as production requires
        for username, password, _ in logins:
            assert signs_in(web, username, password, codes.get(username)), username
        assert '"GET /login/ HTTP/1.1" 200' in said(log) and "<socket" not in said(log)  # access lines, readable
        with sqlite3.connect(ROOT / "var" / "demo.sqlite3") as db:  # a live SIM to give a number to
            assert db.execute("SELECT count(*) FROM sims_sim WHERE state = 'active' AND number_id IS NULL"
                              ).fetchone() == (1,)

        started = descendants(make.pid)
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        make.wait(timeout=120)  # make itself ends by the signal it got, as it always does (slow on a busy machine)
        assert "Error" not in said(log) and "make: ***" not in said(log)
        assert said(log).rstrip().endswith("mvnoadmin demo stopped.")
        assert not [pid for pid in started if alive(pid)], "processes left behind"
    finally:  # whatever failed, nothing of this test's demo outlives it
        for pid in started | descendants(make.pid) | {make.pid}:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
