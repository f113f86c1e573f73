"""Keeping the uploaded files: on disk (MEDIA_ROOT) between their preview and the agent's word, or
with their batch for a day to try its failed rows again; then deleted, as they may hold
subscribers' details."""

from contextlib import suppress
from datetime import timedelta

from django.utils import timezone

from common.errors import Refused
from sims.models import Upload

UPLOAD_KEPT = timedelta(days=1)
UPLOAD_DIR = "uploads/"  # Upload.file's upload_to


def upload_discard(*, upload_id: int, force: bool = False) -> None:
    """Forget an upload and delete its file; not one being done (unless `force`: it is done)."""
    for upload in Upload.objects.filter(pk=upload_id):
        if upload.confirming and not force:
            raise Refused("This file is being done: it can no longer be cancelled.")
        upload.file.delete(save=False)
        upload.delete()


def uploads_prune() -> int:
    """Delete the uploads a day old (they may hold subscribers' details): left unconfirmed, or kept
    with their batch to try its failed rows again; and any file whose row is gone (a deleted
    account's). How many uploads."""
    cutoff = timezone.now() - UPLOAD_KEPT
    old = list(Upload.objects.filter(created_at__lt=cutoff, queue_at__isnull=True).values_list("pk", flat=True))
    for pk in old:
        upload_discard(upload_id=pk, force=True)
    storage, kept = Upload.file.field.storage, set(Upload.objects.values_list("file", flat=True))
    with suppress(FileNotFoundError):
        for name in storage.listdir(UPLOAD_DIR)[1]:
            path = f"{UPLOAD_DIR}{name}"
            if path not in kept and storage.get_modified_time(path) < cutoff:
                storage.delete(path)
    return len(old)
