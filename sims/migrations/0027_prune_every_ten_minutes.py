from django.db import migrations


def every_ten_minutes(apps, schema_editor):
    """Pruning goes a little at a time (sims.tasks.prune_checks_pass): every ten minutes, not daily."""
    apps.get_model("django_q", "Schedule").objects.filter(name="sims.tasks.prune_checks_pass").update(minutes=10)


def daily(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="sims.tasks.prune_checks_pass").update(minutes=24 * 60)


class Migration(migrations.Migration):

    dependencies = [("sims", "0026_number_held_once"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(every_ten_minutes, daily)]
