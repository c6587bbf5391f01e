"""python manage.py import_chome FILE [--dry-run]: the district of each 町丁目, and since when."""

from django.utils.translation import gettext_lazy as _

from districts.imports import ImportCommand, chome_import


class Command(ImportCommand):
    help = _(
        "Assign 町丁目 to districts from a CSV or Excel table: either the current table "
        "(町丁目, 地区コード, optionally 読み仮名 and 有効開始日) or an old/new table published "
        "when districts are redrawn (町丁目, 旧地区コード, 新地区コード, 変更日): the old "
        "membership ends the day before 変更日 and is kept. Importing a file again changes nothing."
    )

    def run_import(self, options):
        return chome_import(
            source=options["file"], filename=options["file"], dry_run=options["dry_run"]
        )
