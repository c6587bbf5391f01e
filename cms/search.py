"""The public site's search: pages and directory entries for one query, title matches first.

Pages are found through Wagtail's search (cms.search_backend: NFKC, kana folding, CJK bigrams,
all parts of the query required). Directory entries are public organisations found through the
directory's own normalised key (resources.search), the same forgiving match staff use; an
organisation is listed only for what the public may see of it (its name, reading, English name
and public services: a staff-only service never makes it match).

Order: pages whose title holds the whole query, then organisations whose name does, then pages
matching elsewhere (by Wagtail's relevance), then the other organisations (五十音 order).
"""

import dataclasses
import re
import unicodedata
from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from modelsearch.index import SearchField
from wagtail.models import Locale, Page

from cms.search_backend import index_tokens, normalise, query_clauses
from resources import search as directory_search
from resources.models import Organisation, Service, Visibility

# A query past this is cut (and the page says so); the analyser cuts again after normalising.
MAX_QUERY_LENGTH = 100
# Pages taken from the index per query: enough for any municipal site's matches to be ordered.
MAX_PAGE_HITS = 500
SNIPPET_CHARS = 120


def clean_query(raw: str | None) -> tuple[str, bool]:
    """The query as searched (whitespace collapsed, at most MAX_QUERY_LENGTH characters) and
    whether it was cut."""
    query = " ".join((raw or "").split())
    if len(query) > MAX_QUERY_LENGTH:
        return query[:MAX_QUERY_LENGTH].strip(), True
    return query, False


def text_matches(text: str, query: str) -> bool:
    """Whether `text` holds every part of `query` the way the index matches it (used to tell
    title matches from body matches)."""
    clauses = query_clauses(query)
    if not clauses:
        return False
    tokens = index_tokens(text)
    joined = f" {' '.join(tokens)} "
    for kind, value in clauses:
        if kind == "phrase" and f" {value} " not in joined:
            return False
        if kind == "prefix" and not any(token.startswith(value) for token in tokens):
            return False
        if kind == "word" and value not in tokens:
            return False
    return True


# --- pages ---


def _public_pages(*, language_code: str | None) -> QuerySet[Page]:
    """Live pages no view restriction hides, of the visitor's language when that locale has
    pages, else of the default language (filters on Wagtail's FilterFields only)."""
    pages = Page.objects.live().public().filter(depth__gt=1)
    locale = Locale.objects.filter(language_code=language_code).first() if language_code else None
    if locale is None or not pages.filter(locale=locale).exists():
        locale = Locale.get_default()
    return pages.filter(locale=locale)


def pages_search(*, query: str, language_code: str | None = None) -> list[Page]:
    """Live, public pages (of the visitor's language when it has pages) matching `query`:
    title matches first, each group in Wagtail's relevance order."""
    if not query_clauses(query):
        return []
    found = list(_public_pages(language_code=language_code).search(query)[:MAX_PAGE_HITS])
    title_hits = [page for page in found if text_matches(page.title, query)]
    title_ids = {page.pk for page in title_hits}
    return title_hits + [page for page in found if page.pk not in title_ids]


def page_text(page: Page) -> str:
    """What a page says besides its title, as indexed (rich text and blocks as plain text), the
    search description last (it holds readings and other spellings rather than prose)."""
    page = page.specific
    fields = [
        field
        for field in page.get_search_fields()
        if isinstance(field, SearchField) and field.field_name != "title"
    ]
    fields.sort(key=lambda field: field.field_name == "search_description")
    parts: list[str] = []
    for field in fields:
        value = field.get_value(page)
        if isinstance(value, (list, tuple)):
            value = " ".join(str(item) for item in value)
        value = " ".join(str(value or "").split())
        # A summary repeated in the body (or the other way round) is shown once.
        if not value or any(value in part for part in parts):
            continue
        parts = [part for part in parts if part not in value] + [value]
    return " ".join(parts)


# --- directory ---


def directory_search_queryset(*, query: str) -> QuerySet[Organisation]:
    """Public organisations matching `query` in what the public may see of them."""
    condition = directory_search.search_filter(query)
    if not directory_search.query_terms(query):
        return Organisation.objects.none()
    candidates = Organisation.objects.filter(condition, visibility=Visibility.PUBLIC)
    # The stored key also holds staff-only services' names: organisations that have any are
    # checked again against their public fields only (few; most have none).
    hidden_service = Service.objects.filter(
        organisation=OuterRef("pk"), visibility=Visibility.STAFF
    )
    to_check = list(
        candidates.filter(Exists(hidden_service))
        .only("pk", "name", "reading", "name_en")
        .prefetch_related("services")
    )
    refused = [org.pk for org in to_check if not _public_key_matches(org, query)]
    return candidates.exclude(pk__in=refused)


