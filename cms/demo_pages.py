"""Demo data, public site: the page tree of the fictional ward, in Japanese with English versions
of the main pages (cms.demo.build_site calls build_pages).

Every page is created live without a revision (an editor's first save makes one), with the demo's
date as its publication date, so the same seed and date give the same pages. A centre page per
demo centre and a district page per district: at --scale 10 some 700 pages, each one insert of
the page and its row (add_child), which stays well inside seed_demo's budget.
"""

import datetime
import zoneinfo

from django.db.models import Q
from wagtail.models import Locale, Page, Site

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
from districts.demo import DemoTerritory
from resources.demo import DemoDirectory
from resources.models import Location, Organisation

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")

HELP_LINES = [
    {
        "name": "児童相談所虐待対応ダイヤル",
        "name_en": "Child abuse hotline (child guidance centres)",
        "number": "189",
        "hours": "24時間・通話料無料",
        "hours_en": "24 hours, free of charge",
        "url": "",
    },
    {
        "name": "にんしんSOS若草（デモ）",
        "name_en": "Pregnancy SOS Wakakusa (demo)",
        "number": "0120-000-000",
        "hours": "毎日 10:00〜22:00",
        "hours_en": "Every day 10:00–22:00",
        "url": "",
    },
    {
        "name": "よりそいホットライン",
        "name_en": "Yorisoi hotline (any worry, in several languages)",
        "number": "0120-279-338",
        "hours": "24時間",
        "hours_en": "24 hours",
        "url": "",
    },
]
EMERGENCY_NOTE = "命に関わる緊急のときは 110番（警察）・119番（救急・消防）へ。"
EMERGENCY_NOTE_EN = "In a life-threatening emergency call 110 (police) or 119 (ambulance, fire)."

HOW_TO_CONSULT = (
    "<ol><li>お住まいの地区のページで、身近な相談窓口を確かめます。</li>"
    "<li>電話するか、開いている時間に窓口へお越しください。予約がなくても構いません。</li>"
    "<li>専門職がお話をうかがい、必要なら関係機関といっしょに支えます。相談は無料で、"
    "秘密は守られます。</li></ol>"
)
HOW_TO_CONSULT_EN = (
    "<ol><li>Find the consultation desk near you on your district's page.</li>"
    "<li>Call, or come to the desk during its opening hours; no appointment needed.</li>"
    "<li>Professionals listen and, where needed, support you together with other agencies. "
    "Consulting is free and confidential.</li></ol>"
)

