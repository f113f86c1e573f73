"""What every benchmark script does first: choose the database, keep the real gateway out of reach,
start Django.

The database is the one DATABASE_URL names in the environment, or `var/bench.sqlite3`: never the
development database, and never one named only in `.env` (settings read `.env` without
overriding what is set here).
"""

import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
# Nothing listens on port 9 (discard): a call that reaches for the gateway fails at once,
# instead of going to aql's real endpoint named in `.env`.
NO_GATEWAY = "http://127.0.0.1:9/mobile/configure_sim.php"


def database_url() -> str:
    """The database the scripts work on."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def django_setup(*, usim_url: str = NO_GATEWAY, despatch_url: str = NO_GATEWAY, username: str = "bench",
                 password: str = "") -> None:
    """Point Django at the benchmark database and the given (local) gateway, and start it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url()
    (ROOT / "var").mkdir(exist_ok=True)
    os.environ.update(AQL_USIM_URL=usim_url, AQL_DESPATCH_URL=despatch_url, AQL_USERNAME=username,
                      AQL_PASSWORD=password)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mvnoadmin.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # the figures, not every sign-in
    import django

    django.setup()
    # A 404 or 403 shows in the table as such; no log line for each of twenty runs.
    logging.getLogger("django.request").setLevel(logging.ERROR)


def vendor() -> str:
    """'sqlite' or 'postgresql' (after setup)."""
    from django.db import connection

    return connection.vendor
