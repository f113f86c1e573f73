"""How bench/measure.py times an entry: warm-up, timed runs, the median and p95, the SQL of one call."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

MEDIAN_TARGET, P95_TARGET = 100.0, 250.0  # ms, issue 14
FLAG = "<< SLOW"


@dataclass
class Result:
    section: str
    label: str
    median: float
    p95: float
    queries: int
    runs: int
    sql: float  # ms the database took for the queries of one (warm) call
    note: str = ""
    ratio: float | None = None  # paired: the median against the reference's median in the same runs

    @property
    def slow(self) -> bool:
        return self.median > MEDIAN_TARGET or self.p95 > P95_TARGET


class Bench:
    """Runs entries and prints a table as it goes; keeps the results for the summary."""

    def __init__(self, runs: int, budget: float, reference: Callable[[], object] | None = None) -> None:
        """`reference` (paired mode): a call timed after each run of every entry, the SIM list's first page,
        so each entry's median is also a ratio to it under the same load: a figure that holds on any machine."""
        self.runs, self.budget, self.results, self.section, self.reference = runs, budget, [], "", reference

    def heading(self, section: str) -> None:
        self.section = section
        ratio = f" {'x ref':>6}" if self.reference else ""
        print(f"\n{section:<72} {'median':>8} {'p95':>8} {'queries':>7} {'sql':>6}{ratio}", flush=True)

    def time(self, label: str, call: Callable[[], object], before: Callable[[], None] | None = None,
             check: Callable[[object], str] | None = None, paired: bool = True) -> Result:
        """Time `call` (after `before`, untimed): a first call (not timed: it warms up and is checked),
        up to --runs timed calls, and a last one whose SQL is counted and timed. `paired=False`: no ratio
        to the reference (the worker's work, not a page)."""
        try:
            first, answer, _, _ = counted(call, before)
        except Exception as exc:  # one broken entry must not stop the others
            print(f"{label:<72} failed: {type(exc).__name__}: {exc}", flush=True)
            return self.keep(Result(self.section, label, 0, 0, 0, 0, 0, f"failed: {type(exc).__name__}"))
        note = check(answer) if check else ""
        runs = self.runs if first * self.runs <= self.budget else max(3, int(self.budget / max(first, 1e-3)))
        durations, references = [], []
        for _ in range(runs):
            if before:
                before()
            started = time.perf_counter()
            call()
            durations.append((time.perf_counter() - started) * 1000)
            if self.reference and paired:
                started = time.perf_counter()
                self.reference()
                references.append((time.perf_counter() - started) * 1000)
        _, _, queries, sql = counted(call, before)
        durations.sort()
        p95 = durations[max(0, -(-len(durations) * 95 // 100) - 1)]  # nearest rank
        median = statistics.median(durations)
        ratio = median / statistics.median(references) if references else None
        result = Result(self.section, label, median, p95, queries, runs, sql, note, ratio)
        extra = [f"{runs} run{'s' * (runs > 1)}"] if runs != self.runs else []
        extra += [note] if note else []
        extra += [FLAG] if result.slow else []
        shown = f" {ratio:6.2f}" if ratio is not None else ""
        print(f"{label[:72]:<72} {result.median:8.1f} {result.p95:8.1f} {queries:7d} {sql:6.1f}{shown}  "
              f"{'  '.join(extra)}".rstrip(), flush=True)
        return self.keep(result)

    def keep(self, result: Result) -> Result:
        self.results.append(result)
        return result

    def page(self, client, label: str, url: str | None, before: Callable[[], None] | None = None) -> Result | None:
        if url is None:
            print(f"{label[:72]:<72} (the list ends before it)")
            return None
        return self.time(label, lambda: client.get(url), before=before, check=answer_note)


FETCHING = [0.0]  # seconds spent fetching rows from the database driver (see time_fetches)


def time_fetches() -> None:
    """Django's query log times each execute, but SQLite finds most rows only as they are fetched:
    time the fetches too (in this process only), so `sql` is the database's share on both."""
    from django.db.backends.utils import CursorWrapper

    def timed(name: str) -> Callable:
        def fetch(self, *args):
            started = time.perf_counter()
            try:
                return getattr(self.cursor, name)(*args)
            finally:
                FETCHING[0] += time.perf_counter() - started
        return fetch

    for name in ("fetchone", "fetchmany", "fetchall"):
        setattr(CursorWrapper, name, timed(name))


def counted(call: Callable[[], object], before: Callable[[], None] | None) -> tuple[float, object, int, float]:
    """One call with its SQL captured: (seconds, what it returned, queries, ms the database took)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    if before:
        before()
    reset_queries()  # as each request does (request_started): the count starts from 0 either way
    FETCHING[0] = 0.0
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        answer = call()
        took = time.perf_counter() - started
    executing = sum(float(q["time"]) for q in captured.captured_queries)
    return took, answer, len(captured), (executing + FETCHING[0]) * 1000


def answer_note(response) -> str:
    """Anything but a 200 is worth saying: a redirect or an error page is not the page."""
    if response.status_code == 200:
        return ""
    where = f" to {response['Location']}" if response.has_header("Location") else ""
    return f"HTTP {response.status_code}{where}"
