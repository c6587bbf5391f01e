"""The directory's normalised search key (resources.search), filled for existing organisations."""

from collections import defaultdict

from django.db import migrations, models

BATCH = 1000


def fill_search_text(apps, schema_editor):
    # The normalisation itself is a pure function of text; the keys are built here from the
    # historical models, the same way organisations_search_refresh builds them.
    from resources.search import _FIELD_SEPARATOR, normalise

    Organisation = apps.get_model("resources", "Organisation")
    Service = apps.get_model("resources", "Service")
    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        names = defaultdict(list)
        for organisation_id, name in (
            Service.objects.filter(organisation_id__in=chunk)
            .order_by("organisation_id", "name", "pk")
            .values_list("organisation_id", "name")
        ):
            names[organisation_id].append(name)
        organisations = list(Organisation.objects.filter(pk__in=chunk))
        for organisation in organisations:
            keys = []
            for field in [
                organisation.name,
                organisation.reading,
                organisation.name_en,
                *names[organisation.pk],
            ]:
                key = normalise(field)
                if key and key not in keys:
                    keys.append(key)
            organisation.search_text = _FIELD_SEPARATOR.join(keys)
        Organisation.objects.bulk_update(organisations, ["search_text"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0002_directory_hsds_schedules_visits_ties"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="search_text",
            field=models.TextField(
                blank=True, default="", editable=False, verbose_name="search key"
            ),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
