from django.db import migrations


def schedule(apps, schema_editor):
    """The daily pass that deletes the drift sweep's routine comparisons (sims.tasks.prune_checks_pass)."""
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="sims.tasks.prune_checks_pass",
        defaults={"func": "sims.tasks.prune_checks_pass", "schedule_type": "I", "minutes": 24 * 60, "repeats": -1})


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="sims.tasks.prune_checks_pass").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("sims", "0022_request_views"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
