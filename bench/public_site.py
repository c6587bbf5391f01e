"""The public site's speed figures (issue 8): uncached pages against a bare Wagtail page, and
the throughput of cached pages.

    python bench/public_site.py [--database PATH] [--requests 50] [--duration 10]

1. Builds the demo at --scale 10 in a throwaway SQLite database (or copies --database, a
   database that already holds it), adds a bare Wagtail page (a plain wagtailcore Page with a
   title only, rendered by cms/templates/wagtailcore/page.html) at /bench-bare-page/, and runs
   collectstatic into a temporary STATIC_ROOT;
2. serves it as bench/run.py does (gunicorn, 2 sync workers, DEBUG=0, production settings) with
   the page cache switched off (PAGE_CACHE_BACKEND=DummyCache), and times the home, a district
   and the directory pages against the bare page: warm-up, then sequential requests in rounds
   over one connection; prints the medians and the ratio to the bare page (target: at most 3x);
3. serves it again with the page cache on (a throwaway directory, as in production) and drives
   each page with `wrk` on loopback (installed with apt-get when missing and running as root;
   otherwise a Python load generator with many connections), printing requests per second
   (target: at least 1,000).

Reuses bench/run.py's functions for building, serving and requests.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (
    REPO,
    bench_environment,
    copy_database,
    free_port,
    log,
    manage,
    request,
    start_gunicorn,
    stop,
    wait_until_up,
)

SCALE = 10
RATIO_TARGET = 3.0
THROUGHPUT_TARGET = 1000
HEADERS = {"X-Forwarded-Proto": "https"}
BARE_SLUG = "bench-bare-page"

ADD_BARE_PAGE = f"""
from wagtail.models import Page, Site
home = Site.objects.get(is_default_site=True).root_page
page = home.get_children().filter(slug="{BARE_SLUG}").first()
if page is None:
    home.add_child(instance=Page(title="Bare page", slug="{BARE_SLUG}", locale=home.locale))
"""
FIND_DISTRICT = """
from cms.models import DistrictPage
page = DistrictPage.objects.live().filter(locale__language_code="ja").order_by("path").first()
print(page.url)
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, help="a SQLite database already seeded")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per page")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=32, help="load connections")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory")
    return parser.parse_args()


