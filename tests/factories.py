"""Small builders for test data: each returns a saved object with sensible defaults."""

import datetime
import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from conferences.models import (
    ActionItem,
    AgendaItem,
    Case,
    CaseRole,
    Meeting,
    MeetingKind,
    MeetingLevel,
    MeetingVisibility,
    Membership,
    Participant,
)
from districts.models import Area, Chome, DistrictIssue, TargetGroup
from resources.models import Organisation, Visibility
from resources.search import organisation_search_key

_numbers = itertools.count(1)
PASSWORD = "correct-horse-battery"


def area_tree() -> tuple[Area, Area, Area]:
    """A municipality with one region and one district; returns all three."""
    n = next(_numbers)
    city = Area.objects.create(
        level=Area.Level.MUNICIPALITY, code=f"C{n}", name="ひばり野区", reading="ひばりのく"
    )
    region = Area.objects.create(
        level=Area.Level.REGION, parent=city, code=f"C{n}-R1", name="北地域", reading="きたちいき"
    )
    district = Area.objects.create(
        level=Area.Level.DISTRICT,
        parent=region,
        code=f"C{n}-R1-D1",
        name="桜台",
        reading="さくらだい",
    )
    Chome.objects.create(area=district, name="桜台一丁目", reading="さくらだいいっちょうめ")
    return city, region, district


def organisation(
    name="桜台地域包括支援センター",
    *,
    kind=Organisation.Kind.COMMUNITY_CARE_CENTRE,
    visibility=Visibility.PUBLIC,
    is_agency=True,
    **fields,
) -> Organisation:
    org = Organisation.objects.create(
        name=name, kind=kind, visibility=visibility, is_agency=is_agency, **fields
    )
    # As the admin, imports and demo do: keep the normalised search key current.
    org.search_text = organisation_search_key(org)
    org.save(update_fields=["search_text"])
    return org


def user(username=None, *, organisations=(), can_chair=False, **fields):
    username = username or f"user{next(_numbers)}"
    person = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    for org in organisations:
        Membership.objects.create(
            user=person, organisation=org, role="社会福祉士", can_chair=can_chair
        )
    return person


def case(*, district, lead, others=(), **fields) -> Case:
    defaults = {
        "code": f"K-{next(_numbers):05d}",
        "target_group": TargetGroup.ELDERLY,
        "support_level": Case.SupportLevel.SUPPORT_PLAN,
        "opened_on": datetime.date(2026, 4, 1),
    }
    new_case = Case.objects.create(district=district, lead_organisation=lead, **(defaults | fields))
    CaseRole.objects.create(case=new_case, organisation=lead, role="主担当")
    for org in others:
        CaseRole.objects.create(case=new_case, organisation=org, role="見守り")
    return new_case


def meeting(*, area, organiser, starts_in=datetime.timedelta(days=7), **fields) -> Meeting:
    starts_at = timezone.now().replace(microsecond=0) + starts_in
    defaults = {
        "title": f"{area.name} 地域ケア会議",
        "kind": MeetingKind.INDIVIDUAL,
        "level": MeetingLevel.DISTRICT,
        "visibility": MeetingVisibility.STAFF,
        "starts_at": starts_at,
        "ends_at": starts_at + datetime.timedelta(hours=2),
    }
    return Meeting.objects.create(area=area, organiser=organiser, **(defaults | fields))


def agenda_item(*, meeting, order=1, case=None, **fields) -> AgendaItem:
    kind = AgendaItem.Kind.CASE_REVIEW if case else AgendaItem.Kind.REPORT
    defaults = {"kind": kind, "title": "事例検討" if case else "報告"}
    return AgendaItem.objects.create(meeting=meeting, order=order, case=case, **(defaults | fields))


def participant(*, meeting, user, organisation, role=Participant.Role.MEMBER) -> Participant:
    return Participant.objects.create(
        meeting=meeting, user=user, organisation=organisation, role=role
    )


