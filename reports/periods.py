"""The period a report covers (last 7, 30 or 90 days, or chosen dates) and how its days are grouped
(by day, week or month): a form, so a bad date gets its message next to its field."""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from django import forms

from reports.days import DAY, MONTH, WEEK, bucket, bucket_label, each_day, today
from reports.models import RolledDay

LONGEST = 366  # days a report may cover at once


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    group: str

    @cached_property
    def buckets(self) -> list[tuple[date, str]]:
        """Each group's first day and its name, in order, empty groups included (made once a period)."""
        seen: dict[date, str] = {}
        for day in each_day(self.first, self.last):
            start = bucket(day, self.group)
            seen.setdefault(start, bucket_label(start, self.group))
        return list(seen.items())

    @cached_property
    def rolled(self) -> set[date]:
        """The days the worker has rolled up (asked once: every report of the page reads them)."""
        return set(RolledDay.objects.filter(day__gte=self.first, day__lte=self.last).values_list("day", flat=True))

    def query(self) -> str:
        """The period as a query string (the CSV links repeat it)."""
        return f"start={self.first:%Y-%m-%d}&end={self.last:%Y-%m-%d}&range=dates&group={self.group}"


class PeriodForm(forms.Form):
    range = forms.ChoiceField(choices=[("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"),
                                       ("dates", "Dates…")], initial="30", required=False, label="Period")
    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    group = forms.ChoiceField(choices=[(DAY, "By day"), (WEEK, "By week"), (MONTH, "By month")], initial=DAY,
                              required=False, label="Group")

    def clean(self) -> dict:
        data = super().clean()
        now = today()
        data["group"] = data.get("group") or DAY
        chosen = data.get("range") or "30"
        if chosen != "dates":
            data["period"] = Period(now - timedelta(days=int(chosen) - 1), now, data["group"])
            return data
        start, end = data.get("start"), data.get("end")
        if start is None and "start" not in self.errors:
            self.add_error("start", "Choose the first day of the period.")
        if end is None and "end" not in self.errors:
            self.add_error("end", "Choose the last day of the period.")
        if start is None or end is None:
            return data
        if end > now:
            self.add_error("end", f"The period cannot end after today ({now:%d %b %Y}).")
        elif start > end:
            self.add_error("start", "The first day comes after the last: swap them.")
        elif (end - start).days + 1 > LONGEST:
            self.add_error("start", f"A report covers at most {LONGEST} days: choose a later first day.")
        else:
            data["period"] = Period(start, end, data["group"])
        return data


def period_from(params: dict) -> tuple[PeriodForm, Period | None]:
    """The form bound to the page's query (its defaults when there is none) and the period, if valid."""
    form = PeriodForm({"range": "30", "group": DAY, **{k: v for k, v in params.items() if v}})
    return form, form.cleaned_data.get("period") if form.is_valid() else None
