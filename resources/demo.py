"""Demo data, directory layer: the organisations of the fictional ward, with their services,
schedules and locations.

Every district gets the same kinds of places a Setagaya district has (an 地域包括支援センター,
a まちづくりセンター, the 社協's district office, clinics, nurseries, schools, care providers,
NPOs, 町会, the 民生委員 council, parenting circles, salons); each region gets a
こども家庭センター and the 総合支所's offices; the ward gets its departments. All names are
invented. Organisations carry a `tag` (finer than Organisation.Kind) so the conferences builder
can pick, say, "the clinic" or "the care manager" for a case.
"""

import dataclasses
import datetime
import random
import uuid
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from districts.demo import MUNICIPALITY_NAME, DemoTerritory, demo_uuid
from districts.models import TargetGroup
from resources.models import (
    ChangeProposal,
    CorrectionReport,
    FollowUp,
    Location,
    Organisation,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    Tie,
    Visibility,
    Visit,
)
from resources.search import organisations_search_refresh

BATCH = 2000
Kind = Organisation.Kind
WEB = "https://wakakusa.example"

SURNAMES = [
    ("青木", "あおき"),
    ("石川", "いしかわ"),
    ("上田", "うえだ"),
    ("大野", "おおの"),
    ("岡本", "おかもと"),
    ("小川", "おがわ"),
    ("川口", "かわぐち"),
    ("木村", "きむら"),
    ("小林", "こばやし"),
    ("斉藤", "さいとう"),
    ("坂本", "さかもと"),
    ("佐野", "さの"),
    ("柴田", "しばた"),
    ("杉本", "すぎもと"),
    ("高田", "たかだ"),
    ("竹内", "たけうち"),
    ("田村", "たむら"),
    ("中川", "なかがわ"),
    ("中村", "なかむら"),
    ("西村", "にしむら"),
    ("野口", "のぐち"),
    ("橋本", "はしもと"),
    ("服部", "はっとり"),
    ("林", "はやし"),
    ("原田", "はらだ"),
    ("平野", "ひらの"),
    ("藤田", "ふじた"),
    ("本田", "ほんだ"),
    ("松井", "まつい"),
    ("宮本", "みやもと"),
    ("村上", "むらかみ"),
    ("森田", "もりた"),
    ("山口", "やまぐち"),
    ("吉田", "よしだ"),
    ("渡辺", "わたなべ"),
    ("佐藤", "さとう"),
    ("鈴木", "すずき"),
    ("高橋", "たかはし"),
    ("伊藤", "いとう"),
    ("山本", "やまもと"),
]
BRANDS = [
    "ひだまり",
    "あおば",
    "ゆずりは",
    "さくらそう",
    "こもれび",
    "なごみ",
    "たんぽぽ",
    "ひまわり",
    "すみれ",
    "やすらぎ",
    "ぬくもり",
    "そよかぜ",
    "あかり",
    "つばさ",
    "いろどり",
    "ほほえみ",
    "みらい",
    "どんぐり",
    "にじいろ",
    "あおぞら",
    "こすもす",
    "つくし",
    "さくらんぼ",
    "かざぐるま",
]
WEEKDAYS = {"MO": "月", "TU": "火", "WE": "水", "TH": "木", "FR": "金", "SA": "土", "SU": "日"}
WEEKDAY_NUMBERS = {code: n for n, code in enumerate(WEEKDAYS)}
WORKDAYS = ["MO", "TU", "WE", "TH", "FR"]


# --- Schedules: an RFC 5545 RRULE and opening hours ("9:00–12:30、15:00–18:30") ------------------


def monthly_rule(ordinals: list[int], day: str, interval: int = 1) -> str:
    every = f";INTERVAL={interval}" if interval > 1 else ""
    return f"FREQ=MONTHLY{every};BYDAY=" + ",".join(f"{n}{day}" for n in ordinals)


def weekly_rule(days: list[str]) -> str:
    return "FREQ=WEEKLY;BYDAY=" + ",".join(days)


def nth_weekday(year: int, month: int, n: int, day: str) -> datetime.date | None:
    """The nth given weekday of a month (None when the month has no fifth one)."""
    first = datetime.date(year, month, 1)
    offset = (WEEKDAY_NUMBERS[day] - first.weekday()) % 7
    date = first + datetime.timedelta(days=offset + 7 * (n - 1))
    return date if date.month == month else None


def _monthly(rng: random.Random, times: list[str], ordinals=None, days=WORKDAYS):
    ordinals = ordinals or rng.choice([[1], [2], [3], [4], [1, 3], [2, 4]])
    day = rng.choice(days)
    when = rng.choice(times)
    return monthly_rule(ordinals, day), when


def _weekly(rng: random.Random, times: list[str], choices=None):
    days = rng.choice(choices or [[d] for d in WORKDAYS])
    return weekly_rule(days), rng.choice(times)


def office_hours(rng):
    return _weekly(rng, ["8:30–17:15"], [WORKDAYS])


def clinic_hours(rng):
    return _weekly(rng, ["9:00–12:30、15:00–18:30"], [[*WORKDAYS, "SA"]])


def weekday_daytime(rng):
    return _weekly(rng, ["9:00–17:00", "9:00–18:00"], [WORKDAYS, [*WORKDAYS, "SA"]])


def salon_monthly(rng):
    return _monthly(rng, ["10:00–12:00", "13:30–15:30", "14:00–16:00"])


def morning_weekly(rng):
    return _weekly(rng, ["10:00–11:30", "10:30–12:00"])


def evening_twice_monthly(rng):
    return _monthly(rng, ["17:00–19:00", "17:30–19:30"], ordinals=rng.choice([[1, 3], [2, 4]]))


def saturday_monthly(rng):
    return _monthly(rng, ["10:00–12:00", "14:00–16:00"], days=["SA"])


def no_schedule(rng):
    return "", ""


# --- What each kind of place is called and offers -------------------------------------------------

