"""/metrics for Prometheus: the processes' own counters (ops.metrics: calls to aql, by command,
outcome and code, their latency) and the deployment's figures, read from the database at each
scrape by a collector (requests in flight and the age of the oldest, those needing a person, drift
found, stock by product code, open batches' progress), so every web process answers the same
whichever clusters did the work. Only for a caller with the token or from an allowed address.
"""

from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from hooks import selectors as hook_selectors
from ops import metrics as process_metrics
from ops.heartbeat import worker_status
from orders import selectors as order_selectors
from sims import selectors


class DatabaseFigures:
    """The deployment's figures, read when scraped (a custom collector: prometheus-client calls
    `collect` at each scrape). A handful of indexed queries: see the selectors' docstrings."""

    def collect(self) -> Iterator[Metric]:
        journal = selectors.journal_figures()
        in_flight = GaugeMetricFamily("mvnoadmin_requests_in_flight", "Journal requests not settled yet, by state",
                                      labels=["state"])
        for state, n in journal["in_flight"].items():
            in_flight.add_metric([state], n)
        yield in_flight
        oldest = journal["oldest_in_flight"]
        yield GaugeMetricFamily("mvnoadmin_oldest_in_flight_seconds", "Age of the oldest request not settled (0: none)",
                                value=(timezone.now() - oldest).total_seconds() if oldest else 0)
        yield GaugeMetricFamily("mvnoadmin_requests_needing_attention", "Requests in flight flagged for a person",
                                value=journal["attention"])
        yield GaugeMetricFamily("mvnoadmin_drift_found_last_day", "SIMs found to differ from aql in the last 24 hours",
                                value=journal["drift_last_day"])
        stock = GaugeMetricFamily("mvnoadmin_stock", "SIMs in stock at aql by product code, at the last check",
                                  labels=["product_code"])
        for code, quantity in order_selectors.stock_quantities().items():
            stock.add_metric([code], quantity)
        yield stock
        batches = GaugeMetricFamily("mvnoadmin_batch_requests", "Open batches' SIMs by stage",
                                    labels=["batch", "stage"])
        for batch, stages in selectors.batches_open_progress().items():
            for stage, n in stages.items():
                batches.add_metric([str(batch), stage], n)
        yield batches
        hooks = hook_selectors.delivery_figures()
        yield GaugeMetricFamily("mvnoadmin_webhook_deliveries_waiting", "Webhook deliveries not made yet (retrying)",
                                value=hooks["waiting"])
        yield GaugeMetricFamily("mvnoadmin_webhook_subscriptions_paused", "Webhook subscriptions paused (failing)",
                                value=hooks["paused"])
        status = worker_status()
        yield GaugeMetricFamily("mvnoadmin_worker_last_pass_timestamp_seconds",
                                "When a worker last finished a follower's pass (0: never)",
                                value=status.last_pass.timestamp() if status.last_pass else 0)


@login_not_required
@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The figures in Prometheus's text format, for the token or an allowed address; else 403."""
    if not process_metrics.allowed(address=request.META.get("REMOTE_ADDR", ""),
                                   authorization=request.headers.get("Authorization", ""),
                                   token=settings.METRICS_TOKEN, allow=settings.METRICS_ALLOW):
        return HttpResponse("Forbidden: metrics need the token or an allowed address.\n", status=403,
                            content_type="text/plain")
    registry = CollectorRegistry()
    registry.register(DatabaseFigures())
    body = generate_latest(process_metrics.registry()) + generate_latest(registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
