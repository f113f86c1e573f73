"""The dashboard: is the worker alive, what is in flight, what needs a person, stock, open orders."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from orders import selectors as order_selectors
from sims import selectors
from sims.lifecycle import STATE_COLOURS, SimState
from sims.models import FAILURES, IN_FLIGHT, GatewayRequest, Heartbeat

WORKER_SILENT_AFTER = timedelta(minutes=3)  # the polling pass runs every minute
COUNTS_CACHE_SECONDS = 60  # SIMs by state is a GROUP BY over every SIM: not on every view


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    beat = Heartbeat.objects.filter(name="poll").values_list("at", flat=True).first()
    counts = cache.get_or_set("dashboard:state_counts", selectors.state_counts, COUNTS_CACHE_SECONDS)
    in_flight = GatewayRequest.objects.filter(state__in=IN_FLIGHT)
    context = {
        "worker_last_pass": beat,
        "worker_silent": beat is None or now - beat > WORKER_SILENT_AFTER,
        "states": [(SimState(s).label, s, n, STATE_COLOURS[SimState(s)]) for s, n in counts.items()],
        "in_flight_count": in_flight.count(),
        "oldest_in_flight": list(in_flight.select_related("sim").order_by("created_at")[:8]),
        "attention": list(in_flight.filter(needs_attention=True).select_related("sim").order_by("created_at")[:8]),
        "recent_failures": list(
            GatewayRequest.objects.filter(state__in=FAILURES, settled_at__gte=now - timedelta(days=1))
            .select_related("sim").order_by("-settled_at")[:8]),
        "products": order_selectors.stock_latest(),
        "open_orders": order_selectors.open_orders(),
    }
    return render(request, "dashboard/dashboard.html", context)
