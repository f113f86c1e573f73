"""CSV files of SIMs: stock in (ICCIDs, with a product code and a batch if the file has them) and
bulk activation (one SIM a row, with its subscriber), and ICCIDs of SIMs already in use at aql to
adopt (sims.services.adoptions). A file is read a row at a time, never held
whole; each row is checked by the same validators as the single forms, and against the database
a chunk of rows at a time. Nothing is written until the agent has seen the preview and confirmed:
then the file is read and checked again, as things may have changed meanwhile.

Stock in adds every new SIM in one transaction. Activation makes a batch: each row's request is
journalled, waiting to be sent (the worker sends them within AQL_MAX_CONCURRENCY), exactly as a
batch from the SIM list, so an uncertain outcome stays unknown per row.

By job: `csvfile` (reading and checking a file: its columns, its rows, each row's problems),
`workflow` (the preview, the agent's confirmation, the worker queueing a file of activations a
chunk at a time, its failed rows again) and `keeping` (the uploaded files on disk, deleted after a
day). Callers import from here.
"""

from sims.services.imports.csvfile import (
    ACTIVATE,
    ADOPT,
    COLUMNS,
    KIND_LABELS,
    ROWS_AT_MOST,
    STOCK,
    Column,
    Row,
    Source,
    reading,
)
from sims.services.imports.keeping import UPLOAD_DIR, UPLOAD_KEPT, upload_discard, uploads_prune
from sims.services.imports.workflow import (
    PASTED,
    QUEUE_BUDGET,
    UPLOAD_BYTES_AT_MOST,
    Preview,
    activations_queue,
    activations_retry,
    activations_start,
    adoption_from_file,
    preview,
    stock_add,
    upload_confirm,
    upload_preview,
    uploads_due,
)

__all__ = [
    "ACTIVATE",
    "ADOPT",
    "COLUMNS",
    "KIND_LABELS",
    "PASTED",
    "QUEUE_BUDGET",
    "ROWS_AT_MOST",
    "STOCK",
    "UPLOAD_BYTES_AT_MOST",
    "UPLOAD_DIR",
    "UPLOAD_KEPT",
    "Column",
    "Preview",
    "Row",
    "Source",
    "activations_queue",
    "activations_retry",
    "activations_start",
    "adoption_from_file",
    "preview",
    "reading",
    "stock_add",
    "upload_confirm",
    "upload_discard",
    "upload_preview",
    "uploads_due",
    "uploads_prune",
]
