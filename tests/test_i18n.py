"""Japanese first, English complete: the catalogues in locale/ and what the pages show.

`make messages` regenerates the catalogues (makemessages + compilemessages; needs GNU gettext).
The compiled .mo files are committed, so these tests need gettext only for the check that
makemessages would find nothing new, which is skipped without it (unless TSUNAGU_REQUIRE_GETTEXT
is set, as `make test` does, where it fails instead).
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ["ja", "en"]
GETTEXT_TOOLS = ["xgettext", "msgmerge", "msguniq", "msgattrib"]
# The flags `make messages` gives makemessages: keep the two in step.
MAKEMESSAGES = [
    *("makemessages", "--locale", "ja", "--locale", "en"),
    *("--ignore", ".venv/*", "--no-obsolete"),
]
STAFF_NAV = {
    "Districts": "地区",
    "Resources": "資源",
    "Meetings": "会議",
    "Cases": "ケース",
    "My schedule": "自分の予定",
}
# "Social welfare council (社会福祉協議会)": the English gloss goes, the Japanese term stays.
JAPANESE_IN_PARENTHESES = re.compile(r"\(([^()]*[\u3040-\u30ff\u4e00-\u9fff][^()]*)\)$")


def po_path(locale: str) -> Path:
    return ROOT / "locale" / locale / "LC_MESSAGES" / "django.po"


def read_catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f, abort_invalid=True)


def message_key(message) -> tuple[str | None, str]:
    """(context, msgid) with the singular msgid standing for a plural message."""
    msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return message.context, msgid


def translations(message) -> list[str]:
    return list(message.string) if message.pluralizable else [message.string]


def messages(catalog):
    return [message for message in catalog if message.id]


@pytest.fixture(scope="module", params=LOCALES)
def locale(request):
    return request.param


# The catalogues


def test_every_language_has_a_catalogue_with_its_plural_rule(locale):
    catalog = read_catalog(po_path(locale))
    assert catalog.locale_identifier == locale
    expected = {"ja": "nplurals=1; plural=0;", "en": "nplurals=2; plural=(n != 1);"}[locale]
    assert catalog.plural_forms == expected
    assert not catalog.fuzzy, f"{locale}: the header is still marked fuzzy"
    assert messages(catalog)


def test_the_japanese_catalogue_is_complete():
    catalog = read_catalog(po_path("ja"))
    untranslated = [m.id for m in messages(catalog) if not all(translations(m))]
    fuzzy = [m.id for m in messages(catalog) if m.fuzzy]
    assert not untranslated, f"untranslated in locale/ja: {untranslated}"
    assert not fuzzy, f"fuzzy (needs a translator's look) in locale/ja: {fuzzy}"
    for message in messages(catalog):
        assert len(translations(message)) == catalog.num_plurals, message.id


def test_the_catalogues_pass_babel_checks(locale):
    """Placeholders: every %(name)s of the source, no others, and the right number of plurals."""
    problems = [
        (message.id, [str(error) for error in errors])
        for message, errors in read_catalog(po_path(locale)).check()
    ]
    assert not problems


def test_english_is_the_source_language():
    """English shows the source strings: its catalogue holds the same messages, left empty
    (Django then falls back to the msgid) or overriding a wording; never fuzzy."""
    ja = read_catalog(po_path("ja"))
    en = read_catalog(po_path("en"))
    assert {message_key(m) for m in messages(en)} == {message_key(m) for m in messages(ja)}
    assert not [m.id for m in messages(en) if m.fuzzy]


def test_japanese_terms_in_parentheses_become_the_plain_term():
    catalog = read_catalog(po_path("ja"))
    glossed = [m for m in messages(catalog) if JAPANESE_IN_PARENTHESES.search(message_key(m)[1])]
    assert glossed, "expected source strings such as 'Social welfare council (社会福祉協議会)'"
    for message in glossed:
        assert not re.search(r"[A-Za-z]", message.string), (message.id, message.string)
    by_id = {message_key(m): m.string for m in messages(catalog)}
    assert by_id[None, "Social welfare council (社会福祉協議会)"] == "社会福祉協議会"


def test_the_catalogue_holds_only_project_strings():
    """makemessages must not reach into .venv: no Django or Wagtail strings in our catalogue."""
    for message in messages(read_catalog(po_path("ja"))):
        for filename, _line in message.locations:
            path = (ROOT / filename).resolve()
            assert path.is_relative_to(ROOT), filename
            relative = path.relative_to(ROOT)
            assert relative.parts[0] != ".venv" and "site-packages" not in relative.parts
            assert path.exists(), f"{filename}: gone; run `make messages`"


def test_the_compiled_catalogues_match_their_sources(locale):
    """The committed .mo says exactly what the .po says (msgfmt drops fuzzy and empty entries)."""
    catalog = read_catalog(po_path(locale))
    expected = {}
    for message in messages(catalog):
        strings = translations(message)
        if message.fuzzy or not any(strings):
            continue
        prefix = f"{message.context}\x04" if message.context else ""
        if message.pluralizable:
            for index, text in enumerate(strings):
                expected[prefix + message.id[0], index] = text
        else:
            expected[prefix + message.id] = message.string
    with po_path(locale).with_suffix(".mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    # _catalog is the parsed .mo: gettext's public API can only look messages up, not list them.
    found = {key: text for key, text in compiled._catalog.items() if key != ""}
    assert found == expected, "locale/ is out of date: run `make messages`"
    assert compiled.info().get("plural-forms") == catalog.plural_forms


def test_makemessages_would_find_nothing_new(tmp_path):
    """Every gettext string in the project's templates and Python is in the catalogue.

    Runs makemessages on a copy of the source tree (it writes beside each template while it
    works), then compares the message ids it produces with the committed ones.
    """
    missing_tools = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing_tools:
        reason = f"GNU gettext is not installed ({', '.join(missing_tools)} missing)"
        if os.environ.get("TSUNAGU_REQUIRE_GETTEXT"):
            pytest.fail(reason)
        pytest.skip(f"{reason}: apt-get install gettext to check the catalogue against the code")

    def only_sources(directory, names):
        ignored = set(shutil.ignore_patterns(".*", "__pycache__", "node_modules")(directory, names))
        if Path(directory) == ROOT:
            ignored |= {"media", "staticfiles"}
        return ignored | {
            name
            for name in names
            if (Path(directory) / name).is_file()
            and not name.endswith((".py", ".html", ".txt", ".po"))
        }

    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=only_sources)
    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=copy,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for locale in LOCALES:
        committed = {message_key(m) for m in messages(read_catalog(po_path(locale)))}
        fresh_path = copy / "locale" / locale / "LC_MESSAGES" / "django.po"
        fresh = {message_key(m) for m in messages(read_catalog(fresh_path))}
        new, gone = sorted(fresh - committed, key=str), sorted(committed - fresh, key=str)
        assert not new, f"{locale}: not in the catalogue, run `make messages`: {new}"
        assert not gone, f"{locale}: no longer used, run `make messages`: {gone}"


# The pages


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="[^"]*">(.*?)</nav>', html, re.S)
    assert nav, "no main navigation on the page"
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(1))


@pytest.mark.django_db
def test_the_login_page_is_japanese_by_default_and_english_after_switching(client):
    login_url = reverse("staff:login")
    html = client.get(login_url).text
    assert '<html lang="ja">' in html
    assert "<h1>つなぐにログイン</h1>" in html
    assert ">ログイン</button>" in html
    assert "Log in" not in html
    assert f'action="{reverse("set_language")}"' in html

    response = client.post(reverse("set_language"), {"language": "en", "next": login_url})
    assert response.status_code == 302 and response.url == login_url

    html = client.get(login_url).text
    assert '<html lang="en">' in html
    assert "<h1>Log in to Tsunagu</h1>" in html
    assert ">Log in</button>" in html
    assert "ログイン" not in html


@pytest.mark.django_db
def test_the_staff_navigation_speaks_the_chosen_language(client, django_user_model):
    user = django_user_model.objects.create_user(username="suzuki", password="unused-password")
    client.force_login(user)
    html = client.get(reverse("staff:dashboard")).text
    labels = nav_labels(html)
    for english, japanese in STAFF_NAV.items():
        assert japanese in labels
        assert english not in labels
    assert ">ログアウト</button>" in html

    client.post(reverse("set_language"), {"language": "en"})
    labels = nav_labels(client.get(reverse("staff:dashboard")).text)
    for english, japanese in STAFF_NAV.items():
        assert english in labels
        assert japanese not in labels
