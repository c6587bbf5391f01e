"""`manage.py seed_demo`: the demo ward is complete, deterministic, idempotent and keeps case
data off the public side."""

import datetime
import hashlib
import uuid
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone, translation

from cms.models import HomePage
from conferences import selectors
from conferences.demo import DEMO_PASSWORD
from conferences.models import (
    ActionItem,
    AgendaItem,
    Case,
    CaseRole,
    Meeting,
    MeetingKind,
    MeetingSeries,
    MeetingVisibility,
    Membership,
    Minutes,
    Participant,
)
from districts.demo import MUNICIPALITY_CODE
from districts.models import (
    Area,
    Assessment,
    Chome,
    DistrictIssue,
    HouseholdFigure,
    IssueStatusChange,
    PopulationFigure,
    TargetGroup,
)
from resources.models import (
    Location,
    Organisation,
    Schedule,
    Service,
    ServiceAtLocation,
    Visibility,
)

pytestmark = pytest.mark.django_db

ACCOUNTS = ["admin", "chair", "hoken", "shakyo", "editor"]
PUBLIC_KINDS = {MeetingKind.DISTRICT_NETWORK, MeetingKind.MUNICIPAL_PROMOTION, MeetingKind.WORKSHOP}

# Natural fields of every demo row (UUIDs included, autoincrement ids and auto_now stamps not).
NATURAL_FIELDS = {
    Area: ["code", "name", "reading", "level", "parent__code"],
    Chome: ["area__code", "name", "reading", "valid_from", "valid_to"],
    PopulationFigure: ["area__code", "surveyed_on", "age_band", "sex", "count"],
    HouseholdFigure: ["area__code", "surveyed_on", "count"],
    Assessment: ["area__code", "year", "strengths", "challenges", "notes", "updated_at"],
    DistrictIssue: [
        "area__code", "raised_in__code", "title", "description", "target_group", "status",
        "raised_on", "closed_reason",
    ],
    IssueStatusChange: [
        "issue__title", "issue__raised_in__code", "from_status", "to_status",
        "from_area__code", "to_area__code", "changed_at", "reason",
    ],
    Organisation: [
        "uuid", "name", "reading", "kind", "description", "phone", "email", "website",
        "home_area__code", "is_agency", "visibility", "last_verified_on",
    ],
    Organisation.areas_served.through: ["organisation__uuid", "area__code"],
    Service: [
        "uuid", "organisation__uuid", "name", "description", "target_group", "cost",
        "visibility",
    ],
    Schedule: ["uuid", "service__uuid", "rrule", "opens_at", "closes_at"],
    ServiceAtLocation: ["uuid", "service__uuid", "location__uuid"],
    Location: [
        "uuid", "organisation__uuid", "name", "postal_code", "address", "district__code",
        "latitude", "longitude", "hide_address",
    ],
    get_user_model(): [
        "username", "first_name", "last_name", "email", "password", "is_staff", "is_superuser",
        "date_joined",
    ],
    Membership: ["user__username", "organisation__uuid", "role", "can_chair"],
    Case: [
        "public_id", "code", "district__code", "target_group", "support_level", "risk_tier",
        "lead_organisation__uuid", "status", "opened_on", "closed_on", "next_review_on",
    ],
    CaseRole: ["case__public_id", "organisation__uuid", "role", "contact_person"],
    MeetingSeries: ["title", "kind", "level", "area__code", "rrule", "organiser__uuid"],
    Meeting: [
        "uid", "series__title", "kind", "level", "area__code", "legal_basis", "title",
        "starts_at", "ends_at", "place", "online_url", "organiser__uuid", "chair__username",
        "recorder__username", "status", "visibility",
    ],
    Participant: ["meeting__uid", "organisation__uuid", "user__username", "role", "attended"],
    AgendaItem: [
        "meeting__uid", "order", "kind", "title", "minutes_allotted", "case__public_id",
        "district_issue__title", "presenting_organisation__uuid", "summary", "decisions",
    ],
    Minutes: ["meeting__uid", "status", "approved_by__username", "approved_at"],
    ActionItem: [
        "agenda_item__meeting__uid", "agenda_item__order", "description", "organisation__uuid",
        "assignee__username", "is_lead", "due_on", "status",
    ],
    HomePage: ["title", "intro", "body"],
}  # fmt: skip


def seed(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def digest() -> str:
    sha = hashlib.sha256()
    for model, fields in NATURAL_FIELDS.items():
        rows = sorted(repr(row) for row in model.objects.values_list(*fields))
        sha.update(f"{model._meta.label}:{len(rows)}\n".encode())
        sha.update("\n".join(rows).encode())
    return sha.hexdigest()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in NATURAL_FIELDS}


