"""Template filters that put figures into staff's words."""

import re
from datetime import datetime, timedelta
from functools import lru_cache
from html import escape as _escape

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from common.validators import phone_national

register = template.Library()


def escape(value: object) -> str:
    """Any value as HTML text: Django's escape without its lazy-string wrapper, which cost ten times the
    escaping. What Python builds a row or a link with (rows, order_rows, frame) escapes through this."""
    return _escape(str(value))


@register.filter
def duration_words(span: timedelta | None) -> str:
    """A span as people say it: "40 minutes", "6 hours", "3 days" (rounded, never "0 minutes")."""
    if span is None:
        return ""
    minutes = max(round(span.total_seconds() / 60), 1)
    for unit, size in (("day", 1440), ("hour", 60)):
        if minutes >= size * 2 or (unit == "hour" and minutes >= 90):
            count = round(minutes / size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@register.filter
def personal(value: object, perms: object) -> str:
    """A person's detail as this user may see it: whole with `sims.see_personal_details`, else
    only its last three characters at most (enough to confirm a caller's details, not to read them)."""
    return masked(value, whole=perms["sims"]["see_personal_details"])  # type: ignore[index]


def masked(value: object, *, whole: bool) -> str:
    """`personal` with the permission asked once, for a list of rows."""
    text = "" if value is None else str(value)
    if not text or whole:
        return text
    shown = min(3, len(text) // 3)  # a short value shows less, or nothing
    return "•" * max(len(text) - shown, 3) + text[len(text) - shown:]


@register.filter
def phone(value: object) -> str:
    """A UK number as staff read it, "0113 496 0000", though it is kept in aql's form (441134960000).
    Before `personal` when masked: `{{ contact|phone|personal:perms }}`."""
    return "" if value is None else phone_national(str(value))


@register.filter
def since(moment: datetime | None) -> str:
    """How long ago, as people say it: "under a minute", "5 minutes", "3 hours" (never "0 minutes")."""
    if moment is None:
        return ""
    span = timezone.now() - moment
    return "under a minute" if span < timedelta(minutes=1) else duration_words(span)


@register.filter
def thousands(number: int | None) -> str:
    """12345 -> "12,345": figures staff read at a glance."""
    return "" if number is None else f"{number:,}"


@register.filter
def get(mapping: dict | None, key: str) -> object:
    """A dictionary's value by a key the template holds in a variable ("" when there is none)."""
    return (mapping or {}).get(key, "")


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # as "M" gives them
ICCID_IN_ADDRESS = re.compile(r"[0-9]{19,20}")  # as mvnoadmin/urls.py's converter takes it
_PLACEHOLDER = "0" * 19


@lru_cache(maxsize=16)
def address_around(name: str, placeholder: str, prefix: str) -> tuple[str, str]:
    """A page's address either side of its one argument (`placeholder` stands in for it), escaped,
    reversed once per script prefix: reversed for every row, it was a tenth of a list's time."""
    before, after = reverse(name, args=[placeholder]).split(placeholder)
    return escape(before), escape(after)


@register.simple_tag
def iccid_link(iccid: str) -> SafeString:
    """A SIM's ICCID linking to its page; a row whose ICCID no address of ours can carry (one saved
    before digits of other scripts were refused) is shown, unlinked, with what to do: a list never
    fails for one bad row."""
    if not ICCID_IN_ADDRESS.fullmatch(iccid):
        return format_html('<span class="mono">{}</span> <span class="muted">(not a valid ICCID: an admin '
                           "should correct or delete this record)</span>", iccid)
    before, after = address_around("sims:sim_detail", _PLACEHOLDER, get_script_prefix())
    # Digits only (matched above), inside our own address escaped once: nothing left to escape here.
    # format_html, row after row, had cost a list more than its queries.
    return SafeString(f'<a class="mono" href="{before}{iccid}{after}">{iccid}</a>')


@register.simple_tag
def badge(label: str, colour: str) -> SafeString:
    """A state in its colour (a tag, not an include: an include costs a list a millisecond)."""
    return SafeString(f'<span class="badge badge-{escape(colour)}">{escape(label)}</span>')


@register.simple_tag
def when(moment: datetime | None, shown: str = "j M Y H:i") -> SafeString:
    """A time as a <time> element: exact for machines, in staff's words in the site's time zone for
    people (`shown` as the date filter takes it), converted once."""
    if moment is None:
        return SafeString("")
    local = timezone.localtime(moment)
    # figures and words of ours: no escaping
    return SafeString(f'<time datetime="{local.isoformat()}">{date_words(local, shown)}</time>')


def date_words(local: datetime, shown: str = "j M Y H:i") -> str:
    """A local time in staff's words, as the date filter gives it with `shown`. The lists' formats are
    written out: dateformat parses its format and builds an object for every call."""
    if shown in ("j M Y H:i", "j M H:i"):
        year = f" {local.year}" if "Y" in shown else ""
        return f"{local.day} {MONTHS[local.month - 1]}{year} {local:%H:%M}"
    return dateformat.format(local, shown)
