"""Directory entries edited in /staff/: organisations (with a version, so concurrent edits are
refused rather than overwritten), their services and places, and "still correct"."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from resources import selectors
from resources.models import Location, Organisation, Service, TaxonomyTerm
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """Pages in English, so the assertions read the source strings whatever the catalogue."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _editor(*codenames):
    person = factories.user("sato", first_name="花子", last_name="佐藤")
    for codename in codenames:
        person.user_permissions.add(Permission.objects.get(codename=codename))
    return person


@pytest.fixture
def editor(client):
    client.force_login(_editor("add_organisation", "change_organisation"))
    return client


@pytest.fixture
def salon():
    return factories.organisation(
        "桜台いきいきサロン",
        kind=Organisation.Kind.SALON,
        reading="さくらだいいきいきさろん",
        is_agency=False,
    )


def _organisation_data(organisation=None, **fields):
    data = {
        "name": "ひばり子育てひろば",
        "reading": "ひばりこそだてひろば",
        "name_en": "Hibari parenting plaza",
        "kind": Organisation.Kind.NPO,
        "description": "乳幼児と保護者の居場所",
        "phone": "03-1234-5678",
        "fax": "",
        "email": "info@example.jp",
        "website": "https://example.jp/",
        "corporate_number": "",
        "home_area": "",
        "visibility": "public",
    }
    if organisation is not None:
        data["version"] = str(organisation.version)
    return data | fields


def _found(query):
    return list(selectors.organisation_search(query=query).values_list("name", flat=True))


def test_create_an_organisation(editor):
    _city, _region, district = factories.area_tree()
    response = editor.post(
        reverse("staff:organisation_create"),
        _organisation_data(home_area=str(district.pk), areas_served=[str(district.pk)]),
    )
    organisation = Organisation.objects.get(name="ひばり子育てひろば")
    assert response.status_code == 302
    assert response.url == reverse("staff:organisation_detail", args=[organisation.uuid])
    assert organisation.version == 1
    assert organisation.home_area == district
    assert list(organisation.areas_served.all()) == [district]
    assert _found("ヒバリ子育て") == ["ひばり子育てひろば"]


def test_edit_saves_raises_the_version_and_refreshes_the_search_key(editor, salon):
    response = editor.post(
        reverse("staff:organisation_edit", args=[salon.uuid]),
        _organisation_data(salon, name="桜台ふれあいサロン", reading="さくらだいふれあいさろん"),
    )
    assert response.status_code == 302
    salon.refresh_from_db()
    assert salon.name == "桜台ふれあいサロン"
    assert salon.version == 2
    assert _found("ふれあいサロン") == ["桜台ふれあいサロン"]
    assert _found("いきいき") == []


def test_the_edit_form_shows_the_stored_entry_and_its_version(editor, salon):
    response = editor.get(reverse("staff:organisation_edit", args=[salon.uuid]))
    html = response.content.decode()
    assert 'value="桜台いきいきサロン"' in html
    assert 'name="version" value="1"' in html