CENTRE_TEXT = {
    "community_care": {
        "kind": Organisation.Kind.COMMUNITY_CARE_CENTRE,
        "role": "<p>高齢の方とご家族の身近な総合相談窓口です。介護、健康、福祉、お金や権利を"
        "守ることなど、どこに相談すればよいかわからないことも、まずお聞きして必要な支援に"
        "つなぎます。</p>",
        "places": "センター窓口（{place}）\n電話相談\nご自宅への訪問（お申し出ください）",
        "hours": "月曜〜土曜 8:30〜17:15（祝日・年末年始を除く）\n"
        "夜間・休日は電話で当番の職員につながります",
        "who_for": "{area}にお住まいの65歳以上の方、そのご家族、地域の方",
        "handles": "<ul><li>介護保険の申請と介護サービスの利用</li><li>介護予防・健康づくり"
        "</li><li>認知症の相談</li><li>高齢者虐待・消費者被害・成年後見など権利を守る相談"
        "</li><li>ケアマネジャーへの支援</li></ul>",
        "professionals": "保健師（または経験のある看護師）、社会福祉士、主任介護支援専門員",
        "environment": "相談は個室でうかがいます。秘密は守られます。車いすでお越しいただけます。",
    },
    "child_family_centre": {
        "kind": Organisation.Kind.CHILD_FAMILY_CENTRE,
        "role": "<p>妊娠期から18歳までのお子さんと家庭の相談を一か所で受ける、みんなの"
        "「地域の実家」のような窓口です。母子保健と児童福祉の担当がいっしょに、一人ひとりに"
        "合ったサポートプランを作ります。</p>",
        "places": "センター窓口（{place}）\n電話・メール相談\n"
        "妊婦面接・赤ちゃん訪問（ご自宅へうかがいます）",
        "hours": "月曜〜金曜 8:30〜17:15（祝日・年末年始を除く）",
        "who_for": "{area}にお住まいの妊婦さん、子育て中の家庭、18歳までのお子さん本人",
        "handles": "<ul><li>妊娠・出産・産後の体と心の相談（産後ケア事業を含む）</li>"
        "<li>乳幼児健診・予防接種</li><li>子育ての悩み、発達の心配</li>"
        "<li>家庭の困りごと、子どもの虐待の相談・通告</li><li>サポートプランの作成</li></ul>",
        "professionals": "保健師、助産師、社会福祉士、心理職（統括支援員が全体を調整します）",
        "environment": "面談は個室で行います。授乳室とおむつ替えの場所があります。"
        "ベビーカーのままお入りいただけます。",
    },
}
CENTRE_TEXT_EN = {
    "community_care": {
        "title": "{area} Fureai Anshin Centre (community general support centre)",
        "role": "<p>The first place to go for older people and their families: care, health, "
        "welfare, money and rights. If you do not know whom to ask, ask us first and we "
        "connect you with the help you need.</p>",
        "places": "At the centre ({place})\nBy phone\nAt your home (ask us to visit)",
        "hours": "Monday to Saturday 8:30–17:15 (not on public holidays or at New Year)\n"
        "At night and on holidays the phone reaches the member of staff on duty",
        "who_for": "People aged 65 and over living in {area}, their families and neighbours",
        "handles": "<ul><li>Applying for long-term care insurance and using care services</li>"
        "<li>Staying healthy and preventing frailty</li><li>Dementia</li><li>Elder abuse, "
        "consumer fraud, adult guardianship</li><li>Support for care managers</li></ul>",
        "professionals": "Public health nurse, certified social worker, chief care manager",
        "environment": "We talk in a private room; what you say stays confidential. "
        "Wheelchair accessible.",
    },
    "child_family_centre": {
        "title": "{area} Child and Family Centre",
        "role": "<p>One place for expectant parents, families and children up to 18: "
        "maternal and child health and child welfare staff work together and make a support "
        "plan with each family.</p>",
        "places": "At the centre ({place})\nBy phone or e-mail\n"
        "Interviews in pregnancy and home visits after birth",
        "hours": "Monday to Friday 8:30–17:15 (not on public holidays or at New Year)",
        "who_for": "Expectant mothers, families raising children and children up to 18 "
        "living in {area}",
        "handles": "<ul><li>Pregnancy, birth and postnatal care</li><li>Health checks and "
        "vaccinations for babies and infants</li><li>Worries about raising or the development "
        "of a child</li><li>Family troubles; reporting and consulting about child abuse</li>"
        "<li>Support plans</li></ul>",
        "professionals": "Public health nurses, midwives, social workers, psychologists "
        "(a lead support worker coordinates)",
        "environment": "Interviews in a private room; nursing room and changing table; "
        "come in with your pushchair.",
    },
}

EVENTS = [
    # (title, title_en, who for, who for (en), weekday offset, start hour, hours, kind of host)
    ("{base}ママパパ学級", "{base} class for parents-to-be", "妊娠中の方とパートナー",
     "Expectant parents", 5, 10, 2, "child_family_centre"),
    ("{base}産前教室", "{base} antenatal class", "妊娠20週以降の方",
     "From the 20th week of pregnancy", 12, 14, 2, "child_family_centre"),
    ("{base}介護予防教室（いきいき体操）", "{base} keep-fit class for older people",
     "65歳以上の方", "People aged 65 and over", 9, 13, 1, "community_care"),
]  # fmt: skip

