"""Subscribers erased before erasure reached batches: the words staff gave with a batch's reason
(`Batch.params["reason_words"]`, and their copy on each of its SIMs' requests) went only from the
erased SIM's own requests. Here they go from every batch that holds an erased SIM, and from all of
that batch's requests, as `sims.services.erasure.reason_words_forget` now does at each erasure.
(No batch named the one it retried before now, and the erased SIMs' own schedules lost their words
already, so nothing more can be traced back.) Data only; nothing to undo."""

from django.db import migrations

ERASED = "erased"  # SimAction.ERASED, as stored
CHUNK = 500


def forget(apps, schema_editor) -> None:
    Batch, GatewayRequest, SimEvent = (apps.get_model("sims", name) for name in ("Batch", "GatewayRequest",
                                                                                 "SimEvent"))
    erased = SimEvent.objects.filter(action=ERASED).values("sim_id")
    batch_ids = sorted(set(GatewayRequest.objects.filter(sim_id__in=erased).exclude(batch=None)
                           .values_list("batch_id", flat=True)))
    for start in range(0, len(batch_ids), CHUNK):
        worded = []
        for batch in Batch.objects.filter(pk__in=batch_ids[start:start + CHUNK]):
            if batch.params.pop("reason_words", None) is not None:
                batch.save(update_fields=["params"])
                worded.append(batch.pk)
        GatewayRequest.objects.filter(batch_id__in=worded).exclude(reason_words=None).update(reason_words=None)


class Migration(migrations.Migration):

    dependencies = [
        ('sims', '0043_replacement_returning'),
    ]

    operations = [
        migrations.RunPython(forget, migrations.RunPython.noop),
    ]
