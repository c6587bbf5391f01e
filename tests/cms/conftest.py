"""A small public site with one page of every type, in Japanese and (for most) English, beside
records that must never reach it: a staff-only organisation, a hidden address, a public
organisation's staff-only service, staff and confidential meetings, a case with its code."""

import dataclasses
import datetime

import pytest
from django.utils import timezone
from wagtail.models import Locale, Page

from cms.models import (
    CentrePage,
    DirectoryPage,
    DistrictPage,
    EventIndexPage,
    EventPage,
    HelpLines,
    HomePage,
    IndexPage,
    NewsIndexPage,
    NewsPage,
    StandardPage,
)
from conferences.models import MeetingVisibility
from resources.models import Location, Service, TaxonomyTerm, Visibility
from resources.search import organisations_search_refresh
from tests import factories

SECRETS = {
    "staff-only organisation": "秘密の見守りネット",
    "hidden address": "若草区非公開町九丁目",
    "hidden place name": "一時保護の家",
    "staff-only service": "職員限定の同行支援",
    "staff meeting": "職員だけの個別ケア会議",
    "confidential meeting": "虐待対応の個別ケース会議",
    "case code": "K26-77777",
}


@dataclasses.dataclass
class PublicSite:
    home: HomePage
    home_en: HomePage
    centres: IndexPage
    districts: IndexPage
    centre: CentrePage
    district_page: DistrictPage
    directory: DirectoryPage
    events: EventIndexPage
    event: EventPage
    news: NewsIndexPage
    news_item: NewsPage
    standard: StandardPage
    district: object
    salon: object
    shelter_org: object
    staff_org: object

    def urls(self) -> dict[str, str]:
        """One address per page type (and the directory's sub-pages), Japanese."""
        return {
            "home": self.home.url,
            "index (centres)": self.centres.url,
            "index (districts)": self.districts.url,
            "centre": self.centre.url,
            "district": self.district_page.url,
            "directory": self.directory.url,
            "directory search": self.directory.url + "?q=%E3%82%B5%E3%83%AD%E3%83%B3",
            "directory by district": self.directory.url + f"?area={self.district.code}",
            "directory entry": f"{self.directory.url}o/{self.salon.uuid}/",
            "directory entry, hidden place": f"{self.directory.url}o/{self.shelter_org.uuid}/",
            "events": self.events.url,
            "event": self.event.url,
            "news index": self.news.url,
            "news": self.news_item.url,
            "standard": self.standard.url,
        }


def add(parent: Page, model, **fields) -> Page:
    fields.setdefault("draft_title", fields["title"])
    page = model(locale_id=fields.pop("locale_id", parent.locale_id), **fields)
    return parent.add_child(instance=page)


def translate(page: Page, *, parent: Page, locale: Locale, **fields) -> Page:
    """The page's English version: the same translation key, its own fields."""
    copy = page.copy_for_translation(locale)
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.draft_title = copy.title
    copy.save_revision().publish()
    return copy


