"""The public site's pages: each type renders what residents rely on, in Japanese and English,
and nothing private reaches any of them."""

import re

import icalendar
import pytest
from django.urls import reverse
from django.utils import translation
from wagtail.models import Locale

from tests.cms.conftest import SECRETS

pytestmark = pytest.mark.django_db


def english(url: str) -> str:
    return "/en" + url


def japanese(msgid: str) -> str:
    """A label as Japanese pages show it (the catalogue's translation, once merged)."""
    with translation.override("ja"):
        return translation.gettext(msgid)


# Every page type renders


def test_every_page_type_renders_in_japanese(client, public_site):
    for label, url in public_site.urls().items():
        response = client.get(url)
        assert response.status_code == 200, label
        assert '<html lang="ja">' in response.text, label
        assert '<main id="main"' in response.text and 'class="skip-link"' in response.text
        assert "189" in response.text, f"{label}: no help lines"


def test_the_english_versions_render_in_english(client, public_site):
    pages = {
        "home": public_site.home_en.url,
        "centre": english(public_site.centre.url),
        "district": english(public_site.district_page.url),
        "directory": english(public_site.directory.url),
        "directory entry": english(f"{public_site.directory.url}o/{public_site.salon.uuid}/"),
        "events": english(public_site.events.url),
        "event": english(public_site.event.url),
        "news": english(public_site.news_item.url),
        "standard": english(public_site.standard.url),
    }
    assert pages["home"] == "/en/"
    for label, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (label, url)
        assert '<html lang="en">' in response.text, label
        assert "Child abuse hotline" in response.text, label
        assert "児童相談所虐待対応ダイヤル" not in response.text, label


def test_home_page_shows_what_to_do_news_events_and_public_meetings(client, public_site):
    html = client.get("/").text
    assert "<h1>ひばり野区 くらしの相談</h1>" in html
    assert "産後ケア事業のご案内" in html  # latest news
    assert "ママパパ学級" in html  # upcoming events
    assert "桜台ささえあいフォーラム" in html and "桜台地区会館" in html
    assert 'href="/centres/"' in html and 'href="/districts/"' in html  # navigation
    assert 'href="tel:189"' in html


def test_centre_page_publishes_each_item_of_the_guideline(client, public_site):
    html = client.get(public_site.centre.url).text
    # センターの役割, 相談を受け付ける場所, 対応日時, 対象者, 受け付ける相談内容, 対応にあたる専門職
    for heading in [
        "What the centre does",
        "Where to consult",
        "Opening days and hours",
        "Who it is for",
        "What you can consult about",
        "Who answers",
    ]:
        assert japanese(heading) in html, heading
    for value in ["平日 9:00〜17:00", "65歳以上の方", "保健師、社会福祉士", "個室で相談"]:
        assert value in html
    assert 'href="tel:03-0000-0000"' in html or 'href="tel:0300000000"' in html
    assert 'id="centre-map"' in html and "139.61" in html  # the map's point
    assert "leaflet.js" in html
    assert f"o/{public_site.centre.organisation.uuid}/" in html  # its directory entry


def test_district_page_lists_centres_resources_meetings_events_and_calendar(client, public_site):
    html = client.get(public_site.district_page.url).text
    assert "桜台ふれあい安心センター" in html
    assert "サロン" in html and "桜台ふれあいサロン" in html
    assert "桜台ささえあいフォーラム" in html
    assert "ママパパ学級" in html
    assert f'href="/calendar/area/{public_site.district.code}.ics"' in html


def test_directory_searches_forgiving_how_japanese_is_typed(client, public_site):
    url = public_site.directory.url
    for query in ["サロン", "さろん", "ｻﾛﾝ", "桜台　サロン"]:
        html = client.get(url, {"q": query}).text
        assert "桜台ふれあいサロン" in html, query
        assert "くらしサポート" not in html, query
    assert "桜台ふれあいサロン" not in client.get(url, {"q": "存在しない名前"}).text