def action_item(*, agenda_item, organisation, assignee=None, due_in_days=14, **fields):
    return ActionItem.objects.create(
        agenda_item=agenda_item,
        organisation=organisation,
        assignee=assignee,
        description=fields.pop("description", "関係機関に連絡する"),
        due_on=timezone.localdate() + datetime.timedelta(days=due_in_days),
        **fields,
    )


def issue(*, area, title="週末に介護者が休める場がない", **fields) -> DistrictIssue:
    return DistrictIssue.objects.create(
        area=area, title=title, raised_on=datetime.date(2026, 6, 1), **fields
    )


def population_tree():
    """ひばり野区 (code 139999) → 北地域 (R1: 桜台 D1, 若葉 D2) and 南地域 (R2: 柏木 D3).

    桜台二丁目 moved from 桜台 to 若葉 on 2025-04-01; 旧町一丁目 left 桜台 on 2020-03-31 and has
    belonged to no district since. Returns a namespace of the six areas.
    """
    import types

    def make(level, code, name, reading, parent=None):
        return Area.objects.create(
            level=level, parent=parent, code=code, name=name, reading=reading
        )

    city = make(Area.Level.MUNICIPALITY, "139999", "ひばり野区", "ひばりのく")
    north = make(Area.Level.REGION, "R1", "北地域", "きたちいき", city)
    south = make(Area.Level.REGION, "R2", "南地域", "みなみちいき", city)
    sakuradai = make(Area.Level.DISTRICT, "D1", "桜台", "さくらだい", north)
    wakaba = make(Area.Level.DISTRICT, "D2", "若葉", "わかば", north)
    kashiwagi = make(Area.Level.DISTRICT, "D3", "柏木", "かしわぎ", south)
    moved_on = datetime.date(2025, 4, 1)
    for area, name, valid_from, valid_to in [
        (sakuradai, "桜台一丁目", None, None),
        (sakuradai, "桜台二丁目", None, moved_on - datetime.timedelta(days=1)),
        (wakaba, "桜台二丁目", moved_on, None),
        (wakaba, "若葉一丁目", None, None),
        (kashiwagi, "柏木一丁目", None, None),
        (sakuradai, "旧町一丁目", None, datetime.date(2020, 3, 31)),
    ]:
        Chome.objects.create(area=area, name=name, valid_from=valid_from, valid_to=valid_to)
    return types.SimpleNamespace(
        city=city, north=north, south=south, sakuradai=sakuradai, wakaba=wakaba, kashiwagi=kashiwagi
    )


