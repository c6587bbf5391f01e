"""Times the directory import (resources.imports) on a generated table: target 10,000 rows in
under 30 s on 2 cores.

    .venv/bin/python bench/import_resources.py [--rows 10000] [--keep]

In a throwaway SQLite database under /tmp (or the database DATABASE_URL names, which must be
empty and disposable): migrates, builds the demo ward (`seed_demo --scale 1`: its districts, 町丁目
and some hundred organisations), then writes a 介護サービス事業所一覧 table in Shift_JIS with
--rows rows: addresses in the ward's 町丁目 (one in twenty in the next city, which import with a
warning), 全角 phone numbers on some rows, schedules in Japanese, 事業所番号 on most rows and a
name and address only on the rest. It then times, each as `manage.py import_resources` would run
it: a dry run, the first import (everything created) and the same file again (everything
unchanged), with the time spent reading and checking the rows and the time spent saving, and
prints the figures. The developer's db.sqlite3 is never touched.
"""

import argparse
import io
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 30
SERVICES = [
    "通所介護",
    "訪問介護",
    "居宅介護支援",
    "訪問看護",
    "短期入所生活介護",
    "認知症対応型共同生活介護",
    "小規模多機能型居宅介護",
    "福祉用具貸与",
    "通所リハビリテーション",
    "介護老人福祉施設",
]
BRANDS = ["ひだまり", "あおば", "さくら", "こもれび", "なごみ", "たんぽぽ", "ひまわり", "すみれ"]
DAYS = [
    "月～金",
    "月～土",
    "毎日",
    "平日",
    "月・水・金",
    "火～土 9:00～17:00",
    "第1・第3水曜",
    "要相談",
]
HEADER = [
    "介護サービス事業所名称",
    "介護サービス事業所名称_カナ",
    "実施サービス",
    "住所",
    "方書",
    "緯度",
    "経度",
    "電話番号",
    "FAX番号",
    "法人番号",
    "法人の名称",
    "事業所番号",
    "利用可能曜日",
    "利用可能日時特記事項",
    "定員",
    "URL",
    "備考",
]
WIDE = str.maketrans("0123456789-", "０１２３４５６７８９－")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tsunagu-import-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("seed_demo", scale=1, verbosity=0, stdout=io.StringIO())
        print(
            f"database: {connection.vendor}; setup (migrate, seed_demo --scale 1): "
            f"{time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        path = workdir / "kaigo.csv"
        path.write_bytes(generate(args.rows))
        print(f"table: {args.rows:,} rows, {path.stat().st_size / 1024:,.0f} KiB (Shift_JIS)")
        results = [run("dry run", path, dry_run=True)]
        results.append(run("first import", path))
        results.append(run("same file again", path))
        print_table(results, args.rows)
    finally:
        if args.keep:
            print(f"kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def generate(rows: int) -> bytes:
    """The 介護サービス事業所一覧 of an imaginary ward, in Shift_JIS as municipalities publish
    it."""
    import csv

    from districts.models import Chome

    rng = random.Random(1)
    chome = list(Chome.objects.filter(valid_to__isnull=True).values_list("name", flat=True))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(rows):
        service = SERVICES[n % len(SERVICES)]
        brand = rng.choice(BRANDS)
        if n % 20 == 19:
            address = f"東京都となり市本町{rng.randint(1, 9)}-{rng.randint(1, 30)}"
        else:
            address = f"東京都若草区{rng.choice(chome)}{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
        phone = f"03-{rng.randint(1000, 9999)}-{n % 10000:04d}"
        writer.writerow(
            [
                f"{brand}{service}{n:05d}",
                "",
                service,
                address,
                rng.choice(["", "", "第一ビル1階", "コーポ若草2F"]),
                f"{35.60 + rng.random() / 10:.6f}",
                f"{139.60 + rng.random() / 10:.6f}",
                phone.translate(WIDE) if n % 4 == 0 else phone,
                "",
                f"{rng.randint(10**12, 10**13 - 1)}" if n % 3 == 0 else "",
                f"社会福祉法人{brand}会",
                f"13{n:08d}" if n % 10 else "",  # one row in ten: name and address only
                rng.choice(DAYS),
                rng.choice(["", "祝日は休み", "年末年始は休み"]),
                str(rng.randint(10, 60)) if n % 2 else "",
                f"https://{n}.kaigo.example.jp/" if n % 5 == 0 else "",
                "",
            ]
        )
    return buffer.getvalue().encode("cp932")


def run(label: str, path: Path, *, dry_run: bool = False) -> dict:
    from resources.imports import SAVING, resource_import

    marks = {}

    def progress(phase, done, total):
        marks.setdefault(phase, time.perf_counter())

    started = time.perf_counter()
    report = resource_import(source=path, filename=path.name, dry_run=dry_run, progress=progress)
    finished = time.perf_counter()
    saving = marks.get(SAVING, finished)
    result = {
        "label": label,
        "seconds": finished - started,
        "checking": saving - started,
        "saving": finished - saving,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "warnings": len(report.warnings),
        "duplicates": len(report.duplicates),
    }
    print(f"{label}: {result['seconds']:.1f} s", file=sys.stderr)
    return result


def print_table(results: list[dict], rows: int) -> None:
    print()
    print(
        "| run | total s | rows/s | reading+checking s | matching+saving s | created | updated "
        "| unchanged | warnings | likely duplicates |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['label']} | {r['seconds']:.1f} | {rows / r['seconds']:,.0f} | "
            f"{r['checking']:.1f} | {r['saving']:.1f} | {r['created']:,} | {r['updated']:,} | "
            f"{r['unchanged']:,} | {r['warnings']:,} | {r['duplicates']:,} |"
        )
    worst = max(r["seconds"] for r in results)
    verdict = "met" if worst < TARGET_SECONDS else "NOT met"
    print(
        f"\nTarget: {rows:,} rows in under {TARGET_SECONDS} s: {verdict} (slowest {worst:.1f} s)."
    )
    print(f"Machine: {os.cpu_count()} CPU(s).")


if __name__ == "__main__":
    sys.exit(main())
