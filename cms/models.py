"""The public site's page types (Wagtail). Every page reads the other apps' data through
cms.selectors, which return public records only; nothing here touches case data.

Page tree per locale (the Japanese tree is the default site's root, English and any other
locale are translations of it, made with wagtail.contrib.simple_translation):

    HomePage
    ├── IndexPage (相談窓口)          → CentrePage …
    ├── IndexPage (地区のご案内)      → DistrictPage …
    ├── DirectoryPage (地域資源をさがす, /o/<uuid>/ per organisation)
    ├── EventIndexPage (教室・イベント) → EventPage … (.ics each)
    ├── NewsIndexPage (お知らせ)       → NewsPage …
    └── StandardPage …
"""

import datetime

from django.core.paginator import Paginator
from django.db import models
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms import selectors
from cms.blocks import BodyBlock, HelpLineBlock
from cms.forms import directory_filters
from cms.middleware import mark_cacheable
from resources.models import Organisation

PAGE_SIZE = 20
# Rich text without embedded images: images go in StreamField blocks, whose ImageBlock requires
# alt text (or "decorative").
TEXT_FEATURES = ["h2", "h3", "bold", "italic", "link", "document-link", "ol", "ul"]


class BasePage(RoutablePageMixin, Page):
    """What every public page shares: cached whole for anonymous visitors (cms.middleware),
    sub-routes for the pages that have them (RoutablePageMixin), and no userbar or preview in
    the cache."""

    # Site search (cms.search) also reads the promote tab's search description: editors put
    # readings and other spellings there (さんごけあ for 産後ケア), since kanji have none.
    search_fields = [*Page.search_fields, index.SearchField("search_description")]

    class Meta:
        abstract = True

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        if not getattr(request, "is_preview", False):
            mark_cacheable(response)
        return response

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        frame = selectors.site_frame(page=self)
        context.update(
            home=frame.home, nav=frame.nav, ancestors=frame.ancestors, directory=frame.directory
        )
        context["meta_description"] = strip_tags(
            self.search_description or getattr(self, "intro", "") or ""
        ).strip()
        # Read once, when the template first asks (a route may set translation_suffix first).
        context["languages"] = LanguageLinks(page=self, request=request, context=context)
        return context


class LanguageLinks:
    """The page's language links (selectors.language_links), read when first iterated."""

    def __init__(self, *, page, request, context):
        self.page, self.request, self.context = page, request, context
        self.links = None

    def __iter__(self):
        if self.links is None:
            self.links = selectors.language_links(
                page=self.page,
                request=self.request,
                suffix=self.context.get("translation_suffix", ""),
            )
        return iter(self.links)


