"""python manage.py import_areas FILE [--dry-run]: the Area tree from a CSV or Excel table."""

from django.utils.translation import gettext_lazy as _

from districts.imports import ImportCommand, areas_import


class Command(ImportCommand):
    help = _(
        "Create or update areas by code from a CSV or Excel table with the columns コード, 名称, "
        "階層 (市区町村 / 地域 / 地区), 親コード and optionally 読み仮名. Parents may come after "
        "their children. A file with any problem is rejected whole."
    )

    def run_import(self, options):
        return areas_import(
            source=options["file"], filename=options["file"], dry_run=options["dry_run"]
        )
