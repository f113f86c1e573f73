"""The dashboard: is the worker alive, what is in flight, what needs a person, stock, open orders."""


from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from common.web import requires
from ops.heartbeat import worker_status
from ops.seal import check_age_words, last_check
from orders import selectors as order_selectors
from sims import selectors
from sims.lifecycle import SimState


@requires("sims.view_sim")
def dashboard(request: HttpRequest) -> HttpResponse:
    counts = selectors.state_counts()
    audit_check = last_check()
    context = {
        "audit_check": audit_check,
        "audit_words": check_age_words(audit_check),
        "worker": worker_status(),
        "states": [(SimState(s).label, s, n, SimState(s).colour) for s, n in counts.items()],
        "drift_full_pass": selectors.drift_full_pass(counts=counts),
        "drift_per_hour": selectors.drift_per_hour(counts=counts),
        **selectors.requests_overview(),
        "products": order_selectors.stock_latest(),
        "open_orders": order_selectors.open_orders(),
    }
    return render(request, "dashboard/dashboard.html", context)
