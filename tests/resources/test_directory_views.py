import datetime

import pytest
from django.urls import reverse

from resources.models import Organisation, Visibility
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(factories.user())
    return client


def test_search_ignores_full_and_half_width(staff):
    factories.organisation("にんしんSOSひばり野", kind=Organisation.Kind.NPO)
    factories.organisation("桜台子育てサロン", kind=Organisation.Kind.PARENTING_CIRCLE)
    html = staff.get(reverse("staff:organisation_list"), {"q": "ＳＯＳ"}).text
    assert "にんしんSOSひばり野" in html
    assert "桜台子育てサロン" not in html


def test_search_matches_the_reading(staff):
    factories.organisation("桜台子育てサロン", reading="さくらだいこそだてさろん")
    html = staff.get(reverse("staff:organisation_list"), {"q": "さくらだい"}).text
    assert "桜台子育てサロン" in html


def test_staff_directory_includes_staff_only_entries(staff):
    factories.organisation("非公開のシェルター", visibility=Visibility.STAFF)
    assert "非公開のシェルター" in staff.get(reverse("staff:organisation_list")).text


def test_kind_and_area_filters(staff):
    _, _, district = factories.area_tree()
    serving = factories.organisation("桜台の町会", kind=Organisation.Kind.NEIGHBOURHOOD)
    serving.areas_served.add(district)
    factories.organisation("よその町会", kind=Organisation.Kind.NEIGHBOURHOOD)
    factories.organisation("桜台の病院", kind=Organisation.Kind.MEDICAL).areas_served.add(district)
    url = reverse("staff:organisation_list")
    html = staff.get(url, {"kind": "neighbourhood", "area": district.code}).text
    assert "桜台の町会" in html
    assert "よその町会" not in html and "桜台の病院" not in html


def test_htmx_request_gets_only_the_results_fragment(staff):
    factories.organisation("桜台子育てサロン")
    response = staff.get(
        reverse("staff:organisation_list"), {"q": "桜台"}, headers={"HX-Request": "true"}
    )
    assert 'id="results"' in response.text
    assert "<html" not in response.text and "<form" not in response.text
    assert "桜台子育てサロン" in response.text


def test_paging_keeps_the_filters(staff):
    for n in range(55):
        factories.organisation(f"町会{n:02d}", kind=Organisation.Kind.NEIGHBOURHOOD)
    html = staff.get(
        reverse("staff:organisation_list"), {"kind": "neighbourhood", "q": "町会"}
    ).text
    assert "page=2&amp;q=%E7%94%BA%E4%BC%9A&amp;kind=neighbourhood" in html


def test_organisation_page_shows_services_and_locations(staff):
    org = factories.organisation("桜台子育てひろば")
    service = org.services.create(name="親子ひろば")
    service.schedules.create(
        rrule="FREQ=WEEKLY;BYDAY=WE", opens_at=datetime.time(10), closes_at=datetime.time(12)
    )
    org.locations.create(
        address="ひばり野区桜台一丁目2-3", postal_code="150-0001", hide_address=True
    )
    html = staff.get(reverse("staff:organisation_detail", args=[org.uuid])).text
    assert "親子ひろば" in html and "10:00–12:00" in html
    assert "桜台一丁目2-3" in html  # staff see hidden addresses
