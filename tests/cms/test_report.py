"""Residents report a correction from an entry's public page: the form keeps what was typed on a
bad submission, a honeypot drops bots' reports, a per-address limit (in the database) stops a
flood, and a good report lands in the keeper's queue."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from resources import stewardship
from resources.models import CorrectionReport, Organisation
from tests import factories

pytestmark = pytest.mark.django_db


def _url(organisation, language="ja"):
    with translation.override(language):
        return reverse("directory_report", args=[organisation.uuid])


def test_the_public_entry_shows_last_verified_on_and_links_to_the_form(client, public_site):
    salon = public_site.salon
    Organisation.objects.filter(pk=salon.pk).update(last_verified_on=datetime.date(2026, 4, 1))
    html = client.get(f"{public_site.directory.url}o/{salon.uuid}/").text
    assert "令和8年（2026年）4月1日" in html
    assert f'href="{_url(salon)}"' in html


def test_the_form_page_is_not_cached_and_has_the_honeypot(client, public_site):
    response = client.get(_url(public_site.salon, "en"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "X-Page-Cache" not in response
    assert "Report a correction: 桜台ふれあいサロン" in response.text
    assert 'name="homepage"' in response.text and 'tabindex="-1"' in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text


def test_a_bad_submission_keeps_what_was_typed_with_specific_errors(client, public_site):
    response = client.post(
        _url(public_site.salon, "en"),
        {"message": "", "contact": "taro@example.jp"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Tell us what is wrong with this entry." in response.text
    assert 'value="taro@example.jp"' in response.text
    response = client.post(
        _url(public_site.salon, "en"), {"message": "x" * 2001}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Please keep it to 2000 characters (it has 2001)." in response.text
    assert "x" * 2001 in response.text
    assert not CorrectionReport.objects.exists()


def test_a_good_report_lands_in_the_keepers_queue(client, public_site):
    council = factories.organisation("ひばり野区社会福祉協議会", kind="welfare_council")
    Organisation.objects.filter(pk=public_site.salon.pk).update(keeper_organisation=council)
    response = client.post(
        _url(public_site.salon),
        {"message": "電話番号が03-1111-2222に変わりました", "contact": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == _url(public_site.salon) + "?sent=1"
    thanks = client.get(response["Location"]).text
    assert "ありがとうございます" in thanks or "Thank you" in thanks
    report = CorrectionReport.objects.get()
    assert report.organisation == public_site.salon
    assert report.client_key and "127.0.0.1" not in report.client_key

    keeper = factories.user("keeper", organisations=[council])
    client.force_login(keeper)
    html = client.get(reverse("staff:stewardship_queue"), HTTP_ACCEPT_LANGUAGE="en").text
    assert "電話番号が03-1111-2222に変わりました" in html
    response = client.post(
        reverse("staff:stewardship_report_close", args=[report.uuid]),
        {"resolution": "電話番号を直しました"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == CorrectionReport.Status.CLOSED and report.closed_by == keeper
    assert report.resolution == "電話番号を直しました"


def test_a_filled_honeypot_is_thanked_and_dropped(client, public_site):
    response = client.post(
        _url(public_site.salon),
        {"message": "Cheap watches http://spam.example", "homepage": "http://spam.example"},
    )
    assert response.status_code == 302
    assert not CorrectionReport.objects.exists()


@override_settings(DIRECTORY_REPORTS_PER_HOUR=2)
def test_reports_are_limited_per_client_address(client, public_site):
    url = _url(public_site.salon, "en")
    for n in range(2):
        assert client.post(url, {"message": f"住所が違います {n}"}).status_code == 302
    response = client.post(
        url, {"message": "三件目の報告です", "contact": "090-0000-0000"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 429
    assert "several reports from your connection" in response.text
    assert "三件目の報告です" in response.text and 'value="090-0000-0000"' in response.text
    assert CorrectionReport.objects.count() == 2
    # Another address is not limited; and after an hour this one may report again.
    other = client.post(url, {"message": "別の人の報告"}, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302
    CorrectionReport.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=61))
    assert client.post(url, {"message": "一時間後の報告"}).status_code == 302


def test_the_limit_is_kept_in_the_database_whatever_the_process():
    key = stewardship.client_key("198.51.100.1")
    salon = factories.organisation("サロン")
    with override_settings(DIRECTORY_REPORTS_PER_HOUR=1):
        stewardship.report_create(organisation=salon, message="一件目", key=key)
        with pytest.raises(stewardship.RateLimited):
            stewardship.report_create(organisation=salon, message="二件目", key=key)


def test_a_staff_only_entry_has_no_report_form(client, public_site):
    assert client.get(_url(public_site.staff_org)).status_code == 404
    assert client.post(_url(public_site.staff_org), {"message": "報告です"}).status_code == 404
    assert not CorrectionReport.objects.exists()


@override_settings(DIRECTORY_REPORTS_PER_HOUR=1, TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_the_limit_counts_the_forwarded_client_address(client, public_site):
    url = _url(public_site.salon)
    # Two residents behind the same load balancer are two clients...
    first = client.post(url, {"message": "報告その一"}, HTTP_X_FORWARDED_FOR="203.0.113.1")
    second = client.post(url, {"message": "報告その二"}, HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert (first.status_code, second.status_code) == (302, 302)
    # ...and a forged entry on the left does not make a new client.
    forged = client.post(
        url, {"message": "報告その三"}, HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.1"
    )
    assert forged.status_code == 429
    assert CorrectionReport.objects.count() == 2
