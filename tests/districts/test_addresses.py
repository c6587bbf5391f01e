"""Address → district: the forms people type resolve; anything uncertain is refused."""

import datetime

import pytest

from districts.addresses import AddressResolver, Unresolved, kanji_to_int, resolve_address
from districts.models import Area, Chome

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    """ひばり野区: 砧 一〜五丁目 in 砧地区 (五丁目 moved to 喜多見地区 on 2022-04-01),
    砧公園 (a town without 丁目), and a 緑町 in two municipalities."""
    ward = Area.objects.create(level="municipality", code="131000", name="ひばり野区")
    other = Area.objects.create(level="municipality", code="139000", name="みどり市")
    region = Area.objects.create(level="region", parent=ward, code="R1", name="砧地域")
    kinuta = Area.objects.create(level="district", parent=region, code="D1", name="砧地区")
    kitami = Area.objects.create(level="district", parent=region, code="D2", name="喜多見地区")
    park = Area.objects.create(level="district", parent=region, code="D3", name="公園地区")
    elsewhere = Area.objects.create(level="district", parent=other, code="D9", name="みどり地区")
    for n in "一二三四":
        Chome.objects.create(area=kinuta, name=f"砧{n}丁目")
    Chome.objects.create(area=kinuta, name="砧五丁目", valid_to=datetime.date(2022, 3, 31))
    Chome.objects.create(area=kitami, name="砧五丁目", valid_from=datetime.date(2022, 4, 1))
    Chome.objects.create(area=park, name="砧公園")
    Chome.objects.create(area=kitami, name="桜ヶ丘二丁目")
    # The same town name in another municipality.
    Chome.objects.create(area=kinuta, name="緑町一丁目")
    Chome.objects.create(area=elsewhere, name="緑町一丁目")
    return {"kinuta": kinuta, "kitami": kitami, "park": park, "elsewhere": elsewhere}


TODAY = datetime.date(2026, 11, 24)


@pytest.mark.parametrize(
    "address",
    [
        "砧五丁目3番1号",
        "砧5-3-1",
        "砧5丁目3-1 ○○マンション101",
        "砧５－３－１",  # full-width digits and dash
        "砧5ー3ー1",  # katakana prolonged sound mark typed as a dash
        "砧 5-3-1",
        "ひばり野区砧5-3-1",
        "東京都ひばり野区砧五丁目3番1号",
        "〒157-0073 東京都ひばり野区砧5丁目3-1",
        "〒1570073ひばり野区　砧５丁目",
        "砧5",
    ],
)
def test_forms_of_the_same_address_resolve_to_its_district(city, address):
    assert resolve_address(address, on=TODAY).district == city["kitami"]


def test_kanji_and_arabic_chome_agree(city):
    assert resolve_address("砧三丁目10番", on=TODAY).district == city["kinuta"]
    assert resolve_address("砧3-10", on=TODAY).district == city["kinuta"]


def test_membership_follows_the_date(city):
    assert resolve_address("砧5-3-1", on=datetime.date(2021, 4, 1)).district == city["kinuta"]
    assert resolve_address("砧5-3-1", on=datetime.date(2022, 4, 1)).district == city["kitami"]


def test_longest_town_name_wins_and_towns_without_chome(city):
    assert resolve_address("砧公園1-1", on=TODAY).district == city["park"]


def test_small_ke_variants(city):
    assert resolve_address("桜ケ丘2-1-1", on=TODAY).district == city["kitami"]
    assert resolve_address("桜ヶ丘二丁目", on=TODAY).district == city["kitami"]


def test_municipality_name_disambiguates_a_shared_town_name(city):
    assert resolve_address("みどり市緑町1-2", on=TODAY).district == city["elsewhere"]
    assert resolve_address("ひばり野区緑町1-2", on=TODAY).district == city["kinuta"]


@pytest.mark.parametrize(
    "address",
    [
        "",
        "不明町1-2-3",  # unknown town
        "砧9-1-1",  # known town, no such 丁目
        "砧5番1号",  # 番 is not 丁目: can't tell which 丁目
        "砧",  # no 丁目 given
        "渋谷区砧5-3-1",  # another municipality's 砧
        "緑町1-2",  # town in two municipalities, none named
        "東京都",
    ],
)
def test_uncertain_addresses_are_not_resolved(city, address):
    with pytest.raises(Unresolved) as error:
        resolve_address(address, on=TODAY)
    assert str(error.value.reason)


def test_one_resolver_serves_many_addresses_with_a_single_query(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        resolver = AddressResolver(on=TODAY)
        for address in ["砧1-1", "砧2-2", "砧公園", "桜ヶ丘2-1"]:
            resolver.resolve(address)


@pytest.mark.parametrize(
    ("text", "number"),
    [("一", 1), ("九", 9), ("十", 10), ("十一", 11), ("二十", 20), ("二十三", 23), ("12", 12)],
)
def test_kanji_numerals(text, number):
    assert kanji_to_int(text) == number
