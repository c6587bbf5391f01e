"""Count the SQL queries of each page, in process, with Django's test Client.

Run by bench/run.py as `python -m bench.queries` with the same environment as the gunicorn it
measures (settings, database), so the counts are those of the served pages. Counting here rather
than in a middleware of the served app keeps the query-capturing debug cursor out of the latency
figures. Reads a JSON list of {"path": ..., "user": username or null} on stdin and writes a
list of {"queries": count, "status": HTTP status} as JSON on stdout. With --areas, writes instead
the codes of the area pages to measure (the first municipality, region and district by code) and
the number of areas of each level.

Each page is requested once before the counted request: the figure is the steady state of a warm
worker, not its first request (which also fills process-wide caches such as content types).
"""

import json
import sys

import django


def count_queries(*, path: str, username: str | None) -> dict[str, int]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # As gunicorn sees it behind the TLS proxy that run.py imitates.
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return {"queries": len(captured.captured_queries), "status": response.status_code}


def area_codes() -> dict:
    from districts.models import Area

    levels = Area.objects.order_by("code")
    found = {
        "areas": levels.count(),
        "regions": levels.filter(level=Area.Level.REGION).count(),
        "districts": levels.filter(level=Area.Level.DISTRICT).count(),
    }
    for level in (Area.Level.MUNICIPALITY, Area.Level.REGION, Area.Level.DISTRICT):
        code = levels.filter(level=level).values_list("code", flat=True).first()
        if code is None:
            raise SystemExit(f"no {level} area in the database")
        found[level.value] = code
    return found


def main() -> None:
    django.setup()
    if sys.argv[1:] == ["--areas"]:
        json.dump(area_codes(), sys.stdout)
        return
    pages = json.load(sys.stdin)
    results = [count_queries(path=page["path"], username=page["user"]) for page in pages]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
