"""The rows of the SIM list and of the journal, built in Python. Drawn by the template engine, fifty
rows were most of each page's time (each cell a handful of variable lookups, filters and escapes);
format_html a cell was still most of it (13 µs a call, five a row). Here a row is one f-string, with
the same markup and words the cells' filters give; what is not ours (names, postcodes, numbers, aql's
words) goes through `escape`, and what is (states, commands, our addresses) is known to need none."""

from django import template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString

from common.templatetags.words import address_around, badge, escape, iccid_link, masked, phone, since, when
from sims import reasons
from sims.lifecycle import RequestState
from sims.models import GatewayRequest

register = template.Library()


@register.simple_tag(takes_context=True)
def sim_rows(context: template.Context, sims: list, ticks: bool) -> SafeString:
    whole = context["perms"]["sims"]["see_personal_details"]
    return SafeString("".join(_sim_row(sim, ticks, whole) for sim in sims))


def _sim_row(sim: object, ticks: bool, whole: bool) -> str:
    tick = (f'<td><input type="checkbox" name="sim" value="{sim.pk}" form="batch-form" id="tick-{sim.pk}" '
            f'hx-preserve aria-label="Tick SIM {escape(sim.iccid)} for a batch"></td>') if ticks else ""
    busy = f' <span class="muted">· {escape(sim.in_flight_label)} in progress</span>' if sim.in_flight_label else ""
    who = sim.subscriber
    name = masked(who.name if who else None, whole=whole) or "–"
    postcode = masked(who.postcode if who else None, whole=whole)
    return (f'<tr>{tick}<td>{iccid_link(sim.iccid)}</td><td>{badge(sim.get_state_display(), sim.colour)}{busy}</td>'
            f'<td class="mono">{escape(phone(sim.number) or "–")}</td><td>{escape(name)}</td>'
            f'<td>{escape(postcode)}</td><td>{when(sim.updated_at)}</td></tr>\n')


CHECK = ('<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
         '<input type="hidden" name="next" value="{}"><button type="submit">Check now</button></form>')


@register.simple_tag(takes_context=True)
def request_rows(context: template.Context, requests: list) -> SafeString:
    perms, here = context["perms"], escape(context["request"].get_full_path())
    can_check, can_settle = perms["sims"]["provision_sim"], perms["sims"]["settle_request"]
    token = escape(context.get("csrf_token"))
    return SafeString("".join(_request_row(r, here, token, can_check, can_settle) for r in requests))


def _request_row(r: GatewayRequest, here: str, token: str, can_check: bool, can_settle: bool) -> str:
    ago = f'<br><small class="muted">{since(r.created_at)} ago</small>' if r.in_flight else ""
    why = f'<br><small class="muted">why: {escape(reasons.said(r.reason))}</small>' if r.reason else ""
    attention = ' <span class="warn">needs attention</span>' if r.needs_attention else ""
    not_sent = f"<div>Not sent: {escape(r.why_not_sent)}</div>" if r.why_not_sent else ""
    check = (CHECK.format(_address("sims:request_check", r.pk), token, here)
             if r.in_flight and r.state != RequestState.TO_SEND and can_check else "")
    settle = (f'<a href="{_address("sims:request_resolve", r.pk)}">Settle by hand…</a>'
              if r.state == RequestState.UNKNOWN and can_settle else "")
    state = badge(r.get_state_display(), r.colour)
    return (f'<tr><td>{when(r.created_at, "j M H:i")}{ago}</td><td>{iccid_link(r.sim.iccid)}</td>'
            f'<td>{escape(r.get_command_display())}{why}</td><td>{state}{attention}</td>'
            f'<td class="text">{_answer(r)}{not_sent}</td><td>{escape(r.actor_name)}</td><td>{check}{settle}</td>'
            '</tr>\n')


def _address(name: str, pk: int) -> str:
    """A request's page, by its id (reversed once: fifty reverses were a fifth of the journal's time)."""
    before, after = address_around(name, "987654321", get_script_prefix())
    return f"{before}{pk}{after}"


def _answer(r: GatewayRequest) -> str:
    """aql's codes in words, or the request id it gave, or nothing yet."""
    if meanings := r.code_meanings:
        return "".join(f"<div>{escape(m)}</div>" for m in meanings)
    return f"request {escape(r.aql_id)}" if r.aql_id else ""
