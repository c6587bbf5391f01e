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
    # Like Django's own date filters: anything that is not a date is shown as it is, never an error.
    if not isinstance(value, datetime.date):
        return value
    if isinstance(value, datetime.datetime):
        # In the current time zone (Asia/Tokyo): 16:00 UTC is already the next day in Japan.
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    # get_language() is None when translations are deactivated; "ja-jp" would count as Japanese.
    if (translation.get_language() or "").split("-")[0] == "ja":
        return format_wareki(value)
    return date_filter(value, "DATE_FORMAT")
