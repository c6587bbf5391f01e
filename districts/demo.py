"""Demo data, territory layer: the fictional ward 若草区 with its regions, districts, 町丁目,
population figures, assessments and district issues.

Everything comes from the `rng` handed in and from dates relative to `today`, so one seed and one
anchor date always build the same data. The builders above this one (resources, conferences, cms)
take the plain records returned here instead of querying the database again.
"""

import dataclasses
import datetime
import math
import random
import uuid
import zoneinfo

from django.db import transaction

from districts.models import (
    Area,
    Assessment,
    AssessmentRevision,
    Chome,
    DistrictIssue,
    HouseholdFigure,
    IssueStatusChange,
    PopulationFigure,
    PopulationTotal,
    TargetGroup,
)
from districts.population import population_demo

MUNICIPALITY_CODE = "wakakusa"
MUNICIPALITY_NAME = "若草区"
MUNICIPALITY_READING = "わかくさく"
DISTRICTS_PER_SCALE = 28
# Districts per region, repeated: 28 districts in 5 regions, like Setagaya's 総合支所 areas.
REGION_SIZES = (6, 6, 5, 6, 5)
BATCH = 2000
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
# The centre of the imagined ward (somewhere in south-west Tokyo) and the spacing of districts.
CENTRE = (35.640, 139.650)
GRID_STEP = 0.012

# The 28 districts of scale 1: invented neighbourhood names (none is one of Setagaya's).
DISTRICT_NAMES = [
    ("桜台", "さくらだい"),
    ("若葉町", "わかばちょう"),
    ("朝日ケ丘", "あさひがおか"),
    ("青葉台", "あおばだい"),
    ("柏木", "かしわぎ"),
    ("椿山", "つばきやま"),
    ("藤見", "ふじみ"),
    ("楓原", "かえではら"),
    ("白鷺", "しらさぎ"),
    ("星川", "ほしかわ"),
    ("月見野", "つきみの"),
    ("日向台", "ひなただい"),
    ("清水坂", "しみずざか"),
    ("鶴巻", "つるまき"),
    ("亀田", "かめだ"),
    ("雲雀野", "ひばりの"),
    ("菖蒲沢", "あやめさわ"),
    ("萩原", "はぎわら"),
    ("桐ケ谷", "きりがや"),
    ("榎町", "えのきちょう"),
    ("栗林", "くりばやし"),
    ("杉並木", "すぎなみき"),
    ("柳橋", "やなぎばし"),
    ("竹の台", "たけのだい"),
    ("松風", "まつかぜ"),
    ("緑川", "みどりかわ"),
    ("石神台", "いしがみだい"),
    ("宮の森", "みやのもり"),
]
# Parts for the districts of larger scales: every prefix × suffix, then with a direction first.
NAME_PREFIXES = [
    ("桜", "さくら"),
    ("梅", "うめ"),
    ("松", "まつ"),
    ("竹", "たけ"),
    ("楓", "かえで"),
    ("藤", "ふじ"),
    ("椿", "つばき"),
    ("柳", "やなぎ"),
    ("杉", "すぎ"),
    ("栗", "くり"),
    ("榎", "えのき"),
    ("柏", "かしわ"),
    ("朝日", "あさひ"),
    ("若葉", "わかば"),
    ("緑", "みどり"),
    ("青葉", "あおば"),
    ("白鷺", "しらさぎ"),
    ("星", "ほし"),
    ("月見", "つきみ"),
    ("日向", "ひなた"),
    ("清水", "しみず"),
    ("石神", "いしがみ"),
    ("宮", "みや"),
    ("鶴", "つる"),
    ("亀", "かめ"),
    ("鷹", "たか"),
    ("雲雀", "ひばり"),
    ("菖蒲", "あやめ"),
    ("萩", "はぎ"),
    ("桐", "きり"),
]
NAME_SUFFIXES = [
    ("台", "だい"),
    ("ケ丘", "がおか"),
    ("野", "の"),
    ("町", "まち"),
    ("原", "はら"),
    ("森", "もり"),
    ("沢", "さわ"),
    ("川", "かわ"),
    ("坂", "さか"),
    ("山", "やま"),
    ("浜", "はま"),
    ("本町", "ほんちょう"),
]
NAME_DIRECTIONS = [
    ("", ""),
    ("東", "ひがし"),
    ("西", "にし"),
    ("南", "みなみ"),
    ("北", "きた"),
    ("新", "しん"),
    ("上", "かみ"),
    ("下", "しも"),
    ("中", "なか"),
]
CHOME_NUMERALS = [
    ("一", "いっちょうめ"),
    ("二", "にちょうめ"),
    ("三", "さんちょうめ"),
    ("四", "よんちょうめ"),
    ("五", "ごちょうめ"),
    ("六", "ろくちょうめ"),
    ("七", "ななちょうめ"),
    ("八", "はっちょうめ"),
]
# The ward redrew its 圏域 once: a few 町丁目 moved to a neighbouring district on this day.
REDRAWN_ON = datetime.date(2022, 4, 1)

