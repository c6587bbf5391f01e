"""A case is seen only through an organisation on it, or by the chair/recorder of a meeting that
has it on the agenda; anyone else cannot tell that it exists. Every read is audited."""

import datetime
import uuid

import pytest
from django.urls import reverse

from conferences.models import AuditEvent, Meeting, Minutes
from resources.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    council = factories.organisation(
        "ひばり野区社会福祉協議会", kind=Organisation.Kind.WELFARE_COUNCIL
    )
    outsider_org = factories.organisation("遠くの医療機関", kind=Organisation.Kind.MEDICAL)
    case = factories.case(district=district, lead=centre, others=[council], code="K-SECRET-1")
    return {
        "district": district,
        "centre": centre,
        "council": council,
        "case": case,
        "member": factories.user("member", organisations=[centre]),
        "supporter": factories.user("supporter", organisations=[council]),
        "outsider": factories.user("outsider", organisations=[outsider_org]),
    }


def case_url(case):
    return reverse("staff:case_detail", args=[case.public_id])


def test_member_of_lead_organisation_sees_case_and_the_read_is_audited(client, world):
    client.force_login(world["member"])
    response = client.get(case_url(world["case"]))
    assert response.status_code == 200
    assert "K-SECRET-1" in response.text
    event = AuditEvent.objects.get()
    assert (event.user, event.case, event.action) == (
        world["member"],
        world["case"],
        AuditEvent.Action.VIEW,
    )
    assert event.organisation == world["centre"]


def test_member_of_supporting_organisation_sees_case_through_it(client, world):
    client.force_login(world["supporter"])
    assert client.get(case_url(world["case"])).status_code == 200
    assert AuditEvent.objects.get().organisation == world["council"]


def test_outsider_gets_the_same_404_as_for_a_case_that_does_not_exist(client, world):
    client.force_login(world["outsider"])
    forbidden = client.get(case_url(world["case"]))
    missing = client.get(reverse("staff:case_detail", args=[uuid.uuid4()]))
    assert forbidden.status_code == missing.status_code == 404
    assert "K-SECRET-1" not in forbidden.text
    assert not AuditEvent.objects.exists()


def test_case_list_shows_only_visible_cases(client, world):
    other = factories.case(district=world["district"], lead=world["council"], code="K-OTHER-2")
    client.force_login(world["member"])
    response = client.get(reverse("staff:case_list"))
    assert "K-SECRET-1" in response.text
    assert other.code not in response.text
    client.force_login(world["outsider"])
    assert "K-SECRET-1" not in client.get(reverse("staff:case_list")).text


def test_case_urls_are_opaque(world):
    assert str(world["case"].pk) not in case_url(world["case"]).split("/")
    assert world["case"].code not in case_url(world["case"])


def test_page_title_never_names_the_case(client, world):
    client.force_login(world["member"])
    html = client.get(case_url(world["case"])).text
    title = html.split("<title>")[1].split("</title>")[0]
    assert "K-SECRET-1" not in title


def test_anonymous_user_is_sent_to_login(client, world):
    response = client.get(case_url(world["case"]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("staff:login"))


def test_chair_of_a_planned_meeting_sees_the_cases_on_its_agenda_only_while_it_is_planned(
    client, world
):
    chair = factories.user("chair", organisations=[world["centre"]], can_chair=True)
    # The chair's own organisation is not on this case: access comes from the meeting alone.
    case = factories.case(district=world["district"], lead=world["council"], code="K-AGENDA-3")
    meeting = factories.meeting(area=world["district"], organiser=world["centre"], chair=chair)
    factories.agenda_item(meeting=meeting, case=case)
    client.force_login(chair)
    assert client.get(case_url(case)).status_code == 200
    meeting.status = Meeting.Status.HELD
    meeting.save()
    assert client.get(case_url(case)).status_code == 404


def test_meeting_page_hides_case_items_from_people_not_on_the_case(client, world):
    meeting = factories.meeting(
        area=world["district"],
        organiser=world["centre"],
        starts_in=datetime.timedelta(days=3),
    )
    factories.agenda_item(
        meeting=meeting,
        case=world["case"],
        title="K-SECRET-1 の支援方針",
        summary="長男による介護負担が大きい",
    )
    meeting_url = reverse("staff:meeting_detail", args=[meeting.uid])

    client.force_login(world["outsider"])
    html = client.get(meeting_url).text
    assert "K-SECRET-1" not in html
    assert "長男" not in html

    client.force_login(world["member"])
    html = client.get(meeting_url).text
    assert "K-SECRET-1" in html
    assert "長男" not in html  # the minutes are not written yet: draft text is the writers'
    Minutes.objects.create(meeting=meeting, status=Minutes.Status.APPROVED)
    assert "長男" in client.get(meeting_url).text
