"""The calendar feed's speed (issue 7): a feed of 10,000 events must answer in under 1 s on 2
cores; beside it, the time icalendar alone takes to serialise the same events, as a ratio.

    python bench/calendar_feed.py [--events 10000] [--requests 10]

1. migrates a throwaway SQLite database under /tmp and fills it with --events public meetings
   (Japanese titles and places, an online link on every third, one in twenty cancelled) spread
   over the feed's window, so every one of them is in /calendar/public.ics;
2. in one process on that database, times icalendar alone: building the VCALENDAR of the same
   meetings with conferences.calendar.meeting_event and serialising it (Calendar.to_ical), and
   the project's own writer (conferences.calendar.feed_ics) on the same rows, and checks that
   icalendar reads the writer's output back with every event;
3. serves the database as bench/run.py does (gunicorn, 2 sync workers, DEBUG=0, production
   settings; its helpers are reused) and times GET /calendar/public.ics over HTTP: a warm-up,
   then --requests sequential requests, plain and gzipped, and a conditional GET (304);
4. prints the figures, the ratio of icalendar alone to the served feed, and whether the feed
   met the 1 s target. Exits non-zero if a request fails.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (
    REPO,
    bench_environment,
    free_port,
    log,
    log_tail,
    manage,
    request,
    start_gunicorn,
    stop,
    wait_until_up,
)

TARGET_SECONDS = 1.0

# Runs inside `manage.py shell` on the throwaway database: fills it, then times icalendar alone
# and the project's writer on the same meetings; prints one JSON line.
FILL_AND_TIME = r"""
import datetime, json, time
from django.utils import timezone
from icalendar import Calendar, Timezone
from conferences import calendar
from conferences.models import Meeting, MeetingKind, MeetingLevel, MeetingVisibility
from districts.models import Area
from resources.models import Organisation

N = __EVENTS__
area = Area.objects.create(level=Area.Level.MUNICIPALITY, code="BENCH", name="ベンチ区")
org = Organisation.objects.create(
    name="ベンチ地域包括支援センター", kind=Organisation.Kind.COMMUNITY_CARE_CENTRE
)
now = timezone.now().replace(minute=0, second=0, microsecond=0)
span = (calendar.WINDOW_AHEAD + calendar.WINDOW_BACK).total_seconds() - 4 * 86400
first = now - calendar.WINDOW_BACK + datetime.timedelta(days=2)
rows = []
for i in range(N):
    start = first + datetime.timedelta(seconds=int(span * i / N))
    cancelled = i % 20 == 0
    rows.append(Meeting(
        kind=MeetingKind.DISTRICT_NETWORK, level=MeetingLevel.MUNICIPAL, area=area, organiser=org,
        title=f"第{i}回 地域ケアネットワーク会議（桜台・若葉・柏木の三地区合同、見守り）",
        starts_at=start, ends_at=start + datetime.timedelta(hours=2),
        place="桜台まちづくりセンター 2階 第1会議室、第2会議室；ロビー",
        online_url="https://meet.example.jp/room-%d" % i if i % 3 == 0 else "",
        visibility=MeetingVisibility.PUBLIC, sequence=i % 4,
        status=Meeting.Status.CANCELLED if cancelled else Meeting.Status.PLANNED,
        cancelled_at=now if cancelled else None,
    ))
Meeting.objects.bulk_create(rows, batch_size=1000)

public = Meeting.objects.filter(visibility=MeetingVisibility.PUBLIC)
meetings = calendar.in_window(public, now=timezone.now())
objects = list(meetings.order_by("starts_at", "pk"))
url = "https://tsunagu.example.lg.jp/calendar/m/%s.ics"

started = time.perf_counter()
cal = Calendar()
cal.add("prodid", calendar.PRODID)
cal.add("version", "2.0")
cal.add_component(Timezone.from_tzid(calendar.TIME_ZONE))
for meeting in objects:
    event = calendar.meeting_event(meeting=meeting, url=url % meeting.uid, now=meeting.updated_at)
    cal.add_component(event)
built = time.perf_counter()
icalendar_bytes = cal.to_ical()
icalendar_done = time.perf_counter()

