import datetime

import pytest
from wagtail.models import Site

from cms.models import HomePage
from conferences.models import Meeting, MeetingVisibility
from tests import factories

pytestmark = pytest.mark.django_db


def test_root_is_a_wagtail_home_page(client):
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    response = client.get("/")
    assert response.status_code == 200
    assert site.root_page.title in response.text


def test_home_page_lists_public_meetings_only(client):
    _, _, district = factories.area_tree()
    council = factories.organisation("ひばり野区社会福祉協議会")
    factories.meeting(
        area=district, organiser=council, title="地域ささえあいフォーラム",
        visibility=MeetingVisibility.PUBLIC, place="桜台地区会館",
    )  # fmt: skip
    factories.meeting(area=district, organiser=council, title="職員だけの会議")
    factories.meeting(
        area=district, organiser=council, title="中止になった講座",
        visibility=MeetingVisibility.PUBLIC, status=Meeting.Status.CANCELLED,
    )  # fmt: skip
    factories.meeting(
        area=district, organiser=council, title="去年のフォーラム",
        visibility=MeetingVisibility.PUBLIC, starts_in=-datetime.timedelta(days=365),
    )  # fmt: skip
    html = client.get("/").text
    assert "地域ささえあいフォーラム" in html and "桜台地区会館" in html
    assert "職員だけの会議" not in html
    assert "中止になった講座" not in html
    assert "去年のフォーラム" not in html
