"""Demo data, work layer: staff with their memberships, cases with the agencies' roles, and the
meetings of the past two years and the next three months, with agendas, minutes, participants
and action items.

Meetings are planned in memory first (series occurrences, then cases placed on them, then
district issues and reports), and written in chunks with bulk_create, so memory stays flat
whatever the scale. Case items only ever go on confidential meetings; the public ones
(network meetings, the ward's promotion meeting, workshops) carry district issues and reports.
"""

import bisect
import dataclasses
import datetime
import random
import zoneinfo
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import reset_queries, transaction
from django.utils.translation import gettext_lazy as _

from conferences.models import (
    ActionItem,
    AgendaItem,
    Case,
    CaseRole,
    Consent,
    IssueEvidence,
    LeadChange,
    LegalBasis,
    Meeting,
    MeetingKind,
    MeetingLevel,
    MeetingSeries,
    MeetingVisibility,
    Membership,
    Minutes,
    MinutesRevision,
    Participant,
    Pledge,
    SupportPlan,
)
from conferences.referral_demo import build_referrals, delete_referrals
from districts.demo import MUNICIPALITY_NAME, DemoIssue, DemoTerritory, demo_uuid
from districts.models import TargetGroup
from resources.demo import (
    SURNAMES,
    WORKDAYS,
    DemoDirectory,
    DemoOrg,
    build_proposals,
    monthly_rule,
    nth_weekday,
    weekly_rule,
)

DEMO_PASSWORD = "tsunagu-demo-2026"
# Every user the demo makes has an address here; --replace finds them by it.
DEMO_EMAIL_DOMAIN = "tsunagu-demo.example"
BATCH = 2000
OUTSIDE_TAGS = ("volunteers", "neighbourhood")
# Anonymised evidence notes (never a name, address or case code).
EVIDENCE_NOTES = (
    "週末に家族介護者が休める預け先が見つからない。",
    "夜間の見守りがなく、家族の負担が続いている。",
    "通院の移動手段がなく、受診が途切れがちになっている。",
    "近所との交流がなく、孤立が深まっている。",
    "相談先が分からず、支援につながるまで時間がかかった。",
)
CANCELLATION_REASONS = (
    "台風接近のため中止",
    "会場の設備点検のため中止",
    "検討する事例がないため中止",
    "感染症の流行状況を踏まえ中止",
)
MEETING_CHUNK = 2000
CONSENT_SCOPES = (
    "支援に関わる機関の間で、生活状況と支援内容を共有する",
    "医療・介護の関係機関と、心身の状況と支援方針を共有する",
    "地域ケア会議での事例検討のために、必要な範囲で共有する",
)
PLAN_GOALS = (
    "住み慣れた地域で安心して暮らし続けられるよう、見守りと相談の体制を整える。",
    "家族の負担を軽くし、必要なサービスにつながる。",
    "定期的な訪問で状況を確認し、変化があれば早めに関係機関で共有する。",
)
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
PAST_DAYS = 730
FUTURE_DAYS = 92
CASES_PER_DISTRICT = (45, 62)  # ≈ 1,500 cases per 28 districts
TG = TargetGroup


class DemoAccount(NamedTuple):
    username: str
    role: str
    organisation: str
    can: str


# The listed staff accounts: username, where (tag, first district or region), role, may chair.
STAFF_ACCOUNTS = [
    ("chair", "community_care", "社会福祉士", True, ("松井", "美咲")),
    ("hoken", "child_family_centre", "保健師", False, ("川口", "陽子")),
    ("shakyo", "welfare_district", "社協職員（生活支援コーディネーター）", True, ("杉本", "健一")),
]
ACCOUNT_ABILITIES = {
    "chair": _(
        "Chairs the district's care conference (地域ケア会議); sees its cases, upcoming "
        "meetings and open actions in /staff/"
    ),
    "hoken": _("Works on the centre's child cases and joint case meetings in /staff/"),
    "shakyo": _(
        "Community work without case access: three-partner meetings, workshops, district issues"
    ),
}

# fmt: off
GIVEN_NAMES = [
    "美咲", "陽子", "由美", "恵", "直美", "彩", "真理子", "千尋", "智子", "奈々", "香織", "麻衣",
    "健一", "誠", "翔太", "大輔", "拓也", "浩二", "隆", "亮", "直樹", "和也", "裕子", "聡",
]
# fmt: on

# Staff per kind of organisation: (chance the organisation has staff on the system, roles). The
# first role that may chair is the one who chairs the organisation's meetings.
# fmt: off
STAFF = {
    "community_care": (1.0, [("社会福祉士", True), ("保健師", False), ("主任ケアマネジャー", False),
                             ("看護師", False)]),
    "child_family_centre": (1.0, [("統括支援員", True), ("保健師", False), ("保健師", False),
                                  ("社会福祉士", False), ("子ども家庭支援員", False),
                                  ("心理士", False)]),
    "welfare_district": (1.0, [("社協職員（生活支援コーディネーター）", True),
                               ("社協職員（地区担当）", False)]),
    "town_office": (1.0, [("まちづくりセンター所長", True), ("まちづくりセンター職員", False)]),
    "volunteers": (1.0, [("民生委員・児童委員（会長）", False), ("主任児童委員", False)]),
    "clinic": (0.3, [("医師", False), ("医療ソーシャルワーカー", False)]),
    "pediatrics": (0.3, [("医師", False)]),
    "home_nursing": (0.6, [("訪問看護師", False)]),
    "nursery": (0.3, [("園長", False)]),
    "elementary": (0.5, [("スクールソーシャルワーカー", False)]),
    "junior_high": (0.7, [("スクールカウンセラー", False)]),
    "care_manager": (1.0, [("ケアマネジャー", False), ("主任ケアマネジャー", False)]),
    "home_help": (0.5, [("サービス提供責任者", False)]),
    "day_service": (0.4, [("生活相談員", False)]),
    "residential": (0.4, [("管理者", False)]),
    "npo_support": (0.6, [("コーディネーター", False)]),
    "learning": (0.5, [("相談員", False)]),
    "ibasho": (0.5, [("相談員", False)]),
    "health_welfare": (1.0, [("保健福祉課 係長", True), ("保健師", False),
                             ("精神保健福祉士", False)]),
    "livelihood": (1.0, [("査察指導員", True), ("ケースワーカー", False),
                         ("ケースワーカー", False)]),
    "disability_support": (1.0, [("相談支援専門員", True), ("相談支援専門員", False)]),
    "shelter": (1.0, [("支援員", False)]),
    "elderly_dept": (1.0, [("高齢福祉課長", True), ("地域包括ケア担当係長", False)]),
    "child_dept": (1.0, [("要対協調整担当（社会福祉士）", True), ("子ども家庭課 職員", False)]),
    "disability_dept": (1.0, [("障害保健福祉課 係長", True)]),
    "child_guidance": (1.0, [("児童相談所 係長", True), ("児童福祉司", False),
                             ("児童心理司", False)]),
    "welfare_council_hq": (1.0, [("地域福祉課長", True), ("社協職員（自立相談支援員）", False),
                                 ("社協職員（権利擁護）", False)]),
    "foodbank": (1.0, [("事務局長", False)]),
    "medical_association": (1.0, [("在宅療養相談員", False)]),
}
# fmt: on

