"""manage.py import_resources FILE [--dry-run] [--merge-duplicates] [--language ja|en]"""

from argparse import BooleanOptionalAction, RawDescriptionHelpFormatter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from districts.tables import ImportRejected
from resources.imports import CHECKING, SAVING, ImportReport, resource_import

HELP = """Import organisations, services and places into the directory from a CSV or Excel file.

Accepted layouts (CSV in UTF-8, UTF-8 with BOM or Shift_JIS/CP932, or .xlsx), found from the
header:
  1. A Tsunagu export (export_resources): 組織ID, 名称, 名称_カナ, 種別, ..., 住所非公開.
  2. 介護サービス事業所一覧 (自治体標準オープンデータセット): 介護サービス事業所名称, 実施サービス,
     住所, 方書, 緯度, 経度, 電話番号, FAX番号, 法人番号, 法人の名称, 事業所番号, 利用可能曜日, ...
  3. 介護サービス情報公表システム open data: 事業所名, 事業所名カナ, サービスの種類,
     方書（ビル名等）, 利用可能曜日特記事項, ...
  4. 子育て施設一覧 (自治体標準オープンデータセット): 名称, 名称_カナ, 種別, 所在地_連結表記 (or
     所在地_都道府県/市区町村/町字/番地以下), 建物名等(方書), 開始時間, 終了時間, ...
A row is matched to a stored organisation by 組織ID, 事業所番号, open-data ID, 法人番号 and name,
or the name and address it was first imported with, so importing a file again updates rather
than duplicates. Likely duplicates (the same normalised name and the same address or phone) are
listed, and merged into the existing entry only with --merge-duplicates. Addresses are placed
in districts; one outside every district imports without one, with a warning. A file with any
problem is rejected whole, every problem listed with its line and column, and nothing is
written; the command then exits with 1. See resources/imports.py for every rule.
"""
BAR_WIDTH = 30


class Command(BaseCommand):
    help = HELP
    # Messages go out in --language (Japanese by default), not the untranslated en-us that
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
            help="Check the file and report what would change; write nothing.",
        )
        parser.add_argument(
            "--merge-duplicates",
            action="store_true",
            help="Merge likely duplicates into the existing entry (fill its empty fields, add "
            "services and places; nothing is deleted or overwritten).",
        )
        parser.add_argument(
            "--progress",
            action=BooleanOptionalAction,
            default=None,
            help="Show a progress bar on stderr (default: when stderr is a terminal).",
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
        show_progress = options["progress"]
        if show_progress is None:
            show_progress = self.stderr.isatty()
        bar = ProgressBar(self.stderr) if show_progress else None
        try:
            with open(options["file"], "rb") as source:
                report = resource_import(
                    source=source,
                    filename=options["file"],
                    dry_run=options["dry_run"],
                    merge_duplicates=options["merge_duplicates"],
                    progress=bar,
                )
        except OSError as error:
            raise CommandError(
                _("The file cannot be opened: %(error)s") % {"error": error.strerror or error}
            ) from error
        except ImportRejected as rejected:
            if bar:
                bar.finish()
            for problem in rejected.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("The file was rejected with %(count)s problem(s); nothing was written.")
                % {"count": len(rejected.problems)}
            ) from None
        if bar:
            bar.finish()
        self._report(report)

    def _report(self, report: ImportReport) -> None:
        self.stdout.write(_("Layout: %(layout)s") % {"layout": report.layout_name})
        if report.ignored_columns:
            self.stdout.write(
                _("Columns ignored: %(columns)s") % {"columns": "、".join(report.ignored_columns)}
            )
        for duplicate in report.duplicates:
            other = (
                _("line %(line)s") % {"line": duplicate.other_line}
                if duplicate.other_line
                else duplicate.other_uuid
            )
            text = _(
                "line %(line)s: 「%(name)s」 looks like 「%(other_name)s」 (%(other)s): %(reason)s"
            ) % {
                "line": duplicate.line,
                "name": duplicate.name,
                "other_name": duplicate.other_name,
                "other": other,
                "reason": duplicate.reason_label,
            }
            if duplicate.merged:
                text += " " + _("(merged)")
            self.stdout.write(self.style.WARNING(text))
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(str(warning)))
        summary = report.summary()
        self.stdout.write(summary if report.dry_run else self.style.SUCCESS(summary))
        if report.dry_run:
            self.stdout.write(_("Dry run: nothing was written."))


class ProgressBar:
    """A one-line progress bar redrawn with \\r: rows checked, then saving."""

    def __init__(self, stream):
        self.stream = stream
        self.drawn = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == CHECKING and total:
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            text = _("[%(bar)s] %(percent)3d%%  %(done)s/%(total)s rows checked") % {
                "bar": bar,
                "percent": 100 * done // total,
                "done": f"{done:,}",
                "total": f"{total:,}",
            }
        elif phase == SAVING:
            text = _("[%(bar)s] saving…") % {"bar": "#" * BAR_WIDTH}
        else:
            return
        self.stream.write("\r" + text.ljust(BAR_WIDTH + 40), ending="")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("")  # end the line
            self.drawn = False