def test_errors_keep_what_was_typed(editor, salon):
    response = editor.post(
        reverse("staff:organisation_edit", args=[salon.uuid]),
        _organisation_data(salon, name="", phone="03-9999-0000", corporate_number="123"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"name", "corporate_number"}
    assert 'value="03-9999-0000"' in response.content.decode()
    salon.refresh_from_db()
    assert salon.name == "桜台いきいきサロン" and salon.version == 1


def test_a_stale_save_is_refused_showing_what_is_stored_and_keeping_the_input(editor, salon):
    started_from = _organisation_data(salon, name="桜台サロン（旧）", phone="03-1111-1111")
    # Someone else saves first.
    editor.post(
        reverse("staff:organisation_edit", args=[salon.uuid]),
        _organisation_data(salon, name="桜台ふれあいサロン"),
    )
    response = editor.post(reverse("staff:organisation_edit", args=[salon.uuid]), started_from)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this organisation" in html
    assert response.context["stored"].name == "桜台ふれあいサロン"
    assert 'value="桜台サロン（旧）"' in html and 'value="03-1111-1111"' in html
    # The form now carries the stored version: saving again is a knowing overwrite.
    assert 'name="version" value="2"' in html
    salon.refresh_from_db()
    assert salon.name == "桜台ふれあいサロン" and salon.version == 2

    again = editor.post(
        reverse("staff:organisation_edit", args=[salon.uuid]),
        started_from | {"version": "2"},
    )
    assert again.status_code == 302
    salon.refresh_from_db()
    assert salon.name == "桜台サロン（旧）" and salon.version == 3


def test_still_correct_records_the_date_and_the_user(client, salon):
    person = factories.user("suzuki", first_name="次郎", last_name="鈴木")
    client.force_login(person)  # any staff member: no permission needed
    response = client.post(reverse("staff:organisation_verify", args=[salon.uuid]))
    assert response.status_code == 302
    salon.refresh_from_db()
    assert salon.last_verified_on == timezone.localdate()
    assert salon.last_verified_by == person
    assert salon.version == 1  # nobody's edit is made stale by it
    page = client.get(reverse("staff:organisation_detail", args=[salon.uuid])).content.decode()
    assert "Last verified on" in page
    assert person.get_full_name() in page
    assert client.get(reverse("staff:organisation_verify", args=[salon.uuid])).status_code == 405


def test_links_follow_the_permissions(client, salon):
    client.force_login(factories.user())
    page = client.get(reverse("staff:organisation_detail", args=[salon.uuid])).content.decode()
    assert reverse("staff:organisation_edit", args=[salon.uuid]) not in page
    assert reverse("staff:organisation_verify", args=[salon.uuid]) in page
    listing = client.get(reverse("staff:organisation_list")).content.decode()
    assert reverse("staff:organisation_create") not in listing

    client.force_login(_editor("add_organisation", "change_organisation"))
    page = client.get(reverse("staff:organisation_detail", args=[salon.uuid])).content.decode()
    assert reverse("staff:organisation_edit", args=[salon.uuid]) in page
    listing = client.get(reverse("staff:organisation_list")).content.decode()
    assert reverse("staff:organisation_create") in listing


def test_permissions_are_checked(client, salon):
    service = Service.objects.create(organisation=salon, name="サロン")
    location = Location.objects.create(organisation=salon, address="桜台一丁目1番")
    client.force_login(factories.user())
    for url in [
        reverse("staff:organisation_create"),
        reverse("staff:organisation_edit", args=[salon.uuid]),
        reverse("staff:service_create", args=[salon.uuid]),
        reverse("staff:service_edit", args=[service.uuid]),
        reverse("staff:location_create", args=[salon.uuid]),
        reverse("staff:location_edit", args=[location.uuid]),
    ]:
        assert client.get(url).status_code == 403
        assert client.post(url, _organisation_data(salon)).status_code == 403
    # Changing is not creating.
    client.force_login(_editor("change_organisation"))
    assert client.get(reverse("staff:organisation_create")).status_code == 403
    assert client.get(reverse("staff:organisation_edit", args=[salon.uuid])).status_code == 200
    client.logout()
    response = client.post(reverse("staff:organisation_verify", args=[salon.uuid]))
    assert response.status_code == 302 and "login" in response.url
    salon.refresh_from_db()
    assert salon.last_verified_on is None


def test_add_and_edit_a_service(editor, salon):
    term = TaxonomyTerm.objects.create(code="salon", name="介護予防・サロン")
    response = editor.post(
        reverse("staff:service_create", args=[salon.uuid]),
        {
            "name": "体操の会",
            "description": "",
            "target_group": "all",
            "categories": [str(term.pk)],
            "cost": "100円",
            "languages": "ja、en",
            "application_process": "",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    service = salon.services.get()
    assert service.languages == ["ja", "en"]
    assert list(service.categories.all()) == [term]
    assert _found("体操") == ["桜台いきいきサロン"]

    url = reverse("staff:service_edit", args=[service.uuid])
    assert 'value="ja, en"' in editor.get(url).content.decode()
    refused = editor.post(url, {"name": "体操の会", "target_group": "all", "languages": "日本語"})
    assert refused.status_code == 200
    assert "languages" in refused.context["form"].errors
    assert 'value="日本語"' in refused.content.decode()
    editor.post(
        url,
        {"name": "ストレッチの会", "target_group": "all", "languages": "", "visibility": "staff"},
    )
    service.refresh_from_db()
    assert service.name == "ストレッチの会" and service.visibility == "staff"
    assert _found("ストレッチ") == ["桜台いきいきサロン"]
    assert _found("体操") == []


def _place(**fields):
    data = {
        "name": "桜台会館",
        "postal_code": "157-0073",
        "address": "",
        "accessibility": "",
    }
    return data | fields


def test_a_place_gets_its_district_from_the_address(editor, salon):
    _city, _region, district = factories.area_tree()  # 桜台一丁目 in 桜台
    response = editor.post(
        reverse("staff:location_create", args=[salon.uuid]),
        _place(address="ひばり野区桜台１丁目２－３", hide_address="on"),
    )
    location = salon.locations.get()
    assert response.status_code == 302
    assert response.url == reverse("staff:organisation_edit", args=[salon.uuid])
    assert location.district == district and location.hide_address
    page = editor.get(reverse("staff:location_edit", args=[location.uuid])).content.decode()
    assert "District: 桜台" in page


def test_an_unresolved_address_saves_without_a_district_and_says_so(editor, salon):
    _city, _region, district = factories.area_tree()
    response = editor.post(
        reverse("staff:location_create", args=[salon.uuid]), _place(address="どこか町9-9")
    )
    location = salon.locations.get()
    assert location.district is None
    assert response.url == reverse("staff:location_edit", args=[location.uuid])
    page = editor.get(response.url).content.decode()
    assert "saved without a district" in page
    assert "No known town" in page
    # Correcting the address finds the district.
    editor.post(response.url, _place(address="桜台1-2-3"))
    location.refresh_from_db()
    assert location.district == district


def test_a_place_without_an_address_is_refused_keeping_the_input(editor, salon):
    response = editor.post(
        reverse("staff:location_create", args=[salon.uuid]), _place(name="第二会場")
    )
    assert response.status_code == 200
    assert "address" in response.context["form"].errors
    assert 'value="第二会場"' in response.content.decode()
    assert not salon.locations.exists()
