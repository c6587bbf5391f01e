"""An organisation's administrators read its audit trail at /staff/audit/: filtered, paginated,
exported as CSV (the export itself recorded); case codes only for cases they may see. Everyone
else gets 404."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.models import AuditEvent
from conferences.services import audit_record
from resources.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

AUDIT = reverse("staff:audit_list")
EXPORT = reverse("staff:audit_export")


@pytest.fixture
def world(make_user):
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    clinic = factories.organisation("桜台クリニック", kind=Organisation.Kind.MEDICAL)
    own_case = factories.case(district=district, lead=centre, code="K26-00100")
    # A case of another organisation, read by a centre member as a meeting's chair: the
    # centre's administrator sees that it was read, but not which case it is.
    other_case = factories.case(district=district, lead=clinic, code="K26-00200")
    admin = make_user("centre-admin", organisations=[centre], is_admin=True)
    worker = make_user("worker", organisations=[centre])
    doctor = make_user("doctor", organisations=[clinic])
    audit_record(user=worker, case=own_case, action="view", organisation=centre, detail="a")
    audit_record(user=worker, case=other_case, action="view", organisation=centre, detail="b")
    audit_record(user=worker, case=own_case, action="change", organisation=centre, detail="c")
    audit_record(user=doctor, case=other_case, action="view", organisation=clinic, detail="d")
    return {
        "centre": centre,
        "clinic": clinic,
        "own_case": own_case,
        "other_case": other_case,
        "admin": admin,
        "worker": worker,
        "doctor": doctor,
    }


def details(response):
    """The events listed, leaving out the records of reading the trail itself."""
    return sorted(
        event.detail for event in response.context["rows"] if not event.detail.startswith("audit:")
    )


def test_an_administrator_reads_the_events_of_their_organisation_only(client, world):
    client.force_login(world["admin"])
    response = client.get(AUDIT)
    assert response.status_code == 200
    assert details(response) == ["a", "b", "c"]
    # The code of a case the administrator may see; the opaque id of one they may not.
    assert "K26-00100" in response.text
    assert "K26-00200" not in response.text
    assert str(world["other_case"].public_id) in response.text
    # Reading the trail is itself recorded.
    event = AuditEvent.objects.get(detail="audit:list")
    assert (event.user, event.organisation, event.action, event.case) == (
        world["admin"],
        world["centre"],
        AuditEvent.Action.VIEW,
        None,
    )


@pytest.mark.parametrize("who", ["worker", "doctor"])
def test_members_who_are_not_administrators_get_404(client, world, who):
    client.force_login(world[who])
    assert client.get(AUDIT).status_code == 404
    assert client.get(EXPORT).status_code == 404
    assert not AuditEvent.objects.filter(detail__startswith="audit").exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_anonymous_users_are_sent_to_log_in(client, world):
    assert client.get(AUDIT).status_code == 302


def test_filters_by_action_user_and_date(client, world):
    client.force_login(world["admin"])
    assert details(client.get(AUDIT, {"action": "change"})) == ["c"]
    assert details(client.get(AUDIT, {"user": world["worker"].pk})) == ["a", "b", "c"]
    today = timezone.localdate()
    AuditEvent.objects.filter(detail="a").update(at=timezone.now() - datetime.timedelta(days=10))
    since = (today - datetime.timedelta(days=1)).isoformat()
    assert "a" not in details(client.get(AUDIT, {"date_from": since}))
    until = (today - datetime.timedelta(days=5)).isoformat()
    assert details(client.get(AUDIT, {"date_to": until})) == ["a"]
    # A range the wrong way round is refused with its reason.
    refused = client.get(AUDIT, {"date_from": today.isoformat(), "date_to": until})
    assert refused.context["form"].errors["date_to"]


def test_an_administrator_cannot_filter_to_an_organisation_they_do_not_administer(client, world):
    client.force_login(world["admin"])
    response = client.get(AUDIT, {"organisation": world["clinic"].pk})
    assert response.context["form"].errors["organisation"]
    assert details(response) == []


def test_the_trail_is_paginated(client, world):
    for n in range(60):
        audit_record(
            user=world["worker"],
            case=world["own_case"],
            action="view",
            organisation=world["centre"],
            detail=f"p{n}",
        )
    client.force_login(world["admin"])
    first = client.get(AUDIT)
    assert len(first.context["rows"]) == 50
    second = client.get(AUDIT, {"page": 2})
    # 63 events, and the record of reading the first page.
    assert len(second.context["rows"]) == 64 - 50


def test_the_csv_export_follows_the_filters_and_is_recorded_as_an_export(client, world):
    client.force_login(world["admin"])
    response = client.get(EXPORT, {"action": "view"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 1 + 2  # header, the two views of the centre
    cases = {row[4] for row in rows[1:]}
    assert cases == {"K26-00100", str(world["other_case"].public_id)}
    assert "K26-00200" not in body
    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (export.user, export.organisation, export.case, export.detail) == (
        world["admin"],
        world["centre"],
        None,
        "export:audit_csv",
    )


def test_an_administrator_of_two_organisations_sees_both_or_one(client, world, make_user):
    both = make_user("both", organisations=[world["centre"], world["clinic"]], is_admin=True)
    client.force_login(both)
    assert details(client.get(AUDIT)) == ["a", "b", "c", "d"]
    assert details(client.get(AUDIT, {"organisation": world["clinic"].pk})) == ["d"]


def test_each_event_says_what_was_done_in_words(client, world):
    client.force_login(world["worker"])
    client.get(reverse("staff:case_detail", args=[world["own_case"].public_id]))
    client.force_login(world["admin"])
    response = client.get(AUDIT, {"action": "view"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Read the case page" in response.text


def test_the_trail_of_one_case_from_its_page(client, world):
    client.force_login(world["admin"])
    page = client.get(reverse("staff:case_detail", args=[world["own_case"].public_id]))
    link = f"{AUDIT}?case={world['own_case'].public_id}"
    assert link in page.text
    # The two events of the fixture, and the administrator's own reading of the page.
    assert details(client.get(AUDIT, {"case": world["own_case"].public_id})) == [
        "a",
        "c",
        "staff:case_detail",
    ]
    # Not for a member who administers nothing.
    client.force_login(world["worker"])
    page = client.get(reverse("staff:case_detail", args=[world["own_case"].public_id]))
    assert AUDIT not in page.text
