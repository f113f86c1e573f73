"""Many SIMs at once: scheduled actions (`/scheduled`: a suspend or reactivate at a time to come)
and batches (`/batches`: one command for many SIMs, each request waiting its turn)."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from api.answers import Paged, answer
from api.auth import PROVISION, may
from api.idempotency import write
from api.problems import PROBLEMS, WRITE_PROBLEMS, problem
from api.v1.sims import CHUNK, sims_by_iccid
from sims import lifecycle, reasons, selectors
from sims import services as sim_services
from sims.lifecycle import Command
from sims.models import Batch, ScheduledAction
from sims.reasons import StaffReason

# --- scheduled actions ---------------------------------------------------------------------------

class ScheduledOut(Schema):
    id: int
    url: str
    sim: str
    command: str
    due_at: datetime
    state: str
    by: str
    request: str | None  # the journal's request, once it ran
    reason: str | None  # a suspend's reason; the request it makes carries it


class ScheduledPage(Paged):
    items: list[ScheduledOut]


class ScheduleIn(Schema):
    command: Literal[lifecycle.SCHEDULE_NAMES]  # the registry's rows that can be scheduled
    iccids: list[str] = Field(max_length=50_000)
    due_at: datetime
    reason: StaffReason | None = Field(default=None, description="A suspend's reason (required for one)")
    reason_words: str = Field(default="", description="Required when `reason` is `other`; never in a webhook")


class RescheduleIn(Schema):
    due_at: datetime


def _scheduled(a: ScheduledAction) -> dict:
    return {"id": a.pk, "url": f"/api/v1/scheduled/{a.pk}", "sim": a.sim.iccid, "command": a.command,
            "due_at": a.due_at, "state": a.state, "by": a.actor_name, "reason": a.reason,
            "request": f"/api/v1/requests/{a.request_id}" if a.request_id else None}


schedules = Router(tags=["SIMs"])


@schedules.get("/scheduled", response={200: ScheduledPage, **PROBLEMS})
def schedule_list(request: HttpRequest, done: bool = False, cursor: str = ""):
    """Suspends and reactivations to come, soonest first (`done=true`: those that ran or were cancelled)."""
    may(request, "sims.view_sim")
    page = selectors.schedule_page(done=done, cursor=cursor[:500])
    return {"items": [_scheduled(a) for a in page.rows], "next": page.next or None}


@schedules.post("/scheduled", response={201: ScheduledPage, **WRITE_PROBLEMS})
def schedule_add(request: HttpRequest, body: ScheduleIn):
    """Schedule a suspend or a reactivate of these SIMs for a time to come (checked when it runs)."""
    may(request, PROVISION)
    reasons.require(body.command, body.reason)

    def run() -> HttpResponse:
        found = sims_by_iccid(body.iccids)
        if not body.iccids or (missing := [i for i in body.iccids if i not in found]):
            return problem(request, 422, "Give the ICCIDs of SIMs of ours.",
                           [{"field": "iccids", "message": f"Not ours: {', '.join(missing[:20])}" if body.iccids
                             else "At least one."}])
        ids = sim_services.schedule_add(sim_ids=list(found.values()), command=Command(body.command),
                                        due_at=body.due_at, actor=request.auth.owner, reason=body.reason,
                                        reason_words=body.reason_words)
        made = [a for start in range(0, len(ids), CHUNK) for a in ScheduledAction.objects.filter(
            pk__in=ids[start:start + CHUNK]).select_related("sim").order_by("pk")]
        return answer({"items": [_scheduled(a) for a in made], "next": None}, 201)

    return write(request, run)


@schedules.patch("/scheduled/{action_id}", response={200: ScheduledOut, **WRITE_PROBLEMS})
def schedule_change(request: HttpRequest, action_id: int, body: RescheduleIn):
    """Move a scheduled action that has not run to another time to come."""
    may(request, PROVISION)
    return write(request, lambda: answer(_scheduled(sim_services.schedule_change(
        action_id=ScheduledAction.objects.get(pk=action_id).pk, due_at=body.due_at, actor=request.auth.owner))))


@schedules.delete("/scheduled/{action_id}", response={200: ScheduledOut, **WRITE_PROBLEMS})
def schedule_cancel(request: HttpRequest, action_id: int):
    """Cancel a scheduled action that has not run."""
    may(request, PROVISION)
    return write(request, lambda: answer(_scheduled(sim_services.schedule_cancel(
        action_id=ScheduledAction.objects.get(pk=action_id).pk, actor=request.auth.owner))))


# --- batches -------------------------------------------------------------------------------------

class Progress(Schema):
    waiting: int
    in_progress: int
    succeeded: int
    failed: int
    unknown: int
    attention: int


class BatchOut(Schema):
    id: int
    url: str
    command: str
    size: int
    by: str
    created_at: datetime
    finished: bool
    progress: Progress
    reason: str | None  # a suspend's or termination's, on each SIM's request


class BatchPage(Paged):
    items: list[BatchOut]


class BatchIn(Schema):
    command: Literal[lifecycle.BATCH_NAMES]  # the registry's rows that can be batched
    iccids: list[str] = Field(max_length=50_000)
    services: list[str] | None = None
    reason: StaffReason | None = Field(default=None, description="Why: required for a suspend or a termination")
    reason_words: str = Field(default="", description="Required when `reason` is `other`; never in a webhook")


def _batch(batch: Batch, progress: dict[str, int] | None = None) -> dict:
    progress = progress or selectors.batch_progress(batch)
    return {"id": batch.pk, "url": f"/api/v1/batches/{batch.pk}", "command": batch.command, "size": batch.size,
            "by": batch.actor_name, "created_at": batch.created_at, "progress": progress,
            "reason": batch.params.get("reason"),
            "finished": selectors.batch_finished(batch, progress)}


batches = Router(tags=["batches"])


@batches.get("/batches", response={200: BatchPage, **PROBLEMS})
def batch_list(request: HttpRequest, cursor: str = ""):
    """Batches, newest first, each with its progress."""
    may(request, "sims.view_sim")
    page = selectors.batch_page(cursor=cursor[:500])
    progress = selectors.batches_progress(b.pk for b in page.rows)
    return {"items": [_batch(b, progress[b.pk]) for b in page.rows], "next": page.next or None}


@batches.get("/batches/{batch_id}", response={200: BatchOut, **PROBLEMS})
def batch_detail(request: HttpRequest, batch_id: int):
    """A batch and where its SIMs stand; each SIM's request is in the journal (?batch is on each)."""
    may(request, "sims.view_sim")
    return _batch(Batch.objects.get(pk=batch_id))


