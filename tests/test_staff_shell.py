"""The staff shell: login, logout, navigation, htmx from our own static files with CSRF."""

import json
import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_login_with_the_real_form_reaches_the_dashboard(client):
    factories.user("hanako")
    response = client.post(
        reverse("staff:login"),
        {"username": "hanako", "password": factories.PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("staff:dashboard")
    assert response.context["user"].username == "hanako"


def test_wrong_password_shows_an_error_and_keeps_the_user_name(client):
    factories.user("hanako")
    response = client.post(reverse("staff:login"), {"username": "hanako", "password": "wrong"})
    assert response.status_code == 200
    assert 'role="alert"' in response.text
    assert 'value="hanako"' in response.text
    assert not response.context["user"].is_authenticated


def test_login_returns_to_the_page_asked_for(client):
    factories.user("hanako")
    target = reverse("staff:case_list")
    response = client.post(
        f"{reverse('staff:login')}?next={target}",
        {"username": "hanako", "password": factories.PASSWORD, "next": target},
    )
    assert response.url == target


def test_logout_is_a_post_and_ends_the_session(client):
    client.force_login(factories.user())
    response = client.post(reverse("staff:logout"))
    assert response.status_code == 302
    assert client.get(reverse("staff:dashboard")).status_code == 302


def test_every_htmx_request_carries_the_csrf_token_and_htmx_is_served_locally(client):
    client.force_login(factories.user())
    html = client.get(reverse("staff:dashboard")).text
    headers = json.loads(re.search(r"hx-headers='([^']+)'", html).group(1))
    assert len(headers["X-CSRFToken"]) >= 32
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts)
    stylesheets = re.findall(r'<link[^>]+href="([^"]+)"', html)
    assert all(href.startswith("/static/") for href in stylesheets)


def test_navigation_marks_the_current_section(client):
    client.force_login(factories.user())
    html = client.get(reverse("staff:meeting_list")).text
    current = re.findall(r'<a href="([^"]+)" aria-current="page"', html)
    assert reverse("staff:meeting_list") in current
    assert reverse("staff:case_list") not in current