# Per tag: (kind, is_agency, description, services). A service is (name, description, target,
# schedule maker, cost); the first is always offered, the others by chance.
# fmt: off
TAGS = {
    "community_care": (
        Kind.COMMUNITY_CARE_CENTRE,
        True,
        "地域包括支援センター（若草区での愛称は「ふれあい安心センター」）。高齢者の介護・健康・"
        "暮らしの総合相談、介護予防、権利擁護、ケアマネジャーの支援を行います。",
        [
            ("総合相談", "高齢者ご本人やご家族からの相談を受け付けます。訪問もします。",
             TargetGroup.ELDERLY, office_hours, "無料"),
            ("介護予防教室「いきいき体操」", "椅子に座ってできる体操と健康ミニ講座です。",
             TargetGroup.ELDERLY, salon_monthly, "無料"),
            ("認知症カフェ", "認知症の人と家族、地域の人が気軽に集える場です。",
             TargetGroup.ELDERLY, saturday_monthly, "1回100円（茶菓代）"),
            ("成年後見・権利擁護の相談", "財産管理や消費者被害、虐待の相談に応じます。",
             TargetGroup.ELDERLY, office_hours, "無料"),
        ],
    ),
    "town_office": (
        Kind.TOWN_OFFICE,
        False,
        "地区の身近な行政窓口。住民の地域活動の支援、防災、集会室の貸出を行います。",
        [
            ("集会室の貸出", "地域活動に使える集会室を貸し出します。",
             TargetGroup.ALL, weekday_daytime, "1時間300円から"),
            ("防災講習会", "初期消火や避難所運営を学ぶ講習会です。",
             TargetGroup.ALL, saturday_monthly, "無料"),
        ],
    ),
    "welfare_district": (
        Kind.WELFARE_COUNCIL,
        False,
        "社会福祉協議会の地区事務局。生活支援コーディネーターが住民の支えあい活動や"
        "サロンの立ち上げを応援します。",
        [
            ("地域支えあい活動の相談", "サロンや見守り活動を始めたい人の相談に応じます。",
             TargetGroup.ALL, office_hours, "無料"),
            ("ボランティアの紹介", "活動したい人と、手伝いを求める団体をつなぎます。",
             TargetGroup.ALL, office_hours, "無料"),
        ],
    ),
    "volunteers": (
        Kind.COMMISSIONED_VOLUNTEER,
        True,
        "地区の民生委員・児童委員と主任児童委員の協議会。見守りと身近な相談を担います。",
        [
            ("民生委員・児童委員による相談", "暮らしや子育ての困りごとを身近な委員が伺います。",
             TargetGroup.ALL, no_schedule, "無料"),
            ("定例協議会", "委員が集まり、地区の見守り状況を共有します。",
             TargetGroup.ALL, salon_monthly, ""),
        ],
    ),
    "clinic": (
        Kind.MEDICAL,
        True,
        "地域のかかりつけ医。内科を中心に、在宅療養の相談にも応じます。",
        [
            ("外来診療", "内科一般、生活習慣病の管理。", TargetGroup.ALL, clinic_hours, "保険診療"),
            ("訪問診療", "通院が難しい方のご自宅に伺います。",
             TargetGroup.ELDERLY, office_hours, "保険診療"),
            ("特定健診・がん検診", "区の健診を受けられます。",
             TargetGroup.ALL, clinic_hours, "区の健診は無料"),
        ],
    ),
    "specialist": (
        Kind.MEDICAL,
        False,
        "専門科の診療所。",
        [
            ("外来診療", "専門科の診療。", TargetGroup.ALL, clinic_hours, "保険診療"),
        ],
    ),
    "pediatrics": (
        Kind.MEDICAL,
        True,
        "子どもの病気と成長の相談を受ける小児科。",
        [
            ("小児科外来", "子どもの病気全般。", TargetGroup.CHILDREN, clinic_hours, "保険診療"),
            ("予防接種", "定期・任意の予防接種（予約制）。",
             TargetGroup.CHILDREN, morning_weekly, "定期接種は無料"),
        ],
    ),
    "dental": (
        Kind.MEDICAL,
        False,
        "歯科診療と訪問歯科。",
        [
            ("歯科診療", "虫歯・歯周病の治療と予防。", TargetGroup.ALL, clinic_hours, "保険診療"),
            ("訪問歯科", "通院が難しい方の口腔ケア。",
             TargetGroup.ELDERLY, office_hours, "保険診療"),
        ],
    ),
    "home_nursing": (
        Kind.MEDICAL,
        True,
        "看護師がご自宅に伺い、療養生活を支えます。",
        [
            ("訪問看護", "服薬管理、医療処置、リハビリ、看取りの支援。",
             TargetGroup.ALL, weekday_daytime, "医療保険・介護保険の自己負担"),
        ],
    ),
    "pharmacy": (
        Kind.MEDICAL,
        False,
        "処方せんの調剤と服薬の相談。",
        [
            ("調剤・お薬の相談", "飲み合わせや残薬の相談に応じます。",
             TargetGroup.ALL, clinic_hours, "保険調剤"),
            ("在宅訪問（居宅療養管理指導）", "薬剤師がご自宅でお薬を管理します。",
             TargetGroup.ELDERLY, office_hours, "介護保険の自己負担"),
        ],
    ),
    "nursery": (
        Kind.CHILDCARE,
        True,
        "0歳から就学前の子どもの保育。地域の子育て家庭にも園を開いています。",
        [
            ("保育", "認可保育（入園は区の利用調整によります）。",
             TargetGroup.CHILDREN, weekday_daytime, "保育料は区の基準による"),
            ("園庭開放", "未就園の親子が園庭で遊べます。",
             TargetGroup.CHILDREN, morning_weekly, "無料"),
            ("一時預かり", "保護者の通院やリフレッシュのための預かり（予約制）。",
             TargetGroup.CHILDREN, weekday_daytime, "1時間600円"),
        ],
    ),
    "elementary": (
        Kind.SCHOOL,
        True,
        "区立小学校。放課後の居場所づくりにも取り組んでいます。",
        [
            ("放課後子ども教室", "放課後の校庭・教室で安全に過ごせる場です。",
             TargetGroup.CHILDREN, weekday_daytime, "無料"),
            ("校庭開放", "休日に校庭を地域に開放します。",
             TargetGroup.ALL, saturday_monthly, "無料"),
        ],
    ),
    "junior_high": (
        Kind.SCHOOL,
        True,
        "区立中学校。スクールカウンセラーとスクールソーシャルワーカーが相談に応じます。",
        [
            ("教育相談", "不登校やいじめの相談（予約制）。",
             TargetGroup.CHILDREN, office_hours, "無料"),
        ],
    ),
    "care_manager": (
        Kind.CARE_PROVIDER,
        True,
        "居宅介護支援事業所。ケアマネジャーがケアプランを作り、サービスを調整します。",
        [
            ("居宅介護支援（ケアプラン作成）", "要介護の方のケアプランを作成します。",
             TargetGroup.ELDERLY, office_hours, "無料（全額介護保険）"),
        ],
    ),
    "home_help": (
        Kind.CARE_PROVIDER,
        True,
        "訪問介護事業所。ホームヘルパーが身体介護と生活援助を行います。",
        [
            ("訪問介護", "入浴・排せつの介助、買い物・掃除などの生活援助。",
             TargetGroup.ELDERLY, weekday_daytime, "介護保険の自己負担（1〜3割）"),
            ("障害福祉サービス（居宅介護）", "障害のある方への訪問介護。",
             TargetGroup.DISABILITY, weekday_daytime, "障害福祉サービスの利用者負担"),
        ],
    ),
    "day_service": (
        Kind.CARE_PROVIDER,
        True,
        "通所介護（デイサービス）。入浴・食事・機能訓練を日帰りで提供します。",
        [
            ("通所介護", "送迎付きの日帰りサービス。",
             TargetGroup.ELDERLY, weekday_daytime, "介護保険の自己負担（1〜3割）"),
        ],
    ),
    "residential": (
        Kind.CARE_PROVIDER,
        True,
        "通い・泊まり・訪問を組み合わせる地域密着型の介護事業所。",
        [
            ("小規模多機能型居宅介護", "通い・泊まり・訪問を一つの事業所で。",
             TargetGroup.ELDERLY, weekday_daytime, "介護保険の自己負担（月額定額）"),
            ("短期入所（ショートステイ）", "家族の休息や急な用事のための宿泊。",
             TargetGroup.ELDERLY, weekday_daytime, "介護保険の自己負担と滞在費"),
        ],
    ),
    "npo_support": (
        Kind.NPO,
        True,
        "住民同士の助けあいで、ちょっとした困りごとを手伝うNPO。",
        [
            ("生活支援（買い物・ごみ出し・通院付き添い）", "会員同士の有償ボランティア。",
             TargetGroup.ALL, weekday_daytime, "1時間800円"),
            ("見守り訪問", "ひとり暮らしの方を定期的に訪問します。",
             TargetGroup.ELDERLY, morning_weekly, "無料"),
        ],
    ),
    "learning": (
        Kind.NPO,
        True,
        "中学生の学習支援と居場所づくりに取り組むNPO。",
        [
            ("学習支援教室", "大学生ボランティアと一緒に勉強する教室です。",
             TargetGroup.CHILDREN, evening_twice_monthly, "無料"),
        ],
    ),
    "ibasho": (
        Kind.NPO,
        True,
        "ひきこもりや生きづらさを抱える人と家族の居場所。",
        [
            ("居場所「ほっとスペース」", "予約なしで立ち寄れる居場所です。",
             TargetGroup.HARDSHIP, salon_monthly, "無料"),
            ("家族会", "ひきこもりの子をもつ家族の集い。",
             TargetGroup.HARDSHIP, salon_monthly, "無料"),
        ],
    ),
    "kodomo_shokudo": (
        Kind.NPO,
        False,
        "地域の子どもと大人が一緒に食卓を囲む子ども食堂。",
        [
            ("子ども食堂", "手作りの夕食を一緒に。予約不要です。",
             TargetGroup.CHILDREN, evening_twice_monthly, "子ども無料・大人300円"),
            ("フードパントリー", "食品を無料でお渡しします（事前申込制）。",
             TargetGroup.HARDSHIP, saturday_monthly, "無料"),
        ],
    ),
    "neighbourhood": (
        Kind.NEIGHBOURHOOD,
        False,
        "町会。防災、防犯、見守り、お祭りなど地域の活動を担っています。",
        [
            ("見守り・声かけ活動", "ひとり暮らしの高齢者への声かけ。",
             TargetGroup.ELDERLY, no_schedule, "無料"),
            ("防災訓練", "町会の防災訓練（年2回）。", TargetGroup.ALL, no_schedule, "無料"),
        ],
    ),
    "circle": (
        Kind.PARENTING_CIRCLE,
        False,
        "乳幼児と保護者が集まる子育てサークル。",
        [
            ("親子あそびの会", "手遊び、季節の工作、おしゃべり。",
             TargetGroup.CHILDREN, morning_weekly, "1回100円"),
        ],
    ),
    "salon": (
        Kind.SALON,
        False,
        "住民が運営するサロン・ミニデイ。お茶を飲みながらの交流や体操をしています。",
        [
            ("ふれあいサロン", "お茶とおしゃべり、季節の行事。",
             TargetGroup.ELDERLY, salon_monthly, "1回100円"),
            ("ミニデイ（昼食つき）", "手作りの昼食と体操。",
             TargetGroup.ELDERLY, salon_monthly, "1回500円"),
        ],
    ),
    # Regions
    "child_family_centre": (
        Kind.CHILD_FAMILY_CENTRE,
        True,
        "こども家庭センター。妊娠期から18歳までの子どもと家庭の相談を一か所で受け、"
        "サポートプランを作ります（母子保健と児童福祉の一体的な相談）。",
        [
            ("妊娠・出産・子育ての総合相談", "保健師と子ども家庭支援員が相談に応じます。",
             TargetGroup.CHILDREN, office_hours, "無料"),
            ("産後ケア（日帰り型）", "助産師のケアと休息。",
             TargetGroup.CHILDREN, weekday_daytime, "1回2,500円（非課税世帯は無料）"),
            ("子育て家庭ショートステイ", "保護者の急な入院などで子どもを預かります。",
             TargetGroup.CHILDREN, no_schedule, "1泊3,000円"),
        ],
    ),
    "health_welfare": (
        Kind.GOVERNMENT,
        True,
        "総合支所の保健福祉センター。高齢・障害・健康の相談と申請の窓口です。",
        [
            ("保健福祉の相談", "介護保険、障害福祉、健康の相談と申請。",
             TargetGroup.ALL, office_hours, "無料"),
            ("精神保健福祉相談", "こころの健康について精神保健福祉士が相談に応じます。",
             TargetGroup.DISABILITY, office_hours, "無料"),
        ],
    ),
    "livelihood": (
        Kind.GOVERNMENT,
        True,
        "総合支所の生活支援課。生活保護の相談と申請を受け付けます。",
        [
            ("生活保護の相談", "暮らしに困ったときはご相談ください。",
             TargetGroup.HARDSHIP, office_hours, "無料"),
        ],
    ),
    "health_promotion": (
        Kind.GOVERNMENT,
        False,
        "総合支所の健康づくり課。乳幼児健診、母子健康手帳の交付、健康相談を行います。",
        [
            ("乳幼児健診", "3〜4か月、1歳6か月、3歳児の健診。",
             TargetGroup.CHILDREN, salon_monthly, "無料"),
            ("母子健康手帳の交付", "妊娠届の提出と面接。",
             TargetGroup.CHILDREN, office_hours, "無料"),
        ],
    ),
    "disability_support": (
        Kind.NPO,
        True,
        "地域障害者相談支援センター。障害のある人と家族の総合相談（区の委託）。",
        [
            ("障害のある方の総合相談", "福祉サービスの利用、就労、住まいの相談。",
             TargetGroup.DISABILITY, office_hours, "無料"),
        ],
    ),
    "shelter": (
        Kind.NPO,
        True,
        "配偶者等からの暴力を逃れた女性と子どものための一時避難施設。所在地は非公開です。",
        [
            ("一時避難", "関係機関からの紹介により受け入れます。",
             TargetGroup.HARDSHIP, no_schedule, "無料"),
        ],
    ),
    # The ward
    "elderly_dept": (
        Kind.GOVERNMENT,
        True,
        "区の高齢福祉課。介護保険と高齢者施策を担当し、地域ケア推進会議を運営します。",
        [
            ("介護保険の申請", "要介護認定の申請と相談。",
             TargetGroup.ELDERLY, office_hours, "無料"),
        ],
    ),
    "child_dept": (
        Kind.GOVERNMENT,
        True,
        "区の子ども家庭課。要保護児童対策地域協議会の調整機関です。",
        [
            ("子ども家庭の相談", "子育てと家庭の悩みの相談。",
             TargetGroup.CHILDREN, office_hours, "無料"),
        ],
    ),
    "disability_dept": (
        Kind.GOVERNMENT,
        True,
        "区の障害保健福祉課。障害福祉サービスの支給決定を行います。",
        [
            ("障害福祉サービスの申請", "サービスの利用申請と相談。",
             TargetGroup.DISABILITY, office_hours, "無料"),
        ],
    ),
    "child_guidance": (
        Kind.GOVERNMENT,
        True,
        "区立の児童相談所。虐待の通告を受け、子どもの安全を確保します。",
        [
            ("児童相談", "子どもの養育、虐待、非行の相談。24時間の通告は189へ。",
             TargetGroup.CHILDREN, office_hours, "無料"),
        ],
    ),
    "temporary_protection": (
        Kind.GOVERNMENT,
        True,
        "児童相談所の一時保護所。所在地は非公開です。",
        [("一時保護", "児童相談所の決定により子どもを保護します。",
          TargetGroup.CHILDREN, no_schedule, "無料")],
    ),
    "welfare_council_hq": (
        Kind.WELFARE_COUNCIL,
        True,
        "社会福祉法人 若草区社会福祉協議会。権利擁護（あんしん事業・成年後見）、"
        "生活困窮者の自立相談支援、ボランティアセンターを運営しています。",
        [
            ("くらしの相談（自立相談支援）", "仕事・家計・住まいの困りごとを一緒に考えます。",
             TargetGroup.HARDSHIP, office_hours, "無料"),
            ("日常生活自立支援事業（あんしん事業）", "福祉サービスの利用手続きと金銭管理の支援。",
             TargetGroup.ELDERLY, office_hours, "1回1,200円"),
            ("家計改善支援", "家計の立て直しを専門の相談員が支えます。",
             TargetGroup.HARDSHIP, office_hours, "無料"),
        ],
    ),
    "foodbank": (
        Kind.NPO,
        True,
        "区内の食品寄付を集め、困窮世帯と子ども食堂に届けるフードバンク。",
        [
            ("食料支援", "関係機関の紹介で食品をお渡しします。",
             TargetGroup.HARDSHIP, saturday_monthly, "無料"),
        ],
    ),
    "medical_association": (
        Kind.MEDICAL,
        False,
        "区の医師会。在宅医療・介護連携の相談窓口を運営しています。",
        [
            ("在宅療養相談窓口", "在宅医療を始めたい方、退院を控えた方の相談。",
             TargetGroup.ELDERLY, office_hours, "無料"),
        ],
    ),
}
# fmt: on


