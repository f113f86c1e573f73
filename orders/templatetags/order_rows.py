"""The order list's rows, built in Python as the SIM list's are (sims/templatetags/rows.py): drawn by
the template engine, fifty rows of links, masks and dates were two thirds of the page's time."""

import re

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from common.templatetags.words import address_around, badge, date_words, escape, iccid_link, masked
from orders.models import DespatchOrder

register = template.Library()

ORDER_REF = re.compile(r"[A-Z0-9-]{1,20}")  # as mvnoadmin/urls.py's converter takes it


@register.simple_tag(takes_context=True)
def order_rows(context: template.Context, orders: list[DespatchOrder]) -> SafeString:
    whole = context["perms"]["sims"]["see_personal_details"]
    return SafeString("".join(_order_row(o, whole) for o in orders))


def _order_row(o: DespatchOrder, whole: bool) -> str:
    def personal(value: str) -> str:
        return escape(masked(value, whole=whole))

    company = f", {personal(o.company)}" if o.company and o.company != o.name else ""
    sim = iccid_link(o.sim.iccid) if o.sim else ""
    return (f'<tr><td><a class="mono" href="{_order_address(o.order_ref)}">{escape(o.order_ref)}</a></td>\n'
            f"      <td>{badge(o.get_state_display(), o.colour)}</td>\n"
            f"      <td>{personal(o.name)}{company}</td><td>{personal(o.postcode)}</td>\n"
            f"      <td>{sim}</td>\n"
            f"      <td>{date_words(timezone.localtime(o.created_at))}</td></tr>\n")


def _order_address(ref: str) -> str:
    if not ORDER_REF.fullmatch(ref):
        return escape(reverse("orders:order_detail", args=[ref]))  # fails as the template's {% url %} did
    before, after = address_around("orders:order_detail", "Q9Q9Q9Q9", get_script_prefix())
    return f"{before}{ref}{after}"
