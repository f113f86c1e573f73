"""Django admin's list of apps and their models (the index page's, and the navigation sidebar's on every
admin page), the markup of Django's `admin/app_list.html` drawn in Python: the template took about 12 ms
of every admin page for thirty-odd models, more than the rest of a changelist's rows and filters."""

from typing import Any
from urllib.parse import quote

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from common.templatetags.words import escape

register = template.Library()


def _model_row(app_label: str, model: dict[str, Any], path: str, show_changelinks: bool) -> str:
    name = model["object_name"].lower()
    label = escape(f"{app_label}-{name}")
    url = model.get("admin_url")
    here = bool(url) and url in path
    shown = escape(model["name"])
    current = ' aria-current="page"' if here else ""
    heading = f'<a href="{escape(url)}"{current}>{shown}</a>' if url else shown
    add = model.get("add_url")
    cells = [f'<th scope="row" id="{label}">{heading}</th>',
             f'<td><a href="{escape(add)}" class="addlink" aria-describedby="{label}">{escape(gettext("Add"))}</a></td>'
             if add else "<td></td>"]
    if show_changelinks:
        kind, word = ("viewlink", "View") if model.get("view_only") else ("changelink", "Change")
        cells.append(f'<td><a href="{escape(url)}" class="{kind}" aria-describedby="{label}">'
                     f"{escape(gettext(word))}</a></td>" if url else "<td></td>")
    return f'<tr class="model-{escape(name)}{" current-model" if here else ""}">{"".join(cells)}</tr>'


@register.simple_tag
def app_list(apps: list[dict[str, Any]], path: str, show_changelinks: bool = False) -> str:
    """Django's `admin/app_list.html` for `apps` (each site's get_app_list), the page at `path`. A kept list
    (common.admin's, with a `drawn` dict) keeps what it drew for each place in it: the names are lazy
    translations, a hundred a page."""
    if not apps:
        return mark_safe(f"<p>{escape(gettext('You don’t have permission to view or edit anything.'))}</p>")  # noqa: S308
    path = quote(path, safe="/")  # as the template's request.path|urlencode
    drawn = getattr(apps, "drawn", None)
    if drawn is None:
        return mark_safe(_draw(apps, path, show_changelinks))  # noqa: S308 (every value escaped in _draw)
    # What the markup depends on of the path: which addresses of the list it holds (the current app and model).
    here = tuple(url for app in apps for url in (app["app_url"], *(m.get("admin_url") for m in app["models"]))
                 if url and url in path)
    if (show_changelinks, here) not in drawn:
        drawn[show_changelinks, here] = _draw(apps, path, show_changelinks)
    return mark_safe(drawn[show_changelinks, here])  # noqa: S308 (every value escaped in _draw)


def _draw(apps: list[dict[str, Any]], path: str, show_changelinks: bool) -> str:
    heads = (f'<thead class="visually-hidden"><tr><th scope="col">{escape(gettext("Model name"))}</th>'
             f'<th scope="col">{escape(gettext("Add link"))}</th>'
             f'<th scope="col">{escape(gettext("Change or view list link"))}</th></tr></thead>')
    out = []
    for app in apps:
        label = app["app_label"]
        title = gettext("Models in the %(name)s application") % {"name": app["name"]}
        rows = "".join(_model_row(label, model, path, show_changelinks) for model in app["models"])
        out.append(f'<div class="app-{escape(label)} module{" current-app" if app["app_url"] in path else ""}"><table>'
                   f'<caption><a href="{escape(app["app_url"])}" class="section" title="{escape(title)}">'
                   f'{escape(app["name"])}</a></caption>{heads}{rows}</table></div>')
    return "\n".join(out)