NEWS = [
    ("産後ケア事業のご案内", "Postnatal care service",
     "出産後の体と心を休める宿泊・日帰り・訪問の産後ケアを、こども家庭センターで受け付けています。",
     "Stays, day visits and home visits to rest body and mind after birth: ask your child and "
     "family centre.", 3),
    ("年末年始の相談窓口のご案内", "Consultation desks over New Year",
     "12月29日から1月3日は窓口を休みます。緊急の相談は下の電話番号へ。",
     "Desks close from 29 December to 3 January. For urgent help use the numbers below.", 10),
    ("地域ささえあいフォーラムを開きます", "Community support forum",
     "地区の課題と新しい支えあいの活動について話し合います。どなたでも参加できます。",
     "An open meeting on the district's issues and new mutual-aid activities.", 20),
    ("やさしい日本語のページを準備しています", "Pages in plain Japanese are coming",
     "外国にルーツのある方にも読みやすい「やさしい日本語」のページを順次公開します。",
     "Pages in plain Japanese (yasashii nihongo) will follow.", 35),
]  # fmt: skip


def build_pages(
    *, territory: DemoTerritory, directory: DemoDirectory, today: datetime.date
) -> None:
    ja = Locale.objects.get_or_create(language_code="ja")[0]
    en = Locale.objects.get_or_create(language_code="en")[0]
    home = HomePage.objects.filter(locale=ja).order_by("depth", "path").first()
    if home is None:
        return
    published = datetime.datetime.combine(today, datetime.time(9), tzinfo=TOKYO)
    home.how_to_consult = HOW_TO_CONSULT
    home.save(update_fields=["how_to_consult"])
    _help_lines(home=home)

    builder = _Builder(published=published)
    home_en = builder.home_translation(home=home, locale=en)

    # Sections, in menu order.
    centres = builder.add(
        home, IndexPage, "centres", "相談窓口", show_in_menus=True,
        intro="<p>高齢の方の相談はふれあい安心センター（地域包括支援センター）、妊娠・子育ての"
        "相談はこども家庭センターへ。地区ごとの窓口です。</p>",
    )  # fmt: skip
    districts = builder.add(
        home, IndexPage, "districts", "地区のご案内", show_in_menus=True,
        intro="<p>お住まいの地区を選ぶと、身近な窓口、地域の資源、公開の会議やイベントが"
        "わかります。</p>",
    )  # fmt: skip
    directory_page = builder.add(
        home, DirectoryPage, "directory", "地域資源をさがす", show_in_menus=True,
        intro="<p>サロン、子育てひろば、介護サービス、医療機関など、区内の公開されている"
        "地域資源をさがせます。ひらがな・カタカナ、全角・半角のどちらでも見つかります。</p>",
    )  # fmt: skip
    events = builder.add(
        home, EventIndexPage, "events", "教室・イベント", show_in_menus=True,
        intro="<p>ママパパ学級、産前教室、介護予防教室など、どなたでも参加できる催しです。</p>",
    )  # fmt: skip
    news = builder.add(home, NewsIndexPage, "news", "お知らせ", show_in_menus=True)
    guide = builder.add(
        home, StandardPage, "guide", "はじめての相談ガイド", show_in_menus=True,
        intro="どこに相談すればよいかわからないときに。", body=_guide_body(en=False),
    )  # fmt: skip
    about = builder.add(
        home, StandardPage, "about", "このサイトについて",
        intro="アクセシビリティと個人情報の取り扱い。", body=_about_body(en=False),
    )  # fmt: skip

    en_sections = {
        centres: ("Where to consult", "<p>Community general support centres for older "
                  "people, child and family centres for pregnancy and children.</p>"),
        districts: ("Districts", "<p>Choose your district to see the desks near you, local "
                    "resources, public meetings and events.</p>"),
        directory_page: ("Find local resources", "<p>Salons, parenting spaces, care "
                         "services, clinics: everything public in the ward.</p>"),
        events: ("Classes and events", "<p>Classes for parents-to-be, antenatal classes, "
                 "keep-fit classes: open to everyone.</p>"),
        news: ("News", ""),
    }  # fmt: skip
    translated = {home.pk: home_en}
    for page, (title, intro) in en_sections.items():
        translated[page.pk] = builder.translate(
            page, parent=home_en, title=title, locale=en, intro=intro
        )
    builder.translate(
        guide, parent=home_en, title="First time? How to get help", locale=en,
        intro="When you do not know whom to ask.", body=_guide_body(en=True),
    )  # fmt: skip
    builder.translate(
        about, parent=home_en, title="About this site", locale=en,
        intro="Accessibility and personal data.", body=_about_body(en=True),
    )  # fmt: skip

    # Centres and districts.
    orgs = _centre_organisations(directory=directory)
    region_centres = []
    for region in territory.regions:
        found = _first(directory.region[region.index].get("child_family_centre"))
        region_centres.append(
            builder.add(
                centres, CentrePage, f"{region.code}-kodomo", found.name if found else "",
                **_centre_fields("child_family_centre", orgs.get(found.pk if found else None),
                                 area_pk=region.pk, area_name=region.name),
            ) if found else None
        )  # fmt: skip
    district_centres = []
    for district in territory.districts:
        found = _first(directory.district[district.index].get("community_care"))
        district_centres.append(
            builder.add(
                centres, CentrePage, f"{district.code}-fureai", found.name,
                **_centre_fields("community_care", orgs.get(found.pk), area_pk=district.pk,
                                 area_name=f"{district.name}地区"),
            ) if found else None
        )  # fmt: skip
    district_pages = []
    for district in territory.districts:
        region = territory.regions[district.region_index]
        district_pages.append(
            builder.add(
                districts, DistrictPage, district.code, f"{district.name}地区",
                area_id=district.pk,
                intro=f"<p>{district.name}地区（{region.name}）の相談窓口、地域の資源、"
                "公開の会議とイベントのご案内です。</p>",
            )
        )  # fmt: skip

    # English: the first region's centre, the first district's centre and page.
    first = territory.districts[0]
    first_region = territory.regions[first.region_index]
    for page, key, area_name in (
        (region_centres[first.region_index], "child_family_centre", first_region.base_name),
        (district_centres[0], "community_care", first.name),
    ):
        if page is not None:
            text = CENTRE_TEXT_EN[key]
            place = page.address
            builder.translate(
                page, parent=translated[centres.pk], locale=en,
                title=text["title"].format(area=area_name),
                role=text["role"], consultation_places=text["places"].format(place=place),
                opening_hours=text["hours"], who_for=text["who_for"].format(area=area_name),
                handles=text["handles"], professionals=text["professionals"],
                environment=text["environment"],
            )  # fmt: skip
    builder.translate(
        district_pages[0], parent=translated[districts.pk], locale=en,
        title=f"{first.name} district",
        intro=f"<p>Desks, local resources, public meetings and events in {first.name} "
        f"({first_region.name}).</p>",
    )  # fmt: skip

    # Events: each region's centres hold a few classes in the coming weeks.
    for region in territory.regions:
        district = territory.districts[region.district_indexes[0]]
        for index, (title, title_en, who, who_en, offset, hour, hours, host) in enumerate(EVENTS):
            starts = datetime.datetime.combine(
                today + datetime.timedelta(days=offset + 7 * (region.index % 4)),
                datetime.time(hour),
                tzinfo=TOKYO,
            )
            centre = (
                region_centres[region.index]
                if host == "child_family_centre"
                else district_centres[district.index]
            )
            place = centre.title if centre else region.name
            event = builder.add(
                events, EventPage, f"{region.code}-event-{index + 1}",
                title.format(base=region.base_name), starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=hours), place=f"{place} 多目的室",
                address=centre.address if centre else "", area_id=district.pk, who_for=who,
                cost="無料", how_to_apply="電話で会場のセンターへお申し込みください（先着20名）。",
                summary="持ち物：母子健康手帳（ある方）、筆記用具。" if index < 2 else
                "動きやすい服装でお越しください。",
            )  # fmt: skip
            if region.index == first_region.index:
                builder.translate(
                    event, parent=translated[events.pk], locale=en,
                    title=title_en.format(base=region.base_name), who_for=who_en,
                    place=f"{place} (activity room)", cost="Free",
                    how_to_apply="Call the centre holding it (first 20 people).",
                    summary="Bring your maternal and child health handbook if you have one."
                    if index < 2 else "Wear clothes you can move in.",
                )  # fmt: skip

    for index, (title, title_en, summary, summary_en, days_ago) in enumerate(NEWS):
        item = builder.add(
            news, NewsPage, f"news-{index + 1}", title,
            date=today - datetime.timedelta(days=days_ago), summary=summary,
            body=[{"type": "paragraph", "value": f"<p>{summary}</p>"}],
        )  # fmt: skip
        if index < 2:
            builder.translate(
                item, parent=translated[news.pk], locale=en, title=title_en,
                summary=summary_en, body=[{"type": "paragraph", "value": f"<p>{summary_en}</p>"}],
            )  # fmt: skip


