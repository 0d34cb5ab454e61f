# Stand-alone library resources take part in duplicate detection: clusters hold resources as
# well as sessions, a merge may name a resource, and every stored pair names its members' kind.

import django.db.models.deletion
from django.db import migrations, models


def name_the_kind_of_stored_pairs(apps, schema_editor):
    """Clusters stored before resources took part hold sessions only."""
    DuplicateCluster = apps.get_model("insights", "DuplicateCluster")
    for cluster in DuplicateCluster.objects.only("pk", "pairs").iterator():
        pairs = [
            {**p, "a_kind": p.get("a_kind", "session"), "b_kind": p.get("b_kind", "session")}
            for p in cluster.pairs or []
        ]
        if pairs != cluster.pairs:
            DuplicateCluster.objects.filter(pk=cluster.pk).update(pairs=pairs)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_initial"),
        ("library", "0002_search_index"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="duplicatecluster",
            name="merged_cluster_names_its_session",
        ),
        migrations.AddField(
            model_name="detectorsnapshot",
            name="resources",
            field=models.PositiveIntegerField(
                db_default=0,
                default=0,
                help_text="Stand-alone library resources compared with the sessions.",
            ),
        ),
        migrations.AddField(
            model_name="duplicatecluster",
            name="merged_into_resource",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="library.resource",
            ),
        ),
        migrations.AddField(
            model_name="duplicatecluster",
            name="resources",
            field=models.ManyToManyField(
                blank=True, related_name="duplicate_clusters", to="library.resource"
            ),
        ),
        migrations.AlterField(
            model_name="duplicatecluster",
            name="status",
            field=models.CharField(
                choices=[
                    ("proposed", "Proposed"),
                    ("duplicate", "Duplicate"),
                    ("not_duplicate", "Not a duplicate"),
                    ("merged", "Merged into one copy"),
                ],
                default="proposed",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="duplicatecluster",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("merged_into__isnull", True), ("status", "merged")),
                    models.Q(("merged_into_resource__isnull", True), ("status", "merged")),
                    models.Q(("merged_into__isnull", True), ("merged_into_resource__isnull", True)),
                    _connector="OR",
                ),
                name="merged_cluster_names_one_copy",
            ),
        ),
        migrations.RunPython(name_the_kind_of_stored_pairs, migrations.RunPython.noop),
    ]
