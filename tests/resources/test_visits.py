"""Mapping work on the organisation page: visits with follow-ups, and ties between organisations.
Each form works as a plain post (redirected back) and with htmx (the section comes back)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from resources import mapping, search
from resources.models import FollowUp, Organisation, Tie, Visit
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def user():
    return factories.user("tanaka", first_name="一郎", last_name="田中")


@pytest.fixture
def staff(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def salon():
    return factories.organisation(
        "桜台いきいきサロン", kind=Organisation.Kind.SALON, reading="さくらだいいきいきさろん"
    )


def _url(name, organisation, *args):
    return reverse(f"staff:{name}", args=[organisation.uuid, *args])


def _visit_data(**fields):
    data = {
        "visited_on": "2026-05-20",
        "heard": "会場の階段がつらいという声がある",
        "notes": "代表の方と話した",
        "follow_ups-TOTAL_FORMS": "2",
        "follow_ups-INITIAL_FORMS": "0",
        "follow_ups-MIN_NUM_FORMS": "0",
        "follow_ups-MAX_NUM_FORMS": "1000",
        "follow_ups-0-description": "エレベーターのある会場を探す",
        "follow_ups-0-due_on": "2026-06-30",
        "follow_ups-0-assignee": "",
        "follow_ups-1-description": "",
        "follow_ups-1-due_on": "",
        "follow_ups-1-assignee": "",
    }
    return data | fields


def test_the_visit_form_defaults_to_today_and_the_user(staff, user, salon):
    html = staff.get(_url("organisation_detail", salon)).text
    today = timezone.localdate().isoformat()
    assert f'name="visited_on" value="{today}"' in html
    assert f'<option value="{user.pk}" selected>{user.get_full_name()}</option>' in html
    # One blank follow-up row to start with.
    assert 'name="follow_ups-0-description"' in html
    assert 'name="follow_ups-1-description"' not in html


def test_recording_a_visit_without_javascript(staff, user, salon):
    response = staff.post(_url("organisation_visit_add", salon), _visit_data(staff=user.pk))
    assert response.status_code == 302
    assert response.url == _url("organisation_detail", salon) + "#visits"
    visit = Visit.objects.get()
    assert visit.organisation == salon and visit.staff == user
    assert visit.visited_on == datetime.date(2026, 5, 20)
    assert visit.heard == "会場の階段がつらいという声がある" and visit.notes == "代表の方と話した"
    # The blank row is skipped.
    follow_up = visit.follow_ups.get()
    assert follow_up.description == "エレベーターのある会場を探す"
    assert follow_up.due_on == datetime.date(2026, 6, 30) and follow_up.assignee is None
    html = staff.get(response.url).text
    assert "会場の階段がつらいという声がある" in html and "エレベーターのある会場を探す" in html


def test_recording_a_visit_with_htmx_returns_the_section(staff, user, salon):
    other = factories.user("sato")
    data = _visit_data(staff=other.pk, **{"follow_ups-0-assignee": str(user.pk)})
    response = staff.post(_url("organisation_visit_add", salon), data, headers=HTMX)
    assert response.status_code == 200
    text = response.text
    assert text.lstrip().startswith('<section id="visits"')
    assert "<html" not in text and "会場の階段がつらいという声がある" in text
    visit = Visit.objects.get()
    assert visit.staff == other and visit.follow_ups.get().assignee == user
    # A fresh form follows the list.
    assert 'name="heard"' in text and "代表の方と話した</textarea>" not in text


def test_a_visit_without_follow_ups(staff, user, salon):
    data = _visit_data(staff=user.pk, **{"follow_ups-0-description": "", "follow_ups-0-due_on": ""})
    assert staff.post(_url("organisation_visit_add", salon), data).status_code == 302
    assert Visit.objects.get().follow_ups.count() == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"heard": ""}, "heard"),
        ({"visited_on": "2099-01-01"}, "visited_on"),
        ({"visited_on": "someday"}, "visited_on"),
        ({"follow_ups-0-due_on": ""}, "follow_ups-0-due_on"),
        ({"follow_ups-1-due_on": "2026-07-01"}, "follow_ups-1-description"),
    ],
)
def test_a_refused_visit_keeps_what_was_typed(staff, user, salon, fields, field):
    data = _visit_data(staff=user.pk, **fields)
    for headers in ({}, HTMX):
        response = staff.post(_url("organisation_visit_add", salon), data, headers=headers)
        assert response.status_code == 200
        text = response.text
        assert 'aria-invalid="true"' in text and f'id="id_{field}_error"' in text
        assert "代表の方と話した</textarea>" in text
        assert ("<html" in text) is not bool(headers)
    assert Visit.objects.count() == 0


def test_adding_a_follow_up_row_keeps_what_was_typed(staff, user, salon):
    data = _visit_data(staff=user.pk, heard="", add_follow_up="1")
    response = staff.post(_url("organisation_visit_add", salon), data, headers=HTMX)
    text = response.text
    assert Visit.objects.count() == 0
    # Nothing is checked yet: no errors, the typed row kept, the blank one dropped, one added.
    assert 'aria-invalid="true"' not in text and "errorlist" not in text
    assert 'value="エレベーターのある会場を探す"' in text and "代表の方と話した</textarea>" in text
    assert 'name="follow_ups-1-description"' in text
    assert 'name="follow_ups-2-description"' not in text
    assert 'name="follow_ups-INITIAL_FORMS" value="0"' in text
    assert 'name="follow_ups-TOTAL_FORMS" value="2"' in text
    # The rows posted from that form are all optional: a blank second row is fine.
    data = _visit_data(staff=user.pk)
    assert staff.post(_url("organisation_visit_add", salon), data).status_code == 302


def test_marking_a_follow_up_done(staff, user, salon):
    visit = mapping.visit_record(
        organisation=salon,
        visited_on=datetime.date(2026, 5, 20),
        staff=user,
        heard="声",
        follow_ups=[{"description": "会場を探す", "due_on": datetime.date(2026, 6, 30)}],
    )
    follow_up = visit.follow_ups.get()
    html = staff.get(_url("organisation_detail", salon)).text
    done_url = _url("organisation_follow_up_done", salon, follow_up.pk)
    assert f'action="{done_url}"' in html
    response = staff.post(done_url, headers=HTMX)
    assert response.status_code == 200 and "follow-up--done" in response.text
    follow_up.refresh_from_db()
    assert follow_up.done_on == timezone.localdate()
    assert f'action="{done_url}"' not in response.text
    # Marking it again keeps the first date; a plain post is redirected back.
    FollowUp.objects.filter(pk=follow_up.pk).update(done_on=datetime.date(2026, 6, 1))
    response = staff.post(done_url)
    assert response.status_code == 302 and response.url.endswith("#visits")
    follow_up.refresh_from_db()
    assert follow_up.done_on == datetime.date(2026, 6, 1)


def test_a_follow_up_is_marked_only_through_its_own_organisation(staff, user, salon):
    other = factories.organisation("よその団体")
    visit = mapping.visit_record(
        organisation=other,
        visited_on=datetime.date(2026, 5, 20),
        staff=user,
        heard="声",
        follow_ups=[{"description": "確認", "due_on": datetime.date(2026, 6, 30)}],
    )
    follow_up = visit.follow_ups.get()
    response = staff.post(_url("organisation_follow_up_done", salon, follow_up.pk))
    assert response.status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.done_on is None


def test_overdue_follow_ups_are_marked(staff, user, salon):
    mapping.visit_record(
        organisation=salon,
        visited_on=datetime.date(2026, 1, 5),
        staff=user,
        heard="声",
        follow_ups=[
            {
                "description": "遅れている",
                "due_on": timezone.localdate() - datetime.timedelta(days=1),
            }
        ],
    )
    section = staff.get(_url("organisation_detail", salon)).text.split('id="visits"')[1]
    assert "tag--warning" in section.split("</ol>")[0]


def test_post_only_and_login_required(client, staff, user, salon):
    assert staff.get(_url("organisation_visit_add", salon)).status_code == 405
    assert staff.get(_url("organisation_tie_add", salon)).status_code == 405
    staff.logout()
    response = client.post(_url("organisation_visit_add", salon), _visit_data(staff=user.pk))
    assert response.status_code == 302 and "/login/" in response.url
    assert Visit.objects.count() == 0


# --- Ties ------------------------------------------------------------------------------------


@pytest.fixture
def kitchen():
    kitchen = factories.organisation(
        "若葉こども食堂", kind=Organisation.Kind.NPO, reading="わかばこどもしょくどう"
    )
    factories.organisation(
        "若葉町会", kind=Organisation.Kind.NEIGHBOURHOOD, reading="わかばちょうかい"
    )
    search.organisations_search_refresh()
    return kitchen


def _tie_data(**fields):
    return {
        "direction": "outgoing",
        "kind": "collaborates",
        "other": "",
        "note": "",
        "since": "",
    } | fields


def test_finding_the_other_organisation_without_javascript(staff, salon, kitchen):
    response = staff.post(_url("organisation_tie_add", salon), _tie_data(other="ﾜｶﾊﾞ", find="1"))
    assert response.status_code == 200 and Tie.objects.count() == 0
    text = response.text
    assert f'value="{kitchen.uuid}"' in text and "若葉町会" in text
    assert f'value="{salon.uuid}"' not in text  # never itself
    assert 'value="ﾜｶﾊﾞ"' in text  # the search is kept
    assert "errorlist" not in text and 'role="alert"' not in text.split('id="ties"')[1]


def test_candidates_as_typed_with_htmx(staff, salon, kitchen):
    url = _url("organisation_tie_candidates", salon)
    text = staff.get(url, {"other": "こども"}, headers=HTMX).text
    assert text.lstrip().startswith('<fieldset id="tie-candidates"')
    assert f'value="{kitchen.uuid}"' in text and "若葉町会" not in text
    assert 'name="target"' not in staff.get(url, {"other": " "}, headers=HTMX).text


def test_adding_a_tie_in_each_direction(staff, salon, kitchen):
    data = _tie_data(target=str(kitchen.uuid), note="夏休みの共同企画", since="2025-07-01")
    response = staff.post(_url("organisation_tie_add", salon), data)
    assert response.status_code == 302 and response.url.endswith("#ties")
    tie = Tie.objects.get()
    assert (tie.source, tie.target, tie.kind) == (salon, kitchen, Tie.Kind.COLLABORATES)
    assert tie.note == "夏休みの共同企画" and tie.since == datetime.date(2025, 7, 1)

    data = _tie_data(direction="incoming", kind="refers", target=str(kitchen.uuid))
    response = staff.post(_url("organisation_tie_add", salon), data, headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="ties"')
    incoming = Tie.objects.get(kind=Tie.Kind.REFERS)
    assert (incoming.source, incoming.target) == (kitchen, salon)
    assert 'class="tie tie--outgoing"' in response.text
    assert 'class="tie tie--incoming"' in response.text


@pytest.mark.parametrize(
    ("target", "message_field"),
    [
        (None, "target"),  # nothing picked
        ("self", "target"),
        ("00000000-0000-0000-0000-000000000000", "target"),
    ],
)
def test_a_refused_tie_says_why(staff, salon, kitchen, target, message_field):
    data = _tie_data(other="わかば", note="メモ")
    if target == "self":
        data["target"] = str(salon.uuid)
    elif target:
        data["target"] = target
    response = staff.post(_url("organisation_tie_add", salon), data, headers=HTMX)
    assert response.status_code == 200 and Tie.objects.count() == 0
    section = response.text
    assert 'class="error" role="alert"' in section
    assert 'value="メモ"' in section  # what was typed is kept
    assert f'value="{kitchen.uuid}"' in section  # and the matches are shown again


def test_the_same_tie_twice_is_refused(staff, salon, kitchen):
    Tie.objects.create(source=salon, target=kitchen, kind=Tie.Kind.COLLABORATES)
    data = _tie_data(target=str(kitchen.uuid), other="わかば")
    response = staff.post(_url("organisation_tie_add", salon), data)
    assert response.status_code == 200 and Tie.objects.count() == 1
    assert 'role="alert"' in response.text


def test_removing_a_tie_from_either_end(staff, salon, kitchen):
    outgoing = Tie.objects.create(source=salon, target=kitchen, kind=Tie.Kind.COLLABORATES)
    incoming = Tie.objects.create(source=kitchen, target=salon, kind=Tie.Kind.REFERS)
    response = staff.post(_url("organisation_tie_remove", salon, outgoing.pk), headers=HTMX)
    assert response.status_code == 200 and not Tie.objects.filter(pk=outgoing.pk).exists()
    response = staff.post(_url("organisation_tie_remove", salon, incoming.pk))
    assert response.status_code == 302 and not Tie.objects.exists()


def test_a_tie_of_others_cannot_be_removed_here(staff, salon, kitchen):
    town = Organisation.objects.get(name="若葉町会")
    tie = Tie.objects.create(source=kitchen, target=town, kind=Tie.Kind.SHARES_VENUE)
    assert staff.post(_url("organisation_tie_remove", salon, tie.pk)).status_code == 404
    assert Tie.objects.filter(pk=tie.pk).exists()


def test_the_tie_service_refuses_a_tie_to_itself(salon):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        mapping.tie_add(source=salon, target=salon, kind=Tie.Kind.COLLABORATES)
    assert "target" in raised.value.error_dict and Tie.objects.count() == 0
