"""The SIM list's rows, built in Python. Drawn by the template engine, fifty rows were four fifths
of the page's time (each cell a handful of variable lookups, filters and escapes); here each row is
one format_html, with the same markup and the same words as the cells' filters give."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from common.templatetags.words import badge, iccid_link, masked, phone, when

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
