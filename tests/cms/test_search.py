"""Japanese search on the public site: the analyser, the Wagtail backend built on it (SQLite FTS5
or PostgreSQL, whichever the suite runs on), the ranking, the directory half and the page."""

import io
import itertools

import pytest
from django.core.management import call_command
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from cms import search
from cms.models import StandardPage
from cms.search_backend import index_tokens, normalise, query_clauses
from resources.models import Organisation, Visibility
from resources.search import organisations_search_refresh
from tests import factories

_slugs = itertools.count(1)


def _page(parent, title, intro="", *, live=True, **fields):
    page = StandardPage(title=title, intro=intro, slug=f"p{next(_slugs)}", live=live, **fields)
    parent.add_child(instance=page)
    if not live:
        page.unpublish()
    return page


def _titles(query, **kwargs):
    return [page.title for page in search.pages_search(query=query, **kwargs)]


# --- the analyser ---


def test_normalise_folds_widths_case_and_kana():
    assert normalise("ＳＯＳ") == "sos"
    assert normalise("ｻﾝｺﾞｹｱ") == "さんごけあ"
    assert normalise("サンゴケア") == normalise("さんごけあ")
    assert normalise("子育て　相談") == "子育て 相談"


def test_index_tokens_are_bigrams_of_wide_runs_and_whole_words():
    assert index_tokens("産後ケア") == ["産後", "後け", "けあ", "あ"]
    assert index_tokens("にんしんSOS（24時間）") == [
        "にん", "んし", "しん", "ん", "sos", "24", "時間", "間",
    ]  # fmt: skip
    assert index_tokens("区") == ["区"]
    assert index_tokens("「」、。！") == []


def test_query_clauses():
    assert query_clauses("産後ケア") == [("phrase", "産後 後け けあ")]
    assert query_clauses("子育て　相談") == [("phrase", "子育 育て"), ("phrase", "相談")]
    assert query_clauses("ＳＯＳ") == [("word", "sos")]
    assert query_clauses("区") == [("prefix", "区")]
    assert query_clauses("   ！？  ") == []
    assert len(query_clauses("あい" * 500)) == 1  # cut at MAX_QUERY_CHARS
    assert len(query_clauses("あい" * 500)[0][1].split()) < 64


# --- pages through Wagtail's search ---


@pytest.mark.django_db
def test_substring_inside_a_longer_title_is_found(home_page):
    _page(home_page, "産後ケア事業のご案内")
    _page(home_page, "介護予防サロン")
    assert _titles("産後ケア") == ["産後ケア事業のご案内"]


@pytest.mark.django_db
def test_half_width_katakana_finds_katakana_hiragana_and_readings(home_page):
    _page(home_page, "サンゴケアのご案内")
    _page(home_page, "さんごけあ教室")
    # Kanji have no reading of their own: editors give one in the search description.
    _page(home_page, "産後ケア事業", search_description="さんごけあ")
    _page(home_page, "産後の体操")
    assert sorted(_titles("ｻﾝｺﾞｹｱ")) == ["さんごけあ教室", "サンゴケアのご案内", "産後ケア事業"]


@pytest.mark.django_db
def test_full_width_latin_matches_half_width_and_inside_japanese(home_page):
    _page(home_page, "にんしんSOS わかくさ")
    _page(home_page, "ＳＯＳ：子どもの緊急連絡先")
    _page(home_page, "相談窓口の一覧")
    assert sorted(_titles("ＳＯＳ")) == ["にんしんSOS わかくさ", "ＳＯＳ：子どもの緊急連絡先"]
    assert sorted(_titles("sos")) == sorted(_titles("ＳＯＳ"))
    assert _titles("にんしんSOS") == ["にんしんSOS わかくさ"]


@pytest.mark.django_db
def test_full_width_space_requires_both_words(home_page):
    _page(home_page, "子育て相談のご案内")
    _page(home_page, "子育てひろば", "ひろばでは保育士に相談できます")
    _page(home_page, "子育てひろばの地図")
    _page(home_page, "介護の相談")
    assert sorted(_titles("子育て　相談")) == ["子育てひろば", "子育て相談のご案内"]


@pytest.mark.django_db
def test_hiragana_query_finds_katakana_text(home_page):
    _page(home_page, "ボランティア募集")
    _page(home_page, "ぼうさい訓練")
    assert _titles("ぼらんてぃあ") == ["ボランティア募集"]


@pytest.mark.django_db
def test_title_matches_rank_above_body_only_matches(home_page):
    # The body-only page says it three times and has a short title: relevance alone might put
    # it first; title matches come first all the same.
    _page(home_page, "お知らせ", "介護予防の教室。介護予防の体操。介護予防の相談。")
    _page(home_page, "地域の介護予防活動とボランティアのご紹介（令和8年度版）", "地域の活動です")
    _page(home_page, "介護予防教室", "")
    titles = _titles("介護予防")
    assert set(titles[:2]) == {
        "地域の介護予防活動とボランティアのご紹介（令和8年度版）",
        "介護予防教室",
    }
    assert titles[2] == "お知らせ"


