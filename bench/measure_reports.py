"""The reports bench/measure.py times: the roll-ups made from the whole seeded journal (what `manage.py
reports rebuild` does, once), the worker's pass, then the Reports page for each period and grouping and
each report's CSV, as a Supervisor (who sees every report)."""

import time
from datetime import timedelta
from functools import partial

from bench.measure_samples import Samples, signed_in, user
from bench.measure_timing import Bench


def reports_pages(bench: Bench, s: Samples) -> None:
    from reports.days import today
    from reports.models import Figure
    from reports.selectors import REPORTS
    from reports.services import rollup_pass, rollup_rebuild

    started = time.perf_counter()
    days = rollup_rebuild()
    took = time.perf_counter() - started
    print(f"\nreports rebuild: {days:,} days of journal counted in {took:.1f} s ({took / max(days, 1) * 1000:.0f} ms "
          f"a day); {Figure.objects.count():,} figures kept", flush=True)

    client = signed_in(user("bench-supervisor", role="Supervisor"))
    get = partial(bench.page, client)
    bench.heading(f"Reports ({s.sim_count:,} SIMs, {days:,} days rolled up)")
    bench.time("the worker's roll-up pass (yesterday and today again)", rollup_pass, paired=False)  # not a page
    year = f"range=dates&start={today() - timedelta(days=365)}&end={today()}"
    for label, query in (("last 7 days", "range=7"), ("last 30 days", "range=30"), ("last 90 days", "range=90"),
                         ("last 90 days by week", "range=90&group=week"), ("a year by month", f"{year}&group=month"),
                         ("a year by day", f"{year}&group=day")):
        get(f"Reports page, {label}", f"/reports/?{query}")
    for name in REPORTS:
        for label, query in (("last 90 days", "range=90"), ("a year by day", f"{year}&group=day")):
            url = f"/reports/{name}.csv?{query}"
            bench.time(f"{name}.csv, {label}", lambda url=url: client.get(url).content)
