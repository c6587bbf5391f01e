"""The staff upload page for population figures: who may use it, and the report it shows."""

import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from districts.models import PopulationFigure
from districts.population import MAX_UPLOAD_BYTES
from tests import factories

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
URL = reverse("staff:population_upload")


@pytest.fixture
def steward(client):
    """A logged-in user allowed to import figures, reading the site in English."""
    person = factories.user()
    person.user_permissions.add(Permission.objects.get(codename="add_populationfigure"))
    client.force_login(person)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    factories.population_tree()
    return client


def upload(name, content=None):
    return SimpleUploadedFile(name, content if content is not None else (DATA / name).read_bytes())


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("staff:login") in response["Location"]


def test_staff_without_the_permission_are_refused(client):
    client.force_login(factories.user())
    assert client.get(URL).status_code == 403


def test_the_form_starts_as_a_dry_run(steward):
    html = steward.get(URL).text
    assert 'enctype="multipart/form-data"' in html
    assert 'name="dry_run" id="id_dry_run" checked' in html


def test_dry_run_shows_the_report_writes_nothing_and_keeps_the_choice(steward):
    response = steward.post(URL, {"file": upload("population_standard.csv"), "dry_run": "on"})
    html = response.text
    assert "Dry run: what the import would change" in html
    assert "8 rows read: 6 new, 0 changed, 0 unchanged." in html
    assert html.count('data-status="new"') == 6
    assert 'name="dry_run" id="id_dry_run" checked' in html
    assert not PopulationFigure.objects.exists()


def test_import_writes_and_reports(steward):
    html = steward.post(URL, {"file": upload("population_standard.csv")}).text
    assert "216 figures written." in html
    assert 'name="dry_run" id="id_dry_run" checked' not in html
    assert PopulationFigure.objects.count() == 216
    assert reverse("staff:area_detail", args=["D2"]) in html


def test_a_bad_file_lists_every_problem_and_writes_nothing(steward):
    html = steward.post(URL, {"file": upload("population_bad_rows.csv")}).text
    assert "The file was rejected: 7 problems. Nothing was written." in html
    assert (
        "<td>3</td><td>地域名</td><td>No area or 町丁目 called 「存在しない町」 is known.</td>"
        in html
    )
    assert "<td>4</td><td>5-9歳の女性</td><td>A count cannot be negative.</td>" in html
    assert not PopulationFigure.objects.exists()


def test_estat_with_a_survey_date_typed_in_wareki_and_excel(steward):
    steward.post(
        URL, {"file": upload("population_estat_chome.csv"), "surveyed_on": "令和6年10月1日"}
    )
    assert set(PopulationFigure.objects.values_list("surveyed_on", flat=True)) == {
        datetime.date(2024, 10, 1)
    }
    steward.post(URL, {"file": upload("population_standard.xlsx")})
    assert PopulationFigure.objects.filter(surveyed_on="2026-04-01").count() == 2 * 18 * 2


def test_files_over_the_limit_are_refused_with_the_limit_named(steward):
    big = upload("big.csv", b"x" * (MAX_UPLOAD_BYTES + 1))
    html = steward.post(URL, {"file": big, "dry_run": "on"}).text
    assert "The file is 10.0 MB; files of up to 10 MB can be imported." in html
    assert 'name="dry_run" id="id_dry_run" checked' in html


def test_other_kinds_of_file_and_bad_dates_are_refused(steward):
    html = steward.post(
        URL, {"file": upload("figures.pdf", b"%PDF-1.4"), "surveyed_on": "someday"}
    ).text
    assert "Upload a CSV file (.csv) or an Excel workbook (.xlsx)." in html
    assert "「someday」 is not a date" in html


def test_htmx_gets_only_the_form_and_report(steward):
    response = steward.post(
        URL, {"file": upload("population_standard.csv"), "dry_run": "on"}, HTTP_HX_REQUEST="true"
    )
    html = response.text
    assert html.lstrip().startswith('<div id="population-import">')
    assert "<html" not in html and "6 new" in html