# How many of each district-level tag a district has: (low, high) for rng.randint.
DISTRICT_COUNTS = {
    "clinic": (3, 5),
    "specialist": (2, 3),
    "pediatrics": (1, 2),
    "dental": (3, 5),
    "home_nursing": (1, 2),
    "pharmacy": (2, 4),
    "nursery": (6, 10),
    "elementary": (2, 2),
    "junior_high": (1, 1),
    "care_manager": (3, 4),
    "home_help": (2, 3),
    "day_service": (2, 4),
    "residential": (1, 2),
    "npo_support": (1, 2),
    "learning": (0, 1),
    "ibasho": (0, 1),
    "kodomo_shokudo": (1, 2),
    "circle": (3, 7),
    "salon": (12, 20),
}


@dataclasses.dataclass
class DemoOrg:
    pk: int
    name: str
    tag: str
    is_agency: bool
    district_index: int | None
    region_index: int | None


@dataclasses.dataclass
class DemoDirectory:
    orgs: list[DemoOrg]
    district: list[dict[str, list[DemoOrg]]]
    region: list[dict[str, list[DemoOrg]]]
    ward: dict[str, list[DemoOrg]]


@dataclasses.dataclass
class _Spec:
    tag: str
    name: str
    reading: str
    district_index: int | None
    region_index: int | None
    visibility: str = Visibility.PUBLIC
    hide_address: bool = False
    place: str = ""  # location name


