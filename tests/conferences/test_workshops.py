"""Workshops: recorded through a form that works without JavaScript (a round trip shows the
area's organisations and keeps what was typed), stored as a Meeting of kind "workshop" with a
Participant row per organisation and the findings as its report item, and listed per area."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.models import (
    AgendaItem,
    Meeting,
    MeetingKind,
    MeetingLevel,
    MeetingVisibility,
    Participant,
)
from districts.models import Area
from resources.models import Location, Organisation
from resources.search import organisations_search_refresh
from tests import factories

pytestmark = pytest.mark.django_db
Kind = Organisation.Kind
NEW = reverse("staff:workshop_create")
LIST = reverse("staff:workshop_list")


@pytest.fixture
def ward():
    """ひばり野区 → 北地域 → 桜台 and 若葉. 桜台 holds the council's district office (the user's
    organisation), a salon and a circle; the region a こども家庭センター; the ward its 社協; 若葉
    a clinic that is not offered for a 桜台 workshop."""
    city, region, sakura = factories.area_tree()
    wakaba = Area.objects.create(
        level=Area.Level.DISTRICT, parent=region, code="WAKABA", name="若葉", reading="わかば"
    )
    council = factories.organisation(
        "社協 桜台地区事務局", kind=Kind.WELFARE_COUNCIL, reading="しゃきょう", home_area=sakura
    )
    salon = factories.organisation("ひだまりサロン", kind=Kind.SALON, reading="ひだまり")
    Location.objects.create(organisation=salon, address="桜台1", district=sakura)
    circle = factories.organisation(
        "親子ひろば すみれ", kind=Kind.PARENTING_CIRCLE, reading="すみれ"
    )
    circle.areas_served.add(sakura)
    centre = factories.organisation(
        "北こども家庭センター", kind=Kind.CHILD_FAMILY_CENTRE, reading="きた", home_area=region
    )
    hq = factories.organisation(
        "区社会福祉協議会", kind=Kind.WELFARE_COUNCIL, reading="く", home_area=city
    )
    clinic = factories.organisation("わかば医院", kind=Kind.MEDICAL, reading="わかばいいん")
    Location.objects.create(organisation=clinic, address="若葉1", district=wakaba)
    organisations_search_refresh()
    user = factories.user(organisations=[council])
    return {
        "city": city, "region": region, "sakura": sakura, "wakaba": wakaba, "council": council,
        "salon": salon, "circle": circle, "centre": centre, "hq": hq, "clinic": clinic,
        "user": user,
    }  # fmt: skip


@pytest.fixture
def logged_in(client, ward):
    client.force_login(ward["user"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def form_data(ward, **changes):
    data = {
        "title": "何が必要？福祉の土台づくり",
        "area": ward["sakura"].code,
        "date": "2026-09-12",
        "starts": "10:00",
        "ends": "12:00",
        "place": "桜台地区会館",
        "organiser": str(ward["council"].pk),
        "organisations": [str(ward["salon"].pk), str(ward["circle"].pk), str(ward["centre"].pk)],
        "visibility": "public",
        "notes": "男性の居場所がない。\n送迎の担い手が足りない。",
    }
    return data | changes


def offered(response) -> set[str]:
    return {o.name for _, organisations in response.context["groups"] for o in organisations}


def test_form_offers_the_area_and_those_above_it(logged_in, ward):
    response = logged_in.get(NEW, {"area": ward["sakura"].code})
    assert response.status_code == 200
    assert offered(response) == {
        "社協 桜台地区事務局", "ひだまりサロン", "親子ひろば すみれ", "北こども家庭センター",
        "区社会福祉協議会",
    }  # fmt: skip
    html = response.content.decode()
    # The user's organisation is the organiser by default.
    assert f'<option value="{ward["council"].pk}" selected>' in html
    assert 'name="action" value="refresh"' in html  # works without JavaScript


def test_creating_a_workshop(logged_in, ward):
    response = logged_in.post(NEW, form_data(ward))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:meeting_detail", args=[meeting.uid])
    assert meeting.kind == MeetingKind.WORKSHOP
    assert meeting.level == MeetingLevel.DISTRICT
    assert meeting.area == ward["sakura"]
    assert meeting.visibility == MeetingVisibility.PUBLIC
    assert meeting.title == "何が必要？福祉の土台づくり"
    assert meeting.place == "桜台地区会館"
    assert meeting.organiser == ward["council"]
    assert timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M") == "2026-09-12 10:00"
    assert timezone.localtime(meeting.ends_at).strftime("%H:%M") == "12:00"
    # One row per organisation, the organiser included.
    assert sorted(p.organisation.name for p in meeting.participants.all()) == sorted(
        ["社協 桜台地区事務局", "ひだまりサロン", "親子ひろば すみれ", "北こども家庭センター"]
    )
    item = AgendaItem.objects.get(meeting=meeting)
    assert item.kind == AgendaItem.Kind.REPORT
    assert item.summary == "男性の居場所がない。\n送迎の担い手が足りない。"
    assert item.minutes_allotted == 120

    page = logged_in.get(response["Location"])
    assert "男性の居場所がない" in page.content.decode()


@pytest.mark.parametrize(
    ("area_key", "level"),
    [("sakura", MeetingLevel.DISTRICT), ("region", MeetingLevel.REGION),
     ("city", MeetingLevel.MUNICIPAL)],
)  # fmt: skip
def test_level_follows_the_area(logged_in, ward, area_key, level):
    logged_in.post(NEW, form_data(ward, area=ward[area_key].code, notes=""))
    meeting = Meeting.objects.get()
    assert meeting.level == level
    assert not meeting.agenda_items.exists()  # no notes, no report item


def test_a_past_workshop_is_recorded_as_held(logged_in, ward):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    logged_in.post(NEW, form_data(ward, date=yesterday.isoformat(), visibility="staff"))
    meeting = Meeting.objects.get()
    assert meeting.status == Meeting.Status.HELD
    assert meeting.visibility == MeetingVisibility.STAFF
    assert set(meeting.participants.values_list("attended", flat=True)) == {True}


def test_japanese_dates_are_accepted(logged_in, ward):
    logged_in.post(NEW, form_data(ward, date="令和８年９月１２日"))
    assert timezone.localtime(Meeting.objects.get().starts_at).date() == datetime.date(2026, 9, 12)


def test_bad_input_keeps_what_was_typed_and_writes_nothing(logged_in, ward):
    data = form_data(ward, ends="09:00", organiser="")
    response = logged_in.post(NEW, data)
    assert response.status_code == 200
    assert not Meeting.objects.exists() and not Participant.objects.exists()
    form = response.context["form"]
    assert "The workshop must end after it starts." in form.errors["ends"]
    assert "Choose the organisation running it." in form.errors["organiser"]
    html = response.content.decode()
    assert 'value="何が必要？福祉の土台づくり"' in html
    assert "送迎の担い手が足りない。" in html
    assert f'value="{ward["salon"].pk}" checked' in html
    assert f'value="{ward["circle"].pk}" checked' in html


def test_refresh_without_javascript_saves_nothing_and_keeps_input(logged_in, ward):
    data = form_data(ward, area=ward["wakaba"].code, action="refresh")
    response = logged_in.post(NEW, data)
    assert response.status_code == 200
    assert not Meeting.objects.exists()
    assert not response.context["form"].errors  # a round trip, not a submission
    names = offered(response)
    # 若葉's clinic is now offered; the organisations already chosen stay, checked.
    assert "わかば医院" in names
    assert {"ひだまりサロン", "親子ひろば すみれ"} <= names
    html = response.content.decode()
    assert f'value="{ward["salon"].pk}" checked' in html
    assert 'value="何が必要？福祉の土台づくり"' in html
    assert "<html" in html


def test_refresh_with_htmx_returns_the_organisations_part(logged_in, ward):
    data = form_data(ward, action="refresh", organisations=[], find="わかば")
    response = logged_in.post(NEW, data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'id="workshop-organisations"' in html
    assert f'value="{ward["clinic"].pk}"' in html  # found by name


def test_list_per_area(logged_in, ward):
    for area_key, title in (("sakura", "桜台のワークショップ"), ("wakaba", "若葉のワークショップ")):
        logged_in.post(NEW, form_data(ward, area=ward[area_key].code, title=title))
    factories.meeting(area=ward["sakura"], organiser=ward["council"], title="三者連携会議")

    response = logged_in.get(LIST, {"area": ward["sakura"].code})
    assert [m.title for m in response.context["page"]] == ["桜台のワークショップ"]
    assert response.context["page"][0].organisation_count == 4
    # A region's list includes its districts' workshops.
    response = logged_in.get(LIST, {"area": ward["region"].code})
    assert {m.title for m in response.context["page"]} == {
        "桜台のワークショップ",
        "若葉のワークショップ",
    }
    html = response.content.decode()
    assert f"{NEW}?area={ward['region'].code}" in html
    assert logged_in.get(LIST).status_code == 200


def test_confidential_workshops_stay_with_the_people_on_them(logged_in, ward, client):
    factories.meeting(
        area=ward["sakura"],
        organiser=ward["hq"],
        kind=MeetingKind.WORKSHOP,
        title="非公開の検討会",
        visibility=MeetingVisibility.CONFIDENTIAL,
    )
    response = logged_in.get(LIST)
    assert "非公開の検討会" not in [m.title for m in response.context["page"]]


def test_login_required(client):
    assert client.get(LIST).status_code == 302
    assert client.get(NEW).status_code == 302