# What an organisation does in a case's plan.
ROLE_IN_PLAN = {
    "community_care": "総合相談と支援全体の調整",
    "child_family_centre": "サポートプランの作成と支援全体の調整",
    "care_manager": "ケアプランの作成とモニタリング",
    "home_help": "訪問介護による生活援助",
    "day_service": "通所介護での見守りと入浴支援",
    "residential": "短期入所の受け入れ",
    "clinic": "かかりつけ医：服薬管理と定期受診",
    "home_nursing": "訪問看護による健康状態の観察",
    "volunteers": "民生委員・児童委員による見守りと声かけ",
    "welfare_council_hq": "自立相談支援・日常生活自立支援事業",
    "health_welfare": "保健師による訪問と精神保健相談",
    "nursery": "登園状況の確認と保護者への声かけ",
    "elementary": "登校状況の確認と担任との情報共有",
    "junior_high": "登校状況の確認とスクールカウンセラーの面談",
    "pediatrics": "乳幼児健診・予防接種の状況確認",
    "child_guidance": "専門的助言と一時保護の判断",
    "learning": "学習支援教室での居場所の提供",
    "npo_support": "買い物・ごみ出しの生活支援",
    "livelihood": "生活保護の相談と申請の支援",
    "foodbank": "食料支援",
    "disability_support": "障害福祉サービスの利用調整",
    "ibasho": "居場所の提供と家族会への案内",
    "shelter": "一時避難先の提供",
}
# Who leads a case of each target group: (tag, scope, chance); the last entry is the fallback.
LEADS = {
    TG.ELDERLY: [("community_care", "d", 0.85), ("health_welfare", "r", 1.0)],
    TG.CHILDREN: [("child_family_centre", "r", 0.85), ("child_guidance", "w", 1.0)],
    TG.DISABILITY: [("health_welfare", "r", 0.6), ("disability_support", "r", 1.0)],
    TG.HARDSHIP: [("welfare_council_hq", "w", 0.6), ("livelihood", "r", 1.0)],
}
# Who else may take part: (tag, scope, chance).
# fmt: off
PARTNERS = {
    TG.ELDERLY: [("care_manager", "d", 0.7), ("home_help", "d", 0.4), ("day_service", "d", 0.3),
                 ("clinic", "d", 0.6), ("home_nursing", "d", 0.2), ("volunteers", "d", 0.4),
                 ("npo_support", "d", 0.15), ("welfare_council_hq", "w", 0.1),
                 ("community_care", "d", 0.5)],
    TG.CHILDREN: [("nursery", "d", 0.4), ("elementary", "d", 0.35), ("junior_high", "d", 0.2),
                  ("pediatrics", "d", 0.35), ("volunteers", "d", 0.3), ("learning", "d", 0.1),
                  ("health_welfare", "r", 0.15), ("child_guidance", "w", 0.15)],
    TG.DISABILITY: [("disability_support", "r", 0.8), ("home_help", "d", 0.4), ("clinic", "d", 0.5),
                    ("health_welfare", "r", 0.3), ("volunteers", "d", 0.3), ("ibasho", "d", 0.15)],
    TG.HARDSHIP: [("livelihood", "r", 0.4), ("welfare_council_hq", "w", 0.5),
                  ("foodbank", "w", 0.4), ("volunteers", "d", 0.3), ("ibasho", "d", 0.2),
                  ("health_welfare", "r", 0.2), ("shelter", "r", 0.05)],
}
# fmt: on
TARGET_WEIGHTS = {TG.ELDERLY: 52, TG.CHILDREN: 28, TG.DISABILITY: 10, TG.HARDSHIP: 10}
CODE_PREFIX = {TG.ELDERLY: "K", TG.CHILDREN: "C", TG.DISABILITY: "S", TG.HARDSHIP: "H"}

# fmt: off
CASE_THEMES = {
    TG.ELDERLY: ["独居高齢者の在宅生活の継続", "認知症の進行と家族の介護負担",
                 "老老介護世帯への支援", "退院後の生活の立て直し",
                 "セルフ・ネグレクトが疑われる事例",
                 "金銭管理に不安のある事例", "介護サービスを拒否する事例", "虐待が疑われる事例"],
    TG.CHILDREN: ["産後うつが疑われる母親と乳児への支援", "不登校が続く中学生と家族への支援",
                  "ヤングケアラーが疑われる事例", "養育に不安のある若年妊婦への支援",
                  "ひとり親家庭の養育支援", "乳幼児健診が未受診の家庭", "ネグレクトが疑われる事例"],
    TG.DISABILITY: ["精神疾患のある方の地域生活の支援", "親亡き後に備えた支援の検討",
                    "医療的ケア児の在宅支援", "退院後の地域移行の支援"],
    TG.HARDSHIP: ["家賃滞納のある世帯への支援", "8050世帯への支援",
                  "ひきこもりの若者と家族への支援", "多重債務のある世帯への支援",
                  "失業により困窮した世帯への支援"],
}
# fmt: on
# fmt: off
SITUATIONS = {
    TG.ELDERLY: ["本人は80代で一人暮らし。最近物忘れが目立ち、服薬の管理ができていない",
                 "90代の夫を80代の妻が介護しており、妻の疲労が強い",
                 "退院後、自宅での入浴や買い物が難しくなっている",
                 "室内にごみがたまり、近隣から心配の声が寄せられている",
                 "年金の管理を別居の家族が行っているが、本人の手元にお金が残っていない"],
    TG.CHILDREN: ["生後3か月の乳児を育てる母親が、眠れない・不安が強いと訴えている",
                  "中学2年生が半年ほど登校しておらず、家族の介護を担っている様子がある",
                  "若年の妊婦で、身近に頼れる家族がいない",
                  "保育所の登園が不規則で、衣服の汚れが続いている",
                  "乳幼児健診が未受診で、家庭訪問でも会えていない"],
    TG.DISABILITY: ["通院が途切れ、近隣とのトラブルが続いている",
                    "高齢の親と暮らす知的障害のある方で、親の入院が近い",
                    "医療的ケアが必要な子の家族が疲弊している"],
    TG.HARDSHIP: ["家賃を3か月滞納しており、退去を求められている",
                  "50代の子が長くひきこもり、80代の親の年金で暮らしている",
                  "失業後に貯蓄が尽き、食費にも困っている"],
}
# fmt: on
PROGRESS = [
    "サービスの利用が定着し、生活は安定している。",
    "本人の拒否があり、支援の一部が実施できていない。",
    "家族の負担は軽減したが、夜間の不安が残っている。",
    "状況が悪化しており、支援の見直しが必要である。",
    "関係機関の訪問で、本人との信頼関係ができてきた。",
]
REVIEW_DECISIONS = [
    "現在の支援を継続し、{months}か月後に再評価する。",
    "支援計画を見直し、訪問の回数を週1回から週2回に増やす。",
    "目標を達成したため、支援を終結の方向で調整する。",
    "緊急時の連絡体制を確認し、次回の会議で改めて検討する。",
]
# fmt: off
ACTIONS = {
    TG.ELDERLY: ["主治医に服薬状況を照会する", "ケアプランを見直す", "訪問介護の回数を調整する",
                 "家族と面談し介護負担を確認する", "配食サービスの利用を調整する",
                 "週1回の見守り訪問を行う", "成年後見制度の利用を検討する",
                 "ショートステイの空き状況を確認する"],
    TG.CHILDREN: ["保健師が家庭訪問する", "保育所と登園状況を共有する", "学校と出欠状況を共有する",
                  "産後ケア事業の利用を調整する", "サポートプランを作成する",
                  "主任児童委員が見守る", "子ども食堂の利用につなぐ"],
    TG.DISABILITY: ["サービス等利用計画を見直す", "通院同行の体制を整える", "短期入所先を確保する",
                    "主治医と支援方針を確認する"],
    TG.HARDSHIP: ["生活保護の相談につなぐ", "家計改善支援の面談を設定する",
                  "フードバンクの食料支援を手配する", "家主と家賃の支払いについて調整する",
                  "本人と会う機会をつくる"],
}
# fmt: on
ISSUE_ACTIONS = [
    "地区内のサロン一覧を更新する",
    "ワークショップの日程を調整する",
    "区の担当課に現状を報告する",
    "町会長会議で協力を呼びかける",
    "担い手講座の開催を企画する",
]
ISSUE_DECISIONS = [
    "地区の関係者でワークショップを開き、具体策を検討する。",
    "地域ケアネットワーク会議に提起する。",
    "社会福祉協議会が担い手の掘り起こしを進める。",
    "区の担当課に現状を伝え、施策の検討を求める。",
]


