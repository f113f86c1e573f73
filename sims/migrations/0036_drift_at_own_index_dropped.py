from django.db import migrations, models

from common.migration_ops import drop_index_online


class Migration(migrations.Migration):
    """drift_at's own index served the drift sweep, which now walks sim_drift_live (0035): each
    take would otherwise write two indexes. The field is not altered on SQLite, which would remake
    the table of a million SIMs (and drop its triggers): only its index goes."""

    atomic = False

    dependencies = [
        ("sims", "0035_drift_live"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AlterField(
                model_name="sim", name="drift_at", field=models.DateTimeField(blank=True, editable=False, null=True))],
            database_operations=[drop_index_online("sims_sim_drift_at_cd9f3d29", "sims_sim", '"drift_at"')],
        ),
    ]
