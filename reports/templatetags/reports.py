"""How a report's figure reads in its table: a count with thousands marked, a time in minutes and
seconds, and a figure that is not known said in words; and a table's body, made here in one pass (a
year by day is thousands of cells: the template language would spend 200 ms on them, this 5)."""

from html import escape  # the standard library's: Django's is lazy-aware, and ten times slower per cell

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from reports.reading import COUNT, DURATION, TEXT, Report

register = template.Library()


@register.filter
def figure(value: object, kind: str) -> str:
    if value is None:
        return "not known"
    if kind == DURATION and isinstance(value, int):
        return duration(value)
    if kind == COUNT and isinstance(value, int):
        return f"{value:,}"
    return str(value)


def duration(seconds: int) -> str:
    """4 s, 12 min 5 s, 1 h 02 min: a time as staff read it."""
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@register.simple_tag
def table_body(report: Report) -> SafeString:
    """The rows of a report's table: the first cell of each its row's heading, figures aligned right.
    Drawn once a report: a kept one is shown again as it was drawn."""
    if "body" not in report.drawn:
        report.drawn["body"] = _body(report)
    return mark_safe(report.drawn["body"])  # noqa: S308 (every value escaped in _body)


@register.simple_tag
def chart_script(report: Report) -> SafeString:
    """The report's chart as the JSON script the page's chart code reads (id chart-NAME), made once a report."""
    if "chart" not in report.drawn:
        report.drawn["chart"] = json_script(report.chart, f"chart-{report.name}")
    return mark_safe(report.drawn["chart"])  # noqa: S308 (json_script escapes)


def _body(report: Report) -> str:
    kinds = [kind for _, kind in report.columns[1:]]
    rows = []
    for head, *values in report.rows:
        cells = "".join(f"<td>{escape(figure(v, kind))}</td>" if kind == TEXT
                        else f'<td class="num">{escape(figure(v, kind))}</td>'
                        for v, kind in zip(values, kinds, strict=True))
        rows.append(f'<tr><th scope="row">{escape(head)}</th>{cells}</tr>')
    return "\n".join(rows)
