"""What the webhooks' figures read (the metrics endpoint): a count over an index each."""

from hooks.models import Delivery, DeliveryState, Subscription


def delivery_figures() -> dict[str, int]:
    """Deliveries still to make (each retried until made or given up), and subscriptions paused."""
    return {"waiting": Delivery.objects.filter(state=DeliveryState.PENDING).count(),
            "paused": Subscription.objects.filter(active=False).count()}
