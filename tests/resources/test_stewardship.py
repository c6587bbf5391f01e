"""Keeping the directory true: keepers, the verification queue (stalest first), "still correct",
the correction form with its version check, proposals reviewed field by field, and the per-field
change log written by every path that changes an organisation."""

import csv
import datetime
import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from resources import hsds, services, stewardship
from resources.imports import resource_import
from resources.models import ChangeProposal, FieldChange, Organisation
from tests import factories
from tests.resources.test_hsds import organization_validator
from tests.resources.test_import import GOOD, care

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def council():
    return factories.organisation(
        "ひばり野区社会福祉協議会", kind=Organisation.Kind.WELFARE_COUNCIL
    )


@pytest.fixture
def keeper(council):
    """A member of the 社協, which keeps the entries below."""
    return factories.user("keeper", organisations=[council], first_name="花子", last_name="佐藤")


def _entry(name, council, *, verified_days_ago=None, **fields):
    on = None
    if verified_days_ago is not None:
        on = timezone.localdate() - datetime.timedelta(days=verified_days_ago)
    return factories.organisation(
        name,
        kind=Organisation.Kind.SALON,
        keeper_organisation=council,
        last_verified_on=on,
        **fields,
    )


def _queue_names(user, **kwargs):
    return [
        o.name
        for o in stewardship.verification_queue(
            user=user,
            organisation_ids=[m.organisation_id for m in user.memberships.all()],
            **kwargs,
        )
    ]


# --- the queue -----------------------------------------------------------------------------------


def test_the_queue_lists_the_stalest_first_never_verified_before_all(keeper, council):
    _entry("二年前のサロン", council, verified_days_ago=730)
    _entry("先月確認したサロン", council, verified_days_ago=30)
    _entry("未確認のサロン", council)
    _entry("十三か月前のサロン", council, verified_days_ago=400)
    factories.organisation("他の人が守るサロン")  # no keeper: not in this keeper's queue
    assert _queue_names(keeper) == ["未確認のサロン", "二年前のサロン", "十三か月前のサロン"]


def test_the_number_of_months_is_a_setting_read_at_call_time(keeper, council):
    _entry("先月確認したサロン", council, verified_days_ago=45)
    assert _queue_names(keeper) == []
    with override_settings(DIRECTORY_VERIFY_MONTHS=1):
        assert _queue_names(keeper) == ["先月確認したサロン"]


def test_a_named_keeper_and_a_directory_editor_see_their_entries(council):
    person = factories.user("tanaka")
    _entry("田中さんのサロン", council, keeper_user=person)
    _entry("社協のサロン", council)
    assert _queue_names(person) == ["田中さんのサロン"]
    editor = factories.user("editor")
    editor.user_permissions.add(Permission.objects.get(codename="change_organisation"))
    editor = type(editor).objects.get(pk=editor.pk)
    # Every entry, kept or not (the 社協's own entry has no keeper and was never verified).
    assert sorted(_queue_names(editor)) == sorted(
        ["ひばり野区社会福祉協議会", "社協のサロン", "田中さんのサロン"]
    )
    assert _queue_names(editor, mine_only=True) == []


def test_the_queue_page_lists_due_entries_proposals_and_reports(client, keeper, council):
    salon = _entry("未確認のサロン", council)
    _entry("先月確認したサロン", council, verified_days_ago=30)
    member = factories.user("member", organisations=[salon])
    stewardship.proposal_create(organisation=salon, user=member, changes={"phone": "03-0000-1111"})
    stewardship.report_create(organisation=salon, message="電話番号が違います", key="k")
    client.force_login(keeper)
    html = client.get(reverse("staff:stewardship_queue")).text
    assert "未確認のサロン" in html and "先月確認したサロン" not in html
    assert "Never verified" in html
    assert "電話番号が違います" in html
    assert reverse("staff:stewardship_review", args=[salon.change_proposals.get().uuid]) in html


def test_still_correct_from_the_queue(client, keeper, council):
    salon = _entry("二年前のサロン", council, verified_days_ago=730)
    client.force_login(keeper)
    response = client.post(reverse("staff:stewardship_confirm", args=[salon.uuid]))
    assert response.status_code == 302
    salon.refresh_from_db()
    assert salon.last_verified_on == timezone.localdate()
    assert salon.last_verified_by == keeper
    assert _queue_names(keeper) == []
    assert "recorded as still correct" in client.get(reverse("staff:stewardship_queue")).text


