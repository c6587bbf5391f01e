"""`make bench`: how heavy are the key pages, next to a bare Django view served the same way?

What it does, all in a throwaway directory under /tmp (the developer's db.sqlite3 is never touched):
1. builds the demo into a fresh SQLite database: `migrate`, then `seed_demo --scale N`;
2. runs `collectstatic` into a temporary STATIC_ROOT (DEBUG=0 uses WhiteNoise's manifest storage);
3. serves it with gunicorn (2 sync workers on 127.0.0.1, a free port), DEBUG=0, a throwaway
   SECRET_KEY and ALLOWED_HOSTS=127.0.0.1, with bench.settings: the production settings plus a
   bare view at /bench/bare/ behind the same middleware;
4. logs in as the demo chair through the real login form (CSRF token and session cookie);
5. counts each page's SQL queries in process (bench/queries.py: test Client + CaptureQueriesContext
   on the same database), then times it over HTTP with the standard library: a few warm-up
   requests, then sequential requests in rounds (one request per page per round, so drift on a
   shared machine affects every page alike);
6. prints a Markdown table (queries, median and p95 latency, median / bare median) and writes it,
   with the machine's description, to bench/results/<UTC date>-<hostname>.md.

Requests carry X-Forwarded-Proto: https, as the TLS-terminating proxy in front of a real
deployment would, so the production security settings apply unchanged. Exits non-zero if any
request answers anything but 200.
"""

import argparse
import datetime
import http.client
import importlib.metadata
import json
import os
import platform
import re
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


@dataclass
class Page:
    label: str
    path: str
    as_staff: bool  # requested with the chair's session cookie
    queries: int | None = None
    timings_ms: list[float] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # non-200 status codes seen

    def median(self) -> float:
        return statistics.median(self.timings_ms)

    def p95(self) -> float:
        return statistics.quantiles(self.timings_ms, n=20, method="inclusive")[-1]


def bench_pages() -> list[Page]:
    return [
        Page("Staff dashboard (chair)", "/staff/", as_staff=True),
        Page("Public home page", "/", as_staff=False),
        Page("Bare Django view", "/bench/bare/", as_staff=False),  # bench/urls.py
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="seed_demo --scale (default 1)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per page first")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory")
    return parser.parse_args()


def log(message: str) -> None:
    # Progress goes to stderr: stdout carries only the report.
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- Building and serving the demo -------------------------------------------------------------


def bench_environment(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        PYTHONPATH=str(REPO),
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        BENCH_STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
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
    log(f"manage.py {' '.join(args)}: {time.perf_counter() - started:.1f} s")


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


def count_queries(env: dict[str, str], pages: list[Page]) -> None:
    spec = [{"path": page.path, "user": DEMO_USER if page.as_staff else None} for page in pages]
    result = subprocess.run(
        [sys.executable, "-m", "bench.queries"],
        cwd=REPO,
        env=env,
        input=json.dumps(spec),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit("counting queries failed")
    for page, counted in zip(pages, json.loads(result.stdout), strict=True):
        page.queries = counted["queries"]
        if counted["status"] != 200:
            page.failures.append(counted["status"])


def time_pages(port: int, pages: list[Page], *, cookie: str, rounds: int, warmup: int) -> None:
    """Sequential requests over one keep-alive connection (reopened when the server closes it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for round_number in range(warmup + rounds):
            for page in pages:
                headers = {"Cookie": cookie} if page.as_staff else {}
                started = time.perf_counter()
                answer = request(port, "GET", page.path, connection=connection, headers=headers)
                elapsed_ms = (time.perf_counter() - started) * 1000
                if answer.status != 200:
                    page.failures.append(answer.status)
                if round_number >= warmup:
                    page.timings_ms.append(elapsed_ms)
    finally:
        connection.close()


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


def report(pages: list[Page], *, args: argparse.Namespace, when: datetime.datetime) -> str:
    bare = pages[-1].median()
    lines = [
        f"# Tsunagu benchmark, {when:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Demo data: seed_demo --scale {args.scale}, SQLite",
        *machine_lines(),
        f"- {args.requests} timed sequential requests per page after {args.warmup} warm-up "
        "requests; queries counted on a warm worker",
        "",
        "| Page | Path | SQL queries | Median (ms) | p95 (ms) | Median / bare |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for page in pages:
        lines.append(
            f"| {page.label} | `{page.path}` | {page.queries} | {page.median():.1f} "
            f"| {page.p95():.1f} | {page.median() / bare:.1f}× |"
        )
    for page in pages:
        if page.failures:
            lines.append(f"\n**{page.path} answered {sorted(set(page.failures))}, not 200.**")
    return "\n".join(lines) + "\n"


def write_result(text: str, *, when: datetime.datetime) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{when:%Y-%m-%d}-{socket.gethostname()}.md"
    path.write_text(text, encoding="utf-8")
    return path


# --- Main ----------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tsunagu-bench-"))
    env = bench_environment(workdir)
    pages = bench_pages()
    try:
        log(f"building the demo in {workdir}")
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo", f"--scale={args.scale}")
        manage(env, "collectstatic", "--noinput")
        count_queries(env, pages)

        port = free_port()
        server = start_gunicorn(env, port=port, log_path=workdir / "gunicorn.log")
        try:
            wait_until_up(port, server=server)
            cookie = log_in(port, username=DEMO_USER, password=DEMO_PASSWORD)
            log(f"timing {len(pages)} pages on port {port}")
            time_pages(port, pages, cookie=cookie, rounds=args.requests, warmup=args.warmup)
        finally:
            stop(server)
    except SystemExit:
        log_tail(workdir / "gunicorn.log")
        raise
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    when = datetime.datetime.now(datetime.UTC)
    text = report(pages, args=args, when=when)
    sys.stdout.write(text)
    log(f"written to {write_result(text, when=when).relative_to(REPO)}")
    return 1 if any(page.failures for page in pages) else 0


if __name__ == "__main__":
    sys.exit(main())
