"""`make bench`: the key pages' SQL queries and latency at growing demo scales, beside a bare view.

What it does, all in a throwaway directory under /tmp (the developer's db.sqlite3 is never touched):
1. migrates a fresh SQLite database and runs `collectstatic` into a temporary STATIC_ROOT (DEBUG=0
   uses WhiteNoise's manifest storage), once for the whole run;
2. for each scale of `--scales` (default 1,10), in turn: copies the migrated database, runs
   `seed_demo --scale N` into it and takes the area codes of the pages from it (the first
   municipality, region and district by code);
3. serves it with gunicorn (2 sync workers on 127.0.0.1, a free port), DEBUG=0, a throwaway
   SECRET_KEY and ALLOWED_HOSTS=127.0.0.1, with bench.settings: the production settings plus a
   bare view at /bench/bare/ behind the same middleware;
4. logs in as the demo chair through the real login form (CSRF token and session cookie);
5. counts each page's SQL queries in process (bench/queries.py: test Client + CaptureQueriesContext
   on the same database), then times it over HTTP with the standard library: a few warm-up
   requests, then sequential requests in rounds (one request per page per round, so drift on a
   shared machine affects every page alike), noting how busy the rest of the machine was;
6. prints one Markdown table per scale (queries, median and p95 latency, median / bare median),
   then how each page's queries grow from the smallest scale to the largest (the area pages and the
   comparison must not grow) and the time of the comparison of all districts over that of one
   district page (the target is under 3x at scale 10), and writes it all, with the machine's
   description, to bench/results/<UTC date>-<hostname>.md.

Requests carry X-Forwarded-Proto: https, as the TLS-terminating proxy in front of a real
deployment would, so the production security settings apply unchanged. Exits non-zero if any
request answers anything but 200; the growth and ratio verdicts are printed, not enforced (the
latencies of a shared machine are too noisy to fail a build on).
"""

import argparse
import datetime
import http.client
import importlib.metadata
import itertools
import json
import os
import platform
import re
import resource
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
DEMO_USER = "chair"
DEMO_PASSWORD = "tsunagu-demo-2026"
WORKERS = 2
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
# The issue's targets: these pages' query counts must not grow with the data, and the comparison
# of all districts must take under this many times one district page at scale 10.
RATIO_TARGET = 3.0
RATIO_TARGET_SCALE = 10
# Saving one agenda item's minutes must cost under this many times a render of the dashboard.
SAVE_TARGET = 2.0
SAVE_ROUNDS = itertools.count(1)
# Every page gets this many warm-up requests, and more (up to --warmup) while they take less than
# this share of its --budget.
MIN_WARMUP = 2
WARMUP_SHARE = 0.2


@dataclass
class Page:
    key: str  # stable across scales (the area codes in the paths may differ)
    label: str
    path: str
    as_staff: bool  # requested with the chair's session cookie
    constant_queries: bool = False  # the issue requires a count that does not grow with the data
    save_item: int | None = None  # posts this agenda item's minutes (htmx) instead of a GET
    version: int | None = None  # the item's version the next post starts from
    queries: int | None = None
    timings_ms: list[float] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # non-200 status codes seen

    def median(self) -> float:
        return statistics.median(self.timings_ms)

    def p95(self) -> float:
        return statistics.quantiles(self.timings_ms, n=20, method="inclusive")[-1]


@dataclass
class Load:
    """How busy the machine was while one scale was served and timed."""

    load_before: float  # 1-minute load average
    load_after: float
    others_share: float | None  # share of all cores used by processes other than this run's


@dataclass
class ScaleRun:
    scale: int
    areas: dict  # codes and counts from bench.queries --areas
    pages: list[Page]
    seed_seconds: float
    load: Load | None = None

    def page(self, key: str) -> Page:
        return next(page for page in self.pages if page.key == key)


