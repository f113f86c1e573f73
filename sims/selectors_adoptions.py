"""Reads of adoptions: where their ICCIDs stand, by what aql said and what we did, their rows a page
at a time, and the adoption in one line of words. Each a fixed number of queries, whatever it holds."""

from datetime import timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from common.paging import Page, seek
from sims.models import Adoption, AdoptionRow

Said, Did, State = AdoptionRow.Said, AdoptionRow.Did, AdoptionRow.State
# What aql said, as the adoption's page counts it: always these five, the rest only when there are some.
ALWAYS_SHOWN = (Said.ACTIVE, Said.SUSPENDED, Said.TERMINATED, Said.UNUSED, Said.NOT_ON_ACCOUNT)


def adoption_counts(adoption_id: int) -> dict[tuple[str, str, str], int]:
    """How many of the adoption's rows stand where (state, what aql said, what we did): one grouped
    read of the adoption_row_counts index."""
    rows = (AdoptionRow.objects.filter(adoption_id=adoption_id).order_by().values_list("state", "said", "did")
            .annotate(n=Count("pk")))
    return {(state, said, did): n for state, said, did, n in rows}


def adoption_progress(adoption: Adoption, *, lost_before: timedelta) -> dict:
    """Where the adoption's ICCIDs stand: waiting, being asked, asked with no answer recorded for
    longer than any step takes (`lost_before` ago: the worker stopped), answered; by what aql said
    and what we did. Two queries."""
    counts = adoption_counts(adoption.pk)
    by_state = {state: sum(n for (s, _, _), n in counts.items() if s == state) for state in State.values}
    said = {s: sum(n for (_, x, _), n in counts.items() if x == s) for s in Said.values if s}
    did = {d: sum(n for (_, _, x), n in counts.items() if x == d) for d in Did.values if d}
    lost = adoption.rows.filter(state=State.ASKING, asked_at__lt=timezone.now() - lost_before).count() if (
        by_state[State.ASKING]) else 0
    return {"waiting": by_state[State.WAITING], "asking": by_state[State.ASKING] - lost, "lost": lost,
            "answered": by_state[State.DONE], "not_known": lost + said[Said.NO_ANSWER],
            "said": [(s, Said(s).label, n) for s, n in said.items() if n or s in ALWAYS_SHOWN],
            "did": [(d, Did(d).label, n) for d, n in did.items() if n],
            "finished": adoption.finished_at is not None}


def adoption_summary(adoption: Adoption, counts: dict[tuple[str, str, str], int]) -> str:
    """The adoption in one line of words: what aql said, and what we did."""
    said, did = {}, {}
    for (_, s, d), n in counts.items():
        said[s], did[d] = said.get(s, 0) + n, did.get(d, 0) + n
    aql = ", ".join(f"{said[s]:,} {Said(s).label.lower()}" for s in Said.values if s and said.get(s))
    ours = ", ".join(f"{did[d]:,} {Did(d).label.lower()}" for d in Did.values if d and did.get(d))
    return (f"Adoption {adoption.pk}: {adoption.size:,} ICCIDs. aql said: {aql or 'nothing yet'}. "
            f"We did: {ours or 'nothing yet'}.")


def adoption_rows(*, adoption: Adoption, said: str = "") -> QuerySet[AdoptionRow]:
    """The adoption's rows in the order given, each with its SIM (for a link); narrowed to what aql said."""
    rows = adoption.rows.select_related("sim")
    return rows.filter(said=said) if said and said in Said.values else rows


def adoption_rows_page(*, adoption: Adoption, said: str = "", cursor: str = "") -> Page:
    """One page of `adoption_rows`, by key (the adoption_row_order and adoption_row_said indexes)."""
    return seek(adoption_rows(adoption=adoption, said=said), ("pk",), cursor)


def adoption_page(*, cursor: str = "") -> Page:
    """One page of the adoptions, newest first."""
    return seek(Adoption.objects.all(), ("-created_at", "-pk"), cursor)
