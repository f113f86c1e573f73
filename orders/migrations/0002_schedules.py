"""Create the order and stock refresh schedules (every 10 and 15 minutes), one of each.

Written out here rather than imported: a migration must not change when the code does.
"""

from django.db import migrations

SCHEDULES = {"orders.tasks.refresh_orders_pass": 10, "orders.tasks.stock_pass": 15}  # task -> every so many minutes


def create_schedules(apps, schema_editor):
    schedule = apps.get_model("django_q", "Schedule")
    for func, minutes in SCHEDULES.items():
        schedule.objects.update_or_create(
            name=func, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1})


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("sims", "0003_schedules"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