# --- Planning records -------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Case:
    pk: int
    target: str
    lead: DemoOrg
    partners: list[DemoOrg]
    district_index: int
    region_index: int
    opened_on: datetime.date
    closed_on: datetime.date | None
    next_review_on: datetime.date | None
    risk: int
    theme: str


@dataclasses.dataclass(slots=True)
class _Series:
    key: str  # individual, three_partners, ... (what the series is, below the MeetingKind)
    title: str
    kind: str
    level: str
    area_pk: int
    organiser: DemoOrg
    rrule: str
    start: datetime.time
    minutes: int
    place: str
    visibility: str
    legal_basis: str
    district_index: int | None
    region_index: int | None
    pk: int = 0


@dataclasses.dataclass(slots=True)
class _Item:
    kind: str
    title: str
    case: _Case | None = None
    issue: DemoIssue | None = None
    presenter: int | None = None


@dataclasses.dataclass(slots=True)
class _Meeting:
    key: str
    day: datetime.date
    title: str
    kind: str
    level: str
    area_pk: int
    organiser: DemoOrg
    start: datetime.time
    minutes: int
    place: str
    visibility: str
    legal_basis: str
    district_index: int | None
    region_index: int | None
    series: _Series | None = None
    items: list = dataclasses.field(default_factory=list)
    guests: list = dataclasses.field(default_factory=list)  # organisations beyond the cases'


@dataclasses.dataclass
class _Staff:
    user_pk: int
    role: str
    can_chair: bool


@dataclasses.dataclass
class DemoWork:
    cases: int
    meetings: int


def _at(day: datetime.date, when: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, when, tzinfo=TOKYO)


