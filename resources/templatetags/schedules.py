"""{% load schedules %}: recurring schedules in the current language (resources.schedules)."""

from django import template

from resources import schedules as schedule_text
from resources.models import Schedule, Service

register = template.Library()


@register.filter
def schedule_lines(value) -> list[str]:
    """A service, a schedule or schedules → one line per rule, spans of the same rule joined:
    {% for line in service|schedule_lines %}. Uses prefetched schedules when there are some."""
    if value in (None, ""):
        return []
    if isinstance(value, Service):
        value = value.schedules.all()
    elif isinstance(value, Schedule):
        value = [value]
    return schedule_text.schedule_lines(value)


@register.filter
def schedule_line(schedule) -> str:
    """One schedule on its own: 「毎月第2・第4火曜 10:00–12:00」."""
    if not isinstance(schedule, Schedule):
        return ""
    return schedule_text.format_schedule(schedule)


@register.simple_tag
def schedule_lines_of(service=None, schedules=None) -> list[str]:
    """{% schedule_lines_of service=service schedules=rows as lines %}: the lines of the given
    schedules, or else of the service's (for an include that takes either)."""
    return schedule_lines(service if schedules in (None, "") else schedules)