def test_still_correct_with_htmx_returns_the_row(client, keeper, council):
    salon = _entry("二年前のサロン", council, verified_days_ago=730)
    client.force_login(keeper)
    response = client.post(
        reverse("staff:stewardship_confirm", args=[salon.uuid]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert f'id="entry-{salon.uuid}"' in response.text
    assert "Recorded as still correct." in response.text


def test_someone_who_does_not_keep_the_entry_gets_404(client, council):
    salon = _entry("社協のサロン", council)
    client.force_login(factories.user("stranger"))
    assert client.post(reverse("staff:stewardship_confirm", args=[salon.uuid])).status_code == 404
    assert client.get(reverse("staff:stewardship_correct", args=[salon.uuid])).status_code == 404
    salon.refresh_from_db()
    assert salon.last_verified_on is None


# --- correcting ----------------------------------------------------------------------------------


def _correct_data(organisation, **changes):
    data = {
        "name": organisation.name,
        "reading": organisation.reading,
        "description": organisation.description,
        "phone": organisation.phone,
        "fax": organisation.fax,
        "email": organisation.email,
        "website": organisation.website,
        "version": organisation.version,
    }
    return data | changes


def test_a_correction_is_saved_logged_and_counts_as_verified(client, keeper, council):
    salon = _entry("二年前のサロン", council, verified_days_ago=730, phone="03-1111-1111")
    client.force_login(keeper)
    response = client.post(
        reverse("staff:stewardship_correct", args=[salon.uuid]),
        _correct_data(salon, phone="03-2222-2222"),
    )
    assert response.status_code == 302
    salon.refresh_from_db()
    assert salon.phone == "03-2222-2222"
    assert salon.version == 2
    assert salon.last_verified_on == timezone.localdate()
    change = FieldChange.objects.get(organisation=salon)
    assert (change.field_name, change.previous_value, change.replacement_value) == (
        "phone",
        "03-1111-1111",
        "03-2222-2222",
    )
    assert change.updated_by == keeper and change.source == FieldChange.Source.STAFF
    assert change.resource_id == salon.uuid


def test_a_correction_from_a_stale_version_is_refused_with_what_changed(client, keeper, council):
    salon = _entry("二年前のサロン", council, verified_days_ago=730, phone="03-1111-1111")
    started = _correct_data(salon, phone="03-3333-3333")
    # Someone else saves first.
    services.organisation_update(
        organisation=salon, version=salon.version, fields={"phone": "03-9999-9999"}
    )
    client.force_login(keeper)
    response = client.post(reverse("staff:stewardship_correct", args=[salon.uuid]), started)
    assert response.status_code == 200
    html = response.text
    assert "Someone else changed this entry" in html
    assert 'value="03-3333-3333"' in html  # what was typed is kept
    assert "<mark>03-9999-9999</mark>" in html  # what is stored now, marked as different
    salon.refresh_from_db()
    assert salon.phone == "03-9999-9999" and salon.last_verified_on.year < timezone.localdate().year
    # Saving again (the form now carries the stored version) is a knowing overwrite.
    again = client.post(
        reverse("staff:stewardship_correct", args=[salon.uuid]),
        started | {"version": salon.version},
    )
    assert again.status_code == 302
    salon.refresh_from_db()
    assert salon.phone == "03-3333-3333"


def test_a_bad_correction_keeps_what_was_typed(client, keeper, council):
    salon = _entry("サロン", council)
    client.force_login(keeper)
    response = client.post(
        reverse("staff:stewardship_correct", args=[salon.uuid]),
        _correct_data(salon, email="not an address", phone="03-4444-4444"),
    )
    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert 'value="03-4444-4444"' in response.text


# --- proposals -----------------------------------------------------------------------------------


def test_only_members_may_propose_a_change_to_their_own_entry(client, council):
    salon = _entry("桜台サロン", council, phone="03-1111-1111")
    client.force_login(factories.user("outsider", organisations=[council]))
    assert client.get(reverse("staff:stewardship_propose", args=[salon.uuid])).status_code == 404
    member = factories.user("member", organisations=[salon])
    client.force_login(member)
    page = client.get(reverse("staff:organisation_detail", args=[salon.uuid])).text
    assert reverse("staff:stewardship_propose", args=[salon.uuid]) in page
    response = client.post(
        reverse("staff:stewardship_propose", args=[salon.uuid]),
        _correct_data(salon, phone="03-5555-5555", description="毎週水曜に開催") | {"note": "移転"},
    )
    assert response.status_code == 302
    proposal = ChangeProposal.objects.get()
    assert proposal.changes == {"phone": "03-5555-5555", "description": "毎週水曜に開催"}
    assert proposal.previous == {"phone": "03-1111-1111", "description": ""}
    salon.refresh_from_db()
    assert salon.phone == "03-1111-1111"  # nothing is published before review


def test_a_proposal_that_changes_nothing_is_refused(client, council):
    salon = _entry("桜台サロン", council)
    client.force_login(factories.user("member", organisations=[salon]))
    response = client.post(
        reverse("staff:stewardship_propose", args=[salon.uuid]), _correct_data(salon)
    )
    assert response.status_code == 200
    assert "Nothing was changed" in response.text
    assert not ChangeProposal.objects.exists()


def test_a_keeper_accepts_some_fields_and_rejects_others_with_a_reason(client, keeper, council):
    salon = _entry("桜台サロン", council, phone="03-1111-1111", website="https://old.example.jp")
    member = factories.user("member", organisations=[salon])
    proposal = stewardship.proposal_create(
        organisation=salon,
        user=member,
        changes={"phone": "03-5555-5555", "website": "https://new.example.jp"},
    )
    client.force_login(keeper)
    url = reverse("staff:stewardship_review", args=[proposal.uuid])
    page = client.get(url).text
    assert "03-5555-5555" in page and "03-1111-1111" in page

    # A rejection without a reason is refused, and the choices made are kept.
    response = client.post(url, {"decision_phone": "accept", "decision_website": "reject"})
    assert response.status_code == 200
    assert "Give the reason the change is rejected." in response.text
    assert 'value="accept" required id="id_decision_phone_0" checked' in response.text
    proposal.refresh_from_db()
    assert proposal.status == ChangeProposal.Status.PENDING

    response = client.post(
        url,
        {
            "decision_phone": "accept",
            "decision_website": "reject",
            "reason_website": "公式サイトは旧アドレスのまま",
        },
    )
    assert response.status_code == 302
    salon.refresh_from_db()
    assert salon.phone == "03-5555-5555"
    assert salon.website == "https://old.example.jp"
    proposal.refresh_from_db()
    assert proposal.status == ChangeProposal.Status.REVIEWED
    assert proposal.reviewed_by == keeper
    assert proposal.decisions == {
        "phone": {"accepted": True, "reason": ""},
        "website": {"accepted": False, "reason": "公式サイトは旧アドレスのまま"},
    }
    change = FieldChange.objects.get(organisation=salon)
    assert (change.field_name, change.source, change.updated_by) == (
        "phone",
        FieldChange.Source.PROPOSAL,
        keeper,
    )
    # The proposer sees the decisions and the reason.
    client.force_login(member)
    html = client.get(reverse("staff:stewardship_propose", args=[salon.uuid])).text
    assert "公式サイトは旧アドレスのまま" in html


def test_a_proposal_is_reviewed_once(keeper, council):
    salon = _entry("桜台サロン", council)
    proposal = stewardship.proposal_create(
        organisation=salon, user=keeper, changes={"phone": "03-5555-5555"}
    )
    stewardship.proposal_review(proposal=proposal, user=keeper, decisions={"phone": (True, "")})
    with pytest.raises(stewardship.AlreadyReviewed):
        stewardship.proposal_review(
            proposal=proposal, user=keeper, decisions={"phone": (False, "no")}
        )


def test_a_proposal_is_reviewed_only_by_a_keeper(client, council):
    salon = _entry("桜台サロン", council)
    member = factories.user("member", organisations=[salon])
    proposal = stewardship.proposal_create(
        organisation=salon, user=member, changes={"phone": "03-5555-5555"}
    )
    client.force_login(member)  # a member of the entry, not its keeper
    url = reverse("staff:stewardship_review", args=[proposal.uuid])
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision_phone": "accept"}).status_code == 404


# --- the change log on every write path ----------------------------------------------------------


def test_the_staff_edit_logs_each_changed_field(client, council):
    salon = _entry("桜台サロン", council, phone="03-1111-1111")
    editor = factories.user("editor")
    editor.user_permissions.add(Permission.objects.get(codename="change_organisation"))
    client.force_login(editor)
    response = client.post(
        reverse("staff:organisation_edit", args=[salon.uuid]),
        {
            "name": "桜台ふれあいサロン",
            "reading": "",
            "kind": salon.kind,
            "phone": "03-1111-1111",
            "visibility": "public",
            "keeper_organisation": council.pk,
            "version": salon.version,
        },
    )
    assert response.status_code == 302
    changes = FieldChange.objects.filter(organisation=salon)
    assert {(c.field_name, c.previous_value, c.replacement_value) for c in changes} == {
        ("name", "桜台サロン", "桜台ふれあいサロン"),
        ("is_agency", "true", "false"),
    }
    assert {c.updated_by for c in changes} == {editor}
    html = client.get(reverse("staff:stewardship_history", args=[salon.uuid])).text
    assert "桜台ふれあいサロン" in html and "Staff directory" in html


def test_the_keeper_is_chosen_on_the_staff_form_and_logged(client, council):
    salon = _entry("桜台サロン", council)
    ward = factories.organisation("若草区役所", kind=Organisation.Kind.GOVERNMENT)
    editor = factories.user("editor")
    editor.user_permissions.add(Permission.objects.get(codename="change_organisation"))
    client.force_login(editor)
    url = reverse("staff:organisation_edit", args=[salon.uuid])
    form = client.get(url).text
    assert 'name="keeper_organisation"' in form
    assert f'<option value="{council.pk}" selected>' in form
    assert f'<option value="{salon.pk}"' not in form  # a salon keeps no entries
    data = {"name": salon.name, "kind": salon.kind, "visibility": "public"}
    data |= {"keeper_organisation": ward.pk, "version": salon.version, "is_agency": "on"}
    assert client.post(url, data).status_code == 302
    salon.refresh_from_db()
    assert salon.keeper_organisation == ward
    change = FieldChange.objects.get(organisation=salon)
    assert (change.field_name, change.previous_value, change.replacement_value) == (
        "keeper_organisation",
        "ひばり野区社会福祉協議会",
        "若草区役所",
    )


def test_the_wagtail_admin_logs_each_changed_field(admin_client, admin_user, council):
    salon = _entry("桜台サロン", council, phone="03-1111-1111")
    response = admin_client.post(
        reverse("organisation:edit", args=[salon.pk]),
        {
            "name": "桜台サロン",
            "reading": "",
            "kind": salon.kind,
            "phone": "03-2222-2222",
            "visibility": "public",
            "is_agency": "on",
            "keeper_organisation": council.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    change = FieldChange.objects.get(organisation=salon)
    assert (change.field_name, change.previous_value, change.replacement_value) == (
        "phone",
        "03-1111-1111",
        "03-2222-2222",
    )
    assert (change.source, change.updated_by) == (FieldChange.Source.ADMIN, admin_user)


def test_an_import_logs_each_changed_field():
    factories.population_tree()
    resource_import(source=care(GOOD))
    assert not FieldChange.objects.exists()  # creating is not a change of a field
    importer = factories.user("importer")
    resource_import(source=care(GOOD | {"電話番号": "03-1111-2222"}), user=importer)
    change = FieldChange.objects.get()
    assert (change.field_name, change.previous_value, change.replacement_value) == (
        "phone",
        "03-1234-5678",
        "03-1111-2222",
    )
    assert (change.source, change.updated_by) == (FieldChange.Source.IMPORT, importer)
    assert change.organisation.phone == "03-1111-2222"


# --- "last verified on" --------------------------------------------------------------------------


def test_the_staff_page_shows_last_verified_on_and_the_keeper(client, keeper, council):
    salon = _entry("桜台サロン", council, verified_days_ago=10)
    client.force_login(keeper)
    html = client.get(reverse("staff:organisation_detail", args=[salon.uuid])).text
    assert "Last verified on" in html
    assert str(salon.last_verified_on.year) in html
    assert "ひばり野区社会福祉協議会" in html  # the keeper
    assert reverse("staff:stewardship_history", args=[salon.uuid]) in html


# --- HSDS metadata -------------------------------------------------------------------------------


def test_the_hsds_export_carries_the_change_log_as_valid_metadata(tmp_path):
    salon = factories.organisation("桜台サロン", kind=Organisation.Kind.SALON, phone="03-1111-1111")
    editor = factories.user("editor", first_name="花子", last_name="佐藤")
    services.organisation_update(
        organisation=salon,
        version=salon.version,
        fields={"phone": "03-2222-2222", "is_agency": False},
        user=editor,
    )
    call_command(
        "export_resources", str(tmp_path / "hsds.zip"), "--format=hsds", stdout=io.StringIO()
    )
    with zipfile.ZipFile(tmp_path / "hsds.zip") as archive:
        document = json.loads(archive.read(hsds.JSON_NAME))[0]
        rows = list(csv.DictReader(io.StringIO(archive.read("metadata.csv").decode(), newline="")))
    assert organization_validator().is_valid(document)
    # Only public fields; the door the change came through, never a staff member's name.
    assert [
        (m["field_name"], m["previous_value"], m["replacement_value"], m["updated_by"])
        for m in document["metadata"]
    ] == [("phone", "03-1111-1111", "03-2222-2222", "staff")]
    assert document["metadata"][0]["resource_id"] == str(salon.uuid)
    assert [row["field_name"] for row in rows] == ["phone"]
    assert "佐藤" not in json.dumps(document, ensure_ascii=False)