def shell(env: dict, code: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit("manage.py shell failed")
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def time_pages(port: int, pages: dict[str, str], *, requests: int, warmup: int) -> dict:
    """Sequential GETs in rounds (one per page per round) over one connection; milliseconds."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings = {label: [] for label in pages}

    def get(path: str) -> float:
        nonlocal connection
        started = time.perf_counter()
        try:
            answer = request(port, "GET", path, connection=connection, headers=HEADERS)
        except (http.client.HTTPException, OSError):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            answer = request(port, "GET", path, connection=connection, headers=HEADERS)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            raise SystemExit(f"{path} answered {answer.status}")
        if answer.headers.get("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        return elapsed

    for _ in range(warmup):
        for path in pages.values():
            get(path)
    for _ in range(requests):
        for label, path in pages.items():
            timings[label].append(get(path))
    connection.close()
    return timings


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    log("installing wrk with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, capture_output=True)
    return shutil.which("wrk")


def wrk_rate(wrk: str, port: int, path: str, *, duration: int, connections: int) -> tuple:
    result = subprocess.run(
        [
            wrk, "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
            "-H", "X-Forwarded-Proto: https", f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    median = re.search(r"50%\s+([\d.]+)(us|ms|s)", result.stdout)
    if rate is None:
        raise SystemExit("wrk printed no rate:\n" + result.stdout + result.stderr)
    median_ms = None
    if median:
        value, unit = float(median.group(1)), median.group(2)
        median_ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return float(rate.group(1)), int(errors.group(1)) if errors else 0, median_ms


def python_rate(port: int, path: str, *, duration: int, connections: int) -> tuple:
    """Many threads, each a keep-alive-less client, as a fallback load generator."""
    import http.client

    done, failed = [0], [0]
    deadline = time.monotonic() + duration

    def worker():
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", path, headers=HEADERS)
                answer = conn.getresponse()
                answer.read()
                if answer.status == 200:
                    done[0] += 1
                else:
                    failed[0] += 1
            finally:
                conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.monotonic() - started), failed[0], None


def main() -> int:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tsunagu-public-bench-"))
    database = workdir / "db.sqlite3"
    env = bench_environment(workdir, database=database)
    env["PAGE_CACHE_DIR"] = str(workdir / "page-cache")
    servers = []
    try:
        started = time.perf_counter()
        if args.database:
            copy_database(args.database, database)
            manage(env, "migrate", "--no-input")  # a database seeded before a new migration
        else:
            manage(env, "migrate", "--no-input")
            manage(env, "seed_demo", "--scale", str(SCALE))
        shell(env, ADD_BARE_PAGE)
        district = shell(env, FIND_DISTRICT)
        manage(env, "collectstatic", "--no-input")
        log(f"database ready in {time.perf_counter() - started:.0f} s")

        pages = {
            "Bare Wagtail page (title only)": f"/{BARE_SLUG}/",
            "Home page": "/",
            "District page": district,
            "Directory page": "/directory/",
        }

        # Uncached: the page cache switched off.
        uncached_env = {
            **env,
            "PAGE_CACHE_BACKEND": "django.core.cache.backends.dummy.DummyCache",
        }
        port = free_port()
        server = start_gunicorn(uncached_env, port=port, log_path=workdir / "uncached.log")
        servers.append(server)
        wait_until_up(port, server=server)
        timings = time_pages(port, pages, requests=args.requests, warmup=args.warmup)
        stop(server)
        servers.remove(server)

        bare = statistics.median(timings["Bare Wagtail page (title only)"])
        print(f"## Public site at seed_demo --scale {SCALE} (SQLite, gunicorn 2 workers)\n")
        print("Uncached (page cache off), sequential requests:\n")
        print("| Page | Path | Median (ms) | p95 (ms) | Median / bare Wagtail page |")
        print("|---|---|---:|---:|---:|")
        verdicts = []
        for label, path in pages.items():
            values = sorted(timings[label])
            median = statistics.median(values)
            p95 = values[int(len(values) * 0.95) - 1]
            ratio = median / bare
            print(f"| {label} | `{path}` | {median:.1f} | {p95:.1f} | {ratio:.2f}× |")
            if label != "Bare Wagtail page (title only)":
                verdicts.append((label, ratio))
        print()
        for label, ratio in verdicts:
            verdict = "within" if ratio <= RATIO_TARGET else "ABOVE"
            print(f"- {label}: {ratio:.2f}× the bare page, {verdict} the {RATIO_TARGET:.0f}× goal")

        # Cached: the page cache on, load on loopback.
        port = free_port()
        server = start_gunicorn(env, port=port, log_path=workdir / "cached.log")
        servers.append(server)
        wait_until_up(port, server=server)
        wrk = ensure_wrk()
        generator = "wrk" if wrk else "Python threads"
        print(
            f"\nCached pages under load ({generator}, {args.connections} connections, "
            f"{args.duration} s each, on the same 2-core machine as the server):\n"
        )
        rates = []
        print("| Page | Path | Requests/s | Median latency (ms) | Errors |")
        print("|---|---|---:|---:|---:|")
        for label, path in pages.items():
            if label.startswith("Bare"):
                continue
            answer = request(port, "GET", path, headers=HEADERS)  # fills the cache
            if answer.status != 200:
                raise SystemExit(f"{path} answered {answer.status}")
            hit = request(port, "GET", path, headers=HEADERS).headers.get("X-Page-Cache")
            if hit != "hit":
                raise SystemExit(f"{path} was not served from the page cache ({hit})")
            if wrk:
                rate, errors, median = wrk_rate(
                    wrk, port, path, duration=args.duration, connections=args.connections
                )
            else:
                rate, errors, median = python_rate(
                    port, path, duration=args.duration, connections=args.connections
                )
            latency = f"{median:.1f}" if median is not None else "—"
            print(f"| {label} | `{path}` | {rate:,.0f} | {latency} | {errors} |")
            rates.append((label, rate))
        print()
        for label, rate in rates:
            mark = "at least" if rate >= THROUGHPUT_TARGET else "BELOW"
            goal = f"{THROUGHPUT_TARGET:,}"
            print(f"- {label}, cached: {rate:,.0f} requests/s, {mark} the {goal} goal")
        stop(server)
        servers.remove(server)
        return 0
    finally:
        for server in servers:
            stop(server)
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
