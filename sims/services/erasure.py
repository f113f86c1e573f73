"""Erasure's reach into the CSV files of activations we keep (a day, or while the worker queues
their rows): a file with a row for an erased subscriber's SIM goes, its upload row (the preview
holds rows too) with it. The whole file goes, not the row alone: a file is the agent's as written,
and its other rows can be uploaded again from the batch's CSV."""

from django.db import transaction

from common.errors import Refused
from sims.models import Sim, Upload
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