@batches.post("/batches", response={202: BatchOut, **WRITE_PROBLEMS})
def batch_create(request: HttpRequest, body: BatchIn):
    """One command for many SIMs (at most 50,000): each SIM's request waits its turn; follow the batch."""
    command = Command(body.command)
    may(request, lifecycle.TABLE[command].permission)
    reasons.require(command, body.reason)

    def run() -> HttpResponse:
        wanted = list(dict.fromkeys(body.iccids))
        if not wanted or len(wanted) > sim_services.BATCH_AT_MOST:
            return problem(request, 422, f"Give from 1 to {sim_services.BATCH_AT_MOST:,} ICCIDs.",
                           [{"field": "iccids", "message": "From 1 to 50,000 ICCIDs."}])
        found = sims_by_iccid(wanted)
        if missing := [i for i in wanted if i not in found]:
            return problem(request, 422, f"{len(missing):,} of these ICCIDs are not SIMs of ours.",
                           [{"field": "iccids", "message": f"Not ours: {', '.join(missing[:20])}"}])
        batch = sim_services.batch_start(sim_ids=list(found.values()), command=command, actor=request.auth.owner,
                                         services=body.services, reason=body.reason, reason_words=body.reason_words)
        return answer(_batch(batch), 202, location=f"/api/v1/batches/{batch.pk}")

    return write(request, run)
