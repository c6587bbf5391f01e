import pytest
from django.urls import reverse

from districts.models import Area
from tests import factories

pytestmark = pytest.mark.django_db


def test_area_list_shows_the_tree_with_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    city, region, district = factories.area_tree()
    for n in range(2, 12):
        Area.objects.create(level=Area.Level.DISTRICT, parent=region, code=f"X{n}", name=f"地区{n}")
    factories.issue(area=district)
    client.force_login(factories.user())
    with django_assert_max_num_queries(6):
        html = client.get(reverse("staff:area_list")).text
    assert city.name in html and region.name in html and "地区11" in html
    assert reverse("staff:area_detail", args=[district.code]) in html


def test_area_detail_shows_breadcrumbs_chome_and_issues(client):
    city, region, district = factories.area_tree()
    factories.issue(area=district, title="買い物に行けない高齢者が多い")
    factories.issue(area=region, title="地域全体の課題")
    client.force_login(factories.user())
    html = client.get(reverse("staff:area_detail", args=[district.code])).text
    assert reverse("staff:area_detail", args=[city.code]) in html
    assert reverse("staff:area_detail", args=[region.code]) in html
    assert "桜台一丁目" in html
    assert "買い物に行けない高齢者が多い" in html
    assert "地域全体の課題" not in html


def test_unknown_area_is_404(client):
    client.force_login(factories.user())
    assert client.get(reverse("staff:area_detail", args=["nope"])).status_code == 404


def test_staff_pages_require_login(client):
    for name in ["staff:dashboard", "staff:area_list", "staff:organisation_list",
                 "staff:meeting_list", "staff:case_list", "staff:my_schedule"]:  # fmt: skip
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("staff:login"))
