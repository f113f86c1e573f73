"""The rows of the SIM list and of the journal, built in Python. Drawn by the template engine, fifty
rows were most of each page's time (each cell a handful of variable lookups, filters and escapes);
here each row is one format_html, with the same markup and the same words as the cells' filters
give. A cell's markup is a constant beside the function that fills it."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from common.templatetags.words import badge, iccid_link, masked, phone, since, when
from sims.lifecycle import RequestState
from sims.models import GatewayRequest

register = template.Library()

TICK = ('<td><input type="checkbox" name="sim" value="{}" form="batch-form" id="tick-{}" hx-preserve '
        'aria-label="Tick SIM {} for a batch"></td>')
IN_FLIGHT = ' <span class="muted">· {} in progress</span>'
ROW = '<tr>{}<td>{}</td><td>{}{}</td><td class="mono">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n'


@register.simple_tag(takes_context=True)
def sim_rows(context: template.Context, sims: list, ticks: bool) -> SafeString:
    whole = context["perms"]["sims"]["see_personal_details"]
    return format_html_join("", ROW, (
        (format_html(TICK, sim.pk, sim.pk, sim.iccid) if ticks else "",
         iccid_link(sim.iccid),
         badge(sim.get_state_display(), sim.colour),
         format_html(IN_FLIGHT, sim.in_flight_label) if sim.in_flight_label else "",
         phone(sim.number) or "–",
         masked(sim.subscriber.name if sim.subscriber else None, whole=whole) or "–",
         masked(sim.subscriber.postcode if sim.subscriber else None, whole=whole),
         when(sim.updated_at))
        for sim in sims))


REQUEST_ROW = ('<tr><td>{}{}</td><td>{}</td><td>{}{}</td><td>{}{}</td><td class="text">{}{}</td><td>{}</td>'
               '<td>{}{}</td></tr>\n')
SENT_AGO = '<br><small class="muted">{} ago</small>'
WHY = '<br><small class="muted">why: {}</small>'
CHECK = ('<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
         '<input type="hidden" name="next" value="{}"><button type="submit">Check now</button></form>')
SETTLE = '<a href="{}">Settle by hand…</a>'


@register.simple_tag(takes_context=True)
def request_rows(context: template.Context, requests: list) -> SafeString:
    perms, here = context["perms"], context["request"].get_full_path()
    can_check, can_settle = perms["sims"]["provision_sim"], perms["sims"]["settle_request"]
    return format_html_join("", REQUEST_ROW, (
        (when(r.created_at, "j M H:i"), format_html(SENT_AGO, since(r.created_at)) if r.in_flight else "",
         iccid_link(r.sim.iccid),
         r.get_command_display(), format_html(WHY, r.get_reason_display().lower()) if r.reason else "",
         badge(r.get_state_display(), r.colour),
         SafeString(' <span class="warn">needs attention</span>') if r.needs_attention else "",
         _answer(r), format_html("<div>Not sent: {}</div>", r.why_not_sent) if r.why_not_sent else "",
         r.actor_name,
         format_html(CHECK, reverse("sims:request_check", args=[r.pk]), context.get("csrf_token"), here)
         if r.in_flight and r.state != RequestState.TO_SEND and can_check else "",
         format_html(SETTLE, reverse("sims:request_resolve", args=[r.pk]))
         if r.state == RequestState.UNKNOWN and can_settle else "")
        for r in requests))


def _answer(r: GatewayRequest) -> SafeString:
    """aql's codes in words, or the request id it gave, or nothing yet."""
    if meanings := r.code_meanings:
        return format_html_join("", "<div>{}</div>", ((m,) for m in meanings))
    return format_html("request {}", r.aql_id) if r.aql_id else SafeString("")
