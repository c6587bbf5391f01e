"""The network of a district: who is drawn and in which order, tie kinds told apart by line style
and in words, the plain list carrying everything the drawing shows, a deterministic layout, and
a number of queries that does not grow with the network."""

import datetime

import pytest
from django.urls import reverse

from districts.models import Area
from resources import network
from resources.models import Location, Organisation, Tie
from tests import factories

pytestmark = pytest.mark.django_db
Kind = Organisation.Kind


def url(area):
    return reverse("staff:area_network", args=[area.code])


@pytest.fixture
def district_network():
    """桜台 holds: a 地域包括 located there, a まちづくりセンター with its home there, a salon
    serving it, and an NPO located there without any tie. Outside: the region's こども家庭センター
    and the ward's 社協, and a clinic of another district.

    Ties: salon → 地域包括 refers; 地域包括 — まちづくりセンター collaborates; salon — まちづくり
    センター shares a venue; 地域包括 → こども家庭センター refers; こども家庭センター — 社協 (both
    outside: not drawn)."""
    city, region, sakura = factories.area_tree()
    other = Area.objects.create(
        level=Area.Level.DISTRICT, parent=region, code="OTHER", name="若葉", reading="わかば"
    )
    care = factories.organisation("桜台あんしんすこやかセンター", reading="さくらだいあんしん")
    Location.objects.create(organisation=care, address="桜台1", district=sakura)
    town = factories.organisation(
        "桜台まちづくりセンター", kind=Kind.TOWN_OFFICE, reading="さくらだいまちづくり",
        home_area=sakura,
    )  # fmt: skip
    salon = factories.organisation("ひだまりサロン", kind=Kind.SALON, reading="ひだまりさろん")
    salon.areas_served.add(sakura)
    lonely = factories.organisation("桜台子ども文庫", kind=Kind.NPO, reading="さくらだいこども")
    Location.objects.create(organisation=lonely, address="桜台2", district=sakura)
    centre = factories.organisation(
        "北こども家庭センター", kind=Kind.CHILD_FAMILY_CENTRE, reading="きたこども",
        home_area=region,
    )  # fmt: skip
    council = factories.organisation(
        "区社会福祉協議会", kind=Kind.WELFARE_COUNCIL, reading="くしゃかいふくし", home_area=city
    )
    clinic = factories.organisation("わかば医院", kind=Kind.MEDICAL, reading="わかばいいん")
    Location.objects.create(organisation=clinic, address="若葉1", district=other)

    Tie.objects.create(source=salon, target=care, kind=Tie.Kind.REFERS, note="相談者の紹介")
    Tie.objects.create(
        source=care, target=town, kind=Tie.Kind.COLLABORATES, since=datetime.date(2024, 4, 1)
    )
    Tie.objects.create(source=salon, target=town, kind=Tie.Kind.SHARES_VENUE)
    Tie.objects.create(source=care, target=centre, kind=Tie.Kind.REFERS)
    Tie.objects.create(source=centre, target=council, kind=Tie.Kind.COLLABORATES)
    Tie.objects.create(source=clinic, target=council, kind=Tie.Kind.REFERS)
    return {
        "city": city, "region": region, "sakura": sakura, "other": other, "care": care,
        "town": town, "salon": salon, "lonely": lonely, "centre": centre, "council": council,
    }  # fmt: skip


def test_who_is_drawn_and_in_which_order(district_network):
    n = district_network
    graph = network.area_network(area=n["sakura"])
    # Inside first, by kind (in the order of Organisation.Kind), then those outside it.
    assert [node.organisation.name for node in graph.nodes] == [
        "桜台あんしんすこやかセンター",  # community care centre
        "桜台まちづくりセンター",  # town office
        "ひだまりサロン",  # salon
        "北こども家庭センター",  # outside
    ]
    assert [node.number for node in graph.nodes] == [1, 2, 3, 4]
    assert [node.inside for node in graph.nodes] == [True, True, True, False]
    # Ties between two outside organisations are not drawn; the lonely NPO is only counted.
    assert len(graph.edges) == 4
    assert {edge.tie.kind for edge in graph.edges} == set(Tie.Kind.values)
    assert graph.untied == 1