def delete_pages() -> None:
    """Everything build_pages made: the home pages' subtrees, and the translations of the home
    page (the Japanese home page itself belongs to the site and stays)."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return
    home = site.root_page
    for translation in home.get_translations().order_by("-path"):
        translation.delete()
    for child in home.get_children().order_by("-path"):
        child.delete()
    HelpLines.objects.filter(site=site).delete()


class _Builder:
    def __init__(self, *, published: datetime.datetime):
        self.published = published

    def _stamp(self, page: Page) -> Page:
        page.live = True
        page.has_unpublished_changes = False
        page.first_published_at = page.last_published_at = self.published
        return page

    def add(self, parent: Page, model, slug: str, title: str, **fields) -> Page:
        page = self._stamp(model(title=title, draft_title=title, slug=slug, **fields))
        page.locale_id = parent.locale_id
        return parent.add_child(instance=page)

    def home_translation(self, *, home: HomePage, locale: Locale) -> HomePage:
        page = self._stamp(
            HomePage(
                title="Wakakusa Ward: where to get help",
                draft_title="Wakakusa Ward: where to get help",
                slug="home-en",
                intro="Care, child-rearing, disability, hard times: the desks in your district "
                "support you together with other agencies. (A demo of the fictional "
                "Wakakusa Ward.)",
                body="<h2>Start at your district's desk</h2><p>Each district has a town "
                "development centre, a Fureai Anshin Centre (community general support centre) "
                "and the welfare council's district office. If you are not sure whom to ask, "
                "start there.</p><h2>In an emergency</h2><p>To report or talk about child "
                "abuse, call 189 (24 hours, free).</p>",
                how_to_consult=HOW_TO_CONSULT_EN,
                translation_key=home.translation_key,
                locale=locale,
            )
        )
        return home.get_parent().add_child(instance=page)

    def translate(self, page: Page, *, parent: Page, locale: Locale, title: str, **fields):
        """A copy of the page in another locale (the same translation key), its fields replaced
        by the given ones."""
        specific = page.specific_class
        copied = {
            field.attname: getattr(page, field.attname)
            for field in specific._meta.concrete_fields
            if field.model is specific and not field.primary_key
            and field.name not in {"page_ptr"}
        }  # fmt: skip
        copied.update(fields)
        copy = self._stamp(
            specific(
                title=title,
                draft_title=title,
                slug=page.slug,
                translation_key=page.translation_key,
                locale=locale,
                **copied,
            )
        )
        return parent.add_child(instance=copy)


def _first(orgs):
    return orgs[0] if orgs else None


def _centre_organisations(*, directory: DemoDirectory) -> dict[int, dict]:
    """pk → the public fields of the demo's centres and their first published place."""
    pks = [
        org.pk
        for groups in (directory.district, directory.region)
        for group in groups
        for tag in ("community_care", "child_family_centre")
        for org in group.get(tag, [])
    ]
    found = {
        org.pk: {"organisation": org, "location": None}
        for org in Organisation.objects.filter(pk__in=pks, visibility="public")
    }
    for location in Location.objects.filter(
        Q(organisation_id__in=found), hide_address=False
    ).order_by("organisation_id", "pk"):
        if found[location.organisation_id]["location"] is None:
            found[location.organisation_id]["location"] = location
    return found