def _public_key_matches(organisation: Organisation, query: str) -> bool:
    public_services = [
        service.name
        for service in organisation.services.all()
        if service.visibility == Visibility.PUBLIC
    ]
    key = directory_search.organisation_search_key(organisation, service_names=public_services)
    return all(term in key for term in directory_search.query_terms(query))


# --- both, in one list ---


@dataclasses.dataclass
class Hit:
    kind: str  # "page" or "directory"
    obj: Page | Organisation
    title_match: bool


class SearchResults(Sequence):
    """All hits for one query, in order, sliced lazily (Django's Paginator takes it as it is):
    the pages are a list, the organisations are read from the database a page at a time."""

    def __init__(self, *, pages: list[Page], organisations: QuerySet[Organisation], query: str):
        self.query = query
        name_ids = {
            pk for pk, name in organisations.values_list("pk", "name") if _name_has(name, query)
        }
        title_pages = [page for page in pages if text_matches(page.title, query)]
        others = organisations.exclude(pk__in=name_ids)
        # (page or directory, title match?, hits, how many)
        self._segments: list[tuple[str, bool, object, int]] = [
            ("page", True, title_pages, len(title_pages)),
            ("directory", True, organisations.filter(pk__in=name_ids), len(name_ids)),
            ("page", False, pages[len(title_pages) :], len(pages) - len(title_pages)),
            ("directory", False, others, others.count()),
        ]
        self.page_count = len(pages)
        self.directory_count = len(name_ids) + self._segments[-1][3]

    def __len__(self) -> int:
        return sum(segment[3] for segment in self._segments)

    def count(self) -> int:
        return len(self)

    def __getitem__(self, index):
        if isinstance(index, int):
            items = self[index : index + 1]
            if not items:
                raise IndexError(index)
            return items[0]
        start, stop, _ = index.indices(len(self))
        hits: list[Hit] = []
        offset = 0
        for kind, title_match, source, size in self._segments:
            low, high = max(start - offset, 0), min(stop - offset, size)
            if low < high:
                hits.extend(Hit(kind, obj, title_match) for obj in source[low:high])
            offset += size
        return hits


def _name_has(name: str, query: str) -> bool:
    normalised = directory_search.normalise(name)
    return all(term in normalised for term in directory_search.query_terms(query))


def site_search(*, query: str, language_code: str | None = None) -> SearchResults:
    pages = pages_search(query=query, language_code=language_code)
    public_services = Service.objects.filter(visibility=Visibility.PUBLIC).order_by("name", "pk")
    organisations = (
        directory_search_queryset(query=query)
        .order_by("reading", "name", "pk")
        .prefetch_related(Prefetch("services", public_services, to_attr="public_services"))
    )
    return SearchResults(pages=pages, organisations=organisations, query=query)


# --- snippets and highlighting ---


def _normalised_with_offsets(text: str) -> tuple[str, list[int], list[int]]:
    """The normalised text and, for each of its characters, where the original characters it
    comes from start and end (half-width ｺﾞ is two characters that become one)."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(text):
        for produced in normalise(char):
            if unicodedata.combining(produced) and chars:
                composed = unicodedata.normalize("NFC", chars[-1] + produced)
                if len(composed) == 1:
                    chars[-1] = normalise(composed)
                    ends[-1] = index + 1
                    continue
            chars.append(produced)
            starts.append(index)
            ends.append(index + 1)
    return "".join(chars), starts, ends


def _run_of_phrase(value: str) -> str:
    grams = value.split(" ")
    return grams[0] + "".join(gram[-1] for gram in grams[1:])


def _spans(text: str, query: str) -> list[tuple[int, int]]:
    """Where the parts of `query` are in `text` (original character offsets), merged."""
    normalised, starts, ends = _normalised_with_offsets(text)
    spans = []
    for kind, value in query_clauses(query):
        needle = _run_of_phrase(value) if kind == "phrase" else value
        for found in re.finditer(re.escape(needle), normalised):
            spans.append((starts[found.start()], ends[found.end() - 1]))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, query: str) -> SafeString:
    """`text`, escaped, with the query's parts in <mark>."""
    pieces, position = [], 0
    for start, end in _spans(text, query):
        pieces.append(escape(text[position:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces))  # every piece is escaped


def snippet(text: str, query: str, *, length: int = SNIPPET_CHARS) -> SafeString:
    """About `length` characters of `text` around the first match, highlighted."""
    text = " ".join(text.split())
    spans = _spans(text, query)
    start = max(spans[0][0] - length // 3, 0) if spans else 0
    end = min(start + length, len(text))
    excerpt = text[start:end]
    result = highlight(excerpt, query)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(f"{prefix}{result}{suffix}")  # highlight() escapes
