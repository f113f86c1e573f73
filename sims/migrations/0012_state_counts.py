"""SIMs per state, kept by triggers on sims_sim rather than counted on every dashboard view.

The triggers add one for the new state and take one from the old, in the same transaction as
the row's change, on SQLite and on PostgreSQL alike; they see every path (services, bulk
loads, raw updates). An insert upserts, so a counter row that is missing is made again.

On SQLite, Django alters a column by remaking the whole table, which drops its triggers: a
later migration that alters a field of Sim must run `create_triggers` again after it.
(tests/sims/test_services.py checks the counts on the migrated database, so it would show.)
"""

from django.db import migrations, models

COUNT = "sims_simstatecount"
BUMP = (f"INSERT INTO {COUNT} (state, count) VALUES ({{state}}, {{delta}}) "
        f"ON CONFLICT (state) DO UPDATE SET count = {COUNT}.count + {{delta}};")

SQLITE = [
    f"""CREATE TRIGGER sim_count_insert AFTER INSERT ON sims_sim BEGIN
        {BUMP.format(state="NEW.state", delta=1)} END;""",
    f"""CREATE TRIGGER sim_count_update AFTER UPDATE OF state ON sims_sim WHEN OLD.state <> NEW.state BEGIN
        {BUMP.format(state="OLD.state", delta=-1)} {BUMP.format(state="NEW.state", delta=1)} END;""",
    f"""CREATE TRIGGER sim_count_delete AFTER DELETE ON sims_sim BEGIN
        {BUMP.format(state="OLD.state", delta=-1)} END;""",
]
POSTGRESQL = [
    f"""CREATE FUNCTION sim_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN {BUMP.format(state="OLD.state", delta=-1)} END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN {BUMP.format(state="NEW.state", delta=1)} END IF;
        RETURN NULL;
    END $$;""",
    """CREATE TRIGGER sim_count_insert_delete AFTER INSERT OR DELETE ON sims_sim
        FOR EACH ROW EXECUTE FUNCTION sim_count();""",
    """CREATE TRIGGER sim_count_update AFTER UPDATE OF state ON sims_sim
        FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION sim_count();""",
]
DROP = {
    "sqlite": ["DROP TRIGGER sim_count_insert", "DROP TRIGGER sim_count_update", "DROP TRIGGER sim_count_delete"],
    "postgresql": ["DROP TRIGGER sim_count_insert_delete ON sims_sim", "DROP TRIGGER sim_count_update ON sims_sim",
                   "DROP FUNCTION sim_count()"],
}


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRESQL}[vendor]:
        schema_editor.execute(sql)
    schema_editor.execute(f"INSERT INTO {COUNT} (state, count) SELECT state, COUNT(*) FROM sims_sim GROUP BY state")


def drop_triggers(apps, schema_editor):
    for sql in DROP[schema_editor.connection.vendor]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("sims", "0011_follow_requests")]

    operations = [
        migrations.CreateModel(
            name="SimStateCount",
            fields=[
                ("state", models.CharField(max_length=12, primary_key=True, serialize=False)),
                ("count", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