def bench_pages(areas: dict, meeting: dict) -> list[Page]:
    def area_page(level: str, label: str) -> Page:
        code = areas[level]
        return Page(f"area_{level}", label, f"/staff/areas/{code}/", True, constant_queries=True)

    meeting_path = f"/staff/meetings/{meeting['uid']}"

    return [
        Page("dashboard", "Staff dashboard (chair)", "/staff/", as_staff=True),
        area_page("district", "Area page: district"),
        area_page("region", "Area page: region"),
        area_page("municipality", "Area page: municipality"),
        Page(
            "comparison",
            "District comparison (all districts)",
            "/staff/areas/compare/",
            as_staff=True,
            constant_queries=True,
        ),
        Page("directory", "Staff directory list", "/staff/directory/", as_staff=True),
        Page(
            "agenda",
            f"Agenda builder ({meeting['items']} items)",
            f"{meeting_path}/agenda/",
            as_staff=True,
            constant_queries=True,
        ),
        Page(
            "minutes",
            f"Minutes ({meeting['items']} items)",
            f"{meeting_path}/minutes/",
            as_staff=True,
            constant_queries=True,
        ),
        Page(
            "minutes_save",
            "Save one item's minutes (POST, htmx)",
            f"{meeting_path}/minutes/items/{meeting['item']}/",
            as_staff=True,
            save_item=meeting["item"],
        ),
        Page("home", "Public home page", "/", as_staff=False),
        Page("bare", "Bare Django view", "/bench/bare/", as_staff=False),  # bench/urls.py
    ]


def scale_list(text: str) -> list[int]:
    try:
        scales = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of integers: {text!r}"
        ) from None
    if not scales or scales[0] < 1:
        raise argparse.ArgumentTypeError("scales are positive integers, e.g. 1,10")
    return scales


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--scales",
        type=scale_list,
        default=[1, RATIO_TARGET_SCALE],
        help="seed_demo scales to build and measure in turn (default 1,10)",
    )
    which.add_argument("--scale", type=int, help="measure one scale only (same as --scales N)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page, at most")
    parser.add_argument(
        "--min-requests", type=int, default=10, help="timed requests per page, at least"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=15,
        help="seconds of timed requests after which a page stops (once it has --min-requests)",
    )
    parser.add_argument(
        "--warmup", type=int, default=10, help="untimed requests per page first, at most"
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory")
    args = parser.parse_args()
    if args.scale is not None:
        args.scales = scale_list(str(args.scale))
    return args


def log(message: str) -> None:
    # Progress goes to stderr: stdout carries only the report.
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- Building and serving the demo -------------------------------------------------------------


def bench_environment(workdir: Path, *, database: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        PYTHONPATH=str(REPO),
        DATABASE_URL=f"sqlite:///{database}",
        BENCH_STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(database.parent / "media"),
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    return env


def copy_database(source: Path, target: Path) -> None:
    # SQLite's backup API: a consistent copy whatever the journal mode.
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def manage(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    elapsed = time.perf_counter() - started
    log(f"manage.py {' '.join(args)}: {elapsed:.1f} s")
    return elapsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], *, port: int, log_path: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        f"--workers={WORKERS}",
        f"--bind=127.0.0.1:{port}",
        f"--error-logfile={log_path}",
        # Gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl, shared with any other gunicorn.
        "--no-control-socket",
    ]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)


