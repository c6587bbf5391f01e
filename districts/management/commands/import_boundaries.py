"""python manage.py import_boundaries FILE.geojson [--dry-run] [--code-property code]."""

from django.utils.translation import gettext_lazy as _

from districts.imports import ImportCommand, boundaries_import


class Command(ImportCommand):
    help = _(
        "Store area boundaries from a GeoJSON FeatureCollection in longitude/latitude: each "
        "feature holds a Polygon or MultiPolygon and the area's code in a property. Problems "
        "give the feature's number (the first is 1) as the line."
    )

    problems_note = _("Problems by feature: line 1 is the first feature in the file.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--code-property",
            default="code",
            help=_("The feature property holding the area code (default: code)."),
        )

    def run_import(self, options):
        return boundaries_import(
            source=options["file"],
            code_property=options["code_property"],
            dry_run=options["dry_run"],
        )
