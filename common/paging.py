"""Reading a list page's query string safely, and paging by seeking (keyset), without COUNT(*)
or OFFSET: the next page starts after the last row shown, found through the index the list is
sorted by, so page 10,000 costs what page 1 does."""

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Field, Model, Q, QuerySet
from django.db.models.sql.where import WhereNode
from django.http import HttpRequest
from django.utils import timezone

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, and the tokens of the pages either side ("" when none)."""

    rows: list = field(default_factory=list)
    next: str = ""
    previous: str = ""


def cursor(request: HttpRequest) -> str:
    """The ?cursor= of the page asked for (a token made by `seek`; what else was typed reads as none)."""
    return request.GET.get("cursor", "")[:500]


def seek(qs: QuerySet, order: tuple[str, ...], token: str = "") -> Page:
    """One page of `qs` sorted by `order` (its last key unique, like "pk"), starting after (or
    ending before) the row `token` names: ranges of the sort's index for the ids, then the rows.
    A token that is not one of ours, or is stale, gives the first page."""
    keys = [(name.lstrip("-"), name.startswith("-")) for name in order]
    forward, values = _read(token, qs.model, keys)
    way = order if forward else _reversed(order)
    if values is None:
        ids = _first_ids(qs, way, PAGE_SIZE + 1)
    else:
        ids = []
        for step in _ranges(keys, values, forward):
            ids += _first_ids(qs.filter(step), way, PAGE_SIZE + 1 - len(ids))
            if len(ids) > PAGE_SIZE:
                break
    rows = rows_by_id(qs, ids)
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    if not forward:
        if not more:  # back at the start: the first page, full
            return seek(qs, order)
        rows.reverse()
    if not rows:
        return Page()
    first, last = _token(rows[0], keys, ahead=False), _token(rows[-1], keys, ahead=True)
    if forward:
        return Page(rows, next=last if more else "", previous=first if values is not None else "")
    return Page(rows, next=last, previous=first)


def every_row(qs: QuerySet, size: int = 2000) -> Iterator:
    """Every row of `qs` in id order, a page of `size` at a time by seeking: a million rows stream
    in little memory, and no cursor or transaction stays open while a slow client reads."""
    after = None
    while page := list((qs if after is None else qs.filter(pk__gt=after)).order_by("pk")[:size]):
        yield from page
        after = page[-1].pk


def _first_ids(qs: QuerySet, order: Sequence[str], n: int) -> list:
    return list(qs.order_by(*order).values_list("pk", flat=True)[:n])


def rows_by_id(qs: QuerySet, ids: list) -> list:
    """The rows of `qs` with these ids, in their order."""
    if not ids:
        return []
    rows = qs.order_by()
    # The ids are the whole filter now. Kept, the list's own conditions misled SQLite (no statistics:
    # it takes an equality on any index to match a few rows) into walking, say, every staff success
    # by its index to find these 51, instead of looking each up by id: 430 ms at a million SIMs.
    rows.query.where = WhereNode()
    found = {row.pk: row for row in rows.filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def _reversed(order: Sequence[str]) -> list[str]:
    return [name[1:] if name.startswith("-") else f"-{name}" for name in order]


def _ranges(keys: list[tuple[str, bool]], values: list[Any], forward: bool) -> Iterator[Q]:
    """The rows after (forward) or before the sort key `values`, as ranges in the sort's order, the
    nearest first: for keys (a, b), a = x and b > y, then a > x. Each is equalities and one bound,
    a single range of the sort's index on both databases. Written as one condition, (a > x) or
    (a = x and b > y), both bound the scan by a >= x only: page 10,000 of the SIMs by state walked
    500,000 entries. A row comparison, (a, b) > (x, y), would serve PostgreSQL but not SQLite 3.40."""
    for i in reversed(range(len(keys))):
        name, descending = keys[i]
        same = {prev: value for (prev, _), value in zip(keys[:i], values[:i], strict=True)}
        yield Q(**same, **{f"{name}__{'lt' if descending == forward else 'gt'}": values[i]})


def _field(model: type[Model], path: str) -> Field:
    *related, last = path.split("__")
    for name in related:
        model = model._meta.get_field(name).related_model
    return model._meta.pk if last == "pk" else model._meta.get_field(last)


def _token(row: Model, keys: list[tuple[str, bool]], *, ahead: bool) -> str:
    values = []
    for name, _ in keys:
        value = row
        for part in name.split("__"):
            value = getattr(value, part)
        values.append(value)
    raw = json.dumps([ahead, values], default=_exact, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _exact(value: object) -> str:
    """Times to the microsecond (DjangoJSONEncoder keeps milliseconds: rows would be skipped)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in a page token")


def _read(token: str, model: type[Model], keys: list[tuple[str, bool]]) -> tuple[bool, list[Any] | None]:
    if not token:
        return True, None
    try:
        ahead, raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(ahead, bool) or not isinstance(raw, list) or len(raw) != len(keys):
            return True, None
        if any(not isinstance(value, int | str) or isinstance(value, bool) for value in raw):
            return True, None  # our tokens hold whole numbers and text only (times as text)
        values = [_field(model, name).to_python(value) for (name, _), value in zip(keys, raw, strict=True)]
        if not all(map(_sane, values)):
            return True, None
    except (ValueError, TypeError, OverflowError, binascii.Error, ValidationError, FieldDoesNotExist,
            UnicodeDecodeError):
        return True, None
    return ahead, values


def _sane(value: object) -> bool:
    """A value a database takes in a comparison: a token is typed by anyone, so nothing a query would choke on."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return -(2 ** 63) <= value < 2 ** 63
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, datetime):  # aware, and still a time once in UTC (else: OverflowError)
        return timezone.is_aware(value) and value.astimezone(UTC).year > 1
    return isinstance(value, date)


def search_text(request: HttpRequest, name: str = "q") -> str:
    """A typed search, tidied: no NUL characters (PostgreSQL refuses them), at most 100 characters."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:100]


def choice(request: HttpRequest, name: str, allowed: Iterable[str], default: str = "") -> str:
    """A query parameter that must be one of `allowed`; anything else reads as `default`, so a
    hand-edited URL never reaches a query."""
    value = request.GET.get(name, default)
    return value if value in allowed else default


def parse_date_or_none(request: HttpRequest, name: str) -> date | None:
    """A ?name=YYYY-MM-DD as a date; anything else (nothing, nonsense, a year 0) as no date."""
    try:
        return date.fromisoformat(request.GET.get(name, "")[:10])
    except ValueError:
        return None
