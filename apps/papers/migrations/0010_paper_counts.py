"""The summary of public counts and the triggers that keep it exact (issue 14), filled from
the papers already there. See apps/papers/counts.py."""

from django.db import migrations, models


def forward(apps, schema_editor):
    from apps.papers.counts import counts_recompute, install_count_triggers

    install_count_triggers(schema_editor.connection)
    counts_recompute(schema_editor.connection)


def backward(apps, schema_editor):
    from apps.papers.counts import drop_count_triggers

    drop_count_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("papers", "0009_merge_open_issues")]

    operations = [
        migrations.CreateModel(
            name="PaperCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "dimension",
                    models.CharField(
                        choices=[
                            ("all", "All papers"),
                            ("phase", "Phase"),
                            ("challenge", "Challenge"),
                            ("direction", "Research direction"),
                            ("category", "arXiv category"),
                        ],
                        max_length=10,
                    ),
                ),
                ("item", models.CharField(blank=True, max_length=40)),
                ("year", models.PositiveSmallIntegerField(help_text="0: papers without a year.")),
                ("papers", models.IntegerField(default=0)),
            ],
            options={
                "ordering": ("dimension", "item", "year"),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("dimension", "item", "year"), name="papers_papercount_unique_cell"
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
