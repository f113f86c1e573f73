"""Every write to SIMs, numbers and the journal. Views, admin, CLI and tasks call these only.

By job: `commands` (what staff ask: the SIM commands, the pool), `sending` (the one way a journalled
request goes to aql, by its row in `lifecycle.TABLE`), `answers` (recording aql's
answers, the one place a request and its SIM change after a send), `followup` (the
worker's steps, and staff settling what aql cannot show), `batches` (one command for many SIMs),
`imports` (CSV files of SIMs: stock in, activations), `schedules` (suspends and reactivations
for later), `replacements` (a SIM replaced, keeping its number) and `adoptions` (SIMs already in use
at aql, brought into our records).
"""

from sims.services.adoptions import adoption_ask, adoption_ask_again, adoption_rows_claim, adoption_start
from sims.services.batches import BATCH_AT_MOST, BATCH_COMMANDS, batch_cancel, batch_retry, batch_start
from sims.services.commands import (
    number_add,
    sim_activate,
    sim_add,
    sim_command,
    sim_deactivate,
    sim_number_assign,
    sim_number_change,
    sim_query,
    sim_reactivate,
    sim_services_add,
    sim_services_remove,
    sim_services_set,
    sim_suspend,
    subscriber_erase,
    subscriber_fill,
    subscriber_update,
    subscribers_erase_expired,
)
from sims.services.followup import (
    checks_prune,
    latest_look,
    poll_delay,
    request_claim_due,
    request_looks,
    request_mark_lost,
    request_poll,
    request_resolve,
    sims_take_for_drift,
)
from sims.services.imports import (
    activations_queue,
    activations_retry,
    upload_confirm,
    upload_discard,
    upload_preview,
    uploads_due,
    uploads_prune,
)
from sims.services.replacements import (
    replacement_abandon,
    replacement_consequences,
    replacement_resume,
    sim_replace,
)
from sims.services.resend import request_send_again
from sims.services.rests import number_rest_end, number_rests_end_due
from sims.services.schedules import schedule_add, schedule_cancel, schedule_change, schedule_run, schedules_due

__all__ = [
    "BATCH_AT_MOST",
    "BATCH_COMMANDS",
    "activations_queue",
    "activations_retry",
    "adoption_ask",
    "adoption_ask_again",
    "adoption_rows_claim",
    "adoption_start",
    "batch_cancel",
    "batch_retry",
    "batch_start",
    "checks_prune",
    "latest_look",
    "number_add",
    "number_rest_end",
    "number_rests_end_due",
    "poll_delay",
    "replacement_abandon",
    "replacement_consequences",
    "replacement_resume",
    "request_claim_due",
    "request_looks",
    "request_mark_lost",
    "request_poll",
    "request_resolve",
    "request_send_again",
    "schedule_add",
    "schedule_cancel",
    "schedule_change",
    "schedule_run",
    "schedules_due",
    "sim_activate",
    "sim_add",
    "sim_command",
    "sim_deactivate",
    "sim_number_assign",
    "sim_number_change",
    "sim_query",
    "sim_reactivate",
    "sim_replace",
    "sim_services_add",
    "sim_services_remove",
    "sim_services_set",
    "sim_suspend",
    "sims_take_for_drift",
    "subscriber_erase",
    "subscriber_fill",
    "subscriber_update",
    "subscribers_erase_expired",
    "upload_confirm",
    "upload_discard",
    "upload_preview",
    "uploads_due",
    "uploads_prune",
]
