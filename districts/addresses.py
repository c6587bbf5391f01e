"""Resolve a Japanese street address to the district (地区) whose 町丁目 it lies in.

Addresses come typed by hand: 全角 or 半角 digits, 丁目 in kanji numerals or digits,
「砧五丁目3番1号」, 「砧5-3-1」, 「砧5丁目3-1 ○○マンション101」, with or without 〒, the prefecture
and the municipality.
The rule that matters most: an address we cannot place with certainty is "not resolved", never
guessed, because a wrong district sends a family to the wrong centre.
"""

import dataclasses
import datetime
import re
import unicodedata
from collections import defaultdict

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from districts.models import Area, Chome

KANJI_DIGITS = {
    "〇": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# Dashes people type between numbers: hyphen, minus, en/em dash, bar, katakana prolonged sound mark.
DASHES = "-‐‑‒–—―−ーｰ"
POSTCODE = re.compile(r"^〒?\d{3}-?\d{4}")
PREFECTURE = re.compile(r"^(東京都|北海道|(?:京都|大阪)府|.{2,3}県)")
CHOME_NAME = re.compile(r"^(?P<town>.+?)(?P<number>[0-9]+|[〇一二三四五六七八九十]+)丁目$")
# After the town: "5丁目", "五丁目", or a bare number followed by a dash or the end ("5-3-1", "5").
CHOME_IN_ADDRESS = re.compile(
    r"^(?:(?P<named>[0-9]+|[〇一二三四五六七八九十]+)丁目|(?P<bare>[0-9]+)(?:-|$))"
)


class Unresolved(Exception):
    """The address could not be placed; `reason` says why, for the person who typed it."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class Resolution:
    district: Area
    chome: Chome


def valid_on(day: datetime.date) -> Q:
    """町丁目 memberships in force on a day (valid_to is the last day, inclusive)."""
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )


def kanji_to_int(text: str) -> int:
    """Kanji numerals as used for 丁目 (一 … 九十九); Arabic digits pass through."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return int("".join(str(KANJI_DIGITS[ch]) for ch in text))
    tens, _, ones = text.partition("十")
    return (KANJI_DIGITS[tens] if tens else 1) * 10 + (KANJI_DIGITS[ones] if ones else 0)


def normalise(text: str) -> str:
    """NFKC (全角→半角), one kind of dash, no spaces, and ケ for the small ヶ town names vary on."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", "", text)
    text = re.sub(f"(?<=[0-9])[{DASHES}](?=[0-9])", "-", text)
    return text.replace("ヶ", "ケ").replace("ヵ", "カ")


def split_chome_name(name: str) -> tuple[str, int | None]:
    """「桜台三丁目」→ ("桜台", 3); a town without 丁目 → (name, None)."""
    name = normalise(name)
    match = CHOME_NAME.match(name)
    if match is None:
        return name, None
    return match["town"], kanji_to_int(match["number"])


class AddressResolver:
    """Built once from the 町丁目 valid on a date, then used for many addresses (e.g. an import)."""

    def __init__(self, *, on: datetime.date | None = None):
        self.on = on or datetime.date.today()
        chome = Chome.objects.filter(valid_on(self.on)).select_related("area__parent__parent")
        # (town, number) → the rows for it, per municipality: a town name may recur across cities.
        self.index: dict[tuple[str, int | None], list[Chome]] = defaultdict(list)
        self.municipality_names: set[str] = set()
        for row in chome:
            town, number = split_chome_name(row.name)
            self.index[(town, number)].append(row)
            municipality = municipality_of(row.area)
            if municipality is not None:
                self.municipality_names.add(normalise(municipality.name))
        # Longest first, so 「桜台東」 wins over 「桜台」.
        self.towns = sorted({town for town, _ in self.index}, key=len, reverse=True)

    def resolve(self, address: str) -> Resolution:
        text = normalise(address)
        text = POSTCODE.sub("", text)
        text = PREFECTURE.sub("", text, count=1) if not self._starts_with_town(text) else text
        municipality = next(
            (name for name in self.municipality_names if text.startswith(name)), None
        )
        if municipality:
            text = text[len(municipality) :]
        town = next((town for town in self.towns if text.startswith(town)), None)
        if town is None:
            raise Unresolved(_("No known town (町名) at the start of the address."))
        rest = text[len(town) :]
        candidates = self._candidates(town, rest)
        if municipality:
            candidates = [
                row
                for row in candidates
                if normalise(getattr(municipality_of(row.area), "name", "")) == municipality
            ]
        districts = {row.area_id for row in candidates}
        if not candidates:
            raise Unresolved(_("The town is known, but not that 丁目."))
        if len(districts) > 1:
            raise Unresolved(_("The town name is found in more than one municipality."))
        return Resolution(district=candidates[0].area, chome=candidates[0])

    def _starts_with_town(self, text: str) -> bool:
        # Keep a town whose name happens to look like a prefecture prefix.
        return any(text.startswith(town) for town in self.towns)

    def _candidates(self, town: str, rest: str) -> list[Chome]:
        has_chome = any(number is not None for (name, number) in self.index if name == town)
        if not has_chome:
            return self.index.get((town, None), [])
        match = CHOME_IN_ADDRESS.match(rest)
        if match is None:
            raise Unresolved(_("The address does not say which 丁目 of the town."))
        number = kanji_to_int(match["named"] or match["bare"])
        return self.index.get((town, number), [])


def municipality_of(area: Area) -> Area | None:
    node = area
    while node is not None and node.level != Area.Level.MUNICIPALITY:
        node = node.parent
    return node


def resolve_address(address: str, *, on: datetime.date | None = None) -> Resolution:
    """The district of one address; raises Unresolved with a reason when it cannot be placed."""
    return AddressResolver(on=on).resolve(address)
