"""gunicorn's settings for the web processes: `.venv/bin/gunicorn -c deploy/gunicorn.conf.py`.

The environment (or /etc/mvnoadmin/env in the systemd unit) holds the site's settings, as for
manage.py. Here only what gunicorn needs: where to listen, how many processes, and the metrics
directory every process writes its counters to (prometheus-client's multiprocess mode).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # ops.metrics, for the hooks below (no Django needed)

# Set before the application (and prometheus-client) is imported, so every worker inherits it. A
# worker cluster on this machine writes to the same directory (deploy/worker), so /metrics here
# shows its calls to aql too.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/run/mvnoadmin/metrics")

wsgi_app = "mvnoadmin.wsgi:application"
chdir = str(ROOT)
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000").split(",")  # behind the proxy that terminates TLS
workers = int(os.environ.get("WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1))
# A page that sends a command waits for aql: up to AQL_TIMEOUT (30 s) a call, two calls for a
# services change. Longer than that, so a slow gateway gives the agent aql's answer, not a 502.
timeout = int(os.environ.get("WEB_TIMEOUT", 130))
graceful_timeout = timeout  # a restart lets a page waiting for aql finish
accesslog = os.environ.get("WEB_ACCESS_LOG") or None  # "-" for stdout; usually the proxy's log is enough
errorlog = "-"


def on_starting(server: object) -> None:
    """Before the workers start: make the metrics directory and remove the counter files of
    processes that no longer run (a previous start's), keeping a live worker cluster's."""
    from ops.metrics import clear_dead

    clear_dead()


def child_exit(server: object, worker: object) -> None:
    """A web process ended: its gauges (calls under way) no longer count; its counters stay."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
