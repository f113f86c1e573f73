"""Two workers' notification passes at once (two clusters, a re-delivered task): nobody is told twice,
and nobody is emailed twice, on SQLite and PostgreSQL."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from common.events import EventKind, emit
from notices.models import Notice
from notices.services import notices_build, notices_send_due
from notices.tasks import notify_pass
from tests.notices.conftest import Inbox

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(call: Callable[[], object], n: int = 3) -> list[object]:
    """`call` in `n` threads released together, each on its own connection; their results (or errors)."""
    barrier = threading.Barrier(n)
    results: list[object] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(call())
        except Exception as exc:  # shown in the assertion, rather than lost with the thread
            results.append(f"error: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_three_passes_at_once_tell_each_person_once_and_email_them_once(smtp: Inbox, people):
    notices_build()
    with transaction.atomic():
        for code in ("AQL-1", "AQL-2"):
            emit(EventKind.STOCK_LOW, {"product_code": code, "quantity": 3, "threshold": 50,
                                       "checked_at": "2026-12-07T10:00:00+00:00", "url": "/api/v1/stock"})
    results = at_once(notify_pass)
    assert not [r for r in results if isinstance(r, str)], results
    assert Notice.objects.count() == 8  # two events, four people: each once, by whichever pass got there
    assert [m["To"] for m in smtp.messages] == ["supervisor@example.org"]  # one email, both lines
    assert smtp.body(smtp.messages[0]).count("\n- ") == 2
    assert notices_send_due() == 0 and notices_build() == 0
