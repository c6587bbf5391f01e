import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conferences", "0004_calendar"),
        ("districts", "0003_population_totals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="IssueEvidence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        help_text="What the item shows about the issue: no names, addresses or case codes.",
                        verbose_name="anonymised note",
                    ),
                ),
                (
                    "target_group",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("children", "Children and child-rearing"),
                            ("elderly", "Older people"),
                            ("disability", "People with disabilities"),
                            ("hardship", "Financial hardship"),
                            ("all", "All generations"),
                        ],
                        max_length=16,
                        verbose_name="target group",
                    ),
                ),
                (
                    "support_level",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("information", "Information (情報提供)"),
                            ("self_plan", "Self plan (セルフプラン)"),
                            ("support_plan", "Support plan (支援プラン・サポートプラン)"),
                        ],
                        max_length=16,
                        verbose_name="support level",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="tagged at")),
                (
                    "agenda_item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="evidence",
                        to="conferences.agendaitem",
                        verbose_name="agenda item",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="tagged by",
                    ),
                ),
                (
                    "issue",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="evidence",
                        to="districts.districtissue",
                        verbose_name="district issue",
                    ),
                ),
            ],
            options={
                "verbose_name": "issue evidence",
                "verbose_name_plural": "issue evidence",
                "ordering": ["created_at", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("agenda_item", "issue"), name="unique_issue_evidence_per_item"
                    )
                ],
            },
        ),
    ]
