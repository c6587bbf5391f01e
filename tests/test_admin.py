"""Reference data is kept in Wagtail's admin; case data is not reachable there."""

import pytest
from django.urls import NoReverseMatch, reverse

from districts.models import Area
from tests import factories

pytestmark = pytest.mark.django_db

VIEWSETS = [
    "area",
    "chome",
    "organisation",
    "service",
    "location",
    "membership",
    "meetingseries",
]


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(
        django_user_model.objects.create_superuser("root", "root@example.jp", "long-password-1")
    )
    return client


@pytest.mark.parametrize("name", VIEWSETS)
def test_every_reference_listing_and_form_opens(admin_client, name):
    factories.area_tree()
    assert admin_client.get(reverse(f"{name}:index")).status_code == 200
    assert admin_client.get(reverse(f"{name}:add")).status_code == 200


def test_area_listing_searches_names(admin_client):
    _, region, _ = factories.area_tree()
    Area.objects.create(level=Area.Level.DISTRICT, parent=region, code="WK", name="若葉")
    html = admin_client.get(reverse("area:index"), {"q": "桜台"}).text
    assert "桜台" in html and "若葉" not in html


def test_keeper_adds_an_area_in_the_admin(admin_client):
    city, _, _ = factories.area_tree()
    response = admin_client.post(
        reverse("area:add"),
        {"parent": city.pk, "level": "region", "code": "NEW-R", "name": "南地域", "reading": ""},
    )
    assert response.status_code == 302
    assert Area.objects.get(code="NEW-R").parent == city


def test_case_data_and_issue_histories_have_no_admin_screens():
    # Cases are read only where access is checked and audited; issues change only through their
    # status flow, which keeps the history.
    for name in ["case", "caserole", "auditevent", "districtissue"]:
        with pytest.raises(NoReverseMatch):
            reverse(f"{name}:index")


def test_staff_without_admin_rights_cannot_open_reference_admin(client):
    client.force_login(factories.user())
    response = client.get(reverse("organisation:index"))
    assert response.status_code in (302, 403)
