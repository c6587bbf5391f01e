import datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from districts.wareki import format_wareki

register = template.Library()


@register.filter
def wareki(value):
    """和暦 with 西暦 for Japanese pages (令和8年（2026年）11月23日); the Western date elsewhere."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if translation.get_language() == "ja":
        return format_wareki(value)
    return date_filter(value, "DATE_FORMAT")