def test_scale_one_is_complete_idempotent_and_deterministic(client):
    # Anchored on the real today, so "upcoming" means the same to the dashboard as to the seed.
    output = seed()
    today = timezone.localdate()

    ward = Area.objects.get(code=MUNICIPALITY_CODE)
    assert ward.children.count() == 5
    districts = Area.objects.filter(parent__parent=ward)
    assert districts.count() == 28
    assert not districts.annotate(n=Count("chome")).filter(n__lt=2).exists()
    assert Chome.objects.filter(name__endswith="丁目", reading__endswith="ちょうめ").count() > 56

    assert set(Organisation.objects.values_list("kind", flat=True)) == set(Organisation.Kind)
    assert 1800 <= Organisation.objects.count() <= 2300
    assert Organisation.objects.filter(visibility=Visibility.STAFF).exists()
    assert Location.objects.filter(hide_address=True).exists()
    assert Schedule.objects.filter(rrule__startswith="FREQ=MONTHLY;BYDAY=").exists()
    assert Schedule.objects.filter(opens_at__isnull=False, closes_at__isnull=False).exists()
    # Every service is given somewhere.
    assert not Service.objects.filter(locations__isnull=True).exists()

    cases = Case.objects.all()
    assert 1300 <= cases.count() <= 1700
    lead_role = CaseRole.objects.filter(
        case=OuterRef("pk"), organisation=OuterRef("lead_organisation")
    )
    assert not cases.exclude(Exists(lead_role)).exists()
    assert not cases.annotate(n=Count("roles")).filter(n__lt=2).exists()
    assert uuid.UUID(str(cases.first().public_id)).version == 4

    meetings = Meeting.objects.all()
    assert 4000 <= meetings.count() <= 6500
    assert set(meetings.values_list("kind", flat=True)) == set(MeetingKind)
    first = timezone.localtime(meetings.order_by("starts_at").first().starts_at).date()
    last = timezone.localtime(meetings.order_by("starts_at").last().starts_at).date()
    assert today - datetime.timedelta(days=731) <= first < today - datetime.timedelta(days=700)
    assert today + datetime.timedelta(days=60) < last <= today + datetime.timedelta(days=93)
    assert meetings.filter(status=Meeting.Status.HELD, starts_at__lt=timezone.now()).exists()
    assert not meetings.filter(status=Meeting.Status.HELD, starts_at__gte=timezone.now()).exists()
    assert set(AgendaItem.objects.values_list("kind", flat=True)) == set(AgendaItem.Kind)
    assert set(Minutes.objects.values_list("status", flat=True)) == set(Minutes.Status)
    assert set(ActionItem.objects.values_list("status", flat=True)) == set(ActionItem.Status)
    held_items = AgendaItem.objects.filter(meeting__status=Meeting.Status.HELD)
    assert not held_items.filter(summary="").exists()

    issues = DistrictIssue.objects.all()
    assert set(issues.values_list("area__level", flat=True)) == set(Area.Level)
    assert set(issues.values_list("status", flat=True)) == set(DistrictIssue.Status)

    # Nothing about a case is public: public meetings are of the public kinds, with no case.
    public = meetings.filter(visibility=MeetingVisibility.PUBLIC)
    assert public.filter(starts_at__gte=timezone.now()).exists()
    assert set(public.values_list("kind", flat=True)) <= PUBLIC_KINDS
    assert not AgendaItem.objects.filter(meeting__in=public, case__isnull=False).exists()

    User = get_user_model()
    for username in ACCOUNTS:
        assert username in output
        assert client.login(username=username, password=DEMO_PASSWORD), username
    assert DEMO_PASSWORD in output
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="editor").groups.filter(name="Editors").exists()

    chair = User.objects.get(username="chair")
    board = selectors.dashboard(user=chair)
    assert board["upcoming_meetings"] and board["open_actions"] and board["open_case_count"]
    assert Membership.objects.get(user=chair).can_chair
    hoken = User.objects.get(username="hoken")
    child_cases = selectors.cases_visible_to(user=hoken)
    assert child_cases.exists()
    assert set(child_cases.values_list("target_group", flat=True)) == {TargetGroup.CHILDREN}
    assert not selectors.cases_visible_to(user=User.objects.get(username="shakyo")).exists()

    home = client.get("/")
    assert home.status_code == 200
    assert "若草区" in home.text

    # Idempotent: a second run only prints the accounts.
    before, fingerprint = row_counts(), digest()
    again = seed()
    assert "already loaded" in again
    assert all(username in again for username in ACCOUNTS)
    assert row_counts() == before
    assert digest() == fingerprint

    # Deterministic (in the same test, to build three times rather than four): --replace
    # deletes everything the demo made, and the same seed and date rebuild the same rows.
    seed("--replace", "--today", today.isoformat())
    assert digest() == fingerprint
    seed("--replace", "--today", today.isoformat(), "--seed", "2")
    assert digest() != fingerprint
    assert row_counts()[Area._meta.label] == before[Area._meta.label]


def test_scale_out_of_range_is_refused():
    with pytest.raises(CommandError):
        seed("--scale", "0")
    assert not Area.objects.filter(code=MUNICIPALITY_CODE).exists()
