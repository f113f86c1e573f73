"""Whether a SIM has a number, kept on the number by triggers on sims_sim (as 0012 keeps the
counts), so the free numbers are a small partial index rather than an anti-join over them all.

On SQLite, a later migration that alters a field of Sim remakes sims_sim and drops these
triggers with it: it must run `create_triggers` again (tests/sims/test_services.py would show).
Migration 0026 makes them again to keep `was_on_sim` too: after it, use 0026's.
"""

from django.db import migrations, models

NUMBERS = "sims_geographicnumber"


def mark(on: str, number_id: str) -> str:
    return f"UPDATE {NUMBERS} SET on_sim = {on} WHERE id = {number_id};"


SQLITE = [
    f"""CREATE TRIGGER sim_number_insert AFTER INSERT ON sims_sim WHEN NEW.number_id IS NOT NULL BEGIN
        {mark("1", "NEW.number_id")} END;""",
    f"""CREATE TRIGGER sim_number_update AFTER UPDATE OF number_id ON sims_sim
        WHEN OLD.number_id IS NOT NEW.number_id BEGIN
        {mark("0", "OLD.number_id")} {mark("1", "NEW.number_id")} END;""",
    f"""CREATE TRIGGER sim_number_delete AFTER DELETE ON sims_sim WHEN OLD.number_id IS NOT NULL BEGIN
        {mark("0", "OLD.number_id")} END;""",
]
POSTGRESQL = [
    f"""CREATE FUNCTION sim_number() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.number_id IS NOT NULL THEN {mark("false", "OLD.number_id")} END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.number_id IS NOT NULL THEN {mark("true", "NEW.number_id")} END IF;
        RETURN NULL;
    END $$;""",
    """CREATE TRIGGER sim_number_insert_delete AFTER INSERT OR DELETE ON sims_sim
        FOR EACH ROW EXECUTE FUNCTION sim_number();""",
    """CREATE TRIGGER sim_number_update AFTER UPDATE OF number_id ON sims_sim
        FOR EACH ROW WHEN (OLD.number_id IS DISTINCT FROM NEW.number_id) EXECUTE FUNCTION sim_number();""",
]
DROP = {
    "sqlite": ["DROP TRIGGER sim_number_insert", "DROP TRIGGER sim_number_update", "DROP TRIGGER sim_number_delete"],
    "postgresql": ["DROP TRIGGER sim_number_insert_delete ON sims_sim", "DROP TRIGGER sim_number_update ON sims_sim",
                   "DROP FUNCTION sim_number()"],
}


def create_triggers(apps, schema_editor):
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRESQL}[schema_editor.connection.vendor]:
        schema_editor.execute(sql)
    schema_editor.execute(f"UPDATE {NUMBERS} SET on_sim = (id IN (SELECT number_id FROM sims_sim "
                          "WHERE number_id IS NOT NULL))")


def drop_triggers(apps, schema_editor):
    for sql in DROP[schema_editor.connection.vendor]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("sims", "0015_rare_services")]

    operations = [
        migrations.AddField(model_name="geographicnumber", name="on_sim",
                            field=models.BooleanField("on a SIM", default=False, editable=False)),
        migrations.AddIndex(model_name="geographicnumber", index=models.Index(
            condition=models.Q(("held_by__isnull", True), ("on_sim", False)), fields=["number"], name="number_free")),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