def test_list_links_read_both_ways(district_network):
    graph = network.area_network(area=district_network["sakura"])
    links = {
        node.organisation.name: [(kind, way, other.number) for kind, way, other, _ in node.links]
        for node in graph.nodes
    }
    assert links["ひだまりサロン"] == [("refers", "out", 1), ("shares_venue", "both", 2)]
    assert links["桜台あんしんすこやかセンター"] == [
        ("collaborates", "both", 2),
        ("refers", "out", 4),
        ("refers", "in", 3),
    ]
    assert links["北こども家庭センター"] == [("refers", "in", 1)]


def test_layout_is_deterministic_and_on_the_drawing(district_network):
    first = network.area_network(area=district_network["sakura"])
    second = network.area_network(area=district_network["sakura"])
    assert [e.path for e in first.edges] == [e.path for e in second.edges]
    assert [(n.x, n.y) for n in first.nodes] == [(n.x, n.y) for n in second.nodes]
    top = first.nodes[0]
    assert top.x == pytest.approx(first.centre) and top.y < first.centre  # starts at the top
    for node in first.nodes:
        assert 0 < node.x < first.size and 0 < node.y < first.size
    # Labels on the left half are turned round to read outwards.
    assert {n.label_anchor for n in first.nodes} == {"start", "end"}


def test_page_draws_svg_with_line_styles_legend_and_list(client, district_network):
    client.force_login(factories.user())
    response = client.get(url(district_network["sakura"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg viewBox="0 0' in html and 'role="img"' in html
    assert html.count('class="network-tie network-tie--refers"') == 3  # two ties + the legend
    assert 'marker-end="url(#network-arrow)"' in html
    assert 'class="network-tie network-tie--shares_venue"' in html
    assert "network-node network-node--outside" in html
    # The legend names each kind; the list says everything in words.
    for words in ("Collaborates with", "Refers to", "Shares a venue with"):
        assert words in html
    assert "Receives referrals from" in html
    assert "Outside the district" in html
    assert "相談者の紹介" in html  # the tie's note
    assert "1 more organisation in the district has no tie recorded" in html
    assert "区社会福祉協議会" not in html  # tied only to an outside organisation


def test_district_without_ties(client, district_network):
    client.force_login(factories.user())
    response = client.get(url(district_network["other"]), HTTP_ACCEPT_LANGUAGE="en")
    # The clinic's only tie is to the ward's council: it is drawn, with the council outside.
    assert [n.organisation.name for n in response.context["network"].nodes] == [
        "わかば医院",
        "区社会福祉協議会",
    ]
    Tie.objects.all().delete()
    response = client.get(url(district_network["other"]), HTTP_ACCEPT_LANGUAGE="en")
    assert "No ties are recorded" in response.content.decode()


def test_region_lists_its_districts_and_unknown_is_404(client, district_network):
    client.force_login(factories.user())
    response = client.get(url(district_network["region"]))
    assert response.status_code == 200
    assert response.templates[0].name == "resources/network_index.html"
    html = response.content.decode()
    assert reverse("staff:area_network", args=["OTHER"]) in html
    assert client.get(reverse("staff:area_network", args=["NOPE"])).status_code == 404
    index = client.get(reverse("staff:network_index"))
    assert reverse("staff:area_network", args=[district_network["sakura"].code]) in (
        index.content.decode()
    )


def test_login_required(client, district_network):
    assert client.get(url(district_network["sakura"])).status_code == 302


def test_queries_do_not_grow_with_the_network(
    client, district_network, django_assert_max_num_queries
):
    client.force_login(factories.user())
    sakura, care = district_network["sakura"], district_network["care"]
    with django_assert_max_num_queries(10) as small:
        client.get(url(sakura))
    for n in range(30):
        salon = factories.organisation(f"サロン{n}", kind=Kind.SALON, home_area=sakura)
        Tie.objects.create(source=salon, target=care, kind=Tie.Kind.REFERS)
        if n % 3 == 0:
            Tie.objects.create(source=salon, target=district_network["town"], kind="shares_venue")
    with django_assert_max_num_queries(10) as large:
        response = client.get(url(sakura))
    assert len(response.context["network"].nodes) == 34
    assert len(large.captured_queries) == len(small.captured_queries)
