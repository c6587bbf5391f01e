from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conferences", "0002_cases_plans_pledges_minutes_revisions"),
    ]

    operations = [
        migrations.AddField(
            model_name="meeting",
            name="occurrence_on",
            field=models.DateField(
                blank=True, null=True, verbose_name="occurrence of the series"
            ),
        ),
        migrations.AddConstraint(
            model_name="meeting",
            constraint=models.UniqueConstraint(
                fields=("series", "occurrence_on"), name="unique_series_occurrence"
            ),
        ),
    ]
