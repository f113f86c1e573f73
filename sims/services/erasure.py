"""Erasure's reach beyond the subscriber's row.

The CSV files of activations we keep (a day, or while the worker queues their rows): a file with a
row for an erased subscriber's SIM goes, its upload row (the preview holds rows too) with it. The
whole file goes, not the row alone: a file is the agent's as written, and its other rows can be
uploaded again from the batch's CSV.

The words staff gave with a reason to stop the SIM's line, wherever they were given or copied
(`reason_words_forget`).
"""

from django.db import transaction
from django.db.models import Q

from common.errors import Refused
from sims.models import Batch, GatewayRequest, ScheduledAction, Sim, Upload
from sims.services.batches import RETRY_OF
from sims.services.imports import ACTIVATE, reading


def uploads_holding(*, iccid: str) -> list[int]:
    """The kept files of activations with a row for `iccid`, read as the preview reads them. A file
    that cannot be read is refused: whether it holds the SIM is not known. Read outside any lock:
    the files are few (a day's) but may be large."""
    held = []
    for upload in Upload.objects.filter(kind=ACTIVATE).order_by("pk"):
        try:
            with reading(upload.file.open, ACTIVATE) as (_, _, rows):
                if any("".join(row.values.get("iccid", "").split()) == iccid for row in rows):
                    held.append(upload.pk)
        except (Refused, OSError) as exc:
            raise Refused(f"The kept file {upload.name!r} could not be read here ({type(exc).__name__}), so "
                          "whether it holds this subscriber is not known: nothing was erased. The worker's machine "
                          "must share MEDIA_ROOT with the web's.") from None
    return held


def uploads_forget(*, sim: Sim, upload_ids: list[int]) -> None:
    """Delete the uploads `uploads_holding` found for `sim`, inside the erasure's transaction; their
    files once it commits. Refused while one is still being queued: the worker needs its rows, and
    the erasure can be done once it is (minutes)."""
    uploads = list(Upload.objects.select_for_update().filter(pk__in=upload_ids))
    if any(upload.queue_at is not None for upload in uploads):
        raise Refused(f"The file of activations with {sim.iccid}'s row is still being queued by the worker: "
                      "erase the subscriber once it is done (a few minutes).")
    for upload in uploads:
        transaction.on_commit(lambda file=upload.file: file.delete(save=False))
    Upload.objects.filter(pk__in=[u.pk for u in uploads]).delete()


def _retry_family(batch_ids: set[int]) -> set[int]:
    """The batches `batch_ids`, the batches they tried again and those that tried them again, and so
    on (batch_retry names the one it tries again): each copied the same words. A few rows a step."""
    family, new = set(batch_ids), set(batch_ids)
    while new:
        parents = {p for p in Batch.objects.filter(pk__in=new).values_list(f"params__{RETRY_OF}", flat=True) if p}
        children = set(Batch.objects.filter(**{f"params__{RETRY_OF}__in": list(new)}).values_list("pk", flat=True))
        new = (parents | children) - family
        family |= new
    return family


def reason_words_forget(*, sim: Sim) -> None:
    """Erase the words staff gave with a reason to stop `sim`'s line (they may name its subscriber)
    wherever they are, inside the erasure's transaction; each reason's code stays (it names no one).

    Words given once for many SIMs are one statement about all of them, so they go from all of it:
    a batch's from the batch, every retry of it (or that it retries) and each of their SIMs' requests
    (and so from those SIMs' timelines); a schedule's from the actions scheduled with it in one go
    (the same command, time, person, reason and words) and the requests those made when they ran.
    Words typed separately for another SIM, even the same ones, are that SIM's: they stay."""
    own = ScheduledAction.objects.filter(sim=sim).exclude(reason_words=None)
    together = Q(pk__in=[])
    for command, due_at, actor_name, reason, words in own.values_list("command", "due_at", "actor_name", "reason",
                                                                      "reason_words"):
        together |= Q(command=command, due_at=due_at, actor_name=actor_name, reason=reason, reason_words=words)
    actions = ScheduledAction.objects.filter(pk__in=list(ScheduledAction.objects.filter(together | Q(sim=sim))
                                                         .values_list("pk", flat=True)))
    # The words first, then what the actions made: the update waits for one the worker is running
    # (schedule_run holds its row), so the request it made, with the words, is found after it.
    actions.exclude(reason_words=None).update(reason_words=None)
    made = list(actions.exclude(request=None).values_list("request_id", flat=True))

    batch_ids = set(GatewayRequest.objects.filter(sim=sim).exclude(batch=None).values_list("batch_id", flat=True))
    worded = []
    for batch in Batch.objects.select_for_update().filter(pk__in=_retry_family(batch_ids)).order_by("pk"):
        if batch.params.pop("reason_words", None) is not None:
            batch.save(update_fields=["params"])
            worded.append(batch.pk)
    GatewayRequest.objects.filter(Q(sim=sim) | Q(batch_id__in=worded) | Q(pk__in=made)).exclude(
        reason_words=None).update(reason_words=None)
