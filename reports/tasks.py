"""The worker's roll-up pass (a django-q2 schedule: reports/migrations/0002)."""

from reports.services import rollup_pass

SCHEDULES = {"reports.tasks.rollup": 10}  # task -> every so many minutes


def rollup() -> int:
    """Count today's figures again (and any day since the last pass): the reports read them."""
    return rollup_pass()