started_writer = time.perf_counter()
rows = calendar.feed_rows(meetings)
body = calendar.feed_ics(rows=rows, name="ベンチ", url_for=lambda uid: url % uid)
writer_done = time.perf_counter()
read_back = len(Calendar.from_ical(body).walk("VEVENT"))
print(json.dumps({
    "events": len(objects),
    "icalendar_build": built - started,
    "icalendar_serialise": icalendar_done - built,
    "icalendar_bytes": len(icalendar_bytes),
    "writer_with_query": writer_done - started_writer,
    "writer_bytes": len(body),
    "read_back": read_back,
}))
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=10)
    return parser.parse_args()


def timed(port: int, path: str, *, headers=None) -> tuple[float, int, int]:
    started = time.perf_counter()
    answer = request(port, "GET", path, headers=headers)
    elapsed = time.perf_counter() - started
    if answer.status not in (200, 304):
        raise SystemExit(f"GET {path} answered {answer.status}")
    return elapsed, answer.status, len(answer.body)


def series(port: int, path: str, *, count: int, headers=None) -> list[float]:
    for _ in range(2):
        timed(port, path, headers=headers)
    return [timed(port, path, headers=headers)[0] for _ in range(count)]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tsunagu-bench-calendar-"))
    database = workdir / "db.sqlite3"
    env = bench_environment(workdir, database=database)
    (workdir / "static").mkdir()
    server = None
    try:
        manage(env, "migrate", "--noinput")
        script = FILL_AND_TIME.replace("__EVENTS__", str(args.events))
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit("filling the database failed")
        inproc = json.loads(result.stdout.strip().splitlines()[-1])
        if inproc["read_back"] != inproc["events"]:
            raise SystemExit("icalendar did not read every event of the feed back")
        log(f"{inproc['events']} events in the feed")

        port = free_port()
        server = start_gunicorn(env, port=port, log_path=workdir / "gunicorn.log")
        wait_until_up(port, server=server)
        path = "/calendar/public.ics"
        first, status, size = timed(port, path)
        plain = series(port, path, count=args.requests)
        zipped_headers = {"Accept-Encoding": "gzip"}
        zipped = series(port, path, count=args.requests, headers=zipped_headers)
        zipped_size = timed(port, path, headers=zipped_headers)[2]
        etag = request(port, "GET", path).headers["ETag"]
        conditional = series(port, path, count=args.requests, headers={"If-None-Match": etag})
        if timed(port, path, headers={"If-None-Match": etag})[1] != 304:
            raise SystemExit("the conditional GET did not answer 304")
    except BaseException:
        log_tail(workdir / "gunicorn.log")
        raise
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(workdir, ignore_errors=True)

    icalendar_total = inproc["icalendar_build"] + inproc["icalendar_serialise"]
    served = statistics.median(plain)
    lines = [
        f"# Calendar feed, {inproc['events']:,} events "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        "| what | median | p95 | size |",
        "| --- | --- | --- | --- |",
        f"| GET {path} (gunicorn, 2 workers) | {served * 1000:.0f} ms | "
        f"{p95(plain) * 1000:.0f} ms | {size / 1e6:.1f} MB |",
        f"| same, gzip | {statistics.median(zipped) * 1000:.0f} ms | "
        f"{p95(zipped) * 1000:.0f} ms | {zipped_size / 1e6:.2f} MB |",
        f"| same, If-None-Match (304) | {statistics.median(conditional) * 1000:.1f} ms | "
        f"{p95(conditional) * 1000:.1f} ms | 0 |",
        f"| first request after start | {first * 1000:.0f} ms | | |",
        "",
        f"- icalendar alone, same events: build {inproc['icalendar_build']:.2f} s + serialise "
        f"{inproc['icalendar_serialise']:.2f} s = {icalendar_total:.2f} s "
        f"({inproc['icalendar_bytes'] / 1e6:.1f} MB)",
        f"- the project's writer in process, query included: {inproc['writer_with_query']:.2f} s",
        f"- ratio icalendar alone / served feed: {icalendar_total / served:.1f}x "
        f"(serialising only: {inproc['icalendar_serialise'] / served:.1f}x)",
        f"- target: the feed under {TARGET_SECONDS:.0f} s: "
        + ("met" if served < TARGET_SECONDS else "NOT met"),
    ]
    print("\n".join(lines))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
