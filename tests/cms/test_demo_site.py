"""The demo's public site: every page type, with its demo content, renders in Japanese and in
English, and no case, staff-only organisation, hidden address or non-public meeting shows."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from cms.models import (
    CentrePage,
    DirectoryPage,
    DistrictPage,
    EventIndexPage,
    EventPage,
    HomePage,
    IndexPage,
    NewsIndexPage,
    NewsPage,
    StandardPage,
)
from conferences.models import Case, Meeting, MeetingVisibility
from resources.models import Location, Organisation, Visibility

pytestmark = pytest.mark.django_db

PAGE_TYPES = [
    HomePage, IndexPage, CentrePage, DistrictPage, DirectoryPage, EventIndexPage, EventPage,
    NewsIndexPage, NewsPage, StandardPage,
]  # fmt: skip


def test_every_demo_page_type_renders_in_both_languages_without_private_records(client):
    with translation.override("en"):
        call_command("seed_demo", "--today", "2026-11-24", stdout=StringIO(), stderr=StringIO())
    secrets = [
        *Case.objects.order_by("pk").values_list("code", flat=True)[:50],
        *Organisation.objects.filter(visibility=Visibility.STAFF)
        .order_by("pk")
        .values_list("name", flat=True)[:50],
        *Location.objects.filter(hide_address=True).values_list("address", flat=True),
        *Meeting.objects.exclude(visibility=MeetingVisibility.PUBLIC)
        .filter(starts_at__gte=datetime.datetime(2026, 11, 24, tzinfo=datetime.UTC))
        .order_by("starts_at")
        .values_list("title", flat=True)[:50],
    ]
    assert secrets
    # Staff-only organisations and staff meetings may share a name with public ones (a
    # district's 地域ケア会議 is staff-only, its forum public): check the ones that are unique.
    public_titles = set(
        Meeting.objects.filter(visibility=MeetingVisibility.PUBLIC).values_list("title", flat=True)
    )
    public_names = set(
        Organisation.objects.filter(visibility=Visibility.PUBLIC).values_list("name", flat=True)
    )
    secrets = [s for s in secrets if s and s not in public_titles and s not in public_names]

    for model in PAGE_TYPES:
        for language in ("ja", "en"):
            page = model.objects.live().filter(locale__language_code=language).order_by("path")
            page = page.first()
            assert page is not None, f"no {model.__name__} in {language}"
            response = client.get(page.url)
            assert response.status_code == 200, (model.__name__, language, page.url)
            assert f'<html lang="{language}">' in response.text
            for secret in secrets:
                assert secret not in response.text, (model.__name__, language, secret)

    assert DistrictPage.objects.filter(locale__language_code="ja").count() == 28
    directory = DirectoryPage.objects.get(locale__language_code="ja")
    organisation = Organisation.objects.filter(visibility=Visibility.PUBLIC).order_by("pk").first()
    assert client.get(f"{directory.url}o/{organisation.uuid}/").status_code == 200
    hidden = Organisation.objects.filter(visibility=Visibility.STAFF).order_by("pk").first()
    assert client.get(f"{directory.url}o/{hidden.uuid}/").status_code == 404
