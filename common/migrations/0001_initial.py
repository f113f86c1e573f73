"""Heartbeat moves here from sims: the model only. Its table, made by sims 0002, stays as it is."""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("sims", "0002_worker"),  # which made the table
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Heartbeat",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("name", models.CharField(max_length=40, unique=True)),
                        ("at", models.DateTimeField()),
                    ],
                    options={"db_table": "sims_heartbeat"},
                ),
            ],
            database_operations=[],
        ),
    ]
