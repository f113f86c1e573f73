"""Django admin's change-list rows, the same markup drawn at a column's cost, not a cell's.

Django's `items_for_result` works out again for every cell what kind of column it is (a field, an admin
method, a model attribute), builds each cell with `format_html`, and reverses and re-parses every row's
link with the list's filters: half a 50-row changelist's time. Here each column is worked out once a
page and a row is one string; the link is reversed once, a row's id put into it. Lists with editable
rows, and lists in a popup (their links carry the id for the opener), are left to Django.
`templates/admin/change_list.html` draws every changelist's rows with `{% admin_rows cl %}`."""

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import quote as url_quote

from django import template
from django.conf import settings
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.templatetags.admin_list import result_list as django_result_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (  # _get_non_gfk_field: lookup_field's own test of what a column is
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
    quote,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, formats, numberformat, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from common.admin import ID_MARK
from common.templatetags.words import escape

register = template.Library()

# What Django's reverse() leaves unescaped in an argument.
URL_SAFE = "!$&'()*+,;=/~:@"

Column = Callable[[Any], tuple[Any, str]]  # a row -> (what the cell shows, its class attribute's value)


def _field_name(name: Any, index: int) -> str:
    """The name in a cell's class (`field-NAME`): as Django's `_coerce_field_name`."""
    if callable(name):
        return f"lambda{index}" if name.__name__ == "<lambda>" else name.__name__
    return name


def _blank(value: Any) -> Any:
    return "" if isinstance(value, str) and value.strip() == "" else value


def _model_field(opts: Any, name: Any) -> models.Field | None:
    if not isinstance(name, str):
        return None
    try:
        return _get_non_gfk_field(opts, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        return None


# The format characters that depend on the date alone (a day's, a month's names), and those that depend on
# the hour and minute alone (P's "noon", "a.m.": translated).
DATE_LEVEL = frozenset("bdDEFjlLmMnNStwWyYz")
MINUTE_LEVEL = frozenset("aAfgGhHiP")


def _datetime_text(empty: str) -> Callable[[Any], Any]:
    """A date and time field's value as `display_for_field` shows it, the format's pieces split once a page.
    Django splits and unescapes the format and translates the month and "a.m." again for every cell (43 µs a
    cell, 2 ms of a 50-row list). Here a format of the date and the minute alone (the site's, "j M Y H:i")
    is drawn once for each minute a page shows; another, a day's names looked up once a day."""
    pieces = dateformat.re_formatchars.split(str(formats.get_format("DATETIME_FORMAT")))
    parts = [(bool(index % 2), piece if index % 2 else dateformat.re_escaped.sub(r"\1", piece))
             for index, piece in enumerate(pieces) if piece]
    by_minute = all(piece in DATE_LEVEL | MINUTE_LEVEL for code, piece in parts if code)
    zone = timezone.get_current_timezone()  # the page's: template_localtime asks for it again in every cell
    days: dict[tuple, str] = {}
    minutes: dict[datetime.datetime, str] = {}

    def drawn(local: datetime.datetime) -> str:
        shown, out = None, []
        for code, piece in parts:
            if not code:
                out.append(piece)
            elif piece in DATE_LEVEL:
                key = (local.date(), piece)
                if key not in days:
                    days[key] = str(getattr(dateformat.DateFormat(local), piece)())
                out.append(days[key])
            else:
                shown = shown or dateformat.DateFormat(local)
                out.append(str(getattr(shown, piece)()))
        return "".join(out)

    def text(value: Any) -> Any:
        if value is None or value == "":
            return empty
        local = value.astimezone(zone) if settings.USE_TZ and timezone.is_aware(value) else value
        if not by_minute:
            return drawn(local)
        minute = local.replace(second=0, microsecond=0)
        if minute not in minutes:
            minutes[minute] = drawn(minute)
        return minutes[minute]
    return text


def _field_column(field: models.Field, name: str, classes: str, empty: str, linked: bool) -> Column:
    """A model field's column: as items_for_result's field branch."""
    if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
        classes += " nowrap"
    if isinstance(field, models.DateTimeField) and not field.flatchoices:
        shown = _datetime_text(empty)
        return lambda row: (shown(getattr(row, name)), classes)
    if isinstance(field.remote_field, models.ManyToOneRel):
        def related(row: Any) -> tuple[Any, str]:
            value = getattr(row, field.name)
            return (empty if value is None else value), classes
        return related

    if field.flatchoices:  # a choice's label, looked up in a dict made once (Django makes it a cell)
        labels = dict(field.flatchoices)

        def chosen(row: Any) -> tuple[Any, str]:
            value = _blank(getattr(row, name))
            try:
                return labels.get(value, empty), classes
            except TypeError:  # an unhashable value: Django's own way
                return display_for_field(value, field, empty, avoid_link=linked), classes
        return chosen

    shown = _plain_text(field, empty, linked)
    return lambda row: (shown(_blank(getattr(row, name))), classes)


def _plain_text(field: models.Field, empty: str, linked: bool) -> Callable[[Any], Any]:
    """`display_for_field` for a field without choices, worked out once: a number formatted with the
    separators looked up once a page (Django looks up three a cell), text as itself; other kinds Django's."""
    if isinstance(field, (models.BooleanField, models.DecimalField, models.FileField, models.URLField,
                          models.JSONField, models.DateField, models.TimeField)):
        return lambda value: display_for_field(value, field, empty, avoid_link=linked)
    blank = field.empty_values
    if isinstance(field, (models.IntegerField, models.FloatField)):
        point, grouping, thousands = (formats.get_format(name, get_language())
                                      for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR"))
        return lambda value: empty if value in blank else numberformat.format(
            value, point, None, grouping, thousands, use_l10n=True)
    return lambda value: empty if value in blank else display_for_value(value, empty)


def _getter(model_admin: Any, name: Any) -> Callable[[Any], tuple[Any, Any]]:
    """A row -> (the attribute that says how to show it, its value): as `lookup_field` for a column
    that is not a field, worked out once."""
    if callable(name):
        return lambda row: (name, name(row))
    if name != "__str__" and hasattr(model_admin, name):
        method = getattr(model_admin, name)
        return lambda row: (method, method(row))
    return lambda row: lookup_field(name, row, model_admin)[1:]  # the model's own: left to Django


def _other_column(model_admin: Any, name: Any, classes: str, empty: str) -> Column:
    """An admin method's, a callable's or a model attribute's column: as items_for_result's other branch."""
    get = _getter(model_admin, name)
    if name == "action_checkbox":
        classes = "action-checkbox"

    def other(row: Any) -> tuple[Any, str]:
        attr, value = get(row)
        value = _blank(value)
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        if isinstance(value, str) and value and not boolean:  # what display_for_value gives a text: itself
            return value, classes
        shown = display_for_value(value, getattr(attr, "empty_value_display", empty), boolean)
        return shown, (classes + " nowrap" if isinstance(value, (datetime.date, datetime.time)) else classes)
    return other


def _change_link(cl: Any) -> Callable[[Any], str] | None:
    """A row -> its change page's address, escaped for an attribute, with the list's filters kept
    (as `cl.url_for_result` and `add_preserved_filters` make it); None where there is none."""
    opts = cl.opts
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=(ID_MARK,),
                      current_app=cl.model_admin.admin_site.name)
    except NoReverseMatch:
        return None
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": opts}, url)
    head, tail = escape(url).split(ID_MARK, 1)  # the first: the path's, before any query
    attname = cl.pk_attname

    def link(row: Any) -> str:
        pk = getattr(row, attname)
        return head + (str(pk) if type(pk) is int else escape(url_quote(str(quote(pk)), safe=URL_SAFE))) + tail
    return link


def _cell(column: Column, field_class: str, empty: str, tag: str, link: Callable[[Any], str] | None
          ) -> Callable[[Any], str]:
    def cell(row: Any) -> str:
        try:
            shown, classes = column(row)
        except ObjectDoesNotExist:
            shown, classes = empty, field_class
        text = shown.__html__() if hasattr(shown, "__html__") else escape(shown)
        if link is not None:
            text = f'<a href="{link(row)}">{text}</a>'
        return f'<{tag} class="{classes}">{text}</{tag}>'
    return cell


def row_cells(cl: Any) -> list[Callable[[Any], str]]:
    """One function a column, each drawing that column's cell of a row as Django would."""
    model_admin = cl.model_admin
    empty = model_admin.get_empty_value_display()
    links = cl.list_display_links
    change_link = _change_link(cl)
    cells, first = [], True
    for index, name in enumerate(cl.list_display):
        field_class = f"field-{_field_name(name, index)}"
        linked = links is not None and ((first and not links) or name in links)
        field = _model_field(cl.lookup_opts, name)
        if field is not None and not field.auto_created:
            column = _field_column(field, name, field_class, empty, linked)
        else:
            column = _other_column(model_admin, name, field_class, empty)
        tag = "th" if linked and first else "td"
        first = first and not linked
        cells.append(_cell(column, field_class, empty, tag, change_link if linked else None))
    return cells


def result_list(cl: Any) -> dict[str, Any]:
    """Django's `result_list` context, the rows drawn as one string for `admin/change_list_rows.html`
    (Django's template, which loops over each row's cells)."""
    if cl.formset or cl.is_popup:
        return django_result_list(cl)
    cells = row_cells(cl)
    rows = ["".join(cell(row) for cell in cells) for row in cl.result_list]
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": rows,
        # Every cell escapes what it shows unless it is marked safe already (as Django's format_html does).
        "drawn": mark_safe("".join(f"<tr>{row}</tr>\n" for row in rows)),  # noqa: S308
    }


@register.tag(name="admin_rows")
def admin_rows_tag(parser: template.base.Parser, token: template.base.Token) -> InclusionAdminNode:
    return InclusionAdminNode(parser, token, func=result_list, template_name="change_list_rows.html",
                              takes_context=False)
