"""Reads for the public site: public records only, and only fields safe to publish.

Every public page reads the other apps' data through these functions and nothing else:
- organisations and services marked public (never staff-only ones, nor a public
  organisation's staff-only services);
- places whose address may be published (a hidden address, e.g. a shelter's, is never read:
  neither its address, its name nor its point; a hidden place does not even place its
  organisation in a district);
- public meetings that are not cancelled (title, time, place and area only);
- never cases, participants, agendas or minutes.
"""

import dataclasses
import datetime
from collections import defaultdict
from decimal import Decimal

import icalendar
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from wagtail.models import Page

from cms import models as pages
from conferences.models import Meeting, MeetingVisibility
from districts.models import Area
from resources.models import Location, Organisation, Service, TaxonomyTerm, Visibility
from resources.search import search_filter

PUBLIC = Visibility.PUBLIC


def english() -> bool:
    return (translation.get_language() or "").split("-")[0] == "en"


# Pages


@dataclasses.dataclass
class SiteFrame:
    """What every page's header and breadcrumbs need: its locale's home page, the home page's
    live children (the sections; `nav` those shown in menus), the directory page, and the
    page's ancestors below the root."""

    home: Page | None
    sections: list[Page]
    directory: Page | None
    ancestors: list[Page]

    @property
    def nav(self) -> list[Page]:
        return [section for section in self.sections if section.show_in_menus]


def site_frame(*, page: Page) -> SiteFrame:
    """One query for the home page and its children; the ancestors come from them for pages up
    to two levels below home (one more query deeper down)."""
    home_path = page.path[: page.steplen * 2]
    rows = list(
        Page.objects.live()
        .filter(Q(path=home_path) | Q(path__startswith=home_path, depth=3))
        .order_by("path")
    )
    home = next((row for row in rows if row.path == home_path), None)
    sections = [row for row in rows if row.depth == 3]
    directory_type = ContentType.objects.get_for_model(pages.DirectoryPage).pk
    directory = next((row for row in sections if row.content_type_id == directory_type), None)
    if page.depth <= 4:
        ancestors = [row for row in rows if page.path.startswith(row.path) and row.pk != page.pk]
    else:
        ancestors = list(page.get_ancestors().filter(depth__gte=2))
    return SiteFrame(home=home, sections=sections, directory=directory, ancestors=ancestors)


def sections(*, home) -> QuerySet[Page]:
    """The home page's children shown in menus: the site's main navigation."""
    if home is None:
        return Page.objects.none()
    return home.get_children().live().in_menu().order_by("path")


def directory_of(*, home):
    if home is None:
        return None
    return pages.DirectoryPage.objects.live().child_of(home).order_by("path").first()


def organisation_url(
    *, organisation: Organisation | None, directory=None, home=None, request=None
) -> str:
    """The public address of an organisation's directory entry ("" if it has none): under the
    given directory page, or else the directory page of the given home page."""
    if organisation is None or organisation.visibility != PUBLIC:
        return ""
    if directory is None:
        directory = directory_of(home=home)
    if directory is None:
        return ""
    return f"{directory.get_url(request)}o/{organisation.uuid}/"


def index_children(*, page) -> list[tuple[str, list[Page]]]:
    """An index page's live children: district pages grouped by region (五十音), then the
    others in the editors' order, as (group heading, pages)."""
    groups: dict[str, list[Page]] = defaultdict(list)
    districts = (
        pages.DistrictPage.objects.live()
        .child_of(page)
        .select_related("area__parent")
        .order_by("area__parent__reading", "area__reading", "path")
    )
    for district in districts:
        parent = district.area.parent
        groups[parent.name if parent else ""].append(district)
    others = page.get_children().live().not_type(pages.DistrictPage).order_by("path").specific()
    result = list(groups.items())
    others = list(others)
    if others:
        result.insert(0, ("", others))
    return result


def centres_for(*, area: Area, locale: int) -> list:
    """Centre pages for the area or the region above it (a こども家庭センター per region)."""
    area_ids = [area.pk] + ([area.parent_id] if area.parent_id else [])
    return list(
        pages.CentrePage.objects.live()
        .filter(locale_id=locale, area_id__in=area_ids)
        .order_by("kind", "path")
    )


def latest_news(*, locale: int, limit: int = 3) -> list:
    return list(
        pages.NewsPage.objects.live().filter(locale_id=locale).order_by("-date", "-path")[:limit]
    )


def news_of(*, index) -> QuerySet:
    return pages.NewsPage.objects.live().child_of(index).order_by("-date", "-path")


def upcoming_events(*, locale: int, area: Area | None = None, parent=None, limit: int = 10) -> list:
    """Classes and events of the locale (its id) that have not ended, soonest first."""
    events = pages.EventPage.objects.live().filter(locale_id=locale, ends_at__gte=timezone.now())
    if area is not None:
        events = events.filter(area=area)
    if parent is not None:
        events = events.child_of(parent)
    return list(events.order_by("starts_at", "path")[:limit])


