"""Directory search: each normalisation rule, on the stored key and through the staff directory."""

import pytest
from django.urls import reverse

from resources import search, selectors
from resources.models import Organisation, Service
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＳＯＳ１２３", "sos123"),  # 全角 letters and digits
        ("ｻﾝｺﾞｹｱ", "さんごけあ"),  # 半角 katakana, voiced marks joined
        ("サンゴケア", "さんごけあ"),  # katakana → hiragana
        ("さんごけあ", "さんごけあ"),
        ("産後 ケア\u3000の家", "産後けあの家"),  # half- and full-width spaces
        ("Kids DOOR", "kidsdoor"),  # case
        ("民生委員・児童委員", "民生委員児童委員"),  # 中黒
        ("ヴォーカル", "ゔぉーかる"),  # ヴ and the long vowel mark
        ("", ""),
    ],
)
def test_normalise(text, expected):
    assert search.normalise(text) == expected


def test_query_words_are_normalised_and_empty_ones_dropped():
    assert search.query_terms("  ｻﾝｺﾞ\u3000ケア ") == ["さんご", "けあ"]
    assert search.query_terms("\u3000 ") == []


def _org(name, **fields):
    organisation = factories.organisation(name, kind=Organisation.Kind.NPO, **fields)
    search.organisation_search_refresh(organisation=organisation)
    return organisation


def _found(query):
    return list(selectors.organisation_search(query=query).values_list("name", flat=True))


@pytest.fixture
def directory():
    return {
        "sango": _org("産後ケアハウス サンゴケア", reading="さんごけあはうす"),
        "salon": _org("桜台子育てサロン", reading="さくらだいこそだてさろん"),
        "npo": _org("NPO法人 Kids Door ひばり", name_en="Kids Door Hibari"),
        "sos": _org("にんしんSOSひばり野"),
        "volunteers": _org("桜台地区民生委員・児童委員協議会"),
    }


@pytest.mark.parametrize("query", ["ｻﾝｺﾞｹｱ", "さんごけあ", "サンゴケア", "ｻﾝｺﾞ ｹｱ"])
def test_half_width_hiragana_and_katakana_all_match(directory, query):
    assert _found(query) == ["産後ケアハウス サンゴケア"]


@pytest.mark.parametrize("query", ["ＳＯＳ", "sos", "SoS", "ｓｏｓ"])
def test_full_width_and_case_are_ignored(directory, query):
    assert _found(query) == ["にんしんSOSひばり野"]


@pytest.mark.parametrize("query", ["さくらだいこそだて", "サクラダイ　コソダテ", "ｻｸﾗﾀﾞｲｺｿﾀﾞﾃ"])
def test_the_reading_matches_in_any_script(directory, query):
    assert _found(query) == ["桜台子育てサロン"]


@pytest.mark.parametrize(
    "query", ["産後ケアハウスサンゴケア", "産後\u3000ケア", "産後 ケア ハウス"]
)
def test_spaces_never_stop_a_match(directory, query):
    assert _found(query) == ["産後ケアハウス サンゴケア"]


def test_every_word_must_appear_in_any_order(directory):
    assert _found("ひばり kids") == ["NPO法人 Kids Door ひばり"]
    assert _found("ひばり 桜台") == []


def test_the_english_name_matches(directory):
    assert _found("hibari") == ["NPO法人 Kids Door ひばり"]


def test_middle_dots_are_ignored(directory):
    assert _found("民生委員児童委員") == ["桜台地区民生委員・児童委員協議会"]


def test_like_wildcards_are_taken_literally(directory):
    assert _found("%") == [] and _found("_") == []


def test_a_match_never_runs_across_two_fields():
    _org("ひだまり", reading="ひだまり", name_en="Hidamari")
    # "ひだまり" + "hidamari" are stored apart: a query joining them matches nothing.
    assert _found("ひだまりhida") == []


def test_service_names_are_searched_and_refreshed():
    organisation = _org("若草区 健康づくり課")
    assert _found("産後ケア") == []
    Service.objects.create(organisation=organisation, name="産後ケア事業のご案内")
    search.organisations_search_refresh(organisation_ids=[organisation.pk])
    assert _found("産後ケア") == ["若草区 健康づくり課"]


def test_bulk_refresh_writes_only_what_changed(django_assert_num_queries):
    first = _org("ひだまりサロン")
    # Written without the key, as a bulk write or an old row would be.
    second = Organisation.objects.create(name="あおばサロン", kind=Organisation.Kind.SALON)
    assert second.search_text == ""
    assert search.organisations_search_refresh() == 1
    second.refresh_from_db()
    assert second.search_text == "あおばさろん"
    # Nothing stale: ids, services and organisations are read, nothing is written.
    with django_assert_num_queries(3):
        assert search.organisations_search_refresh() == 0
    first.refresh_from_db()
    assert first.search_text == "ひだまりさろん"


def test_the_key_of_an_unsaved_organisation_has_no_services():
    organisation = Organisation(name="ｻﾛﾝ", reading="さろん", name_en="Salon")
    assert search.organisation_search_key(organisation) == "さろん\nsalon"


def test_directory_page_searches_the_key(client):
    client.force_login(factories.user())
    _org("ｻﾝｺﾞｹｱ ひばり")
    _org("桜台子育てサロン")
    html = client.get(reverse("staff:organisation_list"), {"q": "さんごけあ"}).text
    assert "ｻﾝｺﾞｹｱ ひばり" in html and "桜台子育てサロン" not in html


def test_saving_in_the_admin_refreshes_the_key(admin_client):
    response = admin_client.post(
        reverse("organisation:add"),
        {
            "name": "ｻﾝｺﾞｹｱ ひばり",
            "reading": "さんごけあひばり",
            "kind": "npo",
            "visibility": "public",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation = Organisation.objects.get(name="ｻﾝｺﾞｹｱ ひばり")
    assert organisation.search_text == "さんごけあひばり"

    response = admin_client.post(
        reverse("service:add"),
        {
            "organisation": organisation.pk,
            "name": "産後ケア 宿泊型",
            "target_group": "children",
            "visibility": "public",
            "languages": "[]",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation.refresh_from_db()
    assert organisation.search_text == "さんごけあひばり\n産後けあ宿泊型"
