"""The worker seals the audit trail every five minutes and verifies it daily (ops.seal), made
idempotently (update_or_create by name, as every schedule here is)."""

from django.db import migrations

SCHEDULES = {"ops.seal.seal_pass": 5, "ops.seal.verify_pass": 24 * 60}  # task -> every so many minutes


def schedule(apps, schema_editor):
    for func, minutes in SCHEDULES.items():
        apps.get_model("django_q", "Schedule").objects.update_or_create(
            name=func, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1})


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=list(SCHEDULES)).delete()


class Migration(migrations.Migration):
    dependencies = [("ops", "0002_audit_seals"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(schedule, unschedule)]
