"""How a report's figure reads in its table: a count with thousands marked, a time in minutes and
seconds, and a figure that is not known said in words."""

from django import template

from reports.reading import COUNT, DURATION

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


@register.filter
def kind_at(columns: list[tuple[str, str]], index: int) -> str:
    """The kind of the table's column at `index`."""
    return columns[index][1]
