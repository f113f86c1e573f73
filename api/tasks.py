"""The API's housekeeping, run by the worker's schedules (made by api's migrations)."""

from django.conf import settings
from django.utils import timezone

from api.models import IdempotentReply

PRUNE_REPLIES = "api.tasks.replies_prune_pass"
SCHEDULES = {PRUNE_REPLIES: 60}  # task -> every so many minutes
CHUNK = 1000


def replies_prune_pass() -> int:
    """Delete the answers kept for Idempotency-Keys once older than API_IDEMPOTENCY_KEPT (every
    key's, a revoked key's too), a thousand a transaction: every hour, so no write waits on it.
    Returns how many went."""
    expired = IdempotentReply.objects.filter(created_at__lt=timezone.now() - settings.API_IDEMPOTENCY_KEPT)
    deleted = 0
    while ids := list(expired.values_list("pk", flat=True)[:CHUNK]):
        deleted += IdempotentReply.objects.filter(pk__in=ids).delete()[0]
    return deleted
