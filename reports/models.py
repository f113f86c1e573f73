"""The reports' daily roll-ups: one figure per day, report and key, kept by the worker so a report reads a
few hundred small rows however large the journal grows (reports.services.rollup)."""

from django.db import models


class Figure(models.Model):
    """One day's figure: e.g. (2026-03-29, "lines", "activate") = 12. Every report but "held" is made from
    the records and can be made again (`manage.py reports rebuild`); "held" (SIMs in each state at the
    day's end) is what the worker saw on the day, and a day it did not see is not known."""

    day = models.DateField(help_text="The day in the site's time zone")
    report = models.CharField(max_length=20)
    key = models.CharField(max_length=200, help_text="What is counted, e.g. a command, a reason or a code")
    value = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "day", "key"], name="figure_once")]
        # A report's period read from the index alone, values and all (a year of staff activity: 112,000 figures).
        indexes = [models.Index(fields=["report", "day", "key", "value"], name="figure_read")]
        permissions = [("view_reports", "Can see the reports"),
                       ("view_staff_activity", "Can see staff activity in the reports")]

    def __str__(self) -> str:
        return f"{self.day} {self.report} {self.key}: {self.value}"


class RolledDay(models.Model):
    """A day the worker has rolled up, and when: the next pass starts from the last of them."""

    day = models.DateField(unique=True)
    rolled_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.day} at {self.rolled_at}"
