"""Two changes to the number pool, both so that its pages read small indexes instead of every row.

- A number is held by one request at most through a partial unique index (held_by IS NOT NULL)
  instead of the one-to-one's index on every row: SQLite took that index for "held by nothing",
  the whole pool, and sorted it, rather than walking the small index of free numbers (number_free).
- `was_on_sim`: whether a SIM has ever had the number, kept by the triggers that keep `on_sim`
  (0016, made again here to set both), so admin need not search the whole audit trail to know
  whether a number may be deleted.

On SQLite both changes remake the numbers table, and the triggers on sims_sim that name it are
dropped for the remake and made again after. Later migrations that remake it do the same with
these (`drop_triggers`, `create_triggers`).
"""

from importlib import import_module

from django.db import migrations, models

BEFORE = import_module("sims.migrations.0016_number_on_sim")
NUMBERS = "sims_geographicnumber"


def mark(on: str, number_id: str) -> str:
    ever = f", was_on_sim = {on}" if on in ("1", "true") else ""
    return f"UPDATE {NUMBERS} SET on_sim = {on}{ever} WHERE id = {number_id};"


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
    f"""CREATE OR REPLACE FUNCTION sim_number() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.number_id IS NOT NULL THEN {mark("false", "OLD.number_id")} END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.number_id IS NOT NULL THEN {mark("true", "NEW.number_id")} END IF;
        RETURN NULL;
    END $$;""",
]
# A number a SIM's trail shows, before or after a change, has been on a SIM (the rule admin used).
SHOWN = {"sqlite": "SELECT json_extract(before, '$.number') AS n FROM sims_simevent UNION "
                   "SELECT json_extract(after, '$.number') FROM sims_simevent",
         "postgresql": "SELECT before->>'number' AS n FROM sims_simevent UNION SELECT after->>'number' FROM sims_simevent"}


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRESQL}[vendor]:
        schema_editor.execute(sql)
    schema_editor.execute(f"UPDATE {NUMBERS} SET on_sim = (id IN (SELECT number_id FROM sims_sim "
                          "WHERE number_id IS NOT NULL))")


def drop_triggers(apps, schema_editor):
    """SQLite: before a remake of the numbers table. (PostgreSQL alters it in place.)"""
    if schema_editor.connection.vendor == "sqlite":
        BEFORE.drop_triggers(apps, schema_editor)


def make_0016_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        BEFORE.create_triggers(apps, schema_editor)


def undo_triggers(apps, schema_editor):
    """Back: SQLite's go before the table is remade again; PostgreSQL's function is 0016's again."""
    if schema_editor.connection.vendor == "sqlite":
        BEFORE.drop_triggers(apps, schema_editor)
    else:
        schema_editor.execute(BEFORE.POSTGRESQL[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))


def backfill(apps, schema_editor):
    # A join, not "IN (subquery)": PostgreSQL runs a subquery too big for work_mem once a number.
    schema_editor.execute(f"UPDATE {NUMBERS} SET was_on_sim = on_sim")
    schema_editor.execute(f"UPDATE {NUMBERS} SET was_on_sim = true FROM ({SHOWN[schema_editor.connection.vendor]}) "
                          f"AS shown WHERE {NUMBERS}.number = shown.n")


class Migration(migrations.Migration):

    dependencies = [("sims", "0025_batches")]

    operations = [
        migrations.RunPython(drop_triggers, make_0016_triggers),
        migrations.AlterField(
            model_name="geographicnumber",
            name="held_by",
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True,
                                    on_delete=models.deletion.SET_NULL, related_name="held_numbers",
                                    to="sims.gatewayrequest"),
        ),
        migrations.AddConstraint(
            model_name="geographicnumber",
            constraint=models.UniqueConstraint(condition=models.Q(("held_by__isnull", False)), fields=("held_by",),
                                               name="number_held_once"),
        ),
        migrations.AddField(
            model_name="geographicnumber",
            name="was_on_sim",
            field=models.BooleanField(default=False, editable=False, verbose_name="ever on a SIM"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, undo_triggers),
    ]