def test_directory_filters_by_kind_category_target_and_district(client, public_site):
    url = public_site.directory.url
    assert "桜台ふれあいサロン" in client.get(url, {"kind": "salon"}).text
    assert "桜台ふれあいサロン" not in client.get(url, {"kind": "npo"}).text
    assert "桜台ふれあいサロン" in client.get(url, {"category": "salon"}).text
    assert "桜台ふれあいサロン" in client.get(url, {"area": public_site.district.code}).text
    html = client.get(url, {"q": "サロン", "kind": "bogus"}).text  # a bad choice is left out
    assert "桜台ふれあいサロン" in html
    assert 'value="サロン"' in html  # what the user typed stays in the box


def test_directory_answers_htmx_with_the_results_only(client, public_site):
    response = client.get(public_site.directory.url, {"q": "サロン"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="directory-results"' in response.text
    assert "<html" not in response.text and "<form" not in response.text


def test_each_public_organisation_has_a_stable_address(client, public_site):
    url = f"{public_site.directory.url}o/{public_site.salon.uuid}/"
    html = client.get(url).text
    assert "<h1>桜台ふれあいサロン</h1>" in html
    assert "ふれあいサロン" in html and "ひばり野区桜台一丁目1番1号" in html
    assert f'<link rel="canonical" href="http://testserver{url}">' in html
    assert f'hreflang="en" href="http://testserver/en{url}"' in html


def test_event_page_offers_an_ics_file(client, public_site):
    html = client.get(public_site.event.url).text
    assert f'href="{public_site.event.url}ics/"' in html
    response = client.get(f"{public_site.event.url}ics/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "ママパパ学級"
    assert event.decoded("DTSTART") == public_site.event.starts_at


def test_japanese_dates_are_in_wareki_with_the_western_year(client, public_site):
    html = client.get(public_site.news_item.url).text
    assert "令和8年（2026年）11月23日" in html
    html = client.get(english(public_site.news_item.url)).text
    assert "令和" not in html and "2026" in html


def test_standard_page_renders_its_blocks(client, public_site):
    html = client.get(public_site.standard.url).text
    assert "<h2>相談の流れ</h2>" in html
    assert "<li>電話する</li>" in html
    assert "<summary>無料ですか</summary>" in html
    assert 'class="notice notice--info"' in html


# Privacy


def test_no_private_record_reaches_any_public_page(client, public_site):
    urls = {**public_site.urls()}
    urls.update({f"en {label}": english(url) for label, url in public_site.urls().items()})
    urls["sitemap"] = "/sitemap.xml"
    for label, url in urls.items():
        response = client.get(url)
        if label.startswith("en ") and response.status_code == 404:
            continue  # a page with no English version
        assert response.status_code == 200, label
        for what, secret in SECRETS.items():
            assert secret not in response.text, f"{what} on {label} ({url})"
    # The places with a hidden address: no coordinates either.
    html = client.get(f"{public_site.directory.url}o/{public_site.shelter_org.uuid}/").text
    assert "139.7" not in html and "35.7," not in html
    assert japanese("Address not published") in html


def test_a_staff_only_organisation_has_no_public_address(client, public_site):
    response = client.get(f"{public_site.directory.url}o/{public_site.staff_org.uuid}/")
    assert response.status_code == 404
    assert SECRETS["staff-only organisation"] not in response.text


def test_filtering_by_district_does_not_place_an_organisation_by_its_hidden_address(
    client, public_site
):
    html = client.get(public_site.directory.url, {"area": public_site.district.code}).text
    assert "桜台くらしサポート" not in html


def test_the_sitemap_lists_both_languages_and_directory_entries(client, public_site):
    xml = client.get("/sitemap.xml").text
    locations = re.findall(r"<loc>https?://[^/<]+(/[^<]*)</loc>", xml)
    assert "/centres/sakuradai/" in locations
    assert "/en/centres/sakuradai/" in locations
    assert f"o/{public_site.salon.uuid}/" in xml
    assert str(public_site.staff_org.uuid) not in xml


def test_robots_txt_keeps_crawlers_out_of_staff_pages(client, db):
    text = client.get("/robots.txt").text
    assert "Disallow: /staff/" in text and "Disallow: /admin/" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


# Languages


def test_the_language_switch_links_to_the_page_translation(client, public_site):
    html = client.get(public_site.centre.url).text
    switch = re.search(r'<nav class="public-languages".*?</nav>', html, re.S).group(0)
    assert f'href="/en{public_site.centre.url}" lang="en"' in switch
    assert 'aria-current="true">日本語' in switch
    html = client.get(english(public_site.centre.url)).text
    switch = re.search(r'<nav class="public-languages".*?</nav>', html, re.S).group(0)
    assert f'href="{public_site.centre.url}" lang="ja"' in switch
    assert 'aria-current="true">English' in switch


def test_a_page_without_translation_links_to_that_language_home(client, public_site):
    html = client.get(public_site.news.url).text  # the news index has an English version …
    assert 'href="/en/news/"' in html
    from tests.cms.conftest import NewsPage, add

    only_japanese = add(public_site.news, NewsPage, title="日本語だけのお知らせ", slug="ja-only")
    html = client.get(only_japanese.url).text  # … this item has none
    switch = re.search(r'<nav class="public-languages".*?</nav>', html, re.S).group(0)
    assert 'href="/en/" lang="en"' in switch
    assert 'hreflang="en"' not in html.split("</head>")[0]


def test_staff_pages_keep_the_users_language_and_no_prefix(client, public_site):
    assert client.get(reverse("staff:login")).status_code == 200
    client.post(reverse("set_language"), {"language": "en"})
    html = client.get(reverse("staff:login")).text
    assert '<html lang="en">' in html
    # The public site's language is its address's, whatever the cookie says.
    assert '<html lang="ja">' in client.get("/").text
    assert client.get("/en/staff/login/").status_code == 404


def test_a_new_content_language_needs_only_its_locale(client, public_site, settings):
    """Adding 中文 (or 한국어, Tiếng Việt, Português) is a setting and a Wagtail locale; until a
    page is translated the switch offers that language's home page, or nothing."""
    languages = [*settings.LANGUAGES, ("zh-hans", "中文（简体）")]
    settings.LANGUAGES = languages
    settings.WAGTAIL_CONTENT_LANGUAGES = languages
    Locale.objects.create(language_code="zh-hans")
    html = client.get(public_site.centre.url).text
    switch = re.search(r'<nav class="public-languages".*?</nav>', html, re.S).group(0)
    assert "中文" not in switch  # no page in that language yet


# Error pages


def test_the_404_page_is_in_the_site_style(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'class="public-header"' in response.text
    assert "/static/css/public.css" in response.text


def test_the_500_page_renders_without_a_request_or_database(django_assert_num_queries):
    from django.template import loader

    with django_assert_num_queries(0):
        html = loader.get_template("500.html").render({})
    assert "189" in html and "public.css" in html


# Editing


def test_an_image_needs_alt_text_unless_it_is_decorative(settings, tmp_path):
    from django.core.exceptions import ValidationError
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    from cms.blocks import FigureBlock

    settings.MEDIA_ROOT = tmp_path
    image = Image.objects.create(title="相談室", file=get_test_image_file())
    block = FigureBlock()
    with pytest.raises(ValidationError):
        block.clean(block.to_python({"image": {"image": image.pk, "alt_text": ""}}))
    described = block.clean(
        block.to_python({"image": {"image": image.pk, "alt_text": "個室の相談室"}})
    )
    assert described["image"].contextual_alt_text == "個室の相談室"
    decorative = block.clean(
        block.to_python({"image": {"image": image.pk, "decorative": True, "alt_text": ""}})
    )
    assert decorative["image"].decorative


def test_a_staff_only_service_name_never_makes_an_organisation_match(client, public_site):
    html = client.get(public_site.directory.url, {"q": SECRETS["staff-only service"]}).text
    assert "桜台ふれあいサロン" not in html


def test_pages_carry_ogp_tags_a_canonical_address_and_their_language(client, public_site):
    html = client.get(public_site.news_item.url).text
    head = html.split("</head>")[0]
    assert '<meta property="og:type" content="article">' in head
    assert '<meta property="og:title" content="産後ケア事業のご案内">' in head
    assert '<meta property="og:locale" content="ja_JP">' in head
    assert f'<link rel="canonical" href="http://testserver{public_site.news_item.url}">' in head
    assert f'hreflang="en" href="http://testserver/en{public_site.news_item.url}"' in head
    head = client.get("/en" + public_site.news_item.url).text.split("</head>")[0]
    assert '<meta property="og:locale" content="en_US">' in head
    assert '<meta property="og:title" content="Postnatal care">' in head
