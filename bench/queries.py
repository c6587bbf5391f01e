"""Count the SQL queries of each page, in process, with Django's test Client.

Run by bench/run.py as `python -m bench.queries` with the same environment as the gunicorn it
measures (settings, database), so the counts are those of the served pages. Counting here rather
than in a middleware of the served app keeps the query-capturing debug cursor out of the latency
figures. Reads a JSON list of {"path": ..., "user": username or null} on stdin and writes a
list of {"queries": count, "status": HTTP status} as JSON on stdout. With --areas, writes instead
the codes of the area pages to measure (the first municipality, region and district by code) and
the number of areas of each level. With --meeting, makes (once) the meeting the agenda and minutes
pages are measured on: 30 agenda items chaired and recorded by the demo chair, two thirds of them
cases the chair may see, each with an action item; writes its uid and one item's id.

A spec entry with "save_item": <agenda item id> posts that item's minutes (htmx, at its stored
version) instead of getting a page.

Each page is requested once before the counted request: the figure is the steady state of a warm
worker, not its first request (which also fills process-wide caches such as content types).
"""

import json
import sys

import django

BENCH_MEETING_TITLE = "ベンチマーク用 地域ケア個別会議（30議題）"
BENCH_ITEMS = 30


def count_queries(
    *, path: str, username: str | None, save_item: int | None = None
) -> dict[str, int]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # As gunicorn sees it behind the TLS proxy that run.py imitates.
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    if username:
        client.force_login(get_user_model().objects.get(username=username))

    def send():
        if save_item is None:
            return client.get(path)
        return client.post(path, item_save_data(save_item), headers={"HX-Request": "true"})

    send()
    with CaptureQueriesContext(connection) as captured:
        response = send()
    return {"queries": len(captured.captured_queries), "status": response.status_code}


def item_save_data(pk: int, version: int | None = None) -> dict[str, str]:
    """The minutes form of one agenda item, as the page posts it (at the stored version)."""
    from conferences.models import AgendaItem

    if version is None:
        version = AgendaItem.objects.values_list("version", flat=True).get(pk=pk)
    prefix = f"item-{pk}"
    return {
        f"{prefix}-summary": "本人・家族の意向を確認した。\n通所の回数を週2回に増やす。",
        f"{prefix}-decisions": "次回の会議で経過を確認する。",
        f"{prefix}-version": str(version),
    }


def bench_meeting() -> dict:
    """The 30-item meeting of the agenda and minutes pages (made once per database)."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from conferences import selectors
    from conferences.models import (
        ActionItem,
        AgendaItem,
        LegalBasis,
        Meeting,
        MeetingKind,
        MeetingLevel,
        MeetingVisibility,
        Membership,
        Participant,
    )

    chair = get_user_model().objects.get(username="chair")
    meeting = Meeting.objects.filter(title=BENCH_MEETING_TITLE).first()
    if meeting is None:
        membership = Membership.objects.filter(user=chair).select_related("organisation").first()
        organisation = membership.organisation
        cases = list(
            selectors.cases_visible_to(user=chair).order_by("code")[: BENCH_ITEMS * 2 // 3]
        )
        area = cases[0].district if cases else organisation.home_area
        starts = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0)
        starts += datetime.timedelta(days=7)
        with transaction.atomic():
            meeting = Meeting.objects.create(
                kind=MeetingKind.INDIVIDUAL,
                level=MeetingLevel.INDIVIDUAL,
                area=area,
                legal_basis=LegalBasis.LONG_TERM_CARE,
                title=BENCH_MEETING_TITLE,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=2),
                place="区役所 第1会議室",
                organiser=organisation,
                chair=chair,
                recorder=chair,
                visibility=MeetingVisibility.CONFIDENTIAL,
            )
            Participant.objects.create(
                meeting=meeting, organisation=organisation, user=chair, role="chair"
            )
            items = []
            for order in range(1, BENCH_ITEMS + 1):
                case = cases[order - 1] if order <= len(cases) else None
                items.append(
                    AgendaItem(
                        meeting=meeting,
                        order=order,
                        kind=AgendaItem.Kind.CASE_REVIEW if case else AgendaItem.Kind.REPORT,
                        title=f"議題 {order}",
                        minutes_allotted=4,
                        case=case,
                        presenting_organisation=organisation,
                        summary="経過を報告した。\n課題を共有した。",
                    )
                )
            items = AgendaItem.objects.bulk_create(items)
            ActionItem.objects.bulk_create(
                ActionItem(
                    agenda_item=item,
                    description="次回までに状況を確認する",
                    organisation=organisation,
                    assignee=chair,
                    due_on=starts.date() + datetime.timedelta(days=14),
                    case=item.case,
                )
                for item in items
            )
    item = meeting.agenda_items.order_by("order").first()
    return {"uid": str(meeting.uid), "item": item.pk, "items": meeting.agenda_items.count()}


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
    if sys.argv[1:] == ["--meeting"]:
        json.dump(bench_meeting(), sys.stdout)
        return
    if sys.argv[1:2] == ["--version"]:
        from conferences.models import AgendaItem

        pk = int(sys.argv[2])
        json.dump({"version": AgendaItem.objects.get(pk=pk).version}, sys.stdout)
        return
    pages = json.load(sys.stdin)
    results = [
        count_queries(path=page["path"], username=page["user"], save_item=page.get("save_item"))
        for page in pages
    ]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
