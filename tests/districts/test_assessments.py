"""地区アセスメント: saving with revisions, refusing stale saves, and editing in place with htmx and
without JavaScript."""

import datetime
import json

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from districts import selectors, services
from districts.models import Assessment, AssessmentRevision
from tests import factories

pytestmark = pytest.mark.django_db
YEAR = 2025


@pytest.fixture(autouse=True)
def english(client):
    """Messages are checked in the source language, whatever the catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def district():
    return factories.area_tree()[2]


@pytest.fixture
def sato():
    return factories.user("sato", first_name="花子", last_name="佐藤")


@pytest.fixture
def tanaka():
    return factories.user("tanaka", first_name="一郎", last_name="田中")


@pytest.fixture
def staff(client, sato):
    client.force_login(sato)
    return client


def save(area, user, version, **texts):
    return services.assessment_save(
        area=area, year=YEAR, user=user, expected_version=version, **texts
    )


def edit_url(area, year=YEAR):
    return reverse("staff:assessment_edit", args=[area.code, year])


def detail_url(area, year=YEAR):
    return reverse("staff:assessment_detail", args=[area.code, year])


def form_data(version, **texts):
    return {
        "strengths": "",
        "challenges": "",
        "notes": "",
        "participants": "",
        "version": version,
    } | texts


HTMX = {"HX-Request": "true"}


# --- Service ----------------------------------------------------------------------------------


def test_first_save_is_revision_one_and_each_change_adds_one(district, sato, tanaka):
    first = save(district, sato, 0, strengths="町会の見守りが活発", participants="社協\r\n包括")
    assert (first.version, first.updated_by) == (1, sato)
    assert first.participants == "社協\n包括"  # one line ending, whatever the browser sent

    second = save(district, tanaka, 1, strengths="町会の見守りが活発", challenges="坂が多い")
    assert second.pk == first.pk and second.version == 2 and second.updated_by == tanaka

    revisions = list(AssessmentRevision.objects.order_by("version"))
    assert [(r.version, r.saved_by, r.challenges) for r in revisions] == [
        (1, sato, ""),
        (2, tanaka, "坂が多い"),
    ]
    assert revisions[0].participants == "社協\n包括"
    assert all(r.saved_at is not None for r in revisions)


def test_saving_unchanged_text_writes_no_revision(district, sato):
    save(district, sato, 0, notes="地区懇談会")
    again = save(district, sato, 1, notes="地区懇談会\r\n")
    assert again.version == 1 and AssessmentRevision.objects.count() == 1


def test_a_save_from_an_old_version_is_refused_with_what_is_stored(district, sato, tanaka):
    save(district, sato, 0, strengths="最初")
    save(district, tanaka, 1, strengths="田中の版")
    with pytest.raises(services.EditConflict) as error:
        save(district, sato, 1, strengths="佐藤の版")
    assert error.value.current.strengths == "田中の版" and error.value.current.version == 2
    assert "田中" in error.value.message
    stored = Assessment.objects.get()
    assert stored.strengths == "田中の版" and stored.revisions.count() == 2


def test_creating_a_year_someone_else_created_first_is_refused(district, sato, tanaka):
    save(district, tanaka, 0, strengths="先に作成")
    with pytest.raises(services.EditConflict) as error:
        save(district, sato, 0, strengths="後から作成")
    assert error.value.current.strengths == "先に作成"
    assert Assessment.objects.count() == 1


def test_years_are_separate(district, sato):
    save(district, sato, 0, strengths="2025年度")
    services.assessment_save(
        area=district, year=YEAR + 1, user=sato, expected_version=0, strengths="2026年度"
    )
    assert selectors.assessment_years(area=district) == [YEAR + 1, YEAR]
    assert selectors.assessment_for(area=district, year=YEAR).strengths == "2025年度"
    assert selectors.assessment_for(area=district, year=YEAR - 1) is None


@pytest.mark.parametrize(
    ("day", "year"),
    [(datetime.date(2026, 3, 31), 2025), (datetime.date(2026, 4, 1), 2026)],
)
def test_the_default_year_is_the_fiscal_year(day, year):
    assert selectors.assessment_default_year(today=day) == year


# --- The include on the area page -------------------------------------------------------------


def test_include_needs_only_area_year_and_assessment(district, sato):
    request = RequestFactory().get(f"/staff/areas/{district.code}/")
    request.user = sato
    html = render_to_string(
        "districts/includes/assessment.html",
        {"area": district, "year": YEAR, "assessment": None},
        request=request,
    )
    target = f"{edit_url(district)}?next=/staff/areas/{district.code}/"
    assert f'href="{target}"' in html and f'hx-get="{target}"' in html
    assert f'hx-target="#assessment-{YEAR}"' in html and f'id="assessment-{YEAR}"' in html
    assert "No assessment for this year yet." in html

    assessment = save(district, sato, 0, strengths="通いの場が多い")
    html = render_to_string(
        "districts/includes/assessment.html",
        {"area": district, "year": YEAR, "assessment": assessment},
        request=request,
    )
    assert "通いの場が多い" in html and "佐藤" in html and "Version 1" in html


# --- In-place editing -------------------------------------------------------------------------


def test_edit_page_works_without_javascript(staff, district, sato):
    save(district, sato, 0, strengths="商店街の協力")
    response = staff.get(edit_url(district), {"next": "/staff/areas/x/"})
    html = response.text
    assert response.status_code == 200 and "<html" in html
    assert f'action="{edit_url(district)}"' in html and 'method="post"' in html
    assert 'name="version" value="1"' in html and "商店街の協力" in html
    assert 'name="next" value="/staff/areas/x/"' in html


def test_htmx_edit_link_gets_the_form_in_place(staff, district):
    response = staff.get(edit_url(district), headers=HTMX)
    html = response.text
    assert "<html" not in html
    assert html.lstrip().startswith(f'<section id="assessment-{YEAR}"')
    assert 'name="version" value="0"' in html and f'hx-post="{edit_url(district)}"' in html


def test_htmx_save_returns_the_section_and_keeps_a_revision(staff, district, sato):
    response = staff.post(
        edit_url(district),
        form_data(0, strengths="子育てサークルが多い", participants="まちづくりセンター"),
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and f'id="assessment-{YEAR}"' in html
    assert "子育てサークルが多い" in html and "<textarea" not in html
    assert "assessmentSaved" in json.loads(response.headers["HX-Trigger"])
    (revision,) = AssessmentRevision.objects.all()
    assert revision.version == 1 and revision.saved_by == sato


def test_plain_post_redirects_to_where_the_user_came_from(staff, district):
    area_page = reverse("staff:area_detail", args=[district.code])
    response = staff.post(edit_url(district), form_data(0, notes="メモ") | {"next": area_page})
    assert response.status_code == 302 and response.url == area_page
    assert Assessment.objects.get().notes == "メモ"

    response = staff.post(edit_url(district), form_data(1, notes="メモ2"))
    assert response.status_code == 302 and response.url == detail_url(district)

    response = staff.post(
        edit_url(district), form_data(2, notes="メモ3") | {"next": "https://evil.example/"}
    )
    assert response.url == detail_url(district)


def test_empty_form_is_refused(staff, district):
    response = staff.post(edit_url(district), form_data(0), headers=HTMX)
    assert response.status_code == 200
    assert "Write at least one of" in response.text
    assert not Assessment.objects.exists()


def test_stale_save_keeps_the_typed_text_and_shows_what_is_stored(staff, district, tanaka):
    save(district, tanaka, 0, strengths="田中の最初の版")
    save(district, tanaka, 1, strengths="田中が直した版")

    for headers in ({}, HTMX):
        response = staff.post(
            edit_url(district),
            form_data(1, strengths="佐藤が書いた版", notes="佐藤のメモ"),
            headers=headers,
        )
        assert response.status_code == 200
        html = response.text
        assert "Someone else saved this assessment" in html
        assert "佐藤が書いた版" in html and "佐藤のメモ" in html  # what the user typed
        assert "田中が直した版" in html  # what is stored now
        assert 'name="version" value="2"' in html
    assert Assessment.objects.get().strengths == "田中が直した版"

    # Having seen both, the user saves again on purpose: now it goes through.
    response = staff.post(
        edit_url(district), form_data(2, strengths="佐藤が書いた版"), headers=HTMX
    )
    assert "佐藤が書いた版" in response.text
    assert Assessment.objects.get().version == 3


def test_creating_a_new_year_twice_is_refused_the_second_time(staff, district, tanaka):
    save(district, tanaka, 0, strengths="田中が先に作った")
    response = staff.post(edit_url(district), form_data(0, strengths="佐藤の新規"), headers=HTMX)
    html = response.text
    assert "Someone else saved this assessment" in html
    assert "田中が先に作った" in html and "佐藤の新規" in html
    assert Assessment.objects.get().strengths == "田中が先に作った"


def test_history_lists_every_revision_with_who_and_when(staff, district, sato, tanaka):
    save(district, sato, 0, strengths="版1")
    save(district, tanaka, 1, strengths="版2")
    html = staff.get(detail_url(district)).text
    assert 'id="assessment-history"' in html
    history = html[html.index('id="assessment-history"') :]
    assert "Version 2" in history and "Version 1" in history
    assert history.index("田中") < history.index("佐藤")  # newest first
    assert "版1" in history  # each revision's text is there to read

    # After an in-place save the history section reloads itself through htmx.
    response = staff.get(detail_url(district), headers=HTMX | {"HX-Target": "assessment-history"})
    assert response.text.lstrip().startswith('<section id="assessment-history"')
    response = staff.get(detail_url(district), headers=HTMX | {"HX-Target": f"assessment-{YEAR}"})
    assert response.text.lstrip().startswith(f'<section id="assessment-{YEAR}"')


def test_pages_refuse_unknown_areas_and_junk_years(staff, district):
    assert staff.get(reverse("staff:assessment_edit", args=["nowhere", YEAR])).status_code == 404
    assert (
        staff.get(reverse("staff:assessment_detail", args=[district.code, 1850])).status_code == 404
    )
    assert (
        staff.get(reverse("staff:assessment_edit", args=[district.code, 9999])).status_code == 404
    )


def test_assessment_pages_require_login(client, district):
    response = client.get(edit_url(district))
    assert response.status_code == 302 and response.url.startswith(reverse("staff:login"))
    response = client.post(edit_url(district), form_data(0, notes="x"))
    assert response.status_code == 302 and not Assessment.objects.exists()


# --- Demo data --------------------------------------------------------------------------------


def test_a_save_racing_between_read_and_write_is_refused(district, sato, tanaka, monkeypatch):
    """The version check and the write are one compare-and-swap: a save that lands after the
    service read the assessment, but before it wrote, makes the write match no row."""
    save(district, sato, 0, strengths="最初")
    real_now = services.timezone.now

    def now_with_a_rival_save():
        Assessment.objects.filter(area=district).update(strengths="割り込み", version=2)
        return real_now()

    monkeypatch.setattr(services.timezone, "now", now_with_a_rival_save)
    with pytest.raises(services.EditConflict) as error:
        save(district, tanaka, 1, strengths="田中の版")
    assert error.value.current.strengths == "割り込み"
    assert AssessmentRevision.objects.count() == 1