def _district_specs(district, rng: random.Random) -> list[_Spec]:
    d, dr, i = district.name, district.reading, district.index

    def spec(tag, name, reading, **extra):
        return _Spec(tag, name, reading, i, district.region_index, **extra)

    specs = [
        spec("community_care", f"{d}ふれあい安心センター", f"{dr}ふれあいあんしんせんたー"),
        spec("town_office", f"{d}まちづくりセンター", f"{dr}まちづくりせんたー"),
        spec(
            "welfare_district",
            f"若草区社会福祉協議会 {d}地区事務局",
            f"わかくさくしゃかいふくしきょうぎかい{dr}ちくじむきょく",
        ),
        spec(
            "volunteers",
            f"{d}地区民生委員・児童委員協議会",
            f"{dr}ちくみんせいいいんじどういいんきょうぎかい",
        ),
    ]
    for chome, chome_reading in district.chome:
        if rng.random() < 0.8:
            specs.append(spec("neighbourhood", f"{chome}町会", f"{chome_reading}ちょうかい"))
    if rng.random() < 0.5:
        specs.append(spec("neighbourhood", f"{d}団地自治会", f"{dr}だんちじちかい"))

    namers = {
        "clinic": [
            ("{s}内科クリニック", "{sr}ないかくりにっく"),
            ("{s}医院", "{sr}いいん"),
            ("{d}駅前クリニック", "{dr}えきまえくりにっく"),
            ("{d}在宅クリニック", "{dr}ざいたくくりにっく"),
            ("{s}循環器内科", "{sr}じゅんかんきないか"),
        ],
        "specialist": [
            ("{d}整形外科", "{dr}せいけいげか"),
            ("{d}眼科", "{dr}がんか"),
            ("{s}皮膚科", "{sr}ひふか"),
            ("{s}耳鼻咽喉科", "{sr}じびいんこうか"),
            ("{s}整形外科クリニック", "{sr}せいけいげかくりにっく"),
        ],
        "pediatrics": [
            ("{s}小児科", "{sr}しょうにか"),
            ("{d}こどもクリニック", "{dr}こどもくりにっく"),
        ],
        "dental": [
            ("{s}歯科医院", "{sr}しかいいん"),
            ("{d}デンタルクリニック", "{dr}でんたるくりにっく"),
        ],
        "home_nursing": [("訪問看護ステーション{b}", "ほうもんかんごすてーしょん{b}")],
        "pharmacy": [("{b}薬局 {d}店", "{b}やっきょく{dr}てん")],
        "nursery": [
            ("{b}保育園", "{b}ほいくえん"),
            ("若草区立{d}保育園", "わかくさくりつ{dr}ほいくえん"),
            ("{b}こども園", "{b}こどもえん"),
            ("{d}幼稚園", "{dr}ようちえん"),
            ("小規模保育 {b}ルーム", "しょうきぼほいく{b}るーむ"),
        ],
        "elementary": [
            ("若草区立{d}小学校", "わかくさくりつ{dr}しょうがっこう"),
            ("若草区立{d}第二小学校", "わかくさくりつ{dr}だいにしょうがっこう"),
        ],
        "junior_high": [("若草区立{d}中学校", "わかくさくりつ{dr}ちゅうがっこう")],
        "care_manager": [
            ("ケアプラン{b} {d}", "けあぷらん{b}{dr}"),
            ("{d}居宅介護支援事業所", "{dr}きょたくかいごしえんじぎょうしょ"),
        ],
        "home_help": [
            ("ヘルパーステーション{b}", "へるぱーすてーしょん{b}"),
            ("{b}訪問介護事業所", "{b}ほうもんかいごじぎょうしょ"),
        ],
        "day_service": [
            ("デイサービス{b} {d}", "でいさーびす{b}{dr}"),
            ("{d}デイサービスセンター", "{dr}でいさーびすせんたー"),
        ],
        "residential": [
            ("小規模多機能ホーム{b}", "しょうきぼたきのうほーむ{b}"),
            ("ショートステイ{b} {d}", "しょーとすてい{b}{dr}"),
        ],
        "npo_support": [
            ("NPO法人 ささえあい{d}", "ささえあい{dr}"),
            ("NPO法人 {d}ふれあいネット", "{dr}ふれあいねっと"),
        ],
        "learning": [("NPO法人 学びの広場{b}", "まなびのひろば{b}")],
        "ibasho": [("NPO法人 居場所{b}", "いばしょ{b}")],
        "kodomo_shokudo": [
            ("{d}こども食堂", "{dr}こどもしょくどう"),
            ("こども食堂 {b}", "こどもしょくどう{b}"),
        ],
        "circle": [
            ("子育てサークル {b}", "こそだてさーくる{b}"),
            ("親子ひろば {b}", "おやこひろば{b}"),
            ("{d}ママ・パパの会", "{dr}ままぱぱのかい"),
            ("ふたご・みつごの会 {b}", "ふたごみつごのかい{b}"),
            ("パパサークル {d}", "ぱぱさーくる{dr}"),
            ("多文化子育てサロン {b}", "たぶんかこそだてさろん{b}"),
        ],
        "salon": [
            ("ふれあいいきいきサロン {b}", "ふれあいいきいきさろん{b}"),
            ("{c}お茶のみサロン", "{cr}おちゃのみさろん"),
            ("ミニデイ {b}", "みにでい{b}"),
            ("{d}体操クラブ", "{dr}たいそうくらぶ"),
            ("認知症カフェ {b}", "にんちしょうかふぇ{b}"),
            ("{d}男の料理教室", "{dr}おとこのりょうりきょうしつ"),
            ("歌声サロン {b}", "うたごえさろん{b}"),
            ("{d}囲碁・将棋サロン", "{dr}いごしょうぎさろん"),
            ("脳トレ麻雀 {b}", "のうとれまーじゃん{b}"),
            ("{c}ひだまり会", "{cr}ひだまりかい"),
        ],
    }
    for tag, (low, high) in DISTRICT_COUNTS.items():
        used = set()
        for _ in range(rng.randint(low, high)):
            for _attempt in range(6):
                template, reading_template = rng.choice(namers[tag])
                surname, surname_reading = rng.choice(SURNAMES)
                brand = rng.choice(BRANDS)
                chome, chome_reading = rng.choice(district.chome)
                values = {"s": surname, "d": d, "b": brand, "c": chome}
                readings = {"sr": surname_reading, "dr": dr, "b": brand, "cr": chome_reading}
                name = template.format(**values)
                if name not in used:
                    break
            used.add(name)
            reading = reading_template.format(**readings)
            # A few circles are closed groups: members only, staff refer families to them.
            visibility = (
                Visibility.STAFF if tag == "circle" and rng.random() < 0.1 else Visibility.PUBLIC
            )
            place = ""
            if tag == "salon":
                place = rng.choice(
                    [f"{d}地区会館", f"{chome}集会所", f"{d}まちづくりセンター 集会室"]
                )
            specs.append(spec(tag, name, reading, visibility=visibility, place=place))
    return specs


