"""The staff form for a service's schedules. The rule is chosen from patterns (days of the week,
a weekday of the month, a day of the month, a date each year, every day) and built here; staff
never type RRULE. Writes go through resources.schedules.schedule_save."""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from districts.forms import StaffForm
from resources import schedules
from resources.models import Schedule
from resources.schedules import Rule

PATTERNS = [
    ("weekly", _("Every week, on the days ticked")),
    ("monthly_weekday", _("Monthly, on a weekday of the month (e.g. the 2nd Tuesday)")),
    ("monthly_day", _("Monthly, on a day of the month (e.g. the 15th)")),
    ("yearly", _("Once a year, on a date")),
    ("daily", _("Every day")),
]
# The rule's fields each pattern shows. The others are carried as hidden inputs, so switching
# the pattern back and forth loses nothing that was typed.
PATTERN_FIELDS = {
    "weekly": ("weekdays", "interval"),
    "monthly_weekday": ("ordinals", "weekdays", "interval"),
    "monthly_day": ("month_days", "interval"),
    "yearly": ("month", "month_days"),
    "daily": ("interval",),
}
RULE_FIELDS = ("ordinals", "weekdays", "month", "month_days", "interval")
WEEKDAY_CHOICES = [
    ("MO", _("Monday")),
    ("TU", _("Tuesday")),
    ("WE", _("Wednesday")),
    ("TH", _("Thursday")),
    ("FR", _("Friday")),
    ("SA", _("Saturday")),
    ("SU", _("Sunday")),
]
ORDINAL_CHOICES = [
    ("1", pgettext_lazy("week of the month", "1st")),
    ("2", pgettext_lazy("week of the month", "2nd")),
    ("3", pgettext_lazy("week of the month", "3rd")),
    ("4", pgettext_lazy("week of the month", "4th")),
    ("5", pgettext_lazy("week of the month", "5th")),
    ("-1", pgettext_lazy("week of the month", "Last")),
]
MONTH_CHOICES = [("", _("Choose a month")), *((str(n), name) for n, name in MONTHS.items())]
LAST_DAY_WORDS = {"last", "末", "末日", "月末", "最終日"}


class HourField(forms.TimeField):
    """A time of day typed as 10:00, １０：００, 10時 or 10時30分; 24:00 is midnight at closing."""

    widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

    def to_python(self, value):
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip()
            value = re.sub(r"^(\d{1,2})時(?:(\d{1,2})分?|(半))?$", _colon_time, value)
            if re.fullmatch(r"24(:00?)?", value):
                value = "00:00"
        return super().to_python(value)


def _colon_time(match: re.Match) -> str:
    minutes = "30" if match[3] else (match[2] or "0")
    return f"{match[1]}:{int(minutes):02d}"


class MonthDaysField(forms.CharField):
    """Days of the month typed as 15, or 1, 15, or 1・15日; 末日 (or "last") for the last day.
    Cleans to a tuple of ints, -1 for the last day."""

    def to_python(self, value):
        text = unicodedata.normalize("NFKC", super().to_python(value) or "")
        days = []
        for part in filter(None, re.split(r"[,、・/\s]+", text)):
            word = part.removesuffix("日") if part not in LAST_DAY_WORDS else part
            if word.lower() in LAST_DAY_WORDS:
                days.append(-1)
            elif word.isdigit() and 1 <= int(word) <= 31:
                days.append(int(word))
            else:
                raise ValidationError(
                    _('"%(value)s" is not a day of the month (1 to 31, or 末日 for the last day).'),
                    code="month_day",
                    params={"value": part},
                )
        return tuple(dict.fromkeys(days))


