"""One follower for all the worker's gateway work (requests, orders, stock, drift), scheduled every
minute, instead of a schedule each: one at a time, it keeps aql within AQL_MAX_CONCURRENCY calls."""

from django.db import migrations

REPLACED = ["sims.tasks.poll_pass", "sims.tasks.follow_requests", "sims.tasks.drift_pass",
            "orders.tasks.refresh_orders_pass", "orders.tasks.stock_pass"]


def one_follower(apps, schema_editor):
    schedule = apps.get_model("django_q", "Schedule")
    schedule.objects.filter(name__in=REPLACED).delete()
    schedule.objects.update_or_create(
        name="common.worker.follow_pass",
        defaults={"func": "common.worker.follow_pass", "schedule_type": "I", "minutes": 1, "repeats": -1})


def a_schedule_each(apps, schema_editor):
    """Back to before: the follower's schedule goes, the four it replaced come back."""
    schedule = apps.get_model("django_q", "Schedule")
    schedule.objects.filter(name="common.worker.follow_pass").delete()
    every = {"sims.tasks.follow_requests": 1, "sims.tasks.drift_pass": 10, "orders.tasks.refresh_orders_pass": 1,
             "orders.tasks.stock_pass": 15}
    for func, minutes in every.items():
        schedule.objects.update_or_create(
            name=func, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1})


class Migration(migrations.Migration):
    dependencies = [("common", "0004_lease"), ("sims", "0012_state_counts"), ("orders", "0008_orders_every_minute")]

    operations = [migrations.RunPython(one_follower, a_schedule_each)]