# 地域課題: title, target group, what the cases showed (the description's core).
ISSUES = [
    (
        "週末に介護者が休めるレスパイトの場がない",
        TargetGroup.ELDERLY,
        "家族介護者が土日に休息を取れず、介護疲れから虐待のおそれが指摘された事例が続いた。"
        "土日に利用できるショートステイやデイサービスが地区内にない。",
    ),
    (
        "坂道が多く、高齢者が買い物に行けない",
        TargetGroup.ELDERLY,
        "坂の上の住宅地で、足腰の弱った高齢者が日用品の買い物に困っている。"
        "移動販売や買い物支援の担い手が見つかっていない。",
    ),
    (
        "認知症の人の見守りの担い手が足りない",
        TargetGroup.ELDERLY,
        "行方不明になった認知症の方の事例が複数あり、早期に気づける見守りの網が必要とされた。",
    ),
    (
        "独居高齢者のごみ出しが困難になっている",
        TargetGroup.ELDERLY,
        "集積所が遠い、分別がわからないなどの理由で、ごみをため込む独居高齢者が増えている。",
    ),
    (
        "大規模団地で孤立する高齢者が増えている",
        TargetGroup.ELDERLY,
        "団地の自治会役員の高齢化で見守り活動が続かず、発見の遅れた孤立死が起きた。",
    ),
    (
        "サロンの担い手が高齢化し、継続が難しい",
        TargetGroup.ELDERLY,
        "地区のサロンの多くで世話人が80代となり、後継者がいないため休止が続いている。",
    ),
    (
        "男性高齢者が地域活動に参加しにくい",
        TargetGroup.ELDERLY,
        "退職後の男性がサロンや通いの場に参加せず、閉じこもりから要介護に至る事例があった。",
    ),
    (
        "通いの場まで歩いて行けない地域がある",
        TargetGroup.ELDERLY,
        "地区の北側には徒歩圏内に介護予防の通いの場がなく、参加者が固定している。",
    ),
    (
        "産後に頼れる人がいない母親が多い",
        TargetGroup.CHILDREN,
        "里帰りできず、身近に支援者のいない産婦が多い。産後ケア事業の空きが少なく、"
        "産後うつが疑われる事例が続いた。",
    ),
    (
        "平日夜に子どもが過ごせる居場所がない",
        TargetGroup.CHILDREN,
        "共働き・ひとり親家庭の小学生が夜まで一人で過ごしている。子ども食堂は月2回のみ。",
    ),
    (
        "ヤングケアラーに気づく仕組みがない",
        TargetGroup.CHILDREN,
        "家族の介護や家事を担う中学生の事例で、学校と福祉の情報がつながるまでに時間がかかった。",
    ),
    (
        "外国にルーツのある家庭に情報が届かない",
        TargetGroup.CHILDREN,
        "乳幼児健診や子育て支援の案内が日本語のみで、未受診のまま把握が遅れる家庭がある。",
    ),
    (
        "不登校の子どもと家族の相談先がわかりにくい",
        TargetGroup.CHILDREN,
        "不登校が長期化した事例で、保護者がどこに相談すればよいかわからず孤立していた。",
    ),
    (
        "医療的ケア児を預けられる場所が少ない",
        TargetGroup.DISABILITY,
        "医療的ケアの必要な子どもを受け入れる保育所・一時預かりが区内に少なく、"
        "保護者が就労を諦めている。",
    ),
    (
        "障害のある人の緊急時の受け入れ先がない",
        TargetGroup.DISABILITY,
        "介護者の急な入院で、障害のある方の短期入所先が見つからなかった事例があった。",
    ),
    (
        "精神障害のある人が地域で孤立しがち",
        TargetGroup.DISABILITY,
        "退院後に通院が途切れ、近隣とのトラブルから孤立した事例が複数あった。",
    ),
    (
        "生活困窮世帯が食料支援の情報を知らない",
        TargetGroup.HARDSHIP,
        "フードパントリーの案内が届かず、困窮が深刻になってから相談につながる世帯が多い。",
    ),
    (
        "家賃滞納で住まいを失うおそれのある世帯が増えている",
        TargetGroup.HARDSHIP,
        "物価高で家賃を滞納し、退去を求められてから相談に来る世帯が増えた。",
    ),
    (
        "ひきこもりの相談が家族から寄せられても本人につながらない",
        TargetGroup.HARDSHIP,
        "親が高齢になった8050世帯で、本人と会えないまま支援が止まっている事例がある。",
    ),
    (
        "災害時の要配慮者の避難支援体制が不十分",
        TargetGroup.ALL,
        "避難行動要支援者名簿の個別避難計画が進まず、町会と専門職の役割分担が決まっていない。",
    ),
    (
        "町会の加入率が下がり、見守りの網が粗くなっている",
        TargetGroup.ALL,
        "集合住宅の増加で町会加入率が5割を切り、民生委員だけでは見守りが追いつかない。",
    ),
    (
        "地域活動の会場が足りない",
        TargetGroup.ALL,
        "まちづくりセンターの集会室は予約が埋まっており、新しい活動が場所を確保できない。",
    ),
    (
        "コミュニティバスの便が少なく、通院が難しい",
        TargetGroup.ALL,
        "バスが1時間に1本のため、通院や買い物をタクシーに頼る世帯の負担が大きい。",
    ),
]
ISSUE_STATUS_WEIGHTS = {
    DistrictIssue.Status.RAISED: 30,
    DistrictIssue.Status.DISCUSSED: 30,
    DistrictIssue.Status.ESCALATED: 20,
    DistrictIssue.Status.ADDRESSED: 12,
    DistrictIssue.Status.CLOSED: 8,
}
ISSUE_PATH = [
    DistrictIssue.Status.RAISED,
    DistrictIssue.Status.DISCUSSED,
    DistrictIssue.Status.ESCALATED,
    DistrictIssue.Status.ADDRESSED,
    DistrictIssue.Status.CLOSED,
]
ISSUE_REASONS = {
    DistrictIssue.Status.DISCUSSED: "地区の会議で事例をもとに意見交換した。",
    DistrictIssue.Status.ESCALATED: "地区内の資源では解決できず、上位の会議で検討することとした。",
    DistrictIssue.Status.ADDRESSED: "新たな活動の立ち上げと関係機関の連携で対応策を講じた。",
    DistrictIssue.Status.CLOSED: "対応策の効果を確認し、課題としては終結とした。",
}
STRENGTHS = [
    "町会・自治会の活動が活発で、見守りの担い手が多い。",
    "サロンや体操教室など、高齢者の通いの場が徒歩圏内にそろっている。",
    "商店街と町会の協力関係が強く、声かけが自然に行われている。",
    "子育てサークルが多く、若い世代の交流の場がある。",
    "医療機関が多く、在宅医療との連携が取りやすい。",
]
CHALLENGES = [
    "坂道が多く、移動に困る高齢者が多い。",
    "大規模な集合住宅で住民同士のつながりが薄い。",
    "単身高齢者世帯の割合が区平均より高い。",
    "転入の多い子育て世帯に地域の情報が届きにくい。",
    "地域活動の担い手の高齢化が進んでいる。",
]