@pytest.mark.django_db
def test_one_character_query(home_page):
    _page(home_page, "区役所のご案内")
    _page(home_page, "地区の窓口")  # 区 ends a run: found through the run's last character
    _page(home_page, "相談窓口")
    assert sorted(_titles("区")) == ["区役所のご案内", "地区の窓口"]


@pytest.mark.django_db
def test_no_false_positives_from_shared_characters(home_page):
    _page(home_page, "産業振興のお知らせ")  # 産 alone
    _page(home_page, "後期高齢者医療")  # 後 alone
    _page(home_page, "ケアマネジャーの探し方")  # ケア without 産後
    _page(home_page, "産後の体操とケアの話")  # 産後 and ケア, apart
    assert _titles("産後ケア") == []
    assert _titles("まったく関係のない言葉") == []
    assert _titles("！？") == []


@pytest.mark.django_db
def test_drafts_unpublished_and_private_pages_are_not_found(home_page):
    from wagtail.models import PageViewRestriction

    page = _page(home_page, "産後ケア事業のご案内")
    assert _titles("産後ケア") == ["産後ケア事業のご案内"]
    page.unpublish()
    assert _titles("産後ケア") == []

    draft = _page(home_page, "産前教室のご案内", live=False)
    assert _titles("産前教室") == []
    draft.save_revision().publish()
    assert _titles("産前教室") == ["産前教室のご案内"]

    restricted = _page(home_page, "職員向け産前教室メモ")
    PageViewRestriction.objects.create(
        page=restricted, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    assert _titles("産前教室") == ["産前教室のご案内"]


@pytest.mark.django_db
def test_publishing_a_changed_title_reindexes_it(home_page):
    page = _page(home_page, "お知らせ")
    page.title = "産後ケア事業を始めます"
    page.save_revision().publish()
    assert _titles("産後ケア") == ["産後ケア事業を始めます"]
    assert _titles("お知らせ") == []


@pytest.mark.django_db
def test_update_index_rebuilds_the_index(home_page):
    from wagtail.search.models import IndexEntry

    _page(home_page, "産後ケア事業のご案内")
    IndexEntry.objects.all().delete()
    assert _titles("産後ケア") == []
    call_command("update_index", stdout=io.StringIO())
    assert _titles("産後ケア") == ["産後ケア事業のご案内"]
    entry = IndexEntry.objects.filter(object_id=str(Page.objects.get(title__startswith="産後").pk))
    assert entry.exists()


@pytest.mark.django_db
def test_long_queries_are_cut_safely(home_page):
    _page(home_page, "産後ケア事業のご案内")
    assert _titles("産後ケア" + "あ" * 5000) == []
    query, cut = search.clean_query("産後ケア " + "x" * 5000)
    assert cut and len(query) == search.MAX_QUERY_LENGTH
    assert _titles(query) == []  # "xxxx…" is a required word that nothing has


@pytest.mark.django_db
def test_the_backend_is_the_japanese_one(home_page):
    backend = get_search_backend()
    assert type(backend).__module__ == "cms.search_backend"
    # Wagtail admin searches go through it too.
    _page(home_page, "産後ケア事業のご案内")
    found = backend.search("ｻﾝｺﾞｹｱ 事業", Page)
    assert list(found) == []
    assert [p.title for p in backend.search("産後ケア　事業", Page)] == ["産後ケア事業のご案内"]
    assert [p.title for p in backend.autocomplete("産後ケ", Page)] == ["産後ケア事業のご案内"]
    # Autocomplete (the admin's choosers) takes a last Latin word as the start of one.
    _page(home_page, "Wakakusa Ward: where to get help")
    assert [p.title for p in backend.autocomplete("wakak", Page)] == [
        "Wakakusa Ward: where to get help"
    ]
    assert list(backend.search("wakak", Page)) == []


# --- directory entries ---


def _organisation(name, *, reading="", visibility=Visibility.PUBLIC, services=()):
    organisation = factories.organisation(name, reading=reading, visibility=visibility)
    for service_name, service_visibility in services:
        organisation.services.create(name=service_name, visibility=service_visibility)
    organisations_search_refresh(organisation_ids=[organisation.pk])
    return organisation


@pytest.mark.django_db
def test_directory_finds_public_entries_only():
    _organisation("産後ケアハウスわかくさ", reading="さんごけあはうすわかくさ")
    _organisation("産後ケア職員連絡会", visibility=Visibility.STAFF)
    _organisation(
        "桜台ひろば",
        services=[("子育てひろば", Visibility.PUBLIC), ("産後ケア個別支援", Visibility.STAFF)],
    )
    _organisation(
        "若草助産院",
        services=[("産後ケア（日帰り）", Visibility.PUBLIC), ("秘密の相談", Visibility.STAFF)],
    )
    names = sorted(o.name for o in search.directory_search_queryset(query="産後ケア"))
    assert names == ["産後ケアハウスわかくさ", "若草助産院"]
    assert [o.name for o in search.directory_search_queryset(query="ｻﾝｺﾞｹｱﾊｳｽ")] == [
        "産後ケアハウスわかくさ"
    ]
    assert list(search.directory_search_queryset(query="秘密")) == []
    assert list(search.directory_search_queryset(query="   ")) == []


@pytest.mark.django_db
def test_site_search_orders_title_matches_then_names_then_the_rest(home_page):
    _page(home_page, "お知らせ", "産後ケアを始めました")
    _page(home_page, "産後ケア事業のご案内")
    _organisation("産後ケアハウスわかくさ")
    _organisation("若草助産院", services=[("産後ケア（日帰り）", Visibility.PUBLIC)])
    results = search.site_search(query="産後ケア")
    assert len(results) == 4 and results.page_count == 2 and results.directory_count == 2
    hits = [(hit.kind, str(hit.obj), hit.title_match) for hit in results[0:4]]
    assert hits == [
        ("page", "産後ケア事業のご案内", True),
        ("directory", "産後ケアハウスわかくさ", True),
        ("page", "お知らせ", False),
        ("directory", "若草助産院", False),
    ]
    assert [str(hit.obj) for hit in results[1:3]] == ["産後ケアハウスわかくさ", "お知らせ"]
    assert str(results[3].obj) == "若草助産院"


# --- highlighting ---


def test_highlight_marks_matches_in_the_original_text_and_escapes():
    assert (
        search.highlight("<b>ｻﾝｺﾞｹｱ</b>と産後ケア", "さんごけあ")
        == "&lt;b&gt;<mark>ｻﾝｺﾞｹｱ</mark>&lt;/b&gt;と産後ケア"
    )
    assert search.highlight("にんしんＳＯＳ", "sos") == "にんしん<mark>ＳＯＳ</mark>"
    assert search.highlight("子育て相談", "子育て　相談") == "<mark>子育て相談</mark>"


def test_snippet_is_cut_around_the_first_match():
    text = "あ" * 300 + "産後ケア" + "い" * 300
    result = search.snippet(text, "産後ケア")
    assert "<mark>産後ケア</mark>" in result
    assert result.startswith("…") and result.endswith("…")
    assert len(result) < search.SNIPPET_CHARS + 30


# --- the page ---


def _status(html):
    """The numbers in the results' status line: "total (pages, directory entries)"."""
    import re

    text = html.split('role="status"')[1].split("</p>")[0]
    numbers = re.findall(r"\d+", text)
    return f"{numbers[0]} ({numbers[1]}, {numbers[2]})" if len(numbers) == 3 else numbers[0]


@pytest.mark.django_db
def test_search_page_lists_pages_and_entries_with_count(client, home_page):
    _page(home_page, "産後ケア事業のご案内", "出産後のお母さんの休息と育児相談")
    _organisation("産後ケアハウスわかくさ")
    _organisation("産後ケア職員連絡会", visibility=Visibility.STAFF)
    _organisation(
        "若草助産院",
        services=[
            ("産後ケア（日帰り）", Visibility.PUBLIC),
            ("ないしょの産後ケア", Visibility.STAFF),
        ],
    )
    response = client.get("/search/", {"q": "産後ケア"})
    assert response.status_code == 200
    html = response.text
    assert 'role="search"' in html and '<label for="search-q"' in html
    assert _status(html) == "3 (1, 2)"
    assert "<mark>産後ケア</mark>事業のご案内" in html
    assert "産後ケアハウスわかくさ" not in html  # highlighted: split by <mark>
    assert "<mark>産後ケア</mark>ハウスわかくさ" in html
    assert "職員連絡会" not in html
    # A directory entry found through a public service says so; never through a hidden one.
    assert "<mark>産後ケア</mark>（日帰り）" in html
    assert "ないしょの産後ケア" not in html
    assert "産後ケア" in response.text.split("<title>")[1].split("</title>")[0]


@pytest.mark.django_db
def test_empty_or_blank_query_shows_the_form_with_a_hint(client, home_page):
    for params in ({}, {"q": ""}, {"q": "　 \t"}):
        response = client.get("/search/", params)
        assert response.status_code == 200
        assert 'name="q"' in response.text
        assert "介護予防" in response.text  # the hint's examples
        assert "search-count" not in response.text


@pytest.mark.django_db
def test_punctuation_only_and_very_long_queries_answer_normally(client, home_page):
    assert client.get("/search/", {"q": "！？「」"}).status_code == 200
    response = client.get("/search/", {"q": "産後" * 3000})
    assert response.status_code == 200
    assert "始まりの部分" in response.text or "only its beginning" in response.text


@pytest.mark.django_db
def test_search_page_in_english(client, home_page):
    _page(home_page, "産後ケア事業のご案内")
    organisation = _organisation("若草助産院", services=[("産後ケア", Visibility.PUBLIC)])
    Organisation.objects.filter(pk=organisation.pk).update(name_en="Wakakusa Midwifery Home")
    response = client.get("/en/search/", {"q": "産後ケア"})
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "2 results" in response.text
    assert "<h3>Wakakusa Midwifery Home</h3>" in response.text
    assert "若草助産院" in response.text  # beside, in the snippet
    assert "Results for" in response.text


@pytest.mark.django_db
def test_search_page_pagination_keeps_the_query(client, home_page):
    for number in range(25):
        _page(home_page, f"介護予防教室 その{number + 1}")
    first = client.get("/search/", {"q": "介護予防"}).text
    assert _status(first) == "25 (25, 0)"
    assert "?q=%E4%BB%8B%E8%AD%B7%E4%BA%88%E9%98%B2&amp;page=2" in first
    second = client.get("/search/", {"q": "介護予防", "page": 2}).text
    assert second.count('class="search-hit ') == 5
    assert 'start="21"' in second


@pytest.mark.django_db
def test_htmx_gets_the_results_part_only(client, home_page):
    _page(home_page, "産後ケア事業のご案内")
    response = client.get("/search/", {"q": "産後ケア"}, headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<section id="search-results"')
    assert "<html" not in response.text


@pytest.mark.django_db
def test_search_page_never_shows_private_records(client, home_page, make_user):
    from wagtail.models import PageViewRestriction

    directory = factories.export_directory()
    organisations_search_refresh()
    lead = directory.salon
    factories.case(district=directory.areas.sakuradai, lead=lead, code="K-77777")
    restricted = _page(home_page, "会員限定サロンの記録", "桜台ふれあいサロンの職員メモ")
    PageViewRestriction.objects.create(page=restricted, restriction_type="login")
    _page(home_page, "会員制サークルの下書き", live=False)

    def shown(query):
        html = client.get("/search/", {"q": query}).text
        return html.split('id="search-results"')[1]

    # The shelter is public and found, but never with its hidden place.
    results = shown("一時避難")
    assert "一時避難ハウス" in results.replace("<mark>", "").replace("</mark>", "")
    assert "ひみつ荘" not in results and "柏木九丁目" not in results
    for query in ("ひみつ荘", "柏木九丁目", "154-0099"):
        assert "search-hit" not in shown(query)
    # Staff-only organisations, staff-only services, drafts, restricted pages, cases: nothing.
    for query in ("会員制サークル", "親子あそび", "会員限定", "職員メモ", "K-77777", "下書き"):
        assert "search-hit" not in shown(query), query
    # A public organisation is not found through its staff-only service's name.
    assert "search-hit" not in shown("見守り")
    assert "桜台ふれあいサロン" in shown("ふれあいサロン").replace("<mark>", "").replace(
        "</mark>", ""
    )


@pytest.mark.django_db
def test_numbers_inside_japanese_are_words(home_page):
    _page(home_page, "児童相談所虐待対応ダイヤル「189」")
    _page(home_page, "1890年の記録")
    assert _titles("１８９") == ["児童相談所虐待対応ダイヤル「189」"]


@pytest.mark.django_db
def test_wagtail_admin_page_search_finds_japanese(client, home_page, django_user_model):
    _page(home_page, "産後ケア事業のご案内")
    _page(home_page, "介護予防教室")
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.jp", "pw"))
    response = client.get("/admin/pages/search/", {"q": "ｻﾝｺﾞｹｱ事業"})
    assert response.status_code == 200
    response = client.get("/admin/pages/search/", {"q": "産後ケア"})
    assert "産後ケア事業のご案内" in response.text
    assert "介護予防教室" not in response.text


@pytest.mark.django_db
def test_directory_hits_link_to_their_public_entry(client, home_page):
    from cms.models import DirectoryPage

    directory = DirectoryPage(title="地域資源をさがす", slug="directory")
    home_page.add_child(instance=directory)
    organisation = _organisation("産後ケアハウスわかくさ")
    html = client.get("/search/", {"q": "産後ケア"}).text
    assert f'href="/directory/o/{organisation.uuid}/"' in html
    assert client.get(f"/directory/o/{organisation.uuid}/").status_code == 200
