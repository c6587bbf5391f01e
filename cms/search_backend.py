"""Wagtail search that finds Japanese inside Japanese, on SQLite and PostgreSQL.

Wagtail's database backends index whitespace-separated words, and Japanese has no spaces:
the whole of 「産後ケア事業のご案内」 is one "word", so 「産後ケア」 never matches it. This backend
keeps Wagtail's storage, ranking and `update_index` (it subclasses the SQLite FTS5 and PostgreSQL
tsvector backends) and passes every indexed text and every query through one analyser:

1. NFKC: full-width ＳＯＳ → SOS, half-width ｻﾝｺﾞｹｱ → サンゴケア, ① → 1; then case folding.
2. Katakana folded to hiragana (サンゴケア and さんごけあ meet); ー and 々 are kept.
3. Runs of wide characters (kanji, kana, hangul) become overlapping bigrams followed by the run's
   last character: 産後ケア → 産後 後け けあ あ. Other letters and digits stay whole words
   (sos, 189, nicu). Everything else (punctuation, spaces of either width) separates.

A query is analysed the same way, and every part of it is required (AND):
- a run of two or more wide characters must appear as a phrase, its bigrams side by side
  (「産後ケア」 matches 「産後ケア事業」 but not a page with 産後 and ケア far apart);
- a single wide character matches any token that starts with it (each character of the text
  starts one: the trailing character of a run is indexed for this);
- a word must appear as a whole word.
So 子育て　相談 (full-width space) needs both 子育て and 相談, in any order.

Storage: the analysed tokens are what Wagtail's IndexEntry holds (title, body, autocomplete), so
FTS5's default tokenizer and PostgreSQL's `simple` configuration see ready-made tokens and only
split them on spaces. Title boosts and BM25 / ts_rank ranking are Wagtail's own.

MySQL and SQLite without FTS5 are not supported; for large sites see README ("Search").
"""

import functools
import types
import unicodedata

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils.encoding import force_str
from modelsearch.query import (
    MATCH_NONE,
    And,
    Boost,
    MatchAll,
    Not,
    Or,
    Phrase,
    PlainText,
    SearchQuery,
)

# Katakana ァ (U+30A1) … ヶ (U+30F6) sit 0x60 above hiragana ぁ … ゖ (as in resources.search).
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
# A query longer than this (after normalising) is cut here: no resident types more, and the
# phrase it becomes stays small.
MAX_QUERY_CHARS = 64
MAX_QUERY_CLAUSES = 16


def normalise(text: str) -> str:
    """NFKC, case folded, katakana as hiragana. Keeps length-changing steps out of later stages."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return text.translate(_KATAKANA_TO_HIRAGANA)


def is_wide(char: str) -> bool:
    """A character of a script written without spaces (after NFKC, only those stay wide)."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def runs(normalised: str) -> list[tuple[bool, str]]:
    """Split normalised text into (wide?, run) pairs: runs of wide letters, runs of other letters
    and digits; everything else separates."""
    result: list[tuple[bool, str]] = []
    current: list[str] = []
    current_wide = False
    for char in normalised:
        if not char.isalnum():
            if current:
                result.append((current_wide, "".join(current)))
                current = []
            continue
        wide = is_wide(char)
        if current and wide != current_wide:
            result.append((current_wide, "".join(current)))
            current = []
        current_wide = wide
        current.append(char)
    if current:
        result.append((current_wide, "".join(current)))
    return result


def bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


def index_tokens(text: str) -> list[str]:
    """The tokens stored for a text: each wide run as bigrams then its last character, each
    other run as a word."""
    tokens: list[str] = []
    for wide, run in runs(normalise(text)):
        if wide and len(run) > 1:
            tokens.extend(bigrams(run))
            tokens.append(run[-1])
        else:
            tokens.append(run)
    return tokens


def index_text(text: str) -> str:
    return " ".join(index_tokens(text))


# What a query asks for: ("phrase", "産後 後け けあ"), ("prefix", "区") or ("word", "sos").
Clause = tuple[str, str]


def query_clauses(query: str) -> list[Clause]:
    """The clauses a query string requires, in order, duplicates dropped."""
    clauses: list[Clause] = []
    for wide, run in runs(normalise(query)[:MAX_QUERY_CHARS]):
        if wide and len(run) > 1:
            clause = ("phrase", " ".join(bigrams(run)))
        elif wide:
            clause = ("prefix", run)
        else:
            clause = ("word", run)
        if clause not in clauses:
            clauses.append(clause)
    return clauses[:MAX_QUERY_CLAUSES]


class PrefixTerm(PlainText):
    """One token matched as a prefix (a one-character query). A PlainText, so the upstream
    compilers rank it like any other term; building its match is ours."""

    def __init__(self, term: str):
        super().__init__(term)


def _clause_query(clause: Clause) -> SearchQuery:
    kind, value = clause
    if kind == "prefix":
        return PrefixTerm(value)
    return Phrase(value)