def _new_year(day: datetime.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def _working_day(day: datetime.date) -> datetime.date:
    """The day itself, or the next weekday outside the New Year holidays."""
    if _new_year(day):
        day = datetime.date(day.year + (day.month == 12), 1, 4)
    if day.weekday() > 4:
        day += datetime.timedelta(days=7 - day.weekday())
    return day


def _time(text: str) -> datetime.time:
    hour, minute = text.split(":")
    return datetime.time(int(hour), int(minute))


class _Builder:
    def __init__(self, *, territory, directory, rng, today, password_hash):
        self.territory: DemoTerritory = territory
        self.directory: DemoDirectory = directory
        self.rng: random.Random = rng
        self.today: datetime.date = today
        self.first_day = today - datetime.timedelta(days=PAST_DAYS)
        self.last_day = today + datetime.timedelta(days=FUTURE_DAYS)
        self.password_hash = password_hash
        self.staff: dict[int, list[_Staff]] = {}
        self.surnames: dict[int, str] = {}
        self.issues_by_area: dict[int, list[DemoIssue]] = {}
        for issue in territory.issues:
            self.issues_by_area.setdefault(issue.area_pk, []).append(issue)
        for issues in self.issues_by_area.values():
            issues.sort(key=lambda issue: issue.raised_on)
        self.counts = {"meetings": 0}
        # 民生委員 and 町会 take part as outside participants, bound by a pledge (誓約書).
        self.outside_orgs = {o.pk for o in directory.orgs if o.tag in OUTSIDE_TAGS}
        self.pledged: set[tuple] = set()

    # --- lookups ---

    def orgs(self, tag: str, *, scope: str, district_index: int, region_index: int):
        if scope == "d":
            return self.directory.district[district_index].get(tag, [])
        if scope == "r":
            return self.directory.region[region_index].get(tag, [])
        return self.directory.ward.get(tag, [])

    def district_org(self, index: int, tag: str) -> DemoOrg:
        return self.directory.district[index][tag][0]

    def region_org(self, index: int, tag: str) -> DemoOrg:
        return self.directory.region[index][tag][0]

    def ward_org(self, tag: str) -> DemoOrg:
        return self.directory.ward[tag][0]

    def primary(self, org_pk: int) -> int | None:
        people = self.staff.get(org_pk)
        return people[0].user_pk if people else None

    def chair_of(self, org_pk: int) -> int | None:
        people = self.staff.get(org_pk, [])
        return next((p.user_pk for p in people if p.can_chair), self.primary(org_pk))

    def recorder_of(self, org_pk: int) -> int | None:
        people = self.staff.get(org_pk, [])
        chair = self.chair_of(org_pk)
        return next((p.user_pk for p in people if p.user_pk != chair), None)

    # --- staff ---

    def build_staff(self) -> None:
        User = get_user_model()
        rng = self.rng
        joined = _at(self.first_day, datetime.time(9))
        accounts = {
            (tag, role): (username, names) for username, tag, role, _, names in STAFF_ACCOUNTS
        }
        listed = {username for username, *_ in STAFF_ACCOUNTS}
        planned = []  # (org, username, last, first, role, can_chair)
        serial = 0
        for org in self.directory.orgs:
            if org.tag not in STAFF:
                continue
            chance, roles = STAFF[org.tag]
            if rng.random() >= chance:
                continue
            if chance < 1.0:
                roles = roles[:1] + [r for r in roles[1:] if rng.random() < 0.3]
            first_place = org.district_index == 0 or (
                org.district_index is None and org.region_index == 0
            )
            people = []
            for role, can_chair in roles:
                account = accounts.pop((org.tag, role), None) if first_place else None
                if account:
                    username, (last, first) = account
                else:
                    serial += 1
                    username = f"staff{serial:05d}"
                    last, first = rng.choice(SURNAMES)[0], rng.choice(GIVEN_NAMES)
                people.append((org, username, last, first, role, can_chair))
            # A listed account goes first: the organisation's contact, assigned its actions.
            people.sort(key=lambda p: p[1] not in listed)
            planned.extend(people)
        users = User.objects.bulk_create(
            [
                User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@{DEMO_EMAIL_DOMAIN}",
                    password=self.password_hash,
                    is_active=True,
                    date_joined=joined,
                )
                for _, username, last, first, _, _ in planned
            ],
            batch_size=BATCH,
        )
        memberships = []
        for (org, _username, last, _first, role, can_chair), user in zip(
            planned, users, strict=True
        ):
            self.surnames[user.pk] = last
            # The organisation's first person (a listed account where there is one) administers
            # it: reads its audit trail.
            is_admin = org.pk not in self.staff
            self.staff.setdefault(org.pk, []).append(_Staff(user.pk, role, can_chair))
            memberships.append(
                Membership(
                    user_id=user.pk,
                    organisation_id=org.pk,
                    role=role,
                    can_chair=can_chair,
                    is_admin=is_admin,
                )
            )
        Membership.objects.bulk_create(memberships, batch_size=BATCH)

    # --- cases ---

    def build_cases(self) -> list[_Case]:
        rng, today = self.rng, self.today
        targets, weights = list(TARGET_WEIGHTS), list(TARGET_WEIGHTS.values())
        planned: list[_Case] = []
        rows = []
        serial = 0
        for district in self.territory.districts:
            d, r = district.index, district.region_index
            for _n in range(rng.randint(*CASES_PER_DISTRICT)):
                target = rng.choices(targets, weights)[0]
                risk = rng.choices([1, 2, 3], [50, 35, 15])[0]
                lead = None
                for tag, scope, chance in LEADS[target]:
                    options = self.orgs(tag, scope=scope, district_index=d, region_index=r)
                    if options and rng.random() < chance:
                        lead = rng.choice(options)
                        break
                partners: list[DemoOrg] = []
                for tag, scope, chance in PARTNERS[target]:
                    if tag == "child_guidance" and risk == 3:
                        chance = 0.6
                    options = self.orgs(tag, scope=scope, district_index=d, region_index=r)
                    options = [o for o in options if o.pk != lead.pk]
                    if options and rng.random() < chance:
                        partners.append(rng.choice(options))
                for tag, scope, _chance in PARTNERS[target]:
                    if partners:  # every case is shared by at least two agencies
                        break
                    options = self.orgs(tag, scope=scope, district_index=d, region_index=r)
                    options = [o for o in options if o.pk != lead.pk]
                    if options:
                        partners.append(rng.choice(options))
                partners = list({o.pk: o for o in partners}.values())
                opened_on = today - datetime.timedelta(days=rng.randint(3, 1095))
                age = (today - opened_on).days
                closed_on = next_review_on = None
                if age > 120 and rng.random() < 0.45:
                    closed_on = opened_on + datetime.timedelta(days=rng.randint(60, age - 1))
                else:
                    next_review_on = today + datetime.timedelta(days=rng.randint(3, 120))
                serial += 1
                support = rng.choices(
                    list(Case.SupportLevel), [25, 20, 55] if risk > 1 else [45, 30, 25]
                )[0]
                rows.append(
                    Case(
                        public_id=demo_uuid(rng),
                        code=f"{CODE_PREFIX[target]}{opened_on.year % 100:02d}-{serial:05d}",
                        district_id=district.pk,
                        target_group=target,
                        support_level=support,
                        risk_tier=risk,
                        lead_organisation_id=lead.pk,
                        status=Case.Status.CLOSED if closed_on else Case.Status.OPEN,
                        opened_on=opened_on,
                        closed_on=closed_on,
                        next_review_on=next_review_on,
                    )
                )
                planned.append(
                    _Case(
                        0,
                        target,
                        lead,
                        partners,
                        d,
                        r,
                        opened_on,
                        closed_on,
                        next_review_on,
                        risk,
                        rng.choice(CASE_THEMES[target]),
                    )
                )
        saved = Case.objects.bulk_create(rows, batch_size=BATCH)
        consent_of = self.build_case_records(planned, saved)
        roles = []
        for case, row in zip(planned, saved, strict=True):
            case.pk = row.pk
            for org, is_lead in [(case.lead, True), *((o, False) for o in case.partners)]:
                role = ROLE_IN_PLAN.get(org.tag, "見守り")
                people = self.staff.get(org.pk)
                contact = ""
                if people:
                    person = people[0]
                    contact = f"{self.surname(person.user_pk)}（{person.role}）"
                roles.append(
                    CaseRole(
                        case_id=row.pk,
                        organisation_id=org.pk,
                        role=f"主担当：{role}" if is_lead else role,
                        contact_person=contact[:100],
                        consent_id=consent_of.get(row.pk),
                    )
                )
        CaseRole.objects.bulk_create(roles, batch_size=BATCH)
        return planned

    def build_case_records(self, planned: list[_Case], saved: list[Case]) -> dict[int, int]:
        """The first entry of each case's lead history, the person's consent (本人同意) for most
        cases (to every organisation, or to those on the case), and a first support plan for
        cases on a plan. Case id → its consent's id. Drawn from a generator of its own, so the
        rest of the demo gets the same numbers with or without these records."""
        rng = random.Random(self.today.toordinal() * 31 + len(saved))
        consents, covered, leads, plans = [], [], [], []
        for case, row in zip(planned, saved, strict=True):
            leads.append(LeadChange(case_id=row.pk, organisation_id=case.lead.pk))
            draw = rng.random()
            if draw < 0.85:
                consents.append(
                    Consent(
                        case_id=row.pk,
                        given_on=case.opened_on,
                        scope=rng.choice(CONSENT_SCOPES),
                        covers_all=draw < 0.6,
                    )
                )
                covered.append([] if draw < 0.6 else [case.lead, *case.partners])
            if row.support_level == Case.SupportLevel.SUPPORT_PLAN:
                plans.append(
                    SupportPlan(
                        case_id=row.pk,
                        number=1,
                        goals=f"{case.theme}。{rng.choice(PLAN_GOALS)}",
                        monitoring_interval_months=rng.choice([1, 3, 3, 6]),
                        next_review_on=case.next_review_on,
                    )
                )
        Consent.objects.bulk_create(consents, batch_size=BATCH)
        Consent.organisations.through.objects.bulk_create(
            [
                Consent.organisations.through(consent_id=consent.pk, organisation_id=org.pk)
                for consent, orgs in zip(consents, covered, strict=True)
                for org in orgs
            ],
            batch_size=BATCH,
        )
        LeadChange.objects.bulk_create(leads, batch_size=BATCH)
        # The history starts when the case was opened, not when the demo was built (auto_now_add
        # stamps the insert).
        for lead, case in zip(leads, planned, strict=True):
            lead.changed_at = _at(case.opened_on, datetime.time(9))
        LeadChange.objects.bulk_update(leads, ["changed_at"], batch_size=BATCH)
        SupportPlan.objects.bulk_create(plans, batch_size=BATCH)
        return {consent.case_id: consent.pk for consent in consents}

    def surname(self, user_pk: int) -> str:
        return self.surnames.get(user_pk, "")

    # --- meeting series ---

    def build_series(self) -> list[_Series]:
        rng, t = self.rng, self.territory
        series: list[_Series] = []

        def add(
            key,
            title,
            kind,
            level,
            area_pk,
            organiser,
            rrule,
            start,
            minutes,
            place,
            visibility,
            legal,
            d=None,
            r=None,
        ):
            series.append(
                _Series(
                    key,
                    title,
                    kind,
                    level,
                    area_pk,
                    organiser,
                    rrule,
                    _time(start),
                    minutes,
                    place,
                    visibility,
                    legal,
                    d,
                    r,
                )
            )

        for district in t.districts:
            d, name = district.index, district.name
            care = self.district_org(d, "community_care")
            town = self.district_org(d, "town_office")
            council = self.district_org(d, "welfare_district")
            day = rng.choice(WORKDAYS)
            add(
                "individual",
                f"{name}地区 地域ケア会議",
                MeetingKind.INDIVIDUAL,
                MeetingLevel.INDIVIDUAL,
                district.pk,
                care,
                monthly_rule(rng.choice([[1, 3], [2, 4]]), day),
                "14:00",
                90,
                f"{care.name} 相談室",
                MeetingVisibility.CONFIDENTIAL,
                LegalBasis.LONG_TERM_CARE,
                d=d,
            )
            add(
                "three_partners",
                f"{name}地区 三者連携会議",
                MeetingKind.THREE_PARTNERS,
                MeetingLevel.DISTRICT,
                district.pk,
                town,
                monthly_rule([rng.randint(1, 4)], rng.choice(WORKDAYS)),
                "10:00",
                90,
                f"{town.name} 会議室",
                MeetingVisibility.STAFF,
                LegalBasis.NONE,
                d=d,
            )
            add(
                "district_network",
                f"{name}地区 地域ケアネットワーク会議",
                MeetingKind.DISTRICT_NETWORK,
                MeetingLevel.DISTRICT,
                district.pk,
                care,
                monthly_rule([rng.randint(1, 3)], rng.choice(WORKDAYS), interval=2),
                "18:30",
                90,
                f"{town.name} 集会室",
                self.public_or_staff(0.5),
                LegalBasis.LONG_TERM_CARE,
                d=d,
            )
            add(
                "workshop",
                f"{name}地区 支えあいワークショップ",
                MeetingKind.WORKSHOP,
                MeetingLevel.DISTRICT,
                district.pk,
                council,
                monthly_rule([rng.randint(1, 4)], "SA", interval=4),
                "10:00",
                120,
                f"{name}地区会館 ホール",
                self.public_or_staff(0.7),
                LegalBasis.NONE,
                d=d,
            )
        for region in t.regions:
            r = region.index
            centre = self.region_org(r, "child_family_centre")
            health = self.region_org(r, "health_welfare")
            add(
                "joint_case",
                f"{centre.name} 合同ケース会議",
                MeetingKind.JOINT_CASE,
                MeetingLevel.INDIVIDUAL,
                region.pk,
                centre,
                weekly_rule([rng.choice(WORKDAYS)]),
                "15:00",
                90,
                f"{centre.name} 会議室",
                MeetingVisibility.CONFIDENTIAL,
                LegalBasis.NONE,
                r=r,
            )
            add(
                "practitioners",
                f"{region.name} 要保護児童対策地域協議会 実務者会議",
                MeetingKind.CHILD_PROTECTION_PRACTITIONERS,
                MeetingLevel.REGION,
                region.pk,
                centre,
                monthly_rule([rng.randint(2, 3)], rng.choice(WORKDAYS)),
                "13:30",
                120,
                f"{region.base_name}総合支所 第1会議室",
                MeetingVisibility.CONFIDENTIAL,
                LegalBasis.CHILD_WELFARE,
                r=r,
            )
            add(
                "region_network",
                f"{region.name} 地域ケア会議（地域版）",
                MeetingKind.DISTRICT_NETWORK,
                MeetingLevel.REGION,
                region.pk,
                health,
                monthly_rule([rng.randint(2, 3)], rng.choice(WORKDAYS), interval=3),
                "14:00",
                120,
                f"{region.base_name}総合支所 大会議室",
                self.public_or_staff(0.5),
                LegalBasis.LONG_TERM_CARE,
                r=r,
            )
        add(
            "promotion",
            f"{MUNICIPALITY_NAME} 地域ケア推進会議",
            MeetingKind.MUNICIPAL_PROMOTION,
            MeetingLevel.MUNICIPAL,
            t.municipality_pk,
            self.ward_org("elderly_dept"),
            monthly_rule([3], "TH", interval=4),
            "18:30",
            120,
            "若草区役所 第1会議室",
            MeetingVisibility.PUBLIC,
            LegalBasis.LONG_TERM_CARE,
        )
        add(
            "forum",
            f"{MUNICIPALITY_NAME} 地域づくりフォーラム",
            MeetingKind.WORKSHOP,
            MeetingLevel.MUNICIPAL,
            t.municipality_pk,
            self.ward_org("welfare_council_hq"),
            monthly_rule([2], "SA", interval=6),
            "13:30",
            180,
            "若草区民会館 大ホール",
            MeetingVisibility.PUBLIC,
            LegalBasis.NONE,
        )

        rows = MeetingSeries.objects.bulk_create(
            [
                MeetingSeries(
                    title=s.title,
                    kind=s.kind,
                    level=s.level,
                    area_id=s.area_pk,
                    rrule=s.rrule,
                    organiser_id=s.organiser.pk,
                    # The timing conferences.meetings.series_generate adds meetings with.
                    start_time=s.start,
                    end_time=(
                        _at(self.today, s.start) + datetime.timedelta(minutes=s.minutes)
                    ).time(),
                    place=s.place[:200],
                    visibility=s.visibility,
                    legal_basis=s.legal_basis,
                    chair_id=self.chair_of(s.organiser.pk),
                    recorder_id=self.recorder_of(s.organiser.pk),
                )
                for s in series
            ],
            batch_size=BATCH,
        )
        for s, row in zip(series, rows, strict=True):
            s.pk = row.pk
        return series

    def public_or_staff(self, chance: float) -> str:
        return MeetingVisibility.PUBLIC if self.rng.random() < chance else MeetingVisibility.STAFF

    def occurrences(self, series: _Series) -> list[datetime.date]:
        """The series' dates in the window, read back from its own RRULE (the few forms above),
        less the New Year holidays (年末年始, 29 December to 3 January) when offices close."""
        return [day for day in self._rrule_days(series.rrule) if not _new_year(day)]

    def _rrule_days(self, rrule: str) -> list[datetime.date]:
        parts = dict(part.split("=") for part in rrule.split(";"))
        if parts["FREQ"] == "WEEKLY":
            weekday = list(WORKDAYS).index(parts["BYDAY"])
            day = self.first_day + datetime.timedelta((weekday - self.first_day.weekday()) % 7)
            days = []
            while day <= self.last_day:
                days.append(day)
                day += datetime.timedelta(days=7)
            return days
        interval = int(parts.get("INTERVAL", 1))
        bydays = [(int(b[:-2]), b[-2:]) for b in parts["BYDAY"].split(",")]
        days = []
        month_index = self.first_day.year * 12 + self.first_day.month - 1
        end_index = self.last_day.year * 12 + self.last_day.month - 1
        while month_index <= end_index:
            if month_index % interval == 0:
                year, month = divmod(month_index, 12)
                for n, weekday in bydays:
                    day = nth_weekday(year, month + 1, n, weekday)
                    if day and self.first_day <= day <= self.last_day:
                        days.append(day)
            month_index += 1
        return sorted(days)

    # --- meetings ---

    def plan_meetings(self, series: list[_Series], cases: list[_Case]) -> list[_Meeting]:
        rng = self.rng
        meetings: list[_Meeting] = []
        # Series occurrences by key and place, for putting cases and issues on them.
        by_place: dict[tuple, tuple[list[datetime.date], list[_Meeting]]] = {}
        for s in series:
            days = self.occurrences(s)
            planned = [
                _Meeting(
                    s.key,
                    day,
                    s.title,
                    s.kind,
                    s.level,
                    s.area_pk,
                    s.organiser,
                    s.start,
                    s.minutes,
                    s.place,
                    s.visibility,
                    s.legal_basis,
                    s.district_index,
                    s.region_index,
                    series=s,
                )
                for day in days
            ]
            meetings.extend(planned)
            by_place[(s.key, s.district_index, s.region_index)] = (days, planned)

        capacity = {"individual": 3, "joint_case": 4, "practitioners": 6}

        def place_on(key, d, r, day, item) -> bool:
            days, planned = by_place[(key, d, r)]
            for i in range(bisect.bisect_left(days, day), len(days)):
                cases_on = sum(1 for it in planned[i].items if it.case is not None)
                if cases_on < capacity[key]:
                    planned[i].items.append(item)
                    return True
            return False

        for case in cases:
            for day, is_new in self.case_events(case):
                kind = AgendaItem.Kind.NEW_CASE if is_new else AgendaItem.Kind.CASE_REVIEW
                label = "新規事例" if is_new else "事例の経過確認"
                item = _Item(kind, f"{label}：{case.theme}", case=case, presenter=case.lead.pk)
                d, r = case.district_index, case.region_index
                if case.target == TG.ELDERLY:
                    place_on("individual", d, None, day, item)
                    if is_new and rng.random() < 0.7:
                        meetings.extend(self.ad_hoc(case, day, is_new))
                elif case.target == TG.CHILDREN:
                    place_on("joint_case", None, r, day, item)
                    if case.risk > 1 and not is_new:
                        review = _Item(
                            AgendaItem.Kind.CASE_REVIEW,
                            f"進行管理：{case.theme}",
                            case=case,
                            presenter=case.lead.pk,
                        )
                        place_on("practitioners", None, r, day, review)
                    if case.risk > 1 and is_new and rng.random() < 0.5:
                        meetings.extend(self.ad_hoc(case, day, is_new))
                elif rng.random() < 0.7:
                    meetings.extend(self.ad_hoc(case, day, is_new))

        for m in meetings:
            self.add_standing_items(m)
        meetings.sort(key=lambda m: (m.day, m.start))
        return meetings

    def case_events(self, case: _Case):
        """(day, is_new) for each time the case comes to a meeting inside the window: when it
        opens, then every three to six months, and at its next review."""
        rng = self.rng
        end = case.closed_on or self.last_day
        events = []
        day = case.opened_on + datetime.timedelta(days=rng.randint(2, 14))
        first = True
        while day <= end:
            if day >= self.first_day:
                events.append((day, first))
            first = False
            day += datetime.timedelta(days=rng.randint(90, 180))
        if case.next_review_on and case.next_review_on <= self.last_day:
            if not events or events[-1][0] < case.next_review_on - datetime.timedelta(days=30):
                events.append((case.next_review_on, False))
        return events

    def ad_hoc(self, case: _Case, day: datetime.date, is_new: bool) -> list[_Meeting]:
        """A meeting called for one case: a 関係者会議, a 支援会議 (重層的支援, 社会福祉法
        第106条の6) or a 要対協 個別ケース検討会議."""
        rng = self.rng
        district = self.territory.districts[case.district_index]
        region = self.territory.regions[case.region_index]
        day = _working_day(day + datetime.timedelta(days=rng.randint(0, 10)))
        if day > self.last_day:
            return []
        if case.target == TG.CHILDREN:
            title = f"{region.name} 要対協 個別ケース検討会議"
            kind, legal = MeetingKind.CHILD_PROTECTION_CASE, LegalBasis.CHILD_WELFARE
        elif case.target == TG.HARDSHIP:
            title = f"{district.name}地区 支援会議（重層的支援）"
            kind, legal = MeetingKind.STAKEHOLDERS, LegalBasis.SOCIAL_WELFARE
        else:
            title = f"{district.name}地区 関係者会議"
            kind, legal = MeetingKind.STAKEHOLDERS, LegalBasis.NONE
        kind_label = AgendaItem.Kind.NEW_CASE if is_new else AgendaItem.Kind.CASE_REVIEW
        label = "新規事例" if is_new else "事例の経過確認"
        meeting = _Meeting(
            "ad_hoc",
            day,
            title,
            kind,
            MeetingLevel.INDIVIDUAL,
            district.pk,
            case.lead,
            _time(rng.choice(["10:00", "13:30", "15:00", "16:00"])),
            rng.choice([60, 90]),
            f"{case.lead.name} 相談室",
            MeetingVisibility.CONFIDENTIAL,
            legal,
            case.district_index,
            case.region_index,
        )
        meeting.items.append(
            _Item(kind_label, f"{label}：{case.theme}", case=case, presenter=case.lead.pk)
        )
        return [meeting]

    def issues_for(self, area_pk: int, day: datetime.date) -> list[DemoIssue]:
        issues = self.issues_by_area.get(area_pk, [])
        return [i for i in issues if i.raised_on <= day]

    def add_standing_items(self, m: _Meeting) -> None:
        """Reports, carried-over actions and district issues, by the kind of meeting."""
        rng = self.rng
        key = m.key
        t = self.territory
        report = AgendaItem.Kind.REPORT
        if key == "individual":
            if rng.random() < 0.4:
                m.items.append(_Item(AgendaItem.Kind.CARRIED_OVER, "前回からの持ち越し事項の確認"))
            issues = self.issues_for(m.area_pk, m.day)
            if issues and rng.random() < 0.25:
                issue = rng.choice(issues)
                m.items.append(self.issue_item(issue, m.organiser.pk))
            if not m.items:
                m.items.append(
                    _Item(report, "事例の振り返りと地域課題の整理", presenter=m.organiser.pk)
                )
            d = m.district_index
            m.guests = [self.district_org(d, "volunteers"), *self.some(d, "clinic", 1)]
        elif key == "three_partners":
            care = self.district_org(m.district_index, "community_care")
            council = self.district_org(m.district_index, "welfare_district")
            m.items.append(_Item(report, "三者の活動報告と情報共有", presenter=m.organiser.pk))
            if rng.random() < 0.4:
                m.items.append(_Item(AgendaItem.Kind.CARRIED_OVER, "前回からの持ち越し事項の確認"))
            issues = self.issues_for(m.area_pk, m.day)
            if issues and rng.random() < 0.5:
                m.items.append(self.issue_item(rng.choice(issues), council.pk))
            m.guests = [care, council]
        elif key == "district_network":
            d = m.district_index
            m.items.append(
                _Item(report, "ふれあい安心センターの活動報告", presenter=m.organiser.pk)
            )
            issues = self.issues_for(m.area_pk, m.day)
            for issue in rng.sample(issues, min(len(issues), rng.randint(1, 2))):
                m.items.append(self.issue_item(issue, m.organiser.pk))
            m.guests = [
                self.district_org(d, "town_office"),
                self.district_org(d, "welfare_district"),
                self.district_org(d, "volunteers"),
                *self.some(d, "neighbourhood", 2),
                *self.some(d, "npo_support", 1),
                *self.some(d, "kodomo_shokudo", 1),
                *self.some(d, "clinic", 1),
                *self.some(d, "salon", 1),
            ]
        elif key == "workshop":
            d = m.district_index
            issues = self.issues_for(m.area_pk, m.day)
            if issues:
                issue = rng.choice(issues)
                m.items.append(self.issue_item(issue, m.organiser.pk, workshop=True))
            m.items.append(
                _Item(report, "グループワーク：地区の支えあいを考える", presenter=m.organiser.pk)
            )
            m.guests = [
                self.district_org(d, "town_office"),
                self.district_org(d, "community_care"),
                *self.some(d, "salon", 2),
                *self.some(d, "circle", 1),
                *self.some(d, "neighbourhood", 2),
            ]
        elif key == "joint_case":
            if not m.items:
                m.items.append(
                    _Item(report, "母子保健と児童福祉の情報共有", presenter=m.organiser.pk)
                )
        elif key == "practitioners":
            m.items.insert(0, _Item(report, "進行管理台帳の確認", presenter=m.organiser.pk))
            m.guests = [
                self.ward_org("child_dept"),
                self.ward_org("child_guidance"),
                self.region_org(m.region_index, "health_welfare"),
            ]
        elif key == "region_network":
            region = t.regions[m.region_index]
            m.items.append(
                _Item(report, "各地区の地域ケア会議の開催状況", presenter=m.organiser.pk)
            )
            region_issues = self.issues_for(m.area_pk, m.day)
            for issue in rng.sample(region_issues, min(len(region_issues), 2)):
                m.items.append(self.issue_item(issue, m.organiser.pk))
            m.guests = [
                self.region_org(m.region_index, "child_family_centre"),
                self.region_org(m.region_index, "livelihood"),
            ]
            for d in region.district_indexes:
                m.guests += [
                    self.district_org(d, "community_care"),
                    self.district_org(d, "town_office"),
                ]
        elif key in ("promotion", "forum"):
            title = {
                "promotion": "地域ケア会議の開催状況と地域課題の集約",
                "forum": "基調報告：地域共生社会に向けて",
            }[key]
            m.items.append(_Item(report, title, presenter=m.organiser.pk))
            ward_issues = self.issues_for(m.area_pk, m.day)
            for issue in rng.sample(ward_issues, min(len(ward_issues), 2)):
                m.items.append(self.issue_item(issue, m.organiser.pk))
            m.guests = [
                self.ward_org("welfare_council_hq"),
                self.ward_org("medical_association"),
                self.ward_org("child_dept"),
                self.ward_org("elderly_dept"),
                *(self.region_org(r.index, "health_welfare") for r in t.regions),
            ]

    def some(self, district_index: int, tag: str, count: int) -> list[DemoOrg]:
        options = self.directory.district[district_index].get(tag, [])
        return self.rng.sample(options, min(count, len(options)))

    def issue_item(self, issue: DemoIssue, presenter: int, workshop=False) -> _Item:
        title = f"テーマ：{issue.title}" if workshop else f"地域課題：{issue.title}"
        return _Item(AgendaItem.Kind.DISTRICT_ISSUE, title[:200], issue=issue, presenter=presenter)

    # --- writing ---

    def write_meetings(self, meetings: list[_Meeting]) -> None:
        for start in range(0, len(meetings), MEETING_CHUNK):
            self.write_chunk(meetings[start : start + MEETING_CHUNK])
            # With DEBUG on, Django keeps the text of every query; bulk inserts are large.
            reset_queries()
        self.link_carried_actions({m.series.pk for m in meetings if m.series})

    def link_carried_actions(self, series_ids: set[int]) -> None:
        """Each planned meeting's carried-over item holds the open action items of the earlier
        meetings of its series (as conferences.agenda.carry_over_open_actions would), in bulk."""
        carried = list(
            AgendaItem.objects.filter(
                kind=AgendaItem.Kind.CARRIED_OVER,
                meeting__status=Meeting.Status.PLANNED,
                meeting__series_id__in=series_ids,
            )
            .order_by("pk")
            .values_list("pk", "meeting__series_id", "meeting__starts_at")
        )
        if not carried:
            return
        open_actions: dict[int, list[tuple[datetime.datetime, int]]] = {}
        for pk, series_id, starts_at in (
            ActionItem.objects.filter(
                status=ActionItem.Status.OPEN, agenda_item__meeting__series_id__in=series_ids
            )
            .order_by("pk")
            .values_list("pk", "agenda_item__meeting__series_id", "agenda_item__meeting__starts_at")
        ):
            open_actions.setdefault(series_id, []).append((starts_at, pk))
        through = AgendaItem.carried_actions.through
        through.objects.bulk_create(
            (
                through(agendaitem_id=item_pk, actionitem_id=action_pk)
                for item_pk, series_id, starts_at in carried
                for action_at, action_pk in open_actions.get(series_id, [])
                if action_at < starts_at
            ),
            batch_size=BATCH,
        )

    def write_chunk(self, chunk: list[_Meeting]) -> None:
        rng, today = self.rng, self.today
        rows, statuses = [], []
        for m in chunk:
            if m.day < today:
                status = Meeting.Status.CANCELLED if rng.random() < 0.03 else Meeting.Status.HELD
            else:
                status = Meeting.Status.PLANNED
            statuses.append(status)
            starts_at = _at(m.day, m.start)
            uid = demo_uuid(rng)
            online = m.visibility != MeetingVisibility.PUBLIC and rng.random() < 0.1
            rows.append(
                Meeting(
                    uid=uid,
                    series_id=m.series.pk if m.series else None,
                    occurrence_on=m.day if m.series else None,
                    kind=m.kind,
                    level=m.level,
                    area_id=m.area_pk,
                    legal_basis=m.legal_basis,
                    title=m.title,
                    starts_at=starts_at,
                    ends_at=starts_at + datetime.timedelta(minutes=m.minutes),
                    place=m.place[:200],
                    online_url=f"https://meet.wakakusa.example/{uid.hex[:12]}" if online else "",
                    organiser_id=m.organiser.pk,
                    chair_id=self.chair_of(m.organiser.pk),
                    recorder_id=self.recorder_of(m.organiser.pk),
                    status=status,
                    visibility=m.visibility,
                    # A cancellation keeps its reason (chosen by the day: no extra draw).
                    cancellation_reason=CANCELLATION_REASONS[
                        m.day.toordinal() % len(CANCELLATION_REASONS)
                    ]
                    if status == Meeting.Status.CANCELLED
                    else "",
                    cancelled_at=starts_at - datetime.timedelta(days=3)
                    if status == Meeting.Status.CANCELLED
                    else None,
                )
            )
        saved = Meeting.objects.bulk_create(rows, batch_size=BATCH)
        self.counts["meetings"] += len(saved)

        items, item_meta, participants, minutes = [], [], [], []
        for m, row, status in zip(chunk, saved, statuses, strict=True):
            held = status == Meeting.Status.HELD
            for order, item in enumerate(m.items, start=1):
                summary, decisions = self.minutes_text(item) if held else ("", "")
                items.append(
                    AgendaItem(
                        meeting_id=row.pk,
                        order=order,
                        kind=item.kind,
                        title=item.title,
                        minutes_allotted=20 if item.case else 15,
                        case_id=item.case.pk if item.case else None,
                        district_issue_id=item.issue.pk if item.issue else None,
                        presenting_organisation_id=item.presenter,
                        summary=summary,
                        decisions=decisions,
                    )
                )
                item_meta.append((m, item, held))
            participants.extend(self.participants_of(m, row, status))
            if held:
                approved = m.day < today - datetime.timedelta(days=21)
                minutes.append(
                    Minutes(
                        meeting_id=row.pk,
                        status=Minutes.Status.APPROVED if approved else Minutes.Status.DRAFT,
                        approved_by_id=row.chair_id if approved else None,
                        approved_at=(
                            _at(m.day + datetime.timedelta(days=7), datetime.time(17))
                            if approved
                            else None
                        ),
                        # The chair sends the draft round a few days after the meeting.
                        circulated_at=(
                            _at(m.day + datetime.timedelta(days=3), datetime.time(12))
                            if m.day < today - datetime.timedelta(days=3)
                            else None
                        ),
                    )
                )
        saved_items = AgendaItem.objects.bulk_create(items, batch_size=BATCH)
        Participant.objects.bulk_create(participants, batch_size=BATCH)
        series_of = {row.pk: row.series_id for row in saved}
        Pledge.objects.bulk_create(self.pledges_of(participants, series_of), batch_size=BATCH)
        Minutes.objects.bulk_create(minutes, batch_size=BATCH)

        actions = []
        for row, (m, item, held) in zip(saved_items, item_meta, strict=True):
            if held:
                actions.extend(self.actions_of(m, item, row.pk))
        ActionItem.objects.bulk_create(actions, batch_size=BATCH)
        self.minutes_revisions(minutes, saved_items, item_meta, actions)
        self.issue_evidence(saved_items, item_meta)

    def issue_evidence(self, saved_items, item_meta) -> None:
        """Some held case items tagged as evidence for an open issue of their district with the
        same target group (chosen by the day and position: no extra draw, so the rest of the demo
        stays as it was)."""
        picks = []
        for row, (m, item, held) in zip(saved_items, item_meta, strict=True):
            if not held or item.case is None or (m.day.toordinal() + row.order) % 4:
                continue
            issues = [
                issue
                for issue in self.issues_for(m.area_pk, m.day)
                if issue.target_group in (item.case.target, TargetGroup.ALL)
            ]
            if issues:
                picks.append((row, m, item, issues[m.day.toordinal() % len(issues)]))
        if not picks:
            return
        levels = dict(
            Case.objects.filter(pk__in={item.case.pk for _, _, item, _ in picks}).values_list(
                "pk", "support_level"
            )
        )
        IssueEvidence.objects.bulk_create(
            [
                IssueEvidence(
                    agenda_item_id=row.pk,
                    issue_id=issue.pk,
                    note=EVIDENCE_NOTES[m.day.toordinal() % len(EVIDENCE_NOTES)],
                    target_group=item.case.target,
                    support_level=levels[item.case.pk],
                    created_by_id=self.recorder_of(m.organiser.pk),
                )
                for row, m, item, issue in picks
            ],
            batch_size=BATCH,
        )

    def minutes_revisions(self, minutes, saved_items, item_meta, actions) -> None:
        """Approved minutes keep the revision they were approved as (the snapshot of
        conferences.minutes.minutes_snapshot), so their revisions page has something to show."""
        approved = {row.meeting_id: row for row in minutes if row.status == Minutes.Status.APPROVED}
        if not approved:
            return
        names, by_item, snapshots = {}, {}, {meeting_id: [] for meeting_id in approved}
        for m, item, _held in item_meta:
            names[m.organiser.pk] = m.organiser.name
            if item.case:
                names[item.case.lead.pk] = item.case.lead.name
                names.update((org.pk, org.name) for org in item.case.partners)
        for action in actions:
            by_item.setdefault(action.agenda_item_id, []).append(action)
        for row in saved_items:
            if row.meeting_id not in approved:
                continue
            item_actions = sorted(by_item.get(row.pk, []), key=lambda action: action.due_on)
            snapshots[row.meeting_id].append(
                {
                    "id": row.pk,
                    "order": row.order,
                    "title": row.title,
                    "kind": row.kind,
                    "case_id": row.case_id,
                    "summary": row.summary,
                    "decisions": row.decisions,
                    "actions": [
                        {
                            "description": action.description,
                            "organisation": names.get(action.organisation_id, ""),
                            "assignee": "",
                            "is_lead": action.is_lead,
                            "due_on": action.due_on.isoformat(),
                            "status": action.status,
                            "done_on": None,
                        }
                        for action in item_actions
                    ],
                }
            )
        MinutesRevision.objects.bulk_create(
            (
                MinutesRevision(
                    minutes_id=row.pk,
                    number=1,
                    snapshot={"items": snapshots[meeting_id]},
                    approved_by_id=row.approved_by_id,
                    approved_at=row.approved_at,
                )
                for meeting_id, row in approved.items()
            ),
            batch_size=BATCH,
        )

    def participants_of(self, m: _Meeting, row: Meeting, status: str) -> list[Participant]:
        rng = self.rng
        held = status == Meeting.Status.HELD
        people: dict[int, tuple[int | None, str]] = {}  # organisation → (user, role)
        people[m.organiser.pk] = (row.chair_id, Participant.Role.CHAIR)
        for item in m.items:
            if item.case:
                people.setdefault(item.case.lead.pk, (None, Participant.Role.PRESENTER))
                for org in item.case.partners:
                    people.setdefault(org.pk, (None, Participant.Role.MEMBER))
        for org in m.guests:
            role = Participant.Role.ADVISOR if org.tag == "clinic" else Participant.Role.MEMBER
            people.setdefault(org.pk, (None, role))
        result = []
        for org_pk, (user_pk, role) in people.items():
            result.append(
                Participant(
                    meeting_id=row.pk,
                    organisation_id=org_pk,
                    user_id=user_pk or self.primary(org_pk),
                    role=role,
                    is_external=org_pk in self.outside_orgs,
                    attended=(role == Participant.Role.CHAIR or rng.random() < 0.92)
                    if held
                    else None,
                )
            )
        if row.recorder_id:
            result.append(
                Participant(
                    meeting_id=row.pk,
                    organisation_id=m.organiser.pk,
                    user_id=row.recorder_id,
                    role=Participant.Role.RECORDER,
                    attended=True if held else None,
                )
            )
        return result

    def pledges_of(self, participants, series_of: dict) -> list[Pledge]:
        """Outside participants' pledges (誓約書): for every meeting of the series, or for the one
        meeting. One person in ten has not signed yet (chosen by the ids: no draw), so meeting
        pages show who still needs one."""
        pledges = []
        for p in participants:
            if not p.is_external or p.user_id is None:
                continue
            series_id = series_of.get(p.meeting_id)
            key = (p.user_id, series_id) if series_id else (p.user_id, -p.meeting_id)
            if key in self.pledged or (p.user_id + abs(key[1])) % 10 == 0:
                continue
            self.pledged.add(key)
            pledges.append(
                Pledge(
                    user_id=p.user_id,
                    organisation_id=p.organisation_id,
                    signed_on=self.first_day,
                    scope=Pledge.Scope.SERIES if series_id else Pledge.Scope.MEETING,
                    series_id=series_id,
                    meeting_id=None if series_id else p.meeting_id,
                )
            )
        return pledges

    def minutes_text(self, item: _Item) -> tuple[str, str]:
        rng = self.rng
        if item.case:
            case = item.case
            others = "、".join(o.name for o in case.partners[:3])
            if item.kind == AgendaItem.Kind.NEW_CASE:
                summary = (
                    f"{case.lead.name}から事例の概要を報告。{rng.choice(SITUATIONS[case.target])}。"
                    "本人の意向を確認したうえで、関係機関の役割分担を検討した。"
                )
                decisions = (
                    f"主担当を{case.lead.name}とし、{others}が役割を分担する。"
                    f"{rng.choice([1, 2, 3])}か月後に経過を確認する。"
                )
            else:
                summary = f"前回の決定事項の実施状況を確認した。{rng.choice(PROGRESS)}"
                decisions = rng.choice(REVIEW_DECISIONS).format(months=rng.choice([2, 3, 6]))
            return summary, decisions
        if item.issue:
            summary = (
                f"「{item.issue.title}」について、各機関と住民の参加者から現状を聞き、"
                "意見交換した。"
            )
            return summary, rng.choice(ISSUE_DECISIONS)
        if item.kind == AgendaItem.Kind.CARRIED_OVER:
            total = rng.randint(1, 5)
            done = rng.randint(0, total)
            return (
                f"前回からの持ち越し事項{total}件を確認した。{done}件は完了、残りは継続。",
                "未完了の事項は担当機関が次回までに対応する。",
            )
        return "各機関から活動状況の報告があった。", "報告を了承した。"

    def actions_of(self, m: _Meeting, item: _Item, item_pk: int) -> list[ActionItem]:
        rng, today = self.rng, self.today
        result = []
        if item.case:
            case = item.case
            orgs = [(case.lead, True), *((o, False) for o in case.partners)]
            picks = [orgs[0], *rng.sample(orgs[1:], min(len(orgs) - 1, rng.randint(0, 2)))]
            descriptions = ACTIONS[case.target]
        elif item.issue and rng.random() < 0.6:
            picks = [(m.organiser, True)]
            descriptions = ISSUE_ACTIONS
        else:
            return result
        for org, is_lead in picks:
            due_on = m.day + datetime.timedelta(days=rng.randint(14, 60))
            # Most actions get done; a few linger, and old ones have mostly been closed.
            overdue = (today - due_on).days
            if overdue > 90:
                done = rng.random() < 0.98
            elif overdue > 0:
                done = rng.random() < 0.75
            else:
                done = rng.random() < 0.2
            result.append(
                ActionItem(
                    agenda_item_id=item_pk,
                    description=rng.choice(descriptions),
                    organisation_id=org.pk,
                    assignee_id=self.primary(org.pk),
                    is_lead=is_lead,
                    due_on=due_on,
                    status=ActionItem.Status.DONE if done else ActionItem.Status.OPEN,
                )
            )
        return result


