"""Open orders are looked at every minute (each only when its own check is due), not every ten."""

from django.db import migrations


def every_minute(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="orders.tasks.refresh_orders_pass",
        defaults={"func": "orders.tasks.refresh_orders_pass", "schedule_type": "I", "minutes": 1, "repeats": -1})


class Migration(migrations.Migration):
    dependencies = [("orders", "0007_erase_schedule")]

    operations = [migrations.RunPython(every_minute, migrations.RunPython.noop)]