def _centre_fields(key: str, data: dict | None, *, area_pk: int, area_name: str) -> dict:
    text = CENTRE_TEXT[key]
    organisation = data["organisation"] if data else None
    location = data["location"] if data else None
    place = (location.name or location.address) if location else area_name
    return {
        "kind": text["kind"],
        "organisation": organisation,
        "area_id": area_pk,
        "role": text["role"],
        "consultation_places": text["places"].format(place=place),
        "opening_hours": text["hours"],
        "who_for": text["who_for"].format(area=area_name),
        "handles": text["handles"],
        "professionals": text["professionals"],
        "environment": text["environment"],
        "phone": organisation.phone if organisation else "",
        "email": organisation.email if organisation else "",
        "postal_code": location.postal_code if location else "",
        "address": location.address if location else "",
        "latitude": location.latitude if location else None,
        "longitude": location.longitude if location else None,
    }


def _help_lines(*, home: HomePage) -> None:
    site = (
        Site.objects.filter(root_page=home).first()
        or Site.objects.filter(is_default_site=True).first()
    )
    if site is None:
        return
    settings, _ = HelpLines.objects.get_or_create(site=site)
    settings.lines = [{"type": "line", "value": line} for line in HELP_LINES]
    settings.emergency_note = EMERGENCY_NOTE
    settings.emergency_note_en = EMERGENCY_NOTE_EN
    settings.save()


