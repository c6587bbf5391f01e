"""The public site's search page: /search/?q=… (and /en/search/ for English).

A plain GET form that works without JavaScript; with htmx the results part is replaced in
place (same template, partial "results") and the address follows. Nothing is cached: the
page cache skips addresses with a query string, and the form page itself is not marked.
"""

import dataclasses
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from wagtail.models import Locale, Page

from cms import search
from cms.search_backend import query_clauses
from resources import search as directory_search

PAGE_SIZE = 20


@dataclasses.dataclass
class ShownHit:
    kind: str
    kind_label: str
    title: str
    url: str
    snippet: str
    title_match: bool


def _home(language_code: str):
    from cms.models import HomePage

    homes = HomePage.objects.live().order_by("path")
    return (
        homes.filter(locale__language_code=language_code).first()
        or homes.filter(locale__language_code=Locale.get_default().language_code).first()
    )


def _page_hits(pages: list[Page], query: str, request) -> dict[int, ShownHit]:
    ids = [page.pk for page in pages]
    specific = {page.pk: page for page in Page.objects.filter(pk__in=ids).specific()}
    shown = {}
    for page in pages:
        page = specific.get(page.pk, page)
        shown[page.pk] = ShownHit(
            kind="page",
            kind_label=str(page._meta.verbose_name),
            title=search.highlight(page.title, query),
            url=page.get_url(request) or "",
            snippet=search.snippet(search.page_text(page), query),
            title_match=False,
        )
    return shown


def _organisation_hit(organisation, query: str, home) -> ShownHit:
    from cms import selectors

    # What the public may see of it: its other name, public services and description. English
    # pages name it in English where it has an English name, with the Japanese one beside.
    english = (translation.get_language() or "").startswith("en") and organisation.name_en
    title, other_name = (
        (organisation.name_en, organisation.name)
        if english
        else (organisation.name, organisation.name_en)
    )
    services = [service.name for service in getattr(organisation, "public_services", [])]
    parts = [other_name, "・".join(services), organisation.description]
    text = " ".join(part for part in parts if part)
    return ShownHit(
        kind="directory",
        kind_label=str(organisation.get_kind_display()),
        title=search.highlight(title, query),
        url=selectors.organisation_url(home=home, organisation=organisation),
        snippet=search.snippet(text, query) if text else "",
        title_match=False,
    )


def _language_links(request, query: str) -> list[dict]:
    """The same search in each content language (for the footer's language links)."""
    from cms import selectors

    current = translation.get_language()
    links = []
    for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES:
        with translation.override(code):
            url = reverse("search")
        links.append(
            {
                "code": code,
                "name": selectors.language_name(code),
                "url": f"{url}?{urlencode({'q': query})}" if query else url,
                "current": code == current,
                "translated": False,
            }
        )
    return links


@require_GET
@vary_on_headers("HX-Request")
def site_search(request):
    query, truncated = search.clean_query(request.GET.get("q"))
    language = (translation.get_language() or "ja").split("-")[0]
    home = _home(language)
    context = {
        "query": query,
        "truncated": truncated,
        "searched": bool(query),
        "home": home,
        "languages": _language_links(request, query),
    }
    searchable = bool(query_clauses(query) or directory_search.query_terms(query))
    if query:
        results = search.site_search(query=query, language_code=language) if searchable else []
        paginator = Paginator(results, PAGE_SIZE, allow_empty_first_page=True)
        page = paginator.get_page(request.GET.get("page"))
        hits = list(page.object_list)
        shown_pages = _page_hits([hit.obj for hit in hits if hit.kind == "page"], query, request)
        shown = []
        for hit in hits:
            if hit.kind == "page":
                item = shown_pages[hit.obj.pk]
            else:
                item = _organisation_hit(hit.obj, query, home)
            item.title_match = hit.title_match
            shown.append(item)
        context.update(
            page=page,
            hits=shown,
            total=paginator.count,
            page_count=getattr(results, "page_count", 0),
            directory_count=getattr(results, "directory_count", 0),
            first_number=page.start_index(),
        )
    template = "cms/search.html#results" if request.htmx else "cms/search.html"
    return render(request, template, context)
