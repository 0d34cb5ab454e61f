"""Correct the evidence tags of questions already stored: every survey answer is the person's
own account, so a question tagged LTEM 1 or 4-8 ("I applied it" as transfer, "it saved me
hours" as an effect of transfer, "what do you remember" as knowledge) becomes learner
perception (3A).

The tag is our reading of what an answer is worth, not part of the question a person answered:
the text, options and standards stay as they were, so the answers keep their meaning, and the
evidence figures read the corrected tags from now on (the dashboard's stored rollups are
dropped by insights' `0004_recompute_evidence_rollups`).
"""

from django.db import migrations

SURVEY_LTEM_TIERS = ("2", "3A", "3B")


def retag(apps, schema_editor):
    Question = apps.get_model("feedback", "Question")
    Question.objects.exclude(ltem__in=SURVEY_LTEM_TIERS).update(ltem="3A")


class Migration(migrations.Migration):
    dependencies = [("feedback", "0006_follow_ups_ask_attribution")]

    # Not reversible into the old tags: they were the mistake.
    operations = [migrations.RunPython(retag, migrations.RunPython.noop)]
