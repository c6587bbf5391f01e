"""{% load public_site %}: the public site's language links, navigation and help lines."""

from django import template
from django.conf import settings
from django.utils import translation
from wagtail.models import Locale, Page

from cms import selectors

register = template.Library()

OG_LOCALES = {"ja": "ja_JP", "en": "en_US", "ko": "ko_KR", "vi": "vi_VN", "pt-br": "pt_BR"}


@register.simple_tag(takes_context=True)
def public_languages(context, page=None, suffix="") -> list[dict]:
    """The language links for a page (selectors.language_links); pages get them as
    `languages` in their context already."""
    return selectors.language_links(page=page, request=context.get("request"), suffix=suffix)


@register.simple_tag
def public_nav(home) -> list[Page]:
    return list(selectors.sections(home=home))


@register.simple_tag
def og_locale() -> str:
    return OG_LOCALES.get(translation.get_language() or "", "ja_JP")


@register.simple_tag
def in_language(ja: str, en: str) -> str:
    """A setting kept in both languages: English on English pages when it has one."""
    return en if selectors.english() and en else ja


@register.simple_tag
def locale_home_url() -> str:
    """The current language's home page address (for pages outside the tree: 404)."""
    code = translation.get_language() or settings.LANGUAGE_CODE
    home = (
        selectors.pages.HomePage.objects.live()
        .filter(locale__in=Locale.objects.filter(language_code=code))
        .first()
    )
    return home.url if home else "/"
