from django.db import migrations, models

from common.migration_ops import allow_null_in_place

VOICE_AND_SMS = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")
LABELS = {"mo_voice": "outgoing calls", "mt_voice": "incoming calls", "mo_sms": "outgoing SMS",
          "mt_sms": "incoming SMS"}


class Migration(migrations.Migration):
    """Voice and SMS services are on, off or not known (NULL): aql's query cannot show them, so a SIM
    found live at aql without a command of ours that set them has them not known. The columns are
    made nullable in place (no copy of the SIM table, whose triggers stay): see allow_null_in_place.
    Roaming, international calls and premium stay NOT NULL: aql's query shows them."""

    dependencies = [("sims", "0037_audit_words_by_app")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="sim", name=name, field=models.BooleanField(
                    default=False, editable=False, null=True, verbose_name=LABELS[name]))
                for name in VOICE_AND_SMS],
            database_operations=[allow_null_in_place("sims_sim", VOICE_AND_SMS, back_to=False)],
        ),
    ]
