"""`bin/demo` as a newcomer starts it: a clear error when a port is taken, and nothing left running
after SIGTERM, even when started in the background (which ignores SIGINT)."""

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.timeout(180)
def test_sigterm_stops_a_background_demo_leaving_no_process(tmp_path):
    web, sim = free_port(), free_port()
    log = tmp_path / "demo.log"
    # As `bin/demo &` from a script: the shell makes a background job ignore SIGINT.
    shell = subprocess.Popen(["bash", "-c", f"bin/demo > {log} 2>&1 & echo $!; wait"], cwd=ROOT,
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
        os.kill(demo, signal.SIGTERM)
        shell.wait(timeout=60)
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