@dataclasses.dataclass
class DemoDistrict:
    index: int
    pk: int
    code: str
    name: str
    reading: str
    region_index: int
    chome: list[tuple[str, str]]  # (name, reading) of the 町丁目 in force today
    centre: tuple[float, float]
    postal_code: str


@dataclasses.dataclass
class DemoRegion:
    index: int
    pk: int
    code: str
    name: str
    reading: str
    base_name: str  # the region's own name without 地域, e.g. 桜台
    base_reading: str
    district_indexes: list[int]


@dataclasses.dataclass
class DemoIssue:
    pk: int
    area_pk: int
    level: str
    district_index: int | None  # where it was raised, when it was a district's issue first
    region_index: int | None
    title: str
    target_group: str
    status: str
    raised_on: datetime.date


@dataclasses.dataclass
class DemoTerritory:
    municipality_pk: int
    regions: list[DemoRegion]
    districts: list[DemoDistrict]
    issues: list[DemoIssue]


def demo_uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from the seeded generator, so reruns give the same identifiers."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def demo_exists() -> bool:
    return Area.objects.filter(code=MUNICIPALITY_CODE).exists()


def district_names(*, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """The curated 28 first, then invented combinations in a seeded order; all unique."""
    names = list(DISTRICT_NAMES[:count])
    if count <= len(names):
        return names
    taken = {name for name, _ in names}
    for direction, direction_reading in NAME_DIRECTIONS:
        combos = [
            (direction + prefix + suffix, direction_reading + prefix_reading + suffix_reading)
            for prefix, prefix_reading in NAME_PREFIXES
            for suffix, suffix_reading in NAME_SUFFIXES
        ]
        rng.shuffle(combos)
        for name, reading in combos:
            if name not in taken:
                taken.add(name)
                names.append((name, reading))
                if len(names) == count:
                    return names
    raise ValueError(f"Not enough invented district names for {count} districts.")


def max_scale() -> int:
    combos = len(NAME_PREFIXES) * len(NAME_SUFFIXES) * len(NAME_DIRECTIONS)
    return combos // DISTRICTS_PER_SCALE


def _bulk(model, objects):
    return model.objects.bulk_create(objects, batch_size=BATCH)


@transaction.atomic
def build_territory(*, rng: random.Random, today: datetime.date, scale: int) -> DemoTerritory:
    municipality = Area.objects.create(
        level=Area.Level.MUNICIPALITY,
        code=MUNICIPALITY_CODE,
        name=MUNICIPALITY_NAME,
        reading=MUNICIPALITY_READING,
    )
    n_districts = DISTRICTS_PER_SCALE * scale
    names = district_names(count=n_districts, rng=rng)

    # Regions are named after their first district, as a 総合支所 area is named after its seat.
    sizes = list(REGION_SIZES) * scale
    regions: list[DemoRegion] = []
    start = 0
    for index, size in enumerate(sizes):
        base, base_reading = names[start]
        regions.append(
            DemoRegion(
                index=index,
                pk=0,
                code=f"{MUNICIPALITY_CODE}-r{index + 1:03d}",
                name=f"{base}地域",
                reading=f"{base_reading}ちいき",
                base_name=base,
                base_reading=base_reading,
                district_indexes=list(range(start, start + size)),
            )
        )
        start += size
    region_rows = _bulk(
        Area,
        [
            Area(
                level=Area.Level.REGION,
                parent=municipality,
                code=r.code,
                name=r.name,
                reading=r.reading,
            )
            for r in regions
        ],
    )
    for region, row in zip(regions, region_rows, strict=True):
        region.pk = row.pk

    width = math.ceil(math.sqrt(n_districts))
    districts: list[DemoDistrict] = []
    for region in regions:
        for index in region.district_indexes:
            name, reading = names[index]
            row, col = divmod(index, width)
            centre = (
                round(CENTRE[0] + (width / 2 - row) * GRID_STEP, 6),
                round(CENTRE[1] + (col - width / 2) * GRID_STEP, 6),
            )
            n_chome = rng.randint(2, 6)
            districts.append(
                DemoDistrict(
                    index=index,
                    pk=0,
                    code=f"{MUNICIPALITY_CODE}-d{index + 1:04d}",
                    name=name,
                    reading=reading,
                    region_index=region.index,
                    chome=[
                        (f"{name}{numeral}丁目", reading + numeral_reading)
                        for numeral, numeral_reading in CHOME_NUMERALS[:n_chome]
                    ],
                    centre=centre,
                    postal_code=f"1{50 + index % 50:02d}-{rng.randint(0, 99):02d}{index % 100:02d}",
                )
            )
    district_rows = _bulk(
        Area,
        [
            Area(
                level=Area.Level.DISTRICT,
                parent_id=regions[d.region_index].pk,
                code=d.code,
                name=d.name,
                reading=d.reading,
                boundary=_square_around(d.centre),
            )
            for d in districts
        ],
    )
    for district, row in zip(districts, district_rows, strict=True):
        district.pk = row.pk

    _build_chome(districts=districts, regions=regions)
    _build_figures(districts=districts, rng=rng, today=today)
    issues = _build_issues(
        municipality_pk=municipality.pk,
        regions=regions,
        districts=districts,
        rng=rng,
        today=today,
        scale=scale,
    )
    return DemoTerritory(
        municipality_pk=municipality.pk, regions=regions, districts=districts, issues=issues
    )


def _square_around(centre: tuple[float, float]) -> dict:
    """A GeoJSON square one grid step wide: districts tile the ward, so maps have outlines."""
    lat, lon = centre
    half = GRID_STEP / 2
    ring = [
        [round(lon - half, 6), round(lat - half, 6)],
        [round(lon + half, 6), round(lat - half, 6)],
        [round(lon + half, 6), round(lat + half, 6)],
        [round(lon - half, 6), round(lat + half, 6)],
        [round(lon - half, 6), round(lat - half, 6)],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def _build_chome(*, districts: list[DemoDistrict], regions: list[DemoRegion]) -> None:
    rows = []
    for district in districts:
        for name, reading in district.chome:
            rows.append(Chome(area_id=district.pk, name=name, reading=reading))
    # The 2022 redraw: in each region the last 町丁目 of its second district used to belong to
    # its first district (so history has both rows, with dates that do not overlap).
    for region in regions:
        first, second = (districts[i] for i in region.district_indexes[:2])
        name, reading = second.chome[-1]
        rows.append(
            Chome(
                area_id=first.pk,
                name=name,
                reading=reading,
                valid_to=REDRAWN_ON - datetime.timedelta(days=1),
            )
        )
        rows[_chome_row_index(districts, second)].valid_from = REDRAWN_ON
    _bulk(Chome, rows)


def _chome_row_index(districts: list[DemoDistrict], district: DemoDistrict) -> int:
    """Position of the district's last 町丁目 in the rows list (districts are in index order)."""
    return sum(len(d.chome) for d in districts[: district.index + 1]) - 1


def _build_figures(*, districts: list[DemoDistrict], rng: random.Random, today) -> None:
    """Two surveys (1 January of this year and of last year) per district, by age band and sex,
    plus households, and a 地区アセスメント for last year."""
    population_demo(
        districts=districts,
        rng=rng,
        surveyed_on=datetime.date(today.year, 1, 1),
        previous_on=datetime.date(today.year - 1, 1, 1),
    )
    assessments = []
    for district in districts:
        assessments.append(
            Assessment(
                area_id=district.pk,
                year=today.year - 1,
                strengths="\n".join(rng.sample(STRENGTHS, 2)),
                challenges="\n".join(rng.sample(CHALLENGES, 2)),
                notes=f"{district.name}地区の三者（まちづくりセンター・地域包括支援センター・"
                "社会福祉協議会）で、住民アンケートと地区懇談会の結果をまとめた。",
                participants="まちづくりセンター\n地域包括支援センター\n社会福祉協議会\n"
                "民生委員・児童委員協議会\n町会・自治会",
            )
        )
    saved = _bulk(Assessment, assessments)
    revisions = _bulk(
        AssessmentRevision,
        [
            AssessmentRevision(
                assessment_id=a.pk,
                version=1,
                strengths=a.strengths,
                challenges=a.challenges,
                notes=a.notes,
                participants=a.participants,
            )
            for a in saved
        ],
    )
    # Written last December, not now: the timestamps are auto_now(_add), which bulk_create
    # fills in and bulk_update does not.
    written = _at(datetime.date(today.year - 1, 12, 20), 17)
    for row in saved:
        row.updated_at = written
    for row in revisions:
        row.saved_at = written
    Assessment.objects.bulk_update(saved, ["updated_at"], batch_size=500)
    AssessmentRevision.objects.bulk_update(revisions, ["saved_at"], batch_size=500)


def _build_issues(
    *,
    municipality_pk: int,
    regions: list[DemoRegion],
    districts: list[DemoDistrict],
    rng: random.Random,
    today: datetime.date,
    scale: int,
) -> list[DemoIssue]:
    """地域課題 at every level. A district issue that was escalated now sits at its region (or,
    for some, the municipality) with `raised_in` pointing at the district, and its history says
    how it got there."""
    statuses = list(ISSUE_STATUS_WEIGHTS)
    weights = list(ISSUE_STATUS_WEIGHTS.values())
    planned = []  # (district_index or None, region_index or None, area_pk, raised_in_pk, ...)
    for district in districts:
        picks = rng.sample(ISSUES, rng.randint(3, 5))
        # The first district shows every status, so the demo walks the whole chain.
        if district.index == 0:
            picks = rng.sample(ISSUES, len(ISSUE_PATH))
            chosen = list(ISSUE_PATH)
        else:
            chosen = rng.choices(statuses, weights, k=len(picks))
        region = regions[district.region_index]
        for (title, target, text), status in zip(picks, chosen, strict=True):
            area_pk, level = district.pk, Area.Level.DISTRICT
            if (
                status
                in (
                    DistrictIssue.Status.ESCALATED,
                    DistrictIssue.Status.ADDRESSED,
                    DistrictIssue.Status.CLOSED,
                )
                and rng.random() < 0.6
            ):
                # Escalated issues move up: most to the region, a few on to the ward.
                if rng.random() < 0.2:
                    area_pk, level = municipality_pk, Area.Level.MUNICIPALITY
                else:
                    area_pk, level = region.pk, Area.Level.REGION
            description = f"{district.name}地区の地域ケア会議で検討した事例から。{text}"
            planned.append((district, region, area_pk, level, title, target, description, status))
    # Issues that start at the region or the ward themselves (from surveys, councils, forums).
    for region in regions:
        for title, target, text in rng.sample(ISSUES, 2):
            status = rng.choice(statuses[:4])
            description = f"{region.name}の地域ケアネットワーク会議で各地区から報告があった。{text}"
            planned.append(
                (None, region, region.pk, Area.Level.REGION, title, target, description, status)
            )
    for title, target, text in rng.sample(ISSUES, min(len(ISSUES), 4 + scale)):
        status = rng.choice(statuses)
        description = f"区内の複数の地域から同様の報告があり、全区的な課題とした。{text}"
        planned.append(
            (
                None,
                None,
                municipality_pk,
                Area.Level.MUNICIPALITY,
                title,
                target,
                description,
                status,
            )
        )

    issues, rows = [], []
    for district, region, area_pk, level, title, target, description, status in planned:
        raised_on = today - datetime.timedelta(days=rng.randint(30, 700))
        issues.append(
            DemoIssue(
                pk=0,
                area_pk=area_pk,
                level=level,
                district_index=district.index if district else None,
                region_index=region.index if region else None,
                title=title,
                target_group=target,
                status=status,
                raised_on=raised_on,
            )
        )
        rows.append(
            DistrictIssue(
                area_id=area_pk,
                title=title,
                description=description,
                target_group=target,
                status=status,
                raised_on=raised_on,
                raised_in_id=district.pk if district else area_pk,
                closed_reason=ISSUE_REASONS[status]
                if status == DistrictIssue.Status.CLOSED
                else "",
            )
        )
    saved = _bulk(DistrictIssue, rows)
    for issue, row in zip(issues, saved, strict=True):
        issue.pk = row.pk
    _build_issue_history(issues=issues, rows=saved, rng=rng, today=today)
    return issues


def _build_issue_history(*, issues, rows, rng: random.Random, today: datetime.date) -> None:
    """One IssueStatusChange per step from raised to the current status, dated in order.
    `changed_at` is auto_now_add, so it is written after the insert (bulk_update skips it)."""
    changes, moments_at = [], []
    for issue, row in zip(issues, rows, strict=True):
        steps = ISSUE_PATH[: ISSUE_PATH.index(issue.status) + 1]
        span = max(1, (today - issue.raised_on).days - 1)
        days = sorted(rng.sample(range(1, span + 1), min(span, len(steps) - 1)))
        moments = [issue.raised_on, *(issue.raised_on + datetime.timedelta(days=d) for d in days)]
        from_area = row.raised_in_id
        previous = ""
        for step, day in zip(steps, moments, strict=False):
            to_area = row.area_id if step == DistrictIssue.Status.ESCALATED else from_area
            changes.append(
                IssueStatusChange(
                    issue_id=row.pk,
                    from_status=previous,
                    to_status=step,
                    from_area_id=from_area,
                    to_area_id=to_area,
                    reason=ISSUE_REASONS.get(step, "地区の会議で課題として提起された。"),
                )
            )
            moments_at.append(_at(day, 17))
            from_area, previous = to_area, step
    saved = _bulk(IssueStatusChange, changes)
    for row, moment in zip(saved, moments_at, strict=True):
        row.changed_at = moment
    IssueStatusChange.objects.bulk_update(saved, ["changed_at"], batch_size=500)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TOKYO)


def demo_area_ids() -> list[int]:
    """The demo ward, its regions and districts (empty when the demo is not loaded)."""
    municipality = Area.objects.filter(code=MUNICIPALITY_CODE).values_list("pk", flat=True)
    region_ids = list(Area.objects.filter(parent__in=municipality).values_list("pk", flat=True))
    district_ids = list(Area.objects.filter(parent__in=region_ids).values_list("pk", flat=True))
    return [*municipality, *region_ids, *district_ids]


def delete_territory() -> None:
    """Remove the demo ward: call after the layers above have removed what points at it."""
    municipality = Area.objects.filter(code=MUNICIPALITY_CODE).first()
    if municipality is None:
        return
    region_ids = list(Area.objects.filter(parent=municipality).values_list("pk", flat=True))
    district_ids = list(Area.objects.filter(parent__in=region_ids).values_list("pk", flat=True))
    area_ids = [municipality.pk, *region_ids, *district_ids]
    IssueStatusChange.objects.filter(issue__area_id__in=area_ids).delete()
    DistrictIssue.objects.filter(area_id__in=area_ids).delete()
    for model in (PopulationTotal, PopulationFigure, HouseholdFigure, Chome):
        model.objects.filter(area_id__in=area_ids).delete()
    AssessmentRevision.objects.filter(assessment__area_id__in=area_ids).delete()
    Assessment.objects.filter(area_id__in=area_ids).delete()
    Area.objects.filter(pk__in=district_ids).delete()
    Area.objects.filter(pk__in=region_ids).delete()
    municipality.delete()
