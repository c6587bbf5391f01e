"""manage.py import_population FILE [--dry-run] [--surveyed-on DATE] [--language ja|en]"""

from argparse import RawDescriptionHelpFormatter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from districts.population import parse_survey_date, population_import
from districts.tables import ImportRejected

HELP = """Import population figures by age band (and sex) from a CSV or Excel file.

Accepted layouts (CSV in UTF-8, UTF-8 with BOM or Shift_JIS/CP932, or .xlsx):
  1. 地域・年齢別人口 (自治体標準オープンデータセット): 全国地方公共団体コード, 地域コード,
     地方公共団体名, 調査年月日, 地域名, 総人口, 男性, 女性, 0-4歳の男性, 0-4歳の女性, ...,
     85歳以上の男性, 85歳以上の女性, 世帯数, 備考. The older header
     (都道府県コード又は市区町村コード, 地域コード, 都道府県名, 市区町村名, ...) too.
  2. e-Stat 小地域 tables keyed by 町丁目, simplified: a 町丁目 name column (町丁字名, 町丁・字等名
     or 地域名), 調査年月日 or --surveyed-on, and age bands such as 0～4歳, 男0～4歳, 0～4歳の女性.
Headers are read after NFKC; 0～4歳, 0〜4歳 and 0-4歳 are the same. Bands over 85 (85-89歳 ...
100歳以上) are added into 85+; other groupings (0-14歳, 65歳以上) and 年齢不詳 are ignored.

Rows are matched by 地域コード (an area's code), else by 地域名: a 町丁目 (its figures go to the
district that held it on the survey date) or an area's name; a row without either (a
municipality's total) by its municipality code or name. Remove subtotal rows (合計, or a town's
total beside its 丁目): they would be counted twice. Dates: 2026-04-01, 2026/4/1, 20260401,
令和8年4月1日. What the file gives is stored (male/female and/or totals); re-importing replaces
the figures of the areas and dates in the file. A file with any problem is rejected whole, every
problem listed with its line and column, and nothing is written; the command then exits with 1.
"""


class Command(BaseCommand):
    help = HELP
    # Messages go out in --language (Japanese by default), not in the untranslated en-us that
    # Django switches management commands to.
    leave_locale_alone = True

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", RawDescriptionHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (.csv) or Excel (.xlsx) file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what would change (per area: new, changed, unchanged); write nothing.",
        )
        parser.add_argument(
            "--surveyed-on",
            help="Survey date for files without a 調査年月日 column (or blank cells in it).",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="Language of the report (default: LANGUAGE_CODE, Japanese).",
        )

    def handle(self, *args, **options):
        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            self._import(options)

    def _import(self, options):
        surveyed_on = None
        if options["surveyed_on"]:
            try:
                surveyed_on = parse_survey_date(options["surveyed_on"])
            except ValueError as error:
                raise CommandError(
                    _("「%(value)s」 is not a date.") % {"value": options["surveyed_on"]}
                ) from error
        try:
            with open(options["file"], "rb") as source:
                report = population_import(
                    source=source,
                    filename=options["file"],
                    dry_run=options["dry_run"],
                    surveyed_on=surveyed_on,
                )
        except OSError as error:
            raise CommandError(
                _("The file cannot be opened: %(error)s") % {"error": error.strerror or error}
            ) from error
        except ImportRejected as rejected:
            for problem in rejected.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("The file was rejected with %(count)s problem(s); nothing was written.")
                % {"count": len(rejected.problems)}
            ) from None

        for change in report.changes:
            before = "—" if change.before is None else f"{change.before:,}"
            self.stdout.write(
                _(
                    "%(date)s  %(code)s  %(name)s  %(status)s  %(before)s → %(after)s  "
                    "(%(rows)s row(s))"
                )
                % {
                    "date": change.surveyed_on.isoformat(),
                    "code": change.area.code,
                    "name": change.area.name,
                    "status": change.status_label,
                    "before": before,
                    "after": f"{change.after:,}",
                    "rows": change.source_rows,
                }
            )
        summary = _(
            "%(rows)s row(s) read: %(new)s new, %(changed)s changed, %(unchanged)s unchanged."
        ) % {
            "rows": report.rows,
            "new": report.new,
            "changed": report.changed,
            "unchanged": report.unchanged,
        }
        self.stdout.write(summary)
        if report.dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(count)s figure(s) written.") % {"count": report.figures_written}
                )
            )
