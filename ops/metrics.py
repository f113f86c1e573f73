"""What each process counts of its calls to aql (prometheus-client), and who may read the figures.

Counted where every call is made (`ops.gateway.Observed`): calls by command and outcome, how
long they took, aql's error codes, calls under way. The figures of the whole deployment (requests
in flight, stock, batches...) are read from the database when /metrics is scraped
(`dashboard.metrics`): one process's counters could not know them.

Several processes (gunicorn's workers, django-q2's): with PROMETHEUS_MULTIPROC_DIR set before this
module is imported, each process writes its counters to files there and a scrape adds them up
(prometheus-client's multiprocess mode). deploy/gunicorn.conf.py and deploy/worker set it; a
worker cluster on the web machine shares the web's directory, so /metrics shows its calls too;
one on another machine serves its own with `manage.py metrics_serve`.

Importable without Django set up (gunicorn's config uses `clear_dead`).
"""

import hmac
import ipaddress
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app, multiprocess

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # made if missing: a process must not fail for want of it
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

GATEWAY_CALLS = Counter("mvnoadmin_gateway_calls", "Calls to aql, by command and outcome "
                        "(ok, rejected, unreachable, unreadable)", ["command", "outcome"])
GATEWAY_SECONDS = Histogram("mvnoadmin_gateway_call_seconds", "How long a call to aql took, answered or not",
                            ["command"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60))
GATEWAY_CODES = Counter("mvnoadmin_gateway_error_codes", "Error codes in aql's refusals, by command and code",
                        ["command", "code"])
GATEWAY_IN_PROGRESS = Gauge("mvnoadmin_gateway_calls_in_progress", "Calls to aql under way now",
                            multiprocess_mode="livesum")
WEBHOOK_ATTEMPTS = Counter("mvnoadmin_webhook_attempts", "Webhook delivery attempts, by event kind and outcome "
                           "(delivered, failed)", ["kind", "outcome"])
WEBHOOK_SECONDS = Histogram("mvnoadmin_webhook_attempt_seconds", "How long a receiver took to answer a delivery",
                            ["kind"])


def registry() -> CollectorRegistry:
    """A registry of this process's counters, or of every process's when in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        found = CollectorRegistry()
        multiprocess.MultiProcessCollector(found)
        return found
    from prometheus_client import REGISTRY

    return REGISTRY


_PID = re.compile(r"_(\d+)\.db$")


def clear_dead(directory: str | None = None) -> list[Path]:
    """Remove the counter files of processes no longer running (a previous start's) from the
    multiprocess directory, making it if needed; those of live processes stay, so a web restart
    keeps the counts of a worker cluster sharing the directory, and the other way round."""
    path = Path(directory or os.environ["PROMETHEUS_MULTIPROC_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    removed = []
    for file in path.glob("*.db"):
        match = _PID.search(file.name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            file.unlink(missing_ok=True)
            removed.append(file)
    return removed


def allowed(*, address: str, authorization: str, token: str, allow: Iterable[str]) -> bool:
    """May this caller read the figures? With the bearer `token` (compared in constant time), or
    from an address in `allow` (addresses or networks, e.g. 10.0.0.0/8). Behind a proxy the address
    is the proxy's: use the token there."""
    if token:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    try:
        caller = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(caller in ipaddress.ip_network(network, strict=False) for network in allow)


def guarded_app(*, token: str, allow: Iterable[str]) -> Callable[..., Any]:
    """A WSGI app serving this machine's counters (`registry()`) to the callers `allowed` lets in,
    403 to anyone else: what `manage.py metrics_serve` runs on a machine without the web."""
    serve, allow = make_wsgi_app(registry()), list(allow)

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not allowed(address=environ.get("REMOTE_ADDR", ""), authorization=environ.get("HTTP_AUTHORIZATION", ""),
                       token=token, allow=allow):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"Forbidden: metrics need the token or an allowed address.\n"]
        return serve(environ, start_response)

    return app
