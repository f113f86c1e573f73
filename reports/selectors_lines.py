"""The reports on lines and on aql's answers: lines begun and stopped, why they were stopped, aql's
refusals by code, and unknown outcomes and how they were settled."""


from aql import codes
from reports.days import bucket, each_day
from reports.periods import Period
from reports.reading import COUNT, TEXT, Report, by_bucket, chart, figures, partly_known, period_totals
from reports.services.figures import NOT_SAID, REPLACED_END
from sims.lifecycle import SimState
from sims.reasons import StopReason

LINE_KINDS = [("activate", "Activated"), ("reactivate", "Reactivated"), ("suspend", "Suspended"),
              ("deactivate", "Terminated"), ("replace", "Replaced")]


def _line_kind(key: str) -> str:
    """The kind of line a figure counts ("suspend:lost" is a suspend); a replacement's termination of the
    old SIM none ("" is no column): the replacement is counted, once, not a line lost as well."""
    return "" if key == REPLACED_END else key.partition(":")[0]


def lines(period: Period) -> Report:
    sums = by_bucket(period, figures("lines", period), key_of=_line_kind)
    held = figures("held", period)
    # A group's active lines are those the worker saw on its last day (within the period): a day it did
    # not see is not known, and an earlier day's figure is not the group's end.
    last_day = {bucket(day, period.group): day for day in each_day(period.first, period.last)}
    last_held = {start: held[day].get(SimState.ACTIVE, 0) if day in held else None
                 for start, day in last_day.items()}
    report = Report("lines", "Lines", "Lines begun, suspended, reactivated, terminated and replaced, and the "
                    "active lines at each period's end.",
                    [("Period", TEXT), *[(label, COUNT) for _, label in LINE_KINDS], ("Active at the end", COUNT)])
    for (start, label), counts in zip(period.buckets, sums, strict=True):
        report.rows.append([label, *[None if counts is None else counts.get(k, 0) for k, _ in LINE_KINDS],
                            last_held[start]])
    labels = [row[0] for row in report.rows]
    report.chart = chart("bar", labels, [
        *[{"label": name, "data": [row[i + 1] for row in report.rows]} for i, (_, name) in enumerate(LINE_KINDS)],
        {"label": "Active at the end", "type": "line", "yAxisID": "held", "data": [row[-1] for row in report.rows]}],
        scales={"held": {"position": "right", "title": {"display": True, "text": "Active lines"}}})
    report.note = "Active lines are counted by the worker as each day goes; a day it did not see is not known."
    return report


def reasons(period: Period) -> Report:
    summed = period_totals("lines", period)
    report = Report("reasons", "Why lines were stopped", "Suspensions and terminations in the period, by the "
                    "reason given.", [("Reason", TEXT), ("Suspended", COUNT), ("Terminated", COUNT)])
    for reason, label in [*StopReason.choices, (NOT_SAID, "Not said")]:
        report.rows.append([label, summed.get(f"suspend:{reason}", 0), summed.get(f"deactivate:{reason}", 0)])
    report.chart = chart("bar", [r[0] for r in report.rows],
                          [{"label": "Suspended", "data": [r[1] for r in report.rows]},
                           {"label": "Terminated", "data": [r[2] for r in report.rows]}], indexAxis="y")
    return partly_known(report, period)


def refusals(period: Period) -> Report:
    summed = period_totals("refusals", period)
    report = Report("refusals", "aql's refusals by code", "Commands aql refused, at once or after accepting them, "
                    "by its code.", [("Code", TEXT), ("What it means", TEXT), ("Refusals", COUNT)])
    for code, n in sorted(summed.items(), key=lambda item: (-item[1], item[0])):
        meaning = "No code given" if code == "none" else codes.usim(int(code)).message
        report.rows.append([code, meaning, n])
    report.chart = chart("bar", [f"{r[1]} ({r[0]})" for r in report.rows],
                          [{"label": "Refusals", "data": [r[2] for r in report.rows]}], indexAxis="y")
    return partly_known(report, period)


UNKNOWN_KINDS = [("became", "Became unknown"), ("evidence:happened", "aql's record: it happened"),
                 ("evidence:not_happened", "aql's record: it did not"), ("by_hand:happened", "By hand: it happened"),
                 ("by_hand:not_happened", "By hand: it did not")]


def unknowns(period: Period) -> Report:
    sums = by_bucket(period, figures("unknown", period))
    report = Report("unknown", "Unknown outcomes and how they were settled", "Commands whose outcome became "
                    "unknown, and those settled: by aql's record of the SIM, or by a person who had seen it.",
                    [("Period", TEXT), *[(label, COUNT) for _, label in UNKNOWN_KINDS]])
    for (_, label), counts in zip(period.buckets, sums, strict=True):
        report.rows.append([label, *[None if counts is None else counts.get(k, 0) for k, _ in UNKNOWN_KINDS]])
    report.chart = chart("bar", [r[0] for r in report.rows],
                          [{"label": name, "data": [r[i + 1] for r in report.rows]}
                           for i, (_, name) in enumerate(UNKNOWN_KINDS)])
    return report