class ScheduleForm(StaffForm):
    pattern = forms.ChoiceField(
        label=_("Repeats"), choices=PATTERNS, initial="weekly", widget=forms.RadioSelect
    )
    ordinals = forms.MultipleChoiceField(
        label=_("Week of the month"),
        choices=ORDINAL_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Days"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    month = forms.TypedChoiceField(
        label=_("Month"), choices=MONTH_CHOICES, coerce=int, required=False, empty_value=None
    )
    month_days = MonthDaysField(
        label=_("Days of the month"),
        required=False,
        max_length=100,
        help_text=_("e.g. 15, or 1, 15; 末日 for the last day of the month."),
    )
    interval = forms.IntegerField(
        label=_("Every"),
        min_value=1,
        max_value=schedules.MAX_INTERVAL,
        initial=1,
        required=False,
        help_text=_("1 for every time; 2 for every other week or month (隔週・隔月); and so on."),
        widget=forms.NumberInput(attrs={"size": 3}),
    )
    opens_at = HourField(label=_("Opens at"), required=False)
    closes_at = HourField(label=_("Closes at"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=300, help_text=_("e.g. 祝日休み")
    )

    # False when the stored rule cannot be shown exactly by the patterns (see for_schedule).
    exact = True

    @classmethod
    def keeping(cls, data) -> "ScheduleForm":
        """An unbound form showing what was typed, without errors: for switching the pattern
        and previewing before the form is complete."""
        initial = {}
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.MultipleChoiceField):
                initial[name] = data.getlist(name)
            elif name in data:
                initial[name] = data.get(name)
        return cls(initial=initial)

    @classmethod
    def for_schedule(cls, schedule: Schedule) -> "ScheduleForm":
        """The form filled from a stored schedule. `exact` is False when the stored rule is one
        the patterns cannot show (e.g. 1st Monday and 3rd Wednesday), so saving would change it."""
        initial = {
            "opens_at": schedule.opens_at,
            "closes_at": schedule.closes_at,
            "notes": schedule.notes,
        }
        exact = True
        try:
            rule = Rule.parse(schedule.rrule)
        except ValidationError:
            rule, exact = None, False
        if rule is not None:
            initial["interval"] = rule.interval
            initial["weekdays"] = list(rule.days)
            initial["month_days"] = ", ".join(
                "末日" if d == -1 else str(d) for d in rule.month_days
            )
            if rule.freq == "WEEKLY":
                initial["pattern"] = "weekly"
            elif rule.freq == "DAILY":
                initial["pattern"] = "daily"
            elif rule.freq == "MONTHLY":
                initial["pattern"] = "monthly_day" if rule.month_days else "monthly_weekday"
            else:
                initial["pattern"] = "yearly"
                initial["month"] = rule.months[0]
                exact = len(rule.months) == 1 and bool(rule.month_days)
            if rule.weekdays and rule.freq != "WEEKLY":
                ordinals = {n for n, _ in rule.weekdays}
                initial["ordinals"] = [str(n) for n in sorted(ordinals)]
                # The form ticks weeks × days; a rule that is not such a product cannot be shown.
                product = {(n, d) for n in ordinals for d in rule.days}
                exact = exact and product == set(rule.weekdays)
                exact = exact and all(n in (1, 2, 3, 4, 5, -1) for n in ordinals)
            if any(d < -1 for d in rule.month_days):
                exact = False
        form = cls(initial=initial)
        form.exact = exact
        return form

    @property
    def current_pattern(self) -> str:
        value = self.data.get("pattern") if self.is_bound else self.initial.get("pattern")
        return value if value in PATTERN_FIELDS else "weekly"

    def rule_fields(self):
        """(shown, hidden): the bound fields of the rule that the current pattern uses, and the
        others, carried as hidden inputs."""
        shown = PATTERN_FIELDS[self.current_pattern]
        return (
            [self[name] for name in RULE_FIELDS if name in shown],
            [self[name] for name in RULE_FIELDS if name not in shown],
        )

    def clean(self):
        data = super().clean()
        pattern = data.get("pattern")
        if pattern:
            rule = self._rule(pattern, data)
            if rule is not None:
                data["rrule"] = rule.as_rrule()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens and closes.hour + closes.minute > 0:
            self.add_error("closes_at", _("The closing time must be after the opening time."))
        return data

    def _rule(self, pattern: str, data) -> Rule | None:
        interval = data.get("interval") or 1
        days = data.get("weekdays") or []
        month_days = data.get("month_days") or ()
        missing = False
        if pattern in ("weekly", "monthly_weekday") and not days:
            self.add_error("weekdays", _("Tick at least one day."))
            missing = True
        if pattern == "monthly_weekday" and not data.get("ordinals"):
            self.add_error("ordinals", _("Tick at least one week of the month."))
            missing = True
        if pattern in ("monthly_day", "yearly") and not month_days:
            if not self.has_error("month_days"):
                self.add_error("month_days", _("Give at least one day of the month."))
            missing = True
        if pattern == "yearly" and not data.get("month"):
            self.add_error("month", _("Choose the month."))
            missing = True
        if missing or self.has_error("interval"):
            return None
        try:
            if pattern == "weekly":
                return Rule(freq="WEEKLY", interval=interval, weekdays=tuple((0, d) for d in days))
            if pattern == "monthly_weekday":
                pairs = tuple((int(n), d) for n in data["ordinals"] for d in days)
                return Rule(freq="MONTHLY", interval=interval, weekdays=pairs)
            if pattern == "monthly_day":
                return Rule(freq="MONTHLY", interval=interval, month_days=month_days)
            if pattern == "yearly":
                return Rule(freq="YEARLY", months=(data["month"],), month_days=month_days)
            return Rule(freq="DAILY", interval=interval)
        except ValidationError as error:
            self.add_error(None, error)
            return None

    def schedule_fields(self) -> dict:
        """The keyword arguments of schedules.schedule_save (after is_valid())."""
        data = self.cleaned_data
        return {
            "rrule": data["rrule"],
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "notes": data["notes"],
        }

    def preview(self) -> str:
        """How the schedule will read, in the current language (after is_valid())."""
        return schedules.format_schedule(Schedule(**self.schedule_fields()))
