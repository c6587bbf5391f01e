"""python manage.py export_resources --format csv|xlsx|hsds OUTPUT [--include-staff-only]"""

import os
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from resources import exports, hsds


class Command(BaseCommand):
    help = (
        "Export the directory: csv (UTF-8 with BOM, Japanese headers) or xlsx, which "
        "import_resources reads back, or hsds (Open Referral HSDS 3.0: a datapackage of CSV "
        "tables plus organizations.json; OUTPUT ending in .zip gives a zip file, anything else "
        "a directory). Public entries only unless --include-staff-only."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="File to write (for hsds: a directory or a .zip).")
        parser.add_argument("--format", choices=["csv", "xlsx", "hsds"], default="csv")
        parser.add_argument(
            "--include-staff-only",
            action="store_true",
            help=(
                "Also staff-only organisations and services, and the addresses of locations "
                "that hide them (csv and xlsx only). Keep such a file as you keep case files."
            ),
        )

    def handle(self, *args, output, format, include_staff_only, **options):
        target = Path(output)
        if format == "hsds" and include_staff_only:
            raise CommandError("HSDS exports are open data: they hold public entries only.")
        started = time.monotonic()
        if format == "hsds":
            counts = self._hsds(target)
            summary = (
                f"{counts[hsds.JSON_NAME]} organisations, {counts['service']} services, "
                f"{counts['location']} locations, {counts['schedule']} schedules"
            )
        else:
            writer = exports.write_csv if format == "csv" else exports.write_xlsx
            # Written beside the target and renamed at the end: a failed export leaves no
            # half-written file where the previous one was.
            partial = target.with_name(target.name + ".part")
            try:
                with open(partial, "wb") as stream:
                    rows = writer(stream, include_staff_only=include_staff_only)
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
            summary = f"{rows} rows"
        scope = "public and staff-only entries" if include_staff_only else "public entries"
        self.stdout.write(
            f"Wrote {summary} ({scope}) to {target} in {time.monotonic() - started:.1f} s."
        )

    def _hsds(self, target: Path) -> dict[str, int]:
        if target.suffix.lower() == ".zip":
            partial = target.with_name(target.name + ".part")
            try:
                counts = hsds.write_zip(partial)
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
            return counts
        if target.exists() and not target.is_dir():
            raise CommandError(f"{target} is a file: give a directory or a name ending in .zip.")
        return hsds.write_directory(target)
