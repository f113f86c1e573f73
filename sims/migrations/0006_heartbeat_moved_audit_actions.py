"""Heartbeat now belongs to common (the model only: the table stays); audit actions get their choices."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("sims", "0005_sim_state_recent"),
        ("common", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Heartbeat")],
            database_operations=[],
        ),
        migrations.AlterField(
            model_name="simevent",
            name="action",
            field=models.CharField(choices=[
                ("sending", "Sending"), ("sent", "Accepted by aql"), ("succeeded", "Succeeded"), ("failed", "Failed"),
                ("refused", "Refused"), ("unknown", "Outcome unknown"), ("not_sent", "Not done"),
                ("queried", "Asked aql"), ("drift", "Differed from aql"), ("attention", "Needs attention"),
                ("erased", "Subscriber erased")], max_length=40),
        ),
    ]
