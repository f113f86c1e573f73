#!/usr/bin/env bash
# The full benchmark of issue 14 for N SIMs (default 100000) on both databases: a fresh SQLite
# file (var/bench-N.sqlite3, kept for measuring again), then a throwaway PostgreSQL 15 started
# here (trust auth on loopback, fsync off, as .ci/run does) and stopped at the end, whatever
# happens. Each is seeded by bench/seed.py and measured by bench/measure.py; extra arguments go
# to measure.py (e.g. --runs 10). The figures go to var/bench-N-sqlite.txt and
# var/bench-N-postgresql.txt as well as the screen. Run as root (runuser postgres), like .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
SIMS=${1:-100000}
shift || true
PY=${PYTHON:-.venv/bin/python}  # PYTHON=/path/to/.venv/bin/python for a checkout without its own
PGBIN=/usr/lib/postgresql/15/bin
PORT=${BENCH_PG_PORT:-54331}  # not CI's 54329: both may run on one machine
mkdir -p var

echo "=== SQLite, $SIMS SIMs"
export DATABASE_URL="sqlite:///$PWD/var/bench-$SIMS.sqlite3"
$PY bench/seed.py --sims "$SIMS" --replace | tee "var/bench-$SIMS-sqlite.txt"
$PY bench/measure.py "$@" | tee -a "var/bench-$SIMS-sqlite.txt"

echo "=== PostgreSQL, $SIMS SIMs"
PGD=$(mktemp -d /tmp/mvnoadmin-bench-pg.XXXX)
chown postgres: "$PGD"
stop_postgres() {
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PGD"
}
trap stop_postgres EXIT
runuser -u postgres -- "$PGBIN/initdb" -D "$PGD/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -t 30 \
  -o "-k $PGD -h 127.0.0.1 -p $PORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" mvnoadmin
export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/mvnoadmin"
$PY bench/seed.py --sims "$SIMS" | tee "var/bench-$SIMS-postgresql.txt"
$PY bench/measure.py "$@" | tee -a "var/bench-$SIMS-postgresql.txt"
