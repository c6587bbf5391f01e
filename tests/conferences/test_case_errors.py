"""No case detail in error pages or logs: with DEBUG off, a case one may not see and a case that
does not exist give the same plain 404; an error inside a case view gives the plain 500; and
what the request loggers write (django.request, and django.server's request lines, which
carry the URL) never holds a case code."""

import logging
import uuid

import pytest
from django.test import override_settings
from django.urls import reverse

from conferences import cases
from tests import factories

pytestmark = pytest.mark.django_db

CODE = "K26-04242"


@pytest.fixture
def world():
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    case = factories.case(district=district, lead=centre, code=CODE)
    return {
        "case": case,
        "member": factories.user("member", organisations=[centre]),
        "outsider": factories.user(
            "outsider", organisations=[factories.organisation("遠くの医療機関")]
        ),
    }


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]


def log_text(caplog) -> str:
    """Every record as a handler would write it, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def test_a_hidden_case_and_a_missing_one_give_the_same_plain_404(client, world, production, caplog):
    client.force_login(world["outsider"])
    caplog.set_level(logging.DEBUG)
    hidden = client.get(reverse("staff:case_detail", args=[world["case"].public_id]))
    missing = client.get(reverse("staff:case_detail", args=[uuid.uuid4()]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert CODE not in hidden.text
    assert CODE not in log_text(caplog)


def test_an_error_in_a_case_view_shows_the_plain_500_and_logs_no_case_code(
    client, world, production, caplog, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(cases, "case_open_actions", broken)
    client.raise_request_exception = False
    client.force_login(world["member"])
    caplog.set_level(logging.DEBUG)
    response = client.get(reverse("staff:case_detail", args=[world["case"].public_id]))
    assert response.status_code == 500
    assert CODE not in response.text
    assert "Traceback" not in response.text
    logged = log_text(caplog)
    assert "Internal Server Error" in logged  # the error is logged ...
    assert "RuntimeError" in logged
    assert CODE not in logged  # ... without the case


@override_settings(DEBUG=False)
def test_case_urls_never_carry_a_case_code(client, world):
    """django.server logs each request line, URL and query string: case URLs hold only the
    opaque id, and the case list has no search by code."""
    public_id = world["case"].public_id
    urls = [
        reverse(name, args=[public_id])
        for name in (
            "staff:case_detail",
            "staff:case_edit",
            "staff:case_consent_add",
            "staff:case_role_add",
            "staff:case_lead_change",
            "staff:case_plan_add",
            "staff:case_export",
        )
    ]
    assert all(CODE not in url for url in urls)
    client.force_login(world["member"])
    page = client.get(reverse("staff:case_list"))
    # Links and the filter form of the list: nothing that would put a code into a URL.
    assert 'name="q"' not in page.text
    assert f"?{CODE}" not in page.text and f"={CODE}" not in page.text


def test_the_case_title_is_generic_on_every_case_page(client, world):
    client.force_login(world["member"])
    for name, args in [
        ("staff:case_detail", [world["case"].public_id]),
        ("staff:case_list", []),
    ]:
        html = client.get(reverse(name, args=args)).text
        title = html.split("<title>")[1].split("</title>")[0]
        assert CODE not in title