class HomePage(BasePage):
    """The residents' front door: what the centres do and how to consult them."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    body = RichTextField(_("what the centres do"), blank=True, features=TEXT_FEATURES)
    how_to_consult = RichTextField(
        _("how to consult"),
        blank=True,
        help_text=_("Steps a resident takes: call, visit, who answers, whether it costs."),
        features=TEXT_FEATURES,
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("how_to_consult"),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["public_meetings"] = selectors.public_meetings(limit=5)
        context["news"] = selectors.latest_news(locale=self.locale_id, limit=3)
        context["events"] = selectors.upcoming_events(locale=self.locale_id, limit=4)
        context["sections"] = context["nav"]
        return context


class IndexPage(BasePage):
    """A list of its child pages: the centres, the districts (grouped by region)."""

    intro = RichTextField(_("introduction"), blank=True, features=TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.HomePage", "cms.IndexPage"]
    subpage_types = ["cms.CentrePage", "cms.DistrictPage", "cms.StandardPage", "cms.IndexPage"]

    class Meta:
        verbose_name = _("index page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["groups"] = selectors.index_children(page=self)
        return context


class CentrePage(BasePage):
    """A consultation centre, with each item the national guideline asks centres to publicise
    (センターの利用促進: 役割, 相談を受け付ける場所, 対応日時, 対象者, 受け付ける相談内容,
    対応にあたる専門職), the consulting environment, contact and an access map."""

    kind = models.CharField(_("kind"), max_length=32, choices=Organisation.Kind.choices)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"visibility": "public"},
        verbose_name=_("directory entry"),
        help_text=_("The centre's public entry in the directory (linked from this page)."),
    )
    area = models.ForeignKey(
        "districts.Area",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("area served"),
    )
    role = RichTextField(
        _("role of the centre"), help_text=_("センターの役割"), features=TEXT_FEATURES
    )
    consultation_places = models.TextField(
        _("where to consult"), help_text=_("相談を受け付ける場所 (窓口, 電話, 訪問, オンライン)")
    )
    opening_hours = models.TextField(_("opening days and hours"), help_text=_("対応日時"))
    who_for = models.TextField(_("who it is for"), help_text=_("対象者"))
    handles = RichTextField(
        _("what it handles"), help_text=_("受け付ける相談内容"), features=TEXT_FEATURES
    )
    professionals = models.TextField(
        _("professionals who answer"), help_text=_("対応にあたる専門職")
    )
    environment = models.TextField(
        _("consulting environment"),
        blank=True,
        help_text=_("e.g. private rooms for interviews, a nursing room, wheelchair access"),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    fax = models.CharField(_("fax"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    access = models.TextField(_("how to get there"), blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("kind"), FieldPanel("area")]),
        FieldPanel("organisation"),
        MultiFieldPanel(
            [
                FieldPanel("role"),
                FieldPanel("consultation_places"),
                FieldPanel("opening_hours"),
                FieldPanel("who_for"),
                FieldPanel("handles"),
                FieldPanel("professionals"),
                FieldPanel("environment"),
            ],
            heading=_("What the guideline asks centres to publish"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("phone"), FieldPanel("fax")]),
                FieldRowPanel([FieldPanel("email"), FieldPanel("website")]),
                FieldRowPanel([FieldPanel("postal_code"), FieldPanel("address")]),
                FieldPanel("access"),
                FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")]),
            ],
            heading=_("Contact and access"),
        ),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("role"),
        index.SearchField("handles"),
        index.SearchField("who_for"),
        index.SearchField("professionals"),
        index.SearchField("address"),
        index.FilterField("kind"),
    ]
    parent_page_types = ["cms.IndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("centre page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["map_tiles"] = selectors.map_tiles()
        context["centre_points"] = (
            [{"name": self.title, "lat": float(self.latitude), "lon": float(self.longitude)}]
            if self.latitude is not None and self.longitude is not None
            else []
        )
        context["directory_url"] = selectors.organisation_url(
            directory=context["directory"], organisation=self.organisation, request=request
        )
        return context


class DistrictPage(BasePage):
    """A district (地区) for its residents: its centres, public resources by category, public
    meetings and events, and a calendar to subscribe to."""

    area = models.ForeignKey(
        "districts.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    intro = RichTextField(_("introduction"), blank=True, features=TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("area"), FieldPanel("intro")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.IndexPage"]
    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("district page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        area = selectors.area_of(page=self)
        directory = context["directory"]
        context.update(
            area=area,
            centres=selectors.centres_for(area=area, locale=self.locale_id),
            resources=selectors.district_resources(area=area),
            public_meetings=selectors.public_meetings(area_ids=[area.pk], limit=10),
            events=selectors.upcoming_events(locale=self.locale_id, area=area, limit=10),
            # Served by conferences.calendar_views (public meetings of the district, its region
            # and the municipality); reversed by name, so cms never imports conferences.
            calendar_url=reverse("calendar:area", args=[area.code]),
            directory_url=directory.get_url(request) if directory else "",
        )
        return context


class DirectoryPage(BasePage):
    """The public directory: search (forgiving 全角/半角, spaces, hiragana/katakana), filters,
    a list and a map, and a stable address per organisation (<directory>/o/<uuid>/)."""

    intro = RichTextField(_("introduction"), blank=True, features=TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("directory page")

    @path("")
    def entries(self, request):
        filters = directory_filters(request.GET)
        organisations = selectors.directory_search(**filters.values)
        # Paged over ids, then the page's rows fetched: sorting 20,000 narrow rows is much
        # cheaper than sorting them whole.
        ids = organisations.values_list("pk", flat=True)
        page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
        entries = selectors.directory_entries(
            organisations=selectors.organisations_in_order(ids=list(page.object_list))
        )
        query = request.GET.copy()
        query.pop("page", None)
        context = dict(
            filters=filters,
            page_obj=page,
            entries=entries,
            map_points=selectors.map_points(entries),
            map_tiles=selectors.map_tiles(),
            extra=("&" + query.urlencode()) if query else "",
        )
        template = "cms/directory_page.html"
        if request.htmx:
            template += "#results"
        return self.render(request, context_overrides=context, template=template)

    @path("o/<uuid:uuid>/")
    def organisation(self, request, uuid):
        organisation = selectors.public_organisation_get(uuid=uuid)
        entry = selectors.directory_entries(organisations=[organisation], with_services=True)[0]
        context = dict(
            entry=entry,
            map_points=selectors.map_points([entry]),
            map_tiles=selectors.map_tiles(),
            translation_suffix=f"o/{uuid}/",
            meta_description=organisation.description,
        )
        return self.render(
            request, context_overrides=context, template="cms/directory_organisation.html"
        )

    def get_sitemap_urls(self, request=None):
        urls = super().get_sitemap_urls(request)
        base = self.get_full_url(request)
        urls += [{"location": f"{base}o/{uuid}/"} for uuid in selectors.public_organisation_uuids()]
        return urls


class EventIndexPage(BasePage):
    intro = RichTextField(_("introduction"), blank=True, features=TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.EventPage"]

    class Meta:
        verbose_name = _("events index page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["events"] = selectors.upcoming_events(locale=self.locale_id, parent=self, limit=50)
        context["public_meetings"] = selectors.public_meetings(limit=20)
        return context


class EventPage(BasePage):
    """A class or event for residents (産前教室, ママパパ学級, 介護予防教室), with an .ics file
    to put it in one's own calendar."""

    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    area = models.ForeignKey(
        "districts.Area",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("district"),
    )
    who_for = models.CharField(_("who it is for"), max_length=200, blank=True)
    cost = models.CharField(_("cost"), max_length=100, blank=True)
    how_to_apply = models.TextField(_("how to apply"), blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldRowPanel([FieldPanel("place"), FieldPanel("address")]),
        FieldPanel("area"),
        FieldRowPanel([FieldPanel("who_for"), FieldPanel("cost")]),
        FieldPanel("how_to_apply"),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("summary"),
        index.SearchField("place"),
        index.SearchField("body"),
        index.FilterField("starts_at"),
    ]
    parent_page_types = ["cms.EventIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("event page")

    @path("ics/")
    def ics(self, request):
        response = HttpResponse(
            selectors.event_ics(event=self, url=self.get_full_url(request)),
            content_type="text/calendar; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{self.slug}.ics"'
        return response


class NewsIndexPage(BasePage):
    intro = RichTextField(_("introduction"), blank=True, features=TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NewsPage"]

    class Meta:
        verbose_name = _("news index page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        news = selectors.news_of(index=self)
        context["page_obj"] = Paginator(news, 10).get_page(request.GET.get("page"))
        return context


class NewsPage(BasePage):
    date = models.DateField(_("date"), default=datetime.date.today)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("news page")


class StandardPage(BasePage):
    """Any other page, written from blocks (headings, text, images with alt text, notices,
    contacts, questions and answers, links, steps)."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro"), index.SearchField("body")]
    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("standard page")


@register_setting(icon="help")
class HelpLines(BaseSiteSetting):
    """Emergency and help lines shown on every public page (189, にんしんSOS, …)."""

    lines = StreamField([("line", HelpLineBlock())], verbose_name=_("help lines"), blank=True)
    emergency_note = models.CharField(
        _("note"),
        max_length=300,
        blank=True,
        help_text=_("e.g. 命に関わる緊急のときは 110番・119番へ"),
    )
    emergency_note_en = models.CharField(_("note in English"), max_length=300, blank=True)

    panels = [FieldPanel("lines"), FieldPanel("emergency_note"), FieldPanel("emergency_note_en")]

    class Meta:
        verbose_name = _("help lines")
