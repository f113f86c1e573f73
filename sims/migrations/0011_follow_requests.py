"""The polling pass becomes a follower: scheduled every minute, it looks every second for what
is due for the next 55 s, so a request is checked within seconds of its time."""

from django.db import migrations


def follow(apps, schema_editor):
    schedule = apps.get_model("django_q", "Schedule")
    schedule.objects.filter(name="sims.tasks.poll_pass").delete()
    schedule.objects.update_or_create(
        name="sims.tasks.follow_requests",
        defaults={"func": "sims.tasks.follow_requests", "schedule_type": "I", "minutes": 1, "repeats": -1})


def poll_every_minute(apps, schema_editor):
    schedule = apps.get_model("django_q", "Schedule")
    schedule.objects.filter(name="sims.tasks.follow_requests").delete()
    schedule.objects.update_or_create(
        name="sims.tasks.poll_pass",
        defaults={"func": "sims.tasks.poll_pass", "schedule_type": "I", "minutes": 1, "repeats": -1})


class Migration(migrations.Migration):
    dependencies = [("sims", "0010_actor_names"), ("common", "0004_lease")]

    operations = [migrations.RunPython(follow, poll_every_minute)]