def _region_specs(region, rng: random.Random) -> list[_Spec]:
    b, br, i = region.base_name, region.base_reading, region.index
    brand = rng.choice(BRANDS)

    def spec(tag, name, reading, **extra):
        return _Spec(tag, name, reading, None, i, **extra)

    return [
        spec("child_family_centre", f"{b}こども家庭センター", f"{br}こどもかていせんたー"),
        spec(
            "health_welfare",
            f"{b}総合支所 保健福祉センター 保健福祉課",
            f"{br}そうごうししょほけんふくしせんたーほけんふくしか",
        ),
        spec("livelihood", f"{b}総合支所 生活支援課", f"{br}そうごうししょせいかつしえんか"),
        spec(
            "health_promotion", f"{b}総合支所 健康づくり課", f"{br}そうごうししょけんこうづくりか"
        ),
        spec(
            "disability_support",
            f"{b}地域障害者相談支援センター",
            f"{br}ちいきしょうがいしゃそうだんしえんせんたー",
        ),
        spec(
            "shelter",
            f"NPO法人 {brand}ハウス（一時避難施設）",
            f"{brand}はうす",
            visibility=Visibility.STAFF,
            hide_address=True,
        ),
    ]


def _ward_specs() -> list[_Spec]:
    # fmt: off
    ward = [
        ("elderly_dept", "若草区 高齢福祉部 高齢福祉課",
         "わかくさくこうれいふくしぶこうれいふくしか"),
        ("child_dept", "若草区 子ども・若者部 子ども家庭課",
         "わかくさくこどもわかものぶこどもかていか"),
        ("disability_dept", "若草区 障害福祉部 障害保健福祉課",
         "わかくさくしょうがいふくしぶしょうがいほけんふくしか"),
        ("child_guidance", "若草区 児童相談所", "わかくさくじどうそうだんじょ"),
        ("welfare_council_hq", "社会福祉法人 若草区社会福祉協議会",
         "わかくさくしゃかいふくしきょうぎかい"),
        ("foodbank", "NPO法人 フードバンクわかくさ", "ふーどばんくわかくさ"),
        ("medical_association", "一般社団法人 若草区医師会", "わかくさくいしかい"),
    ]
    # fmt: on
    specs = [_Spec(tag, name, reading, None, None) for tag, name, reading in ward]
    specs.append(
        _Spec(
            "temporary_protection",
            "若草区 児童相談所 一時保護所",
            "わかくさくじどうそうだんじょいちじほごしょ",
            None,
            None,
            visibility=Visibility.STAFF,
            hide_address=True,
        )
    )
    return specs


@transaction.atomic
def build_directory(
    *, territory: DemoTerritory, rng: random.Random, today: datetime.date
) -> DemoDirectory:
    specs: list[_Spec] = []
    for district in territory.districts:
        specs.extend(_district_specs(district, rng))
    for region in territory.regions:
        specs.extend(_region_specs(region, rng))
    specs.extend(_ward_specs())

    districts, regions = territory.districts, territory.regions
    orgs, served, services, locations, schedules = [], [], [], [], []
    for n, spec in enumerate(specs, start=1):
        kind, is_agency, description, _ = TAGS[spec.tag]
        if spec.district_index is not None:
            home = districts[spec.district_index]
            area_pk = home.pk
        elif spec.region_index is not None:
            home = districts[regions[spec.region_index].district_indexes[0]]
            area_pk = regions[spec.region_index].pk
        else:
            home = districts[0]  # the ward office stands in the first district
            area_pk = territory.municipality_pk
        public_body = kind in (Kind.GOVERNMENT, Kind.CHILD_FAMILY_CENTRE, Kind.WELFARE_COUNCIL)
        orgs.append(
            Organisation(
                uuid=demo_uuid(rng),
                name=spec.name,
                reading=spec.reading,
                kind=kind,
                description=description,
                phone=f"03-0{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}",
                email=f"org{n:05d}@wakakusa.example" if is_agency or public_body else "",
                website=f"{WEB}/org/{n:05d}/" if public_body or rng.random() < 0.4 else "",
                home_area_id=area_pk,
                is_agency=is_agency,
                visibility=spec.visibility,
                last_verified_on=today - datetime.timedelta(days=rng.randint(0, 540)),
            )
        )
    saved = Organisation.objects.bulk_create(orgs, batch_size=BATCH)

    result = DemoDirectory(
        orgs=[],
        district=[defaultdict(list) for _ in districts],
        region=[defaultdict(list) for _ in regions],
        ward=defaultdict(list),
    )
    Through = Organisation.areas_served.through
    for spec, org in zip(specs, saved, strict=True):
        _, is_agency, _, offers = TAGS[spec.tag]
        record = DemoOrg(
            org.pk, spec.name, spec.tag, is_agency, spec.district_index, spec.region_index
        )
        result.orgs.append(record)
        if spec.district_index is not None:
            result.district[spec.district_index][spec.tag].append(record)
            home = districts[spec.district_index]
            served.append(Through(organisation_id=org.pk, area_id=home.pk))
            # Clinics and care providers often serve the next district too.
            neighbours = regions[home.region_index].district_indexes
            if spec.tag in ("clinic", "care_manager", "home_help", "home_nursing") and (
                rng.random() < 0.3
            ):
                other = districts[rng.choice(neighbours)]
                if other.pk != home.pk:
                    served.append(Through(organisation_id=org.pk, area_id=other.pk))
        elif spec.region_index is not None:
            result.region[spec.region_index][spec.tag].append(record)
            home = districts[regions[spec.region_index].district_indexes[0]]
            served.append(Through(organisation_id=org.pk, area_id=regions[spec.region_index].pk))
        else:
            result.ward[spec.tag].append(record)
            home = districts[0]
            served.append(Through(organisation_id=org.pk, area_id=territory.municipality_pk))

        chosen = [offers[0], *(offer for offer in offers[1:] if rng.random() < 0.5)]
        for name, description, target, schedule, cost in chosen:
            rrule, hours = schedule(rng)
            service = Service(
                uuid=demo_uuid(rng),
                organisation_id=org.pk,
                name=name,
                description=description,
                target_group=target,
                cost=cost,
                visibility=spec.visibility,
            )
            services.append(service)
            for opens, closes in _hours(hours) if rrule else []:
                schedules.append(
                    (
                        service,
                        Schedule(
                            uuid=demo_uuid(rng), rrule=rrule, opens_at=opens, closes_at=closes
                        ),
                    )
                )
        chome, _ = rng.choice(home.chome)
        building = rng.choice(["", "", "", f" {rng.choice(BRANDS)}ビル{rng.randint(1, 4)}階"])
        locations.append(
            Location(
                uuid=demo_uuid(rng),
                organisation_id=org.pk,
                name=spec.place,
                postal_code=home.postal_code,
                address=f"{MUNICIPALITY_NAME}{chome}{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
                + building,
                district_id=home.pk,
                latitude=round(home.centre[0] + rng.uniform(-0.004, 0.004), 6),
                longitude=round(home.centre[1] + rng.uniform(-0.005, 0.005), 6),
                hide_address=spec.hide_address,
            )
        )
    Through.objects.bulk_create(served, batch_size=BATCH)
    Service.objects.bulk_create(services, batch_size=BATCH)
    for service, row in schedules:
        row.service_id = service.pk
    Schedule.objects.bulk_create([row for _, row in schedules], batch_size=BATCH)
    Location.objects.bulk_create(locations, batch_size=BATCH)
    # Each service is given at its organisation's place.
    location_of = {location.organisation_id: location.pk for location in locations}
    ServiceAtLocation.objects.bulk_create(
        [
            ServiceAtLocation(
                uuid=demo_uuid(rng),
                service_id=service.pk,
                location_id=location_of[service.organisation_id],
            )
            for service in services
        ],
        batch_size=BATCH,
    )
    _build_categories(services=services, rng=rng)
    _build_ties(directory=result, territory=territory, rng=rng, today=today)
    _build_visits(directory=result, rng=rng, today=today)
    _build_stewardship(directory=result, today=today)
    # The directory search's normalised keys (names, readings, service names).
    organisations_search_refresh(organisation_ids=[org.pk for org in result.orgs])
    return result