@transaction.atomic
def build_work(
    *,
    territory: DemoTerritory,
    directory: DemoDirectory,
    rng: random.Random,
    today: datetime.date,
    password_hash: str,
) -> DemoWork:
    builder = _Builder(
        territory=territory,
        directory=directory,
        rng=rng,
        today=today,
        password_hash=password_hash,
    )
    builder.build_staff()
    # A few members in the first district propose changes to their own organisation's entry,
    # for its 社協 (the "shakyo" account) to review (resources.stewardship).
    first_district = [
        (org.pk, builder.staff[org.pk][0].user_pk)
        for org in directory.orgs
        if org.district_index == 0 and org.pk in builder.staff and org.tag != "welfare_district"
    ]
    build_proposals(members=first_district[:4], today=today)
    cases = builder.build_cases()
    series = builder.build_series()
    meetings = builder.plan_meetings(series, cases)
    builder.write_meetings(meetings)
    build_referrals(today=today)
    return DemoWork(cases=len(cases), meetings=builder.counts["meetings"])


def staff_accounts() -> list[DemoAccount]:
    """The listed staff accounts as they are in the database (organisation and role)."""
    usernames = [username for username, *_ in STAFF_ACCOUNTS]
    found = {
        m.user.username: m
        for m in Membership.objects.filter(user__username__in=usernames).select_related(
            "user", "organisation"
        )
    }
    return [
        DemoAccount(name, found[name].role, found[name].organisation.name, ACCOUNT_ABILITIES[name])
        for name in usernames
        if name in found
    ]


def delete_work(*, area_ids: list[int], organisation_ids) -> None:
    """Remove the demo's meetings, cases, memberships and users, leaves first (AgendaItem and
    CaseRole PROTECT cases and organisations)."""
    meetings = Meeting.objects.filter(area_id__in=area_ids)
    ActionItem.objects.filter(agenda_item__meeting__in=meetings).delete()
    ActionItem.objects.filter(organisation_id__in=organisation_ids).delete()
    Minutes.objects.filter(meeting__in=meetings).delete()
    AgendaItem.objects.filter(meeting__in=meetings).delete()
    Participant.objects.filter(meeting__in=meetings).delete()
    Participant.objects.filter(organisation_id__in=organisation_ids).delete()
    meetings.delete()
    MeetingSeries.objects.filter(area_id__in=area_ids).delete()
    delete_referrals(area_ids=area_ids)
    CaseRole.objects.filter(case__district_id__in=area_ids).delete()
    CaseRole.objects.filter(organisation_id__in=organisation_ids).delete()
    Case.objects.filter(district_id__in=area_ids).delete()
    Membership.objects.filter(organisation_id__in=organisation_ids).delete()
    get_user_model().objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").delete()