def analyse_query(query: SearchQuery, *, partial_last_word: bool = False) -> SearchQuery:
    """Rewrite a Wagtail query so its texts ask for our tokens. A text with nothing searchable
    in it matches nothing (MATCH_NONE). With `partial_last_word` (autocomplete, as the admin's
    choosers use it) a text's last Latin word or number may be the start of one: "wakak" finds
    Wakakusa. (A last run of kanji or kana needs nothing of the kind: 産後ケ finds 産後ケア.)"""
    recurse = functools.partial(analyse_query, partial_last_word=partial_last_word)
    if isinstance(query, PrefixTerm) or isinstance(query, MatchAll):
        return query
    if isinstance(query, (PlainText, Phrase)):
        clauses = query_clauses(query.query_string)
        if not clauses:
            return MATCH_NONE
        parts = [_clause_query(clause) for clause in clauses]
        if partial_last_word and clauses[-1][0] == "word":
            parts[-1] = PrefixTerm(clauses[-1][1])
        if len(parts) == 1:
            return parts[0]
        if isinstance(query, PlainText) and query.operator == "or":
            return Or(parts)
        return And(parts)
    if isinstance(query, Not):
        inner = recurse(query.subquery)
        return MatchAll() if inner is MATCH_NONE else Not(inner)
    if isinstance(query, Boost):
        inner = recurse(query.subquery)
        return inner if inner is MATCH_NONE else Boost(inner, query.boost)
    if isinstance(query, (And, Or)):
        parts = [recurse(subquery) for subquery in query.subqueries]
        nothing = [part for part in parts if part is MATCH_NONE]
        parts = [part for part in parts if part is not MATCH_NONE]
        if (isinstance(query, And) and nothing) or not parts:
            return MATCH_NONE
        return parts[0] if len(parts) == 1 else type(query)(parts)
    return query  # e.g. Fuzzy (PostgreSQL only): left to the upstream backend


def _flatten(value) -> str:
    # The upstream ObjectIndexer.prepare_value, without recursing into the overridden method.
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(_flatten(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(_flatten(item) for item in value.values())
    return force_str(value)


class _AnalysingIndexerMixin:
    """Every field value reaches the index as our tokens."""

    def prepare_value(self, value):
        return index_text(_flatten(value))


class _AnalysingCompilerMixin:
    """Every query is analysed before the upstream compiler builds its SQL."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.query = analyse_query(self.query, partial_last_word=self.LAST_TERM_IS_PREFIX)


def _with_indexer(add_items, indexer_class):
    """The upstream `Index.add_items`, building `indexer_class` where it builds its module's
    ObjectIndexer. Rebinding the name, rather than copying the function, keeps the upstream
    insert/update logic (and its fixes) as it is."""
    namespace = {**add_items.__globals__, "ObjectIndexer": indexer_class}
    return types.FunctionType(
        add_items.__code__,
        namespace,
        add_items.__name__,
        add_items.__defaults__,
        add_items.__closure__,
    )


@functools.cache
def _sqlite_backend_class():
    from modelsearch.backends.database.sqlite import sqlite
    from modelsearch.backends.database.sqlite.query import Lexeme, SearchQueryExpression

    class Indexer(_AnalysingIndexerMixin, sqlite.ObjectIndexer):
        pass

    class Index(sqlite.SQLiteIndex):
        add_items = _with_indexer(sqlite.SQLiteIndex.add_items, Indexer)

    class PrefixMixin:
        def build_search_query_content(self, query, config=None):
            if isinstance(query, PrefixTerm):
                return SearchQueryExpression(Lexeme(query.query_string, prefix=True))
            return super().build_search_query_content(query, config=config)

    class QueryCompiler(_AnalysingCompilerMixin, PrefixMixin, sqlite.SQLiteSearchQueryCompiler):
        pass

    class AutocompleteQueryCompiler(
        _AnalysingCompilerMixin, PrefixMixin, sqlite.SQLiteAutocompleteQueryCompiler
    ):
        pass

    class Backend(sqlite.SQLiteSearchBackend):
        index_class = Index
        query_compiler_class = QueryCompiler
        autocomplete_query_compiler_class = AutocompleteQueryCompiler

    return Backend


@functools.cache
def _postgres_backend_class():
    from django.contrib.postgres.search import SearchQuery as PostgresQuery
    from modelsearch.backends.database.postgres import postgres
    from modelsearch.backends.database.postgres.query import Lexeme

    class Indexer(_AnalysingIndexerMixin, postgres.ObjectIndexer):
        pass

    class Index(postgres.PostgresIndex):
        add_items = _with_indexer(postgres.PostgresIndex.add_items, Indexer)

    class PrefixMixin:
        def build_tsquery_content(self, query, config=None, invert=False):
            if isinstance(query, PrefixTerm):
                lexeme = Lexeme(query.query_string, prefix=True, invert=invert)
                return PostgresQuery(lexeme, search_type="raw", config=config)
            return super().build_tsquery_content(query, config=config, invert=invert)

    class QueryCompiler(_AnalysingCompilerMixin, PrefixMixin, postgres.PostgresSearchQueryCompiler):
        pass

    class AutocompleteQueryCompiler(
        _AnalysingCompilerMixin, PrefixMixin, postgres.PostgresAutocompleteQueryCompiler
    ):
        pass

    class Backend(postgres.PostgresSearchBackend):
        index_class = Index
        query_compiler_class = QueryCompiler
        autocomplete_query_compiler_class = AutocompleteQueryCompiler

        def __init__(self, params):
            super().__init__(params)
            # Our tokens need no stemming or stop words: `simple` only lower-cases them.
            self.config = params.get("SEARCH_CONFIG", "simple")
            self.autocomplete_config = self.config

    return Backend


def SearchBackend(params):  # the name Wagtail looks up in a backend module
    """The Japanese-aware backend for the default database's engine."""
    if connection.vendor == "postgresql":
        return _postgres_backend_class()(params)
    if connection.vendor == "sqlite":
        from modelsearch.backends.database.sqlite.utils import fts5_available

        if fts5_available():
            return _sqlite_backend_class()(params)
    raise ImproperlyConfigured(
        "cms.search_backend needs PostgreSQL or SQLite with FTS5; "
        "use Elasticsearch/OpenSearch otherwise (README, Search)."
    )