@pytest.fixture
def public_site(home_page):
    _city, _region, district = factories.area_tree()
    en = Locale.objects.get_or_create(language_code="en")[0]
    home = home_page
    home.title = "ひばり野区 くらしの相談"
    home.intro = "困ったときの相談先"
    home.save()

    salon_category = TaxonomyTerm.objects.create(code="salon", name="サロン", name_en="Salons")
    centre_org = factories.organisation("桜台ふれあい安心センター", home_area=district)
    salon = factories.organisation(
        "桜台ふれあいサロン", kind="salon", is_agency=False, home_area=district,
        description="お茶とおしゃべり",
    )  # fmt: skip
    Location.objects.create(
        organisation=salon, name="桜台集会所", address="ひばり野区桜台一丁目1番1号",
        district=district, latitude="35.6", longitude="139.6",
    )  # fmt: skip
    service = Service.objects.create(organisation=salon, name="ふれあいサロン")
    service.categories.add(salon_category)
    secret_service = Service.objects.create(
        organisation=salon, name=SECRETS["staff-only service"], visibility=Visibility.STAFF
    )
    secret_service.categories.add(salon_category)
    shelter_org = factories.organisation("桜台くらしサポート", kind="npo", is_agency=False)
    Location.objects.create(
        organisation=shelter_org, name=SECRETS["hidden place name"],
        address=SECRETS["hidden address"], district=district, latitude="35.7",
        longitude="139.7", hide_address=True,
    )  # fmt: skip
    staff_org = factories.organisation(
        SECRETS["staff-only organisation"], kind="npo", visibility=Visibility.STAFF,
        home_area=district,
    )  # fmt: skip
    staff_service = Service.objects.create(organisation=staff_org, name="見守り")
    staff_service.categories.add(salon_category)
    organisations_search_refresh()
    factories.meeting(
        area=district, organiser=centre_org, title=SECRETS["staff meeting"], place="会議室A"
    )
    factories.meeting(
        area=district, organiser=centre_org, title=SECRETS["confidential meeting"],
        visibility=MeetingVisibility.CONFIDENTIAL,
    )  # fmt: skip
    factories.meeting(
        area=district, organiser=centre_org, title="桜台ささえあいフォーラム",
        visibility=MeetingVisibility.PUBLIC, place="桜台地区会館",
    )  # fmt: skip
    factories.case(district=district, lead=centre_org, code=SECRETS["case code"])

    HelpLines.objects.create(
        site=home.get_site(),
        lines=[
            {
                "type": "line",
                "value": {
                    "name": "児童相談所虐待対応ダイヤル",
                    "name_en": "Child abuse hotline",
                    "number": "189",
                    "hours": "24時間",
                    "hours_en": "24 hours",
                    "url": "",
                },
            }
        ],
    )

    centres = add(home, IndexPage, title="相談窓口", slug="centres", show_in_menus=True)
    districts = add(home, IndexPage, title="地区のご案内", slug="districts", show_in_menus=True)
    centre = add(
        centres, CentrePage, title="桜台ふれあい安心センター", slug="sakuradai",
        kind="community_care_centre", organisation=centre_org, area=district,
        role="<p>高齢の方の総合相談</p>", consultation_places="センター窓口",
        opening_hours="平日 9:00〜17:00",
        who_for="65歳以上の方", handles="<p>介護の相談</p>", professionals="保健師、社会福祉士",
        environment="個室で相談", phone="03-0000-0000", address="ひばり野区桜台二丁目2番2号",
        latitude="35.61", longitude="139.61",
    )  # fmt: skip
    district_page = add(districts, DistrictPage, title="桜台地区", slug="sakuradai", area=district)
    directory = add(home, DirectoryPage, title="地域資源をさがす", slug="directory")
    events = add(home, EventIndexPage, title="教室・イベント", slug="events")
    starts = timezone.now().replace(microsecond=0) + datetime.timedelta(days=10)
    event = add(
        events, EventPage, title="ママパパ学級", slug="mamapapa", starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2), place="桜台こども家庭センター",
        area=district, summary="妊娠中の方とパートナーへ",
    )  # fmt: skip
    news = add(home, NewsIndexPage, title="お知らせ", slug="news")
    news_item = add(
        news, NewsPage, title="産後ケア事業のご案内", slug="sango-care",
        date=datetime.date(2026, 11, 23), summary="産後ケアを受け付けています",
        body=[{"type": "paragraph", "value": "<p>宿泊・日帰り・訪問</p>"}],
    )  # fmt: skip
    standard = add(
        home, StandardPage, title="はじめての相談ガイド", slug="guide",
        body=[
            {"type": "heading", "value": {"text": "相談の流れ", "level": "h2"}},
            {"type": "steps", "value": {"title": "手順", "steps": ["電話する", "話す"]}},
            {"type": "question", "value": {"question": "無料ですか", "answer": "<p>はい</p>"}},
            {"type": "notice", "value": {"kind": "info", "title": "休み", "text": "<p>年末</p>"}},
            {"type": "contact", "value": {"name": "窓口", "phone": "03-1", "hours": "",
                                          "email": ""}},
        ],
    )  # fmt: skip

    home_en = home.copy_for_translation(en)
    home_en.title = home_en.draft_title = "Hibarino Ward: where to get help"
    home_en.intro = "Where to turn"
    home_en.save_revision().publish()
    for page, title in [
        (centres, "Where to consult"),
        (districts, "Districts"),
        (directory, "Find local resources"),
        (events, "Classes and events"),
        (news, "News"),
        (standard, "First time? How to get help"),
    ]:
        translate(page, parent=home_en, locale=en, title=title)
    for page, title in [
        (centre, "Sakuradai Fureai Anshin Centre"),
        (district_page, "Sakuradai district"),
        (event, "Class for parents-to-be"),
        (news_item, "Postnatal care"),
    ]:
        translate(page, parent=None, locale=en, title=title)
    for page in (home, centres, districts, centre, district_page, directory, events, event):
        page.refresh_from_db()
    return PublicSite(
        home=home, home_en=home_en, centres=centres, districts=districts, centre=centre,
        district_page=district_page, directory=directory, events=events, event=event,
        news=news, news_item=news_item, standard=standard, district=district, salon=salon,
        shelter_org=shelter_org, staff_org=staff_org,
    )  # fmt: skip