# --- Categories, ties and visits: what the coverage matrix and the network pages read ---------

# (code, name, English name, target group): the demo's service categories (HSDS taxonomy terms).
# fmt: off
CATEGORIES = [
    ("elderly-advice", "高齢者の相談", "Advice for older people", TargetGroup.ELDERLY),
    ("care-prevention", "介護予防・サロン", "Care prevention and salons", TargetGroup.ELDERLY),
    ("dementia", "認知症の支援", "Dementia support", TargetGroup.ELDERLY),
    ("home-care", "在宅介護・在宅医療", "Care and medicine at home", TargetGroup.ELDERLY),
    ("day-and-short-stay", "通い・泊まりの介護", "Day and short-stay care", TargetGroup.ELDERLY),
    ("watching-over", "見守り", "Watching over", TargetGroup.ELDERLY),
    ("rights", "権利擁護", "Advocacy and guardianship", TargetGroup.ALL),
    ("maternal-health", "妊娠・出産・乳幼児の保健", "Pregnancy, birth and infant health",
     TargetGroup.CHILDREN),
    ("parent-and-child", "子育てひろば・親子の居場所", "Places for parents and young children",
     TargetGroup.CHILDREN),
    ("childcare", "保育・一時預かり", "Childcare", TargetGroup.CHILDREN),
    ("children-places", "子どもの居場所・学習支援", "Places and study support for children",
     TargetGroup.CHILDREN),
    ("child-family-advice", "子ども・家庭の相談", "Advice for children and families",
     TargetGroup.CHILDREN),
    ("disability", "障害のある人の支援", "Support for people with disabilities",
     TargetGroup.DISABILITY),
    ("livelihood", "くらし・生活困窮の相談", "Livelihood and hardship advice",
     TargetGroup.HARDSHIP),
    ("food", "食の支援", "Food support", TargetGroup.HARDSHIP),
    ("medical", "医療", "Medical care", TargetGroup.ALL),
    ("community", "地域の支えあい・交流", "Mutual aid and gatherings", TargetGroup.ALL),
    ("disaster", "防災", "Disaster preparedness", TargetGroup.ALL),
]
# fmt: on
# Every service name of TAGS → its categories (a KeyError here means a new service lacks them).
SERVICE_CATEGORIES = {
    "総合相談": ["elderly-advice"],
    "介護予防教室「いきいき体操」": ["care-prevention"],
    "認知症カフェ": ["dementia"],
    "成年後見・権利擁護の相談": ["rights"],
    "集会室の貸出": ["community"],
    "防災講習会": ["disaster"],
    "地域支えあい活動の相談": ["community"],
    "ボランティアの紹介": ["community"],
    "民生委員・児童委員による相談": ["watching-over", "child-family-advice"],
    "定例協議会": ["community"],
    "外来診療": ["medical"],
    "訪問診療": ["home-care", "medical"],
    "特定健診・がん検診": ["medical"],
    "小児科外来": ["medical", "maternal-health"],
    "予防接種": ["maternal-health"],
    "歯科診療": ["medical"],
    "訪問歯科": ["home-care"],
    "訪問看護": ["home-care"],
    "調剤・お薬の相談": ["medical"],
    "在宅訪問（居宅療養管理指導）": ["home-care"],
    "保育": ["childcare"],
    "園庭開放": ["parent-and-child"],
    "一時預かり": ["childcare"],
    "放課後子ども教室": ["children-places"],
    "校庭開放": ["community"],
    "教育相談": ["child-family-advice"],
    "居宅介護支援（ケアプラン作成）": ["home-care"],
    "訪問介護": ["home-care"],
    "障害福祉サービス（居宅介護）": ["disability"],
    "通所介護": ["day-and-short-stay"],
    "小規模多機能型居宅介護": ["day-and-short-stay", "home-care"],
    "短期入所（ショートステイ）": ["day-and-short-stay"],
    "生活支援（買い物・ごみ出し・通院付き添い）": ["community"],
    "見守り訪問": ["watching-over"],
    "学習支援教室": ["children-places"],
    "居場所「ほっとスペース」": ["livelihood"],
    "家族会": ["livelihood"],
    "子ども食堂": ["children-places", "food"],
    "フードパントリー": ["food"],
    "見守り・声かけ活動": ["watching-over"],
    "防災訓練": ["disaster"],
    "親子あそびの会": ["parent-and-child"],
    "ふれあいサロン": ["care-prevention", "community"],
    "ミニデイ（昼食つき）": ["care-prevention"],
    "妊娠・出産・子育ての総合相談": ["maternal-health", "child-family-advice"],
    "産後ケア（日帰り型）": ["maternal-health"],
    "子育て家庭ショートステイ": ["childcare"],
    "保健福祉の相談": ["elderly-advice", "disability"],
    "精神保健福祉相談": ["disability"],
    "生活保護の相談": ["livelihood"],
    "乳幼児健診": ["maternal-health"],
    "母子健康手帳の交付": ["maternal-health"],
    "障害のある方の総合相談": ["disability"],
    "一時避難": ["livelihood"],
    "介護保険の申請": ["elderly-advice"],
    "子ども家庭の相談": ["child-family-advice"],
    "障害福祉サービスの申請": ["disability"],
    "児童相談": ["child-family-advice"],
    "一時保護": ["child-family-advice"],
    "くらしの相談（自立相談支援）": ["livelihood"],
    "日常生活自立支援事業（あんしん事業）": ["rights"],
    "家計改善支援": ["livelihood"],
    "食料支援": ["food"],
    "在宅療養相談窓口": ["elderly-advice", "home-care"],
}

