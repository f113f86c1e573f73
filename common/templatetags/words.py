"""Template filters that put figures into staff's words."""

from datetime import datetime, timedelta

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from common.validators import phone_national

register = template.Library()


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
    text = "" if value is None else str(value)
    if not text or perms["sims"]["see_personal_details"]:  # type: ignore[index]
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


@register.simple_tag
def iccid_link(iccid: str) -> SafeString:
    """A SIM's ICCID linking to its page; a row whose ICCID no address of ours can carry (one saved
    before digits of other scripts were refused) is shown, unlinked, with what to do: a list never
    fails for one bad row."""
    try:
        return format_html('<a class="mono" href="{}">{}</a>', reverse("sims:sim_detail", args=[iccid]), iccid)
    except NoReverseMatch:
        return format_html('<span class="mono">{}</span> <span class="muted">(not a valid ICCID: an admin '
                           "should correct or delete this record)</span>", iccid)
