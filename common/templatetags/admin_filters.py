"""Django admin's filter sidebar, each filter of the usual kind drawn in Python with the markup of Django's
`admin/filter.html` (a template render a filter: 1 ms of the SIMs' eight); a filter with a template of its
own is rendered by it, as Django does. `templates/admin/change_list.html` uses it."""

from typing import Any

from django import template
from django.template.loader import get_template
from django.utils.encoding import iri_to_uri
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from common.templatetags.words import escape

register = template.Library()

DJANGOS = "admin/filter.html"


SELECTED = ' class="selected"'


def _drawn(spec: Any, choices: list[dict[str, Any]]) -> str:
    items = "".join(f'<li{SELECTED if choice["selected"] else ""}>'
                    f'<a href="{escape(iri_to_uri(choice["query_string"]))}">{escape(choice["display"])}</a></li>'
                    for choice in choices)
    title = escape(spec.title)
    by = escape(gettext(" By %(filter_title)s ") % {"filter_title": spec.title})
    return f'<details data-filter-title="{title}" open><summary>{by}</summary><ul>{items}</ul></details>'


@register.simple_tag
def admin_filters(cl: Any) -> str:
    """Every filter of the list `cl`, as `{% for spec in cl.filter_specs %}{% admin_list_filter cl spec %}`."""
    out = []
    for spec in cl.filter_specs:
        choices = list(spec.choices(cl))
        if spec.template == DJANGOS:
            out.append(_drawn(spec, choices))
        else:
            out.append(get_template(spec.template).render({"title": spec.title, "choices": choices, "spec": spec}))
    return mark_safe("\n".join(out))  # noqa: S308 (drawn escaped above, or a template's own output)