def area_of(*, page) -> Area:
    return Area.objects.select_related("parent").get(pk=page.area_id)


def map_tiles() -> dict:
    return {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}


def language_name(code: str) -> str:
    """A language's name in that language (日本語, English), as a language switch shows it."""
    with translation.override(code):
        return str(dict(settings.LANGUAGES).get(code, code))


def language_links(*, page=None, request=None, suffix: str = "") -> list[dict]:
    """One entry per content language: its name (in itself), the address of the page's
    translation there (plus `suffix`, a sub-route such as o/<uuid>/), or else of that
    language's home page; `url` is empty when the language has no live page at all."""
    current = translation.get_language()
    found: dict[str, str] = {}
    translated = set()
    if page is not None and getattr(page, "pk", None):
        for each in page.get_translations(inclusive=True).live().select_related("locale"):
            found[each.locale.language_code] = each.get_url(request) + suffix
            translated.add(each.locale.language_code)
    missing = [code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES if code not in found]
    if missing:
        homes = pages.HomePage.objects.live().filter(locale__language_code__in=missing)
        for home in homes.select_related("locale").order_by("path"):
            found.setdefault(home.locale.language_code, home.get_url(request))
    return [
        {
            "code": code,
            "name": language_name(code),
            "url": found.get(code, ""),
            "current": code == current,
            "translated": code in translated,
        }
        for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES
    ]


# Meetings


def public_meetings(
    *, area_ids=None, limit: int = 10, now: datetime.datetime | None = None
) -> list[Meeting]:
    """Upcoming public meetings, not cancelled: title, time, place and area only."""
    meetings = Meeting.objects.filter(
        visibility=MeetingVisibility.PUBLIC, starts_at__gte=now or timezone.now()
    ).exclude(status=Meeting.Status.CANCELLED)
    if area_ids is not None:
        meetings = meetings.filter(area_id__in=area_ids)
    return list(
        meetings.select_related("area")
        .only("uid", "title", "starts_at", "ends_at", "place", "area__name", "area__code")
        .order_by("starts_at", "pk")[:limit]
    )


# The directory


def public_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(visibility=PUBLIC)


def public_services() -> QuerySet[Service]:
    return Service.objects.filter(visibility=PUBLIC, organisation__visibility=PUBLIC)


def public_organisation_get(*, uuid) -> Organisation:
    """A public organisation; 404 for a staff-only one, as for one that does not exist."""
    organisation = public_organisations().select_related("home_area").filter(uuid=uuid).first()
    if organisation is None:
        raise Http404
    return organisation


def public_organisation_uuids() -> list:
    return list(public_organisations().order_by("reading", "pk").values_list("uuid", flat=True))


def directory_search(
    *,
    query: str = "",
    kind: str = "",
    category: TaxonomyTerm | None = None,
    target_group: str = "",
    area: Area | None = None,
) -> QuerySet[Organisation]:
    """Public organisations in 五十音 order. `query` as the staff directory reads it
    (resources.search: 全角/半角, spaces, hiragana/katakana forgiven); `area`: a published
    place in the area or one under it, or the area as home; `category`, `target_group`: a
    public service has them."""
    organisations = public_organisations().order_by("reading", "name", "pk")
    if query:
        # The site search's reading of the key: a staff-only service's name never matches.
        from cms.search import directory_search_queryset

        matching = directory_search_queryset(query=query)
        organisations = organisations.filter(search_filter(query), pk__in=matching.values("pk"))
    if kind:
        organisations = organisations.filter(kind=kind)
    if area is not None:
        area_ids = Area.objects.filter(
            Q(pk=area.pk) | Q(parent=area) | Q(parent__parent=area)
        ).values("pk")
        located = Location.objects.filter(district_id__in=area_ids, hide_address=False).values(
            "organisation_id"
        )
        organisations = organisations.filter(Q(pk__in=located) | Q(home_area_id__in=area_ids))
    if category is not None or target_group:
        services = public_services()
        if category is not None:
            services = services.filter(
                pk__in=Service.categories.through.objects.filter(
                    taxonomyterm_id=category.pk
                ).values("service_id")
            )
        if target_group:
            services = services.filter(target_group=target_group)
        organisations = organisations.filter(pk__in=services.values("organisation_id"))
    return organisations


def organisations_in_order(*, ids: list[int]) -> list[Organisation]:
    """The public organisations with these ids, in the order given."""
    # By primary key alone (the visibility test in SQL would make SQLite walk the directory's
    # index instead), then only the public ones.
    found = Organisation.objects.select_related("home_area").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found and found[pk].visibility == PUBLIC]


@dataclasses.dataclass
class PublicPlace:
    hidden: bool
    name: str = ""
    postal_code: str = ""
    address: str = ""
    district: str = ""
    accessibility: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@dataclasses.dataclass