# What the welfare council hears on visits (困りごと・要望), and what it then does.
HEARD = {
    "salon": [
        "世話役が高齢になり、次の担い手が見つからない。",
        "会場の集会所が来年度から使えなくなるかもしれない。",
        "男性の参加者が少なく、声のかけ方を知りたい。",
        "足の悪い人が来られなくなった。送迎の手段がほしい。",
        "物忘れが目立つ参加者がいて、どう接すればよいか迷っている。",
    ],
    "circle": [
        "会場の予約が取りにくく、開催日が安定しない。",
        "外国籍の親子が参加している。通訳や多言語のちらしがほしい。",
        "ふたごの家庭は外出が難しい。訪問での交流を望む声がある。",
        "活動費が足りず、おもちゃの買い替えができない。",
    ],
    "kodomo_shokudo": [
        "夏は食材の寄付が減る。",
        "調理のボランティアが足りない。",
        "気になる家庭の子がいるが、どこにつなげばよいかわからない。",
        "会場の衛生面の基準を確認したい。",
    ],
    "neighbourhood": [
        "ひとり暮らしの高齢者の把握が難しくなっている。",
        "役員のなり手がいない。",
        "防災訓練の参加者がいつも同じ顔ぶれになっている。",
    ],
    "learning": [
        "中学生の参加が増え、大学生ボランティアが足りない。",
        "不登校の子の参加が増えた。学校との連携の仕方を知りたい。",
    ],
    "ibasho": [
        "来ている若者から仕事の相談を受けるが、つなぎ先を知りたい。",
        "家族会の参加者が固定し、新しい家族に届いていない。",
    ],
}
VISIT_CHANCE = {
    "salon": 0.3,
    "circle": 0.3,
    "kodomo_shokudo": 0.5,
    "neighbourhood": 0.15,
    "learning": 0.5,
    "ibasho": 0.5,
}
FOLLOW_UPS = [
    "まちづくりセンターに代わりの会場を相談する",
    "ボランティアセンターで担い手を募集する",
    "ふれあい安心センターにつなぐ",
    "こども家庭センターの相談窓口を案内する",
    "地域活動の助成金の案内を送る",
    "フードバンクわかくさを紹介する",
    "通訳ボランティアの登録者を探す",
    "次回の地区の三者連携会議で共有する",
]
TieKind = Tie.Kind
TIE_NOTES = {
    TieKind.COLLABORATES: ["", "", "定例の情報交換", "合同で講座を開催", "見守りの連携"],
    TieKind.REFERS: ["", "", "相談者の紹介", "退院時の連携"],
    TieKind.SHARES_VENUE: ["", "集会室を共用", "園庭・ホールを借用"],
}


def _build_categories(*, services: list[Service], rng: random.Random) -> None:
    """The demo's categories (kept when they exist: they are shared reference data) and the
    categories of every demo service."""
    # Drawn whether or not the terms exist, so the rows after them do not change.
    uuids = [demo_uuid(rng) for _ in CATEGORIES]
    terms = {
        term.code: term
        for term in TaxonomyTerm.objects.filter(code__in=[row[0] for row in CATEGORIES])
    }
    missing = [
        TaxonomyTerm(
            uuid=uuid, code=code, name=name, name_en=name_en, target_group=target, order=order
        )
        for order, (uuid, (code, name, name_en, target)) in enumerate(
            zip(uuids, CATEGORIES, strict=True), start=1
        )
        if code not in terms
    ]
    for term in TaxonomyTerm.objects.bulk_create(missing):
        terms[term.code] = term
    Through = Service.categories.through
    Through.objects.bulk_create(
        [
            Through(service_id=service.pk, taxonomyterm_id=terms[code].pk)
            for service in services
            for code in SERVICE_CATEGORIES[service.name]
        ],
        batch_size=BATCH,
    )


def _build_ties(
    *, directory: DemoDirectory, territory: DemoTerritory, rng: random.Random, today
) -> int:
    """Working relationships in each district (the three partners, doctors and care managers
    referring to the 地域包括, salons sharing the まちづくりセンター's room, …), with the
    region's and the ward's offices. Returns the number of ties."""
    ties: dict[tuple[int, int, str], Tie] = {}

    def tie(source: DemoOrg | None, target: DemoOrg | None, kind: str, chance: float = 1.0):
        if source is None or target is None or source.pk == target.pk:
            return
        if rng.random() >= chance:
            return
        key = (source.pk, target.pk, kind)
        # A tie that goes both ways is stored once.
        reverse = (target.pk, source.pk, kind)
        if key in ties or (kind != TieKind.REFERS and reverse in ties):
            return
        since = today - datetime.timedelta(days=rng.randint(60, 3000))
        ties[key] = Tie(
            source_id=source.pk,
            target_id=target.pk,
            kind=kind,
            note=rng.choice(TIE_NOTES[kind]),
            since=since if rng.random() < 0.7 else None,
        )

    def first(orgs: dict, tag: str) -> DemoOrg | None:
        return orgs[tag][0] if orgs.get(tag) else None

    ward = directory.ward
    tie(first(ward, "welfare_council_hq"), first(ward, "foodbank"), TieKind.COLLABORATES)
    tie(first(ward, "medical_association"), first(ward, "elderly_dept"), TieKind.COLLABORATES)
    tie(first(ward, "child_dept"), first(ward, "child_guidance"), TieKind.COLLABORATES)
    for region in directory.region:
        centre = first(region, "child_family_centre")
        tie(centre, first(region, "health_promotion"), TieKind.COLLABORATES)
        tie(centre, first(ward, "child_guidance"), TieKind.REFERS)
        tie(first(region, "livelihood"), first(ward, "welfare_council_hq"), TieKind.COLLABORATES)
        tie(
            first(region, "disability_support"),
            first(region, "health_welfare"),
            TieKind.COLLABORATES,
        )
        tie(first(region, "shelter"), first(region, "livelihood"), TieKind.COLLABORATES)
    for index, orgs in enumerate(directory.district):
        region = directory.region[territory.districts[index].region_index]
        town, care = first(orgs, "town_office"), first(orgs, "community_care")
        council, volunteers = first(orgs, "welfare_district"), first(orgs, "volunteers")
        centre = first(region, "child_family_centre")
        tie(town, care, TieKind.COLLABORATES)
        tie(care, council, TieKind.COLLABORATES)
        tie(council, town, TieKind.COLLABORATES)
        tie(volunteers, care, TieKind.REFERS)
        tie(volunteers, council, TieKind.COLLABORATES)
        tie(volunteers, centre, TieKind.REFERS, 0.6)
        tie(care, first(region, "health_welfare"), TieKind.REFERS)
        tie(council, first(ward, "welfare_council_hq"), TieKind.COLLABORATES)
        for clinic in orgs.get("clinic", []):
            tie(clinic, care, TieKind.REFERS, 0.6)
        for manager in orgs.get("care_manager", []):
            tie(manager, care, TieKind.COLLABORATES, 0.7)
            providers = orgs.get("home_help", []) + orgs.get("day_service", [])
            for provider in rng.sample(providers, min(len(providers), rng.randint(1, 2))):
                tie(manager, provider, TieKind.REFERS, 0.6)
        for nurse in orgs.get("home_nursing", []):
            if orgs.get("clinic"):
                tie(nurse, rng.choice(orgs["clinic"]), TieKind.COLLABORATES)
        for pharmacy in orgs.get("pharmacy", []):
            if orgs.get("clinic"):
                tie(pharmacy, rng.choice(orgs["clinic"]), TieKind.COLLABORATES, 0.3)
        for salon in orgs.get("salon", []):
            tie(salon, town, TieKind.SHARES_VENUE, 0.3)
            tie(council, salon, TieKind.COLLABORATES, 0.4)
        for circle in orgs.get("circle", []):
            if orgs.get("nursery"):
                tie(circle, rng.choice(orgs["nursery"]), TieKind.SHARES_VENUE, 0.3)
            tie(circle, centre, TieKind.REFERS, 0.3)
        for nursery in orgs.get("nursery", []):
            tie(nursery, centre, TieKind.REFERS, 0.4)
        for school in orgs.get("elementary", []) + orgs.get("junior_high", []):
            tie(school, centre, TieKind.REFERS, 0.5)
        for kitchen in orgs.get("kodomo_shokudo", []):
            tie(kitchen, first(ward, "foodbank"), TieKind.COLLABORATES)
            tie(kitchen, council, TieKind.REFERS, 0.5)
            if orgs.get("elementary"):
                tie(kitchen, rng.choice(orgs["elementary"]), TieKind.COLLABORATES, 0.3)
        for helper in orgs.get("npo_support", []):
            tie(helper, care, TieKind.COLLABORATES)
        for school in orgs.get("learning", []):
            tie(school, first(orgs, "junior_high"), TieKind.COLLABORATES)
        for place in orgs.get("ibasho", []):
            tie(place, council, TieKind.COLLABORATES)
            tie(place, first(region, "livelihood"), TieKind.REFERS)
        for association in orgs.get("neighbourhood", []):
            tie(association, volunteers, TieKind.COLLABORATES, 0.5)
            tie(association, town, TieKind.COLLABORATES, 0.4)
    Tie.objects.bulk_create(ties.values(), batch_size=BATCH)
    return len(ties)


