"""What the reports' worker and command line do: keep the daily roll-ups."""

from reports.services.rollup import held_snapshot, rollup_day, rollup_pass, rollup_rebuild

__all__ = ["held_snapshot", "rollup_day", "rollup_pass", "rollup_rebuild"]