def export_directory():
    """A small directory for the export tests, with every case an export must handle.

    ひばり野区 (population_tree, municipality code 139999 → 東京都) and two categories, and:
    - サロン (public): a public service at two places, with two schedules, categories and
      languages; a staff-only service; a second place with no service; a 介護保険事業所番号;
    - 一時避難ハウス (public) whose only place hides its address (SECRET_ADDRESS);
    - 会員制サークル (staff only), with a service and a place;
    - 若葉町会 (public), with neither services nor places.
    Returns a namespace of the areas, terms and objects.
    """
    import types

    from resources.models import (
        Location,
        OrganisationIdentifier,
        Schedule,
        Service,
        ServiceAtLocation,
        TaxonomyTerm,
    )

    areas = population_tree()
    salon_term = TaxonomyTerm.objects.create(
        code="salon", name="介護予防・サロン", name_en="Salons", target_group=TargetGroup.ELDERLY
    )
    hiroba = TaxonomyTerm.objects.create(
        code="hiroba", name="子育てひろば", name_en="", target_group=TargetGroup.CHILDREN
    )
    salon = organisation(
        "桜台ふれあいサロン",
        kind=Organisation.Kind.SALON,
        is_agency=False,
        reading="さくらだいふれあいさろん",
        name_en="Sakuradai Salon",
        description="お茶とおしゃべりの会。",
        phone="03-1234-5678",
        fax="03-1234-5679",
        email="salon@example.jp",
        website="https://salon.example.jp/",
        corporate_number="1234567890123",
        home_area=areas.sakuradai,
        last_verified_on=datetime.date(2026, 5, 1),
    )
    salon.areas_served.add(areas.sakuradai, areas.wakaba)
    OrganisationIdentifier.objects.create(
        organisation=salon,
        scheme=OrganisationIdentifier.Scheme.CARE_OFFICE,
        identifier="1371234567",
    )
    hall = Location.objects.create(
        organisation=salon,
        name="桜台会館",
        postal_code="154-0001",
        address="東京都ひばり野区桜台一丁目2番3号",
        district=areas.sakuradai,
        latitude="35.650000",
        longitude="139.650000",
        accessibility="車いす可、エレベーターあり",
    )
    annex = Location.objects.create(
        organisation=salon,
        name="桜台第二会場",
        address="ひばり野区若葉一丁目5番",
        district=areas.wakaba,
    )
    park = Location.objects.create(
        organisation=salon,
        name="若葉公園",
        address="ひばり野区若葉一丁目8番",
        district=areas.wakaba,
    )
    gathering = Service.objects.create(
        organisation=salon,
        name="ふれあいサロン",
        description="季節の行事と体操。",
        target_group=TargetGroup.ELDERLY,
        cost="1回100円",
        languages=["ja", "en"],
        application_process="当日会場へ",
    )
    gathering.categories.add(salon_term, hiroba)
    ServiceAtLocation.objects.create(service=gathering, location=hall)
    ServiceAtLocation.objects.create(service=gathering, location=park)
    Schedule.objects.create(
        service=gathering,
        rrule="FREQ=MONTHLY;BYDAY=2TU,4TU",
        opens_at=datetime.time(10),
        closes_at=datetime.time(12),
        notes="祝日は休み",
    )
    Schedule.objects.create(
        service=gathering,
        rrule="FREQ=WEEKLY;BYDAY=WE",
        opens_at=datetime.time(13, 30),
        closes_at=datetime.time(15, 30),
        valid_from=datetime.date(2026, 4, 1),
        valid_to=datetime.date(2027, 3, 31),
    )
    members_only = Service.objects.create(
        organisation=salon, name="会員限定の見守り", visibility=Visibility.STAFF
    )
    ServiceAtLocation.objects.create(service=members_only, location=annex)

    shelter = organisation(
        "一時避難ハウス", kind=Organisation.Kind.NPO, reading="いちじひなんはうす"
    )
    hidden = Location.objects.create(
        organisation=shelter,
        name="ハウス",
        postal_code="154-0099",
        address=SECRET_ADDRESS,
        district=areas.kashiwagi,
        latitude="35.612345",
        longitude="139.612345",
        hide_address=True,
    )
    refuge = Service.objects.create(
        organisation=shelter, name="一時避難", target_group=TargetGroup.HARDSHIP
    )
    ServiceAtLocation.objects.create(service=refuge, location=hidden)

    circle = organisation(
        "会員制サークル",
        kind=Organisation.Kind.PARENTING_CIRCLE,
        reading="かいいんせいさーくる",
        visibility=Visibility.STAFF,
    )
    circle_place = Location.objects.create(
        organisation=circle, address="ひばり野区柏木一丁目1番", district=areas.kashiwagi
    )
    circle_service = Service.objects.create(organisation=circle, name="親子あそび")
    ServiceAtLocation.objects.create(service=circle_service, location=circle_place)

    town = organisation(
        "若葉町会",
        kind=Organisation.Kind.NEIGHBOURHOOD,
        reading="わかばちょうかい",
        is_agency=False,
    )
    return types.SimpleNamespace(
        areas=areas,
        terms=[salon_term, hiroba],
        salon=salon,
        hall=hall,
        annex=annex,
        park=park,
        gathering=gathering,
        members_only=members_only,
        shelter=shelter,
        hidden=hidden,
        refuge=refuge,
        circle=circle,
        circle_service=circle_service,
        town=town,
    )


SECRET_ADDRESS = "ひばり野区柏木九丁目9番9号 ひみつ荘"