def _build_visits(*, directory: DemoDirectory, rng: random.Random, today: datetime.date) -> int:
    """The welfare council's visits (訪問調査) to salons, circles, こども食堂, 町会 and NPOs in
    the last eighteen months, some with follow-ups (done or still open). The visiting staff are
    left empty: demo users are made later, by the conferences layer."""
    visits, follow_ups = [], []
    for orgs in directory.district:
        for tag, chance in VISIT_CHANCE.items():
            for org in orgs.get(tag, []):
                if rng.random() >= chance:
                    continue
                visited_on = today - datetime.timedelta(days=rng.randint(10, 540))
                visit = Visit(
                    organisation_id=org.pk,
                    visited_on=visited_on,
                    heard=rng.choice(HEARD[tag]),
                    notes=rng.choice(["", "", "代表者と会計担当が対応。", "次回は活動日に伺う。"]),
                )
                visits.append(visit)
                if rng.random() < 0.4:
                    due_on = visited_on + datetime.timedelta(days=rng.randint(14, 90))
                    done = due_on < today and rng.random() < 0.6
                    done_on = due_on - datetime.timedelta(days=rng.randint(0, 13))
                    follow_ups.append(
                        (
                            visit,
                            FollowUp(
                                description=rng.choice(FOLLOW_UPS),
                                due_on=due_on,
                                done_on=done_on if done else None,
                            ),
                        )
                    )
    Visit.objects.bulk_create(visits, batch_size=BATCH)
    for visit, follow_up in follow_ups:
        follow_up.visit_id = visit.pk
    FollowUp.objects.bulk_create([row for _, row in follow_ups], batch_size=BATCH)
    return len(visits)


def _hours(text: str) -> list[tuple[datetime.time, datetime.time]]:
    """「9:00–12:30、15:00–18:30」 → [(9:00, 12:30), (15:00, 18:30)]."""
    spans = []
    for span in text.split("、"):
        opens, closes = (datetime.time.fromisoformat(part.zfill(5)) for part in span.split("–"))
        spans.append((opens, closes))
    return spans


# --- Stewardship: keepers, entries never verified, residents' reports, members' proposals ---

DEMO_REPORTS = [
    "電話番号にかけたら別の事業所につながりました。",
    "開催日が第2火曜から第3火曜に変わったと聞きました。",
    "会場が公民館から集会所に移ったようです。",
    "ホームページのアドレスが古く、表示されません。",
]


def _build_stewardship(*, directory: DemoDirectory, today: datetime.date) -> None:
    """Each entry is kept by its district's 社協 (地区社協) or, above the district, by the
    ward's 社会福祉協議会; one entry in 17 was never verified (the others' dates are spread over
    eighteen months already, so the queue has stale entries); a few public entries have a
    resident's report waiting. No draw from rng: the rest of the demo stays as it was."""
    headquarters = next(iter(directory.ward.get("welfare_council_hq", [])), None)
    keeper_of = {}
    for record in directory.orgs:
        council = None
        if record.district_index is not None:
            council = next(
                iter(directory.district[record.district_index]["welfare_district"]), None
            )
        council = council or headquarters
        keeper_of[record.pk] = council.pk if council else None
    rows = list(Organisation.objects.filter(pk__in=keeper_of).order_by("pk"))
    for n, organisation in enumerate(rows):
        organisation.keeper_organisation_id = keeper_of[organisation.pk]
        if n % 17 == 5:
            organisation.last_verified_on = None
    Organisation.objects.bulk_update(
        rows, ["keeper_organisation_id", "last_verified_on"], batch_size=BATCH
    )
    # Reports about entries in the first district, kept by its 社協 (the demo's "shakyo").
    first_district = {record.pk for record in directory.orgs if record.district_index == 0}
    public = [o for o in rows if o.visibility == Visibility.PUBLIC and o.pk in first_district]
    now = timezone.make_aware(datetime.datetime.combine(today, datetime.time(10)))
    CorrectionReport.objects.bulk_create(
        [
            CorrectionReport(
                uuid=demo_uuid_of("report", organisation.uuid),
                organisation=organisation,
                message=DEMO_REPORTS[n % len(DEMO_REPORTS)],
                client_key=f"demo-{n}",
                created_at=now - datetime.timedelta(days=n * 3 + 1),
            )
            for n, organisation in enumerate(public[1::3][:4])
        ]
    )


def build_proposals(*, members: list[tuple[int, int]], today: datetime.date) -> int:
    """Changes proposed by a member of an organisation to its own entry, waiting for the
    keeper's review: `members` is (organisation pk, user pk), one per organisation."""
    organisations = Organisation.objects.in_bulk([org_pk for org_pk, _ in members])
    now = timezone.make_aware(datetime.datetime.combine(today, datetime.time(9)))
    proposals = []
    for n, (org_pk, user_pk) in enumerate(members):
        organisation = organisations[org_pk]
        phone = f"03-0{500 + n}-{1000 + n * 37:04d}"
        changes = {"phone": phone}
        if n % 2:
            changes["description"] = organisation.description + "（土曜日も相談を受け付けます）"
        proposals.append(
            ChangeProposal(
                uuid=demo_uuid_of("proposal", organisation.uuid),
                organisation=organisation,
                proposed_by_id=user_pk,
                changes=changes,
                previous={name: getattr(organisation, name) for name in changes},
                note="4月から電話番号が変わりました。" if n % 2 == 0 else "",
                created_at=now - datetime.timedelta(days=n + 1),
            )
        )
    ChangeProposal.objects.bulk_create(proposals)
    return len(proposals)


def demo_uuid_of(role: str, owner: uuid.UUID) -> uuid.UUID:
    """A stable UUID derived from another (for rows made without drawing from rng)."""
    return uuid.uuid5(owner, role)


def demo_organisations(*, area_ids: list[int]):
    """The organisations of the demo ward (for --replace): those whose home is one of its areas."""
    return Organisation.objects.filter(home_area_id__in=area_ids)


def delete_directory(*, area_ids: list[int]) -> None:
    """Remove the demo ward's organisations; the conferences layer must have gone first."""
    organisations = demo_organisations(area_ids=area_ids)
    Service.objects.filter(organisation__in=organisations).delete()
    Location.objects.filter(organisation__in=organisations).delete()
    Organisation.areas_served.through.objects.filter(organisation__in=organisations).delete()
    organisations.delete()
    # Locations of other organisations that pointed into the ward keep existing, unplaced.
    Location.objects.filter(district_id__in=area_ids).update(district=None)
