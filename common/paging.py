"""Reading a list page's query string safely, and paging without COUNT(*)."""

from collections.abc import Iterable
from datetime import date

from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50
MAX_PAGE = 10_000  # deeper than anyone pages by hand; keeps the offset a number the database takes


def paginate(qs: QuerySet, page: int) -> tuple[list, bool]:
    """One page of rows and whether another follows: one query, no COUNT(*) over the table."""
    start = (max(page, 1) - 1) * PAGE_SIZE
    rows = list(qs[start:start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def page_number(request: HttpRequest) -> int:
    """The ?page= asked for, as a sane number whatever was typed."""
    try:
        return min(max(int(request.GET.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        return 1


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
