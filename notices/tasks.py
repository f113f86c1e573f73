"""The worker's notification pass (a django-q2 schedule, every minute: notices/migrations)."""

from notices.services import notices_build, notices_prune, notices_send_due

SCHEDULES = {"notices.tasks.notify_pass": 1}  # task -> every so many minutes (made by notices/migrations/0002)


def notify_pass() -> dict[str, int]:
    """Build the notices of what was recorded since the last pass, then send the emails now due. Safe to
    run twice or on two workers at once: neither tells anyone twice (notices.services.build, .mail)."""
    return {"made": notices_build(), "emailed": notices_send_due(), "pruned": notices_prune()}