def wait_until_up(port: int, *, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited while starting")
        try:
            if request(port, "GET", "/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer /healthz within {timeout:.0f} s")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def log_tail(path: Path, *, lines: int = 30) -> None:
    if path.exists():
        sys.stderr.write("".join(path.read_text().splitlines(keepends=True)[-lines:]))


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def request(
    port: int,
    method: str,
    path: str,
    *,
    connection: http.client.HTTPConnection | None = None,
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> Response:
    """One request, reading the whole body. Reuses `connection` when given (keep-alive)."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={**PROXY_HEADERS, **(headers or {})})
        answer = conn.getresponse()
        return Response(answer.status, answer.headers, answer.read())
    finally:
        if connection is None:
            conn.close()


def cookies_from(response: Response) -> dict[str, str]:
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    return cookies


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def log_in(port: int, *, username: str, password: str) -> str:
    """Log in through the real form; returns the Cookie header of the authenticated session."""
    login_path = "/staff/login/"
    form = request(port, "GET", login_path)
    if form.status != 200:
        raise SystemExit(f"{login_path} answered {form.status}")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    if not match:
        raise SystemExit("no CSRF token in the login form")
    cookies = cookies_from(form)
    answer = request(
        port,
        "POST",
        login_path,
        headers={
            "Cookie": cookie_header(cookies),
            "Content-Type": "application/x-www-form-urlencoded",
            # Django checks the Referer of HTTPS posts against the host.
            "Referer": f"https://127.0.0.1:{port}{login_path}",
        },
        body=urlencode(
            {
                "csrfmiddlewaretoken": match.group(1).decode(),
                "username": username,
                "password": password,
            }
        ),
    )
    cookies.update(cookies_from(answer))
    if answer.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"logging in as {username} failed (status {answer.status})")
    return cookie_header(cookies)


# --- Measuring -----------------------------------------------------------------------------------


def bench_queries(env: dict[str, str], *args: str, spec=None):
    """Runs bench/queries.py (Django, in process, on the run's database); returns its JSON."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.queries", *args],
        cwd=REPO,
        env=env,
        input=json.dumps(spec) if spec is not None else "",
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"python -m bench.queries {' '.join(args)} failed")
    return json.loads(result.stdout)


def count_queries(env: dict[str, str], pages: list[Page]) -> None:
    spec = [
        {
            "path": page.path,
            "user": DEMO_USER if page.as_staff else None,
            "save_item": page.save_item,
        }
        for page in pages
    ]
    for page, counted in zip(pages, bench_queries(env, spec=spec), strict=True):
        page.queries = counted["queries"]
        if counted["status"] != 200:
            page.failures.append(counted["status"])


def time_pages(port: int, pages: list[Page], *, cookie: str, args: argparse.Namespace) -> None:
    """Sequential requests in rounds over one keep-alive connection (reopened when the server
    closes it): warm-up rounds, then timed rounds. A slow page leaves the rounds once it has had
    its minimum and spent its budget, so scale 10 takes minutes, not a quarter of an hour, while
    the fast pages keep all their samples."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    warmup_ms = {page.key: [] for page in pages}

    csrf_token = re.search(r"csrftoken=([^;]+)", cookie)

    def get(page: Page) -> float:
        headers = {"Cookie": cookie} if page.as_staff else {}
        method, body = "GET", None
        if page.save_item is not None:
            # As the page's htmx posts it: the form at the version the last answer showed.
            method = "POST"
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "HX-Request": "true",
                    "X-CSRFToken": csrf_token.group(1) if csrf_token else "",
                    "Referer": f"https://127.0.0.1:{port}{page.path}",
                }
            )
            # A new text each time: saving the stored text again is a no-op the server skips.
            body = urlencode(
                item_save_form(page.save_item, page.version or 1, round=next(SAVE_ROUNDS))
            )
        started = time.perf_counter()
        answer = request(port, method, page.path, connection=connection, headers=headers, body=body)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            page.failures.append(answer.status)
        if page.save_item is not None:
            page.version = saved_version(answer.body, page.save_item, page.version)
        return elapsed

    def warming(page: Page) -> bool:
        done = warmup_ms[page.key]
        if len(done) >= args.warmup:
            return False
        return len(done) < MIN_WARMUP or sum(done) < args.budget * 1000 * WARMUP_SHARE

    def timing(page: Page) -> bool:
        done = page.timings_ms
        if len(done) >= args.requests:
            return False
        return len(done) < args.min_requests or sum(done) < args.budget * 1000

    try:
        while active := [page for page in pages if warming(page)]:
            for page in active:
                warmup_ms[page.key].append(get(page))
        while active := [page for page in pages if timing(page)]:
            for page in active:
                page.timings_ms.append(get(page))
    finally:
        connection.close()


def item_save_form(pk: int, version: int, *, round: int = 0) -> dict[str, str]:
    """The fields bench/queries.py's item_save_data posts (the minutes page's per-item form)."""
    prefix = f"item-{pk}"
    return {
        f"{prefix}-summary": f"本人・家族の意向を確認した（{round}）。\n通所を週2回に増やす。",
        f"{prefix}-decisions": "次回の会議で経過を確認する。",
        f"{prefix}-version": str(version),
    }


def saved_version(body: bytes, pk: int, previous: int | None) -> int | None:
    """The item's version after a save, from the fragment the server answered with."""
    match = re.search(rf'id="item-{pk}"[^>]*data-version="(\d+)"'.encode(), body)
    return int(match.group(1)) if match else previous


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processes have spent so far, from /proc/stat (Linux only)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal ...: all but idle and iowait are busy.
    ticks = [int(value) for value in fields[:8]]
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process and of its descendants already waited for (gunicorn, once
    stopped, has waited for its workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


class LoadMeter:
    """The share of the machine that processes other than this run took between start() and
    stop(): the benchmark is meant to run on a shared machine, and its latencies say so."""

    def start(self) -> None:
        self.load_before = os.getloadavg()[0]
        self.wall = time.monotonic()
        self.busy = busy_cpu_seconds()
        self.own = own_cpu_seconds()

    def stop(self) -> Load:
        wall = time.monotonic() - self.wall
        busy = busy_cpu_seconds()
        others = None
        if busy is not None and self.busy is not None and wall > 0:
            others_seconds = (busy - self.busy) - (own_cpu_seconds() - self.own)
            others = max(0.0, others_seconds / (wall * (os.cpu_count() or 1)))
        return Load(self.load_before, os.getloadavg()[0], others)


def measure_scale(scale: int, *, workdir: Path, migrated: Path, args) -> ScaleRun:
    database = workdir / f"scale-{scale}" / "db.sqlite3"
    copy_database(migrated, database)
    env = bench_environment(workdir, database=database)
    seed_seconds = manage(env, "seed_demo", f"--scale={scale}")
    areas = bench_queries(env, "--areas")
    meeting = bench_queries(env, "--meeting")
    run = ScaleRun(scale, areas, bench_pages(areas, meeting), seed_seconds)
    count_queries(env, run.pages)
    for page in run.pages:
        if page.save_item is not None:
            page.version = bench_queries(env, "--version", str(page.save_item))["version"]

    port = free_port()
    log_path = database.parent / "gunicorn.log"
    meter = LoadMeter()
    meter.start()
    server = start_gunicorn(env, port=port, log_path=log_path)
    try:
        wait_until_up(port, server=server)
        cookie = log_in(port, username=DEMO_USER, password=DEMO_PASSWORD)
        log(f"scale {scale}: timing {len(run.pages)} pages on port {port}")
        started = time.perf_counter()
        time_pages(port, run.pages, cookie=cookie, args=args)
        log(f"scale {scale}: timed in {time.perf_counter() - started:.1f} s")
    except SystemExit:
        log_tail(log_path)
        raise
    finally:
        stop(server)
    run.load = meter.stop()
    return run


# --- Reporting -----------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_lines() -> list[str]:
    return [
        f"- Machine: {socket.gethostname()}, {cpu_model()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"Django {importlib.metadata.version('django')}, "
        f"gunicorn {importlib.metadata.version('gunicorn')} ({WORKERS} sync workers)",
    ]


def load_line(load: Load) -> str:
    others = (
        f"other processes used {load.others_share:.0%} of the {os.cpu_count()} cores"
        if load.others_share is not None
        else "other processes' share unknown"
    )
    return (
        f"- Machine load while timing: {others}; 1-minute load average "
        f"{load.load_before:.2f} before, {load.load_after:.2f} after (this run adds about 1)"
    )


def scale_section(run: ScaleRun) -> list[str]:
    areas = run.areas
    bare = run.page("bare").median()
    lines = [
        f"## Scale {run.scale}",
        "",
        f"- seed_demo --scale {run.scale}: {run.seed_seconds:.0f} s; {areas['areas']} areas "
        f"({areas['regions']} regions, {areas['districts']} districts); pages for "
        f"`{areas['municipality']}`, region `{areas['region']}`, district `{areas['district']}` "
        "(the first of each level by code)",
        load_line(run.load),
        "",
        "| Page | Path | SQL queries | Timed requests | Median (ms) | p95 (ms) | Median / bare |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for page in run.pages:
        lines.append(
            f"| {page.label} | `{page.path}` | {page.queries} | {len(page.timings_ms)} "
            f"| {page.median():.1f} | {page.p95():.1f} | {page.median() / bare:.1f}× |"
        )
    lines.append("")
    return lines


def growth_section(first: ScaleRun, last: ScaleRun) -> list[str]:
    lines = [
        f"## Growth from scale {first.scale} to scale {last.scale}",
        "",
        "Queries of the area pages and the comparison must not grow with the data "
        "(other pages: no target).",
        "",
        f"| Page | Queries at {first.scale} | Queries at {last.scale} | Queries "
        f"| Median at {first.scale} (ms) | Median at {last.scale} (ms) |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for small in first.pages:
        large = last.page(small.key)
        if small.queries == large.queries:
            verdict = "constant"
        else:
            verdict = "GROWS" if small.constant_queries else "grows (no target)"
        lines.append(
            f"| {small.label} | {small.queries} | {large.queries} | {verdict} "
            f"| {small.median():.1f} | {large.median():.1f} |"
        )
    lines.append("")
    return lines


def ratio_section(runs: list[ScaleRun]) -> list[str]:
    lines = [
        "## Comparison of all districts / one district page (medians)",
        "",
        f"Target: under {RATIO_TARGET:.0f}× at scale {RATIO_TARGET_SCALE}.",
        "",
        "| Scale | Districts | Comparison (ms) | District page (ms) | Ratio | Target |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        comparison = run.page("comparison").median()
        district = run.page("area_district").median()
        ratio = comparison / district
        if run.scale == RATIO_TARGET_SCALE:
            target = "PASS" if ratio < RATIO_TARGET else "FAIL"
        else:
            target = "—"
        lines.append(
            f"| {run.scale} | {run.areas['districts']} | {comparison:.1f} | {district:.1f} "
            f"| {ratio:.2f}× | {target} |"
        )
    if not any(run.scale == RATIO_TARGET_SCALE for run in runs):
        lines.append(f"\nScale {RATIO_TARGET_SCALE} not measured: no verdict on the target.")
    lines.append("")
    return lines


def save_section(runs: list[ScaleRun]) -> list[str]:
    lines = [
        "## Saving one item's minutes / rendering the staff dashboard (medians)",
        "",
        f"Target: under {SAVE_TARGET:.0f}× at scale {RATIO_TARGET_SCALE}: one item of the "
        "benchmark's 30-item meeting, saved over htmx as the minutes page does.",
        "",
        "| Scale | Save (ms) | Dashboard (ms) | Ratio | Target |",
        "|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        save, dashboard = run.page("minutes_save").median(), run.page("dashboard").median()
        ratio = save / dashboard
        verdict = "PASS" if ratio < SAVE_TARGET else "FAIL"
        lines.append(f"| {run.scale} | {save:.1f} | {dashboard:.1f} | {ratio:.2f}× | {verdict} |")
    lines.append("")
    return lines


def report(runs: list[ScaleRun], *, args, when: datetime.datetime, seconds: float) -> str:
    scales = " and ".join(str(run.scale) for run in runs)
    lines = [
        f"# Tsunagu benchmark, {when:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Demo data: seed_demo --scale {scales}, SQLite (each built on the same migrated "
        "database)",
        *machine_lines(),
        f"- Sequential requests in rounds, per page: up to {args.warmup} warm-up requests "
        f"(at least {MIN_WARMUP}), then up to {args.requests} timed ones (at least "
        f"{args.min_requests}; a page stops once its timed requests have taken {args.budget:g} s); "
        "queries counted on a warm worker",
        f"- Whole run: {seconds / 60:.1f} min",
        "",
    ]
    for run in runs:
        lines += scale_section(run)
    if len(runs) > 1:
        lines += growth_section(runs[0], runs[-1])
    lines += ratio_section(runs)
    lines += save_section(runs)
    for run in runs:
        for page in run.pages:
            if page.failures:
                lines.append(
                    f"**Scale {run.scale}: {page.path} answered "
                    f"{sorted(set(page.failures))}, not 200.**\n"
                )
    return "\n".join(lines).rstrip("\n") + "\n"


def write_result(text: str, *, when: datetime.datetime) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{when:%Y-%m-%d}-{socket.gethostname()}.md"
    path.write_text(text, encoding="utf-8")
    return path


# --- Main ----------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="tsunagu-bench-"))
    migrated = workdir / "migrated.sqlite3"
    runs = []
    try:
        log(f"building the demo in {workdir} at scales {', '.join(map(str, args.scales))}")
        # Migrations and static files do not depend on the scale: done once, then copied.
        env = bench_environment(workdir, database=migrated)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        for scale in args.scales:
            runs.append(measure_scale(scale, workdir=workdir, migrated=migrated, args=args))
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    when = datetime.datetime.now(datetime.UTC)
    text = report(runs, args=args, when=when, seconds=time.perf_counter() - started)
    sys.stdout.write(text)
    log(f"written to {write_result(text, when=when).relative_to(REPO)}")
    return 1 if any(page.failures for run in runs for page in run.pages) else 0


if __name__ == "__main__":
    sys.exit(main())