def _guide_body(*, en: bool) -> list[dict]:
    if en:
        return [
            {"type": "steps", "value": {"title": "How to get help", "steps": [
                "Find your district on the Districts page.",
                "Call or visit the desk listed there; no appointment needed.",
                "Tell us what worries you. We find the right service with you.",
            ]}},
            {"type": "notice", "value": {"kind": "important", "title": "In an emergency",
                "text": "<p>Call 110 (police) or 119 (ambulance). Child abuse: 189.</p>"}},
            {"type": "question", "value": {"question": "Does it cost anything?",
                "answer": "<p>No. Consulting is free and confidential.</p>"}},
            {"type": "question", "value": {"question": "Can I consult in English?",
                "answer": "<p>Tell us when you call; we arrange an interpreter or a "
                "translation app.</p>"}},
        ]  # fmt: skip
    return [
        {"type": "steps", "value": {"title": "相談の流れ", "steps": [
            "「地区のご案内」からお住まいの地区を選びます。",
            "地区の窓口に電話するか、直接お越しください。予約はいりません。",
            "困っていることをお話しください。いっしょに合う支援をさがします。",
        ]}},
        {"type": "notice", "value": {"kind": "important", "title": "緊急のとき",
            "text": "<p>110番（警察）・119番（救急）へ。子どもの虐待は189へ。</p>"}},
        {"type": "question", "value": {"question": "相談にお金はかかりますか。",
            "answer": "<p>かかりません。相談は無料で、秘密は守られます。</p>"}},
        {"type": "question", "value": {"question": "家族のことでも相談できますか。",
            "answer": "<p>はい。ご本人でなくても、家族や近所の方からの相談も受けています。</p>"}},
        {"type": "contact", "value": {"name": "若草区 福祉の総合窓口（デモ）",
            "phone": "03-0000-0001", "hours": "平日 8:30〜17:15", "email": ""}},
    ]  # fmt: skip


def _about_body(*, en: bool) -> list[dict]:
    if en:
        return [
            {"type": "heading", "value": {"text": "Accessibility", "level": "h2"}},
            {"type": "paragraph", "value": "<p>This site aims at WCAG 2.1 AA (JIS X 8341-3). "
             "Every page works with a keyboard and a screen reader.</p>"},
            {"type": "heading", "value": {"text": "Personal data", "level": "h2"}},
            {"type": "paragraph", "value": "<p>This site sets no tracking cookies and shows "
             "nothing about anyone's consultation.</p>"},
        ]  # fmt: skip
    return [
        {"type": "heading", "value": {"text": "ウェブアクセシビリティ", "level": "h2"}},
        {"type": "paragraph", "value": "<p>このサイトは JIS X 8341-3:2016（WCAG 2.1）の"
         "適合レベルAAを目標にしています。キーボードと読み上げソフトで操作できます。</p>"},
        {"type": "heading", "value": {"text": "個人情報の取り扱い", "level": "h2"}},
        {"type": "paragraph", "value": "<p>このサイトは閲覧の追跡をしません。"
         "相談の内容や個人の情報は掲載しません。</p>"},
    ]  # fmt: skip
