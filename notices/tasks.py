"""The worker's notification pass (a django-q2 schedule, every minute: notices/migrations)."""

from notices.services import notices_build, notices_send_due


def notify_pass() -> dict[str, int]:
    """Build the notices of what was recorded since the last pass, then send the emails now due. Safe to
    run twice or on two workers at once: neither tells anyone twice (notices.services.build, .mail)."""
    return {"made": notices_build(), "emailed": notices_send_due()}