class Entry:
    organisation: Organisation
    places: list[PublicPlace]
    services: list[Service]

    @property
    def name(self) -> str:
        if english() and self.organisation.name_en:
            return self.organisation.name_en
        return self.organisation.name


def directory_entries(
    *, organisations: list[Organisation], with_services: bool = False
) -> list[Entry]:
    """The organisations with their places (hidden ones reduced to a mark) and, for an
    organisation's own page, its public services with schedules and categories."""
    ids = [organisation.pk for organisation in organisations]
    places: dict[int, list[PublicPlace]] = defaultdict(list)
    rows = (
        Location.objects.filter(organisation_id__in=ids)
        .select_related("district")
        .order_by("organisation_id", "name", "pk")
    )
    for location in rows:
        if location.hide_address:
            places[location.organisation_id].append(PublicPlace(hidden=True))
            continue
        places[location.organisation_id].append(
            PublicPlace(
                hidden=False,
                name=location.name,
                postal_code=location.postal_code,
                address=location.address,
                district=location.district.name if location.district else "",
                accessibility=location.accessibility,
                latitude=location.latitude,
                longitude=location.longitude,
            )
        )
    services: dict[int, list[Service]] = defaultdict(list)
    if with_services:
        for service in (
            Service.objects.filter(organisation_id__in=ids, visibility=PUBLIC)
            .prefetch_related("schedules", "categories")
            .order_by("organisation_id", "name", "pk")
        ):
            services[service.organisation_id].append(service)
    return [
        Entry(
            organisation=organisation,
            places=places[organisation.pk],
            services=services[organisation.pk],
        )
        for organisation in organisations
    ]


def map_points(entries: list[Entry]) -> list[dict]:
    """Points for the map: published places with coordinates only."""
    return [
        {
            "name": entry.name,
            "place": place.name,
            "lat": float(place.latitude),
            "lon": float(place.longitude),
            "uuid": str(entry.organisation.uuid),
        }
        for entry in entries
        for place in entry.places
        if not place.hidden and place.latitude is not None and place.longitude is not None
    ]


def district_resources(*, area: Area) -> list[tuple[str, list[dict]]]:
    """Public organisations with a published place in the district (or at home there), by the
    categories of their public services: (category name, organisations in 五十音 order)."""
    located = Location.objects.filter(district=area, hide_address=False).values("organisation_id")
    # Visibility checked on the few rows found by place, not in SQL: with it there, SQLite
    # walks every public organisation by the directory's index instead.
    organisation_ids = [
        pk
        for pk, visibility in Organisation.objects.filter(
            Q(pk__in=located) | Q(home_area=area)
        ).values_list("pk", "visibility")
        if visibility == PUBLIC
    ]
    rows = (
        Service.categories.through.objects.filter(
            service__visibility=PUBLIC, service__organisation_id__in=organisation_ids
        )
        .values_list(
            "taxonomyterm__name",
            "taxonomyterm__name_en",
            "taxonomyterm__order",
            "taxonomyterm__code",
            "service__organisation__uuid",
            "service__organisation__name",
            "service__organisation__name_en",
            "service__organisation__reading",
        )
        .order_by("taxonomyterm__order", "taxonomyterm__code", "service__organisation__reading")
    )
    in_english = english()
    groups: dict[tuple, dict] = {}
    for name, name_en, order, code, uuid, org_name, org_name_en, reading in rows:
        key = (order, code, (name_en or name) if in_english else name)
        members = groups.setdefault(key, {})
        members[uuid] = {
            "uuid": uuid,
            "name": (org_name_en or org_name) if in_english else org_name,
            "reading": reading,
        }
    return [
        (key[2], sorted(members.values(), key=lambda m: (m["reading"], m["name"])))
        for key, members in sorted(groups.items())
    ]


def directory_categories() -> list[tuple[str, str]]:
    in_english = english()
    return [
        (code, (name_en or name) if in_english else name)
        for code, name, name_en in TaxonomyTerm.objects.order_by("order", "code").values_list(
            "code", "name", "name_en"
        )
    ]


def district_choices() -> list[tuple[str, str]]:
    return list(
        Area.objects.filter(level=Area.Level.DISTRICT)
        .order_by("reading", "code")
        .values_list("code", "name")
    )


# Events


def event_ics(*, event, url: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Tsunagu//public events//JA")
    calendar.add("version", "2.0")
    item = icalendar.Event()
    item.add("uid", f"event-{event.translation_key}@tsunagu")
    item.add("summary", event.title)
    item.add("dtstart", event.starts_at)
    item.add("dtend", event.ends_at)
    item.add("dtstamp", event.last_published_at or timezone.now())
    item.add("location", ", ".join(part for part in (event.place, event.address) if part))
    if event.summary:
        item.add("description", event.summary)
    item.add("url", url)
    calendar.add_component(item)
    return calendar.to_ical()
