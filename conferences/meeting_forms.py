"""Forms of the meeting pages. They check and carry input; writes go through
conferences.meetings, which enforce the rules (versions, status, pledges)."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from conferences.models import (
    LegalBasis,
    Meeting,
    MeetingKind,
    MeetingLevel,
    MeetingVisibility,
    Membership,
    Participant,
    Pledge,
)
from conferences.workshops import JapaneseDateField
from districts import selectors as district_selectors
from districts.forms import AreaChoiceField, StaffForm
from resources.models import Organisation
from resources.schedule_forms import ORDINAL_CHOICES, WEEKDAY_CHOICES, HourField
from resources.schedules import Rule

LEGAL_BASIS_HELP = _(
    "The legal basis decides whether a case may go on this meeting's agenda without the "
    "person's recorded consent: under a basis its members may share a case without consent "
    "(and are bound to confidentiality); with none, the person's consent must be on record first."
)
PATTERNS = [
    ("weekly", _("Every week (毎週), on a day")),
    ("monthly", _("Monthly (毎月), on a weekday of the month (e.g. the 3rd Wednesday)")),
    ("biweekly", _("Every other week (隔週), on a day")),
]


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


def _people(*, organisation_ids, can_chair: bool = False, keep=()):
    members = Membership.objects.filter(organisation_id__in=organisation_ids)
    if can_chair:
        members = members.filter(can_chair=True)
    return (
        get_user_model()
        .objects.filter(Q(pk__in=members.values("user_id")) | Q(pk__in=[pk for pk in keep if pk]))
        .order_by("last_name", "first_name", "username")
    )


class _MeetingFields(StaffForm):
    """What one-off meetings and series share. The organiser is one of the user's
    organisations (or the one stored); the chair, a member of those who may chair; the
    recorder, any of their members."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices)
    level = forms.ChoiceField(label=_("Level"), choices=MeetingLevel.choices)
    area = AreaChoiceField(label=_("Area"), blank_label=_("Choose an area"))
    legal_basis = forms.ChoiceField(
        label=_("Legal basis"),
        choices=LegalBasis.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=LEGAL_BASIS_HELP,
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    organiser = forms.ModelChoiceField(
        label=_("Organised by"),
        queryset=Organisation.objects.none(),
        error_messages={"required": _("Choose the organisation running it.")},
    )
    chair = PersonChoiceField(
        label=_("Chair"), queryset=get_user_model().objects.none(), required=False
    )
    recorder = PersonChoiceField(
        label=_("Recorder"), queryset=get_user_model().objects.none(), required=False
    )
    visibility = forms.ChoiceField(
        label=_("Who may see it"),
        choices=MeetingVisibility.choices,
        initial=MeetingVisibility.STAFF,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        mine = Membership.objects.filter(user=user).values("organisation_id")
        keep_organiser = [current.organiser_id] if current is not None else []
        self.fields["organiser"].queryset = Organisation.objects.filter(
            Q(pk__in=mine) | Q(pk__in=keep_organiser)
        ).order_by("reading", "name")
        self.fields["chair"].queryset = _people(
            organisation_ids=mine,
            can_chair=True,
            keep=[current.chair_id] if current is not None else [],
        )
        self.fields["recorder"].queryset = _people(
            organisation_ids=mine, keep=[current.recorder_id] if current is not None else []
        )
        field = self.fields["area"]
        field.choices = [("", field.blank_label), *district_selectors.area_choices()]


class MeetingForm(_MeetingFields):
    date = JapaneseDateField(label=_("Date"))
    starts = HourField(label=_("Starts at"))
    ends = HourField(label=_("Ends at"))
    online_url = forms.URLField(
        label=_("Online meeting link"),
        required=False,
        max_length=200,
        assume_scheme="https",
    )
    # The version the editor started from: saving is refused if someone saved since.
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    field_order = [
        "title", "kind", "level", "area", "legal_basis", "date", "starts", "ends", "place",
        "online_url", "organiser", "chair", "recorder", "visibility",
    ]  # fmt: skip

    @classmethod
    def initial_for(cls, meeting: Meeting) -> dict:
        starts = timezone.localtime(meeting.starts_at)
        ends = timezone.localtime(meeting.ends_at)
        return {
            "title": meeting.title,
            "kind": meeting.kind,
            "level": meeting.level,
            "area": meeting.area.code,
            "legal_basis": meeting.legal_basis,
            "date": starts.date(),
            "starts": starts.time().replace(second=0, microsecond=0),
            "ends": ends.time().replace(second=0, microsecond=0),
            "place": meeting.place,
            "online_url": meeting.online_url,
            "organiser": meeting.organiser_id,
            "chair": meeting.chair_id,
            "recorder": meeting.recorder_id,
            "visibility": meeting.visibility,
            "version": meeting.version,
        }

    def clean(self):
        data = super().clean()
        day, starts, ends = data.get("date"), data.get("starts"), data.get("ends")
        if day and starts and ends:
            if ends <= starts:
                self.add_error("ends", _("The meeting must end after it starts."))
            else:
                data["starts_at"] = timezone.make_aware(datetime.datetime.combine(day, starts))
                data["ends_at"] = timezone.make_aware(datetime.datetime.combine(day, ends))
        return data

    def meeting_fields(self) -> dict:
        """The keyword arguments of meetings.meeting_create / meeting_update."""
        data = self.cleaned_data
        names = ("title", "kind", "level", "area", "legal_basis", "starts_at", "ends_at",
                 "place", "online_url", "organiser", "chair", "recorder", "visibility")  # fmt: skip
        fields = {name: data.get(name) for name in names}
        fields["legal_basis"] = fields["legal_basis"] or ""
        return fields


class SeriesForm(_MeetingFields):
    pattern = forms.ChoiceField(
        label=_("Repeats"), choices=PATTERNS, initial="monthly", widget=forms.RadioSelect
    )
    ordinal = forms.TypedChoiceField(
        label=pgettext_lazy("series form", "Week of the month"),
        choices=ORDINAL_CHOICES,
        coerce=int,
        required=False,
        help_text=_("For a monthly series only."),
    )
    weekday = forms.ChoiceField(label=pgettext_lazy("series form", "Day"), choices=WEEKDAY_CHOICES)
    start_time = HourField(label=_("Starts at"))
    end_time = HourField(label=_("Ends at"))
    starts_on = JapaneseDateField(label=_("First date"))
    until = JapaneseDateField(
        label=_("Last date"),
        required=False,
        help_text=_("Leave empty for a series without an end; meetings are added a year ahead."),
    )

    field_order = [
        "title", "kind", "level", "area", "legal_basis", "pattern", "ordinal", "weekday",
        "start_time", "end_time", "starts_on", "until", "place", "organiser", "chair",
        "recorder", "visibility",
    ]  # fmt: skip

    def clean(self):
        data = super().clean()
        pattern, weekday = data.get("pattern"), data.get("weekday")
        if pattern == "monthly" and not data.get("ordinal"):
            self.add_error("ordinal", _("Choose the week of the month."))
        elif pattern and weekday:
            if pattern == "weekly":
                rule = Rule(freq="WEEKLY", weekdays=((0, weekday),))
            elif pattern == "biweekly":
                rule = Rule(freq="WEEKLY", interval=2, weekdays=((0, weekday),))
            else:
                rule = Rule(freq="MONTHLY", weekdays=((data["ordinal"], weekday),))
            data["rrule"] = rule.as_rrule()
        starts, ends = data.get("start_time"), data.get("end_time")
        if starts and ends and ends <= starts:
            self.add_error("end_time", _("The meeting must end after it starts."))
        first, last = data.get("starts_on"), data.get("until")
        if first and last and last < first:
            self.add_error("until", _("The last date must not be before the first date."))
        return data

    def series_fields(self) -> dict:
        data = self.cleaned_data
        names = ("title", "kind", "level", "area", "legal_basis", "rrule", "starts_on", "until",
                 "start_time", "end_time", "place", "organiser", "chair", "recorder",
                 "visibility")  # fmt: skip
        fields = {name: data.get(name) for name in names}
        fields["legal_basis"] = fields["legal_basis"] or ""
        return fields


class CancelForm(StaffForm):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": _("Give the reason for cancelling.")},
        help_text=_("Shown on the meeting page. No case details."),
    )
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class StatusForm(StaffForm):
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class ParticipantForm(StaffForm):
    """A person with an account is chosen as a membership (which names both the person and
    the organisation they come for); anyone else by organisation and, optionally, name."""

    membership = forms.ModelChoiceField(
        label=_("Person with an account"),
        queryset=Membership.objects.none(),
        required=False,
    )
    organisation = forms.ModelChoiceField(
        label=_("Or an organisation"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    person_name = forms.CharField(
        label=_("Name of a person without an account"),
        max_length=100,
        required=False,
        help_text=_("e.g. a 民生委員 or a resident representative."),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=Participant.Role.choices, initial=Participant.Role.MEMBER
    )
    is_external = forms.BooleanField(
        label=_("Outside participant (needs a confidentiality pledge, 誓約書)"),
        required=False,
    )
    find = forms.CharField(
        label=_("Find another organisation or its people"), max_length=100, required=False
    )

    def __init__(self, *args, memberships, organisations, **kwargs):
        """`memberships` and `organisations` are the ones offered (the meeting's area, its
        participants, what a search found); any membership or organisation validates, so one
        chosen from a search is kept."""
        super().__init__(*args, **kwargs)
        blank = [("", "---------")]
        self.fields["membership"].queryset = Membership.objects.select_related(
            "user", "organisation"
        )
        self.fields["membership"].widget.choices = blank + [
            (m.pk, f"{m.user.get_full_name() or m.user.get_username()} ({m.organisation.name})")
            for m in memberships
        ]
        self.fields["organisation"].queryset = Organisation.objects.all()
        self.fields["organisation"].widget.choices = blank + [(o.pk, o.name) for o in organisations]

    def clean(self):
        data = super().clean()
        membership, organisation = data.get("membership"), data.get("organisation")
        if membership and organisation and membership.organisation_id != organisation.pk:
            self.add_error(
                "organisation",
                _("Choose either a person with an account or an organisation, not both."),
            )
        elif not membership and not organisation and not self.has_error("organisation"):
            self.add_error(
                None, _("Choose a person with an account, or the organisation they come for.")
            )
        if membership and data.get("person_name"):
            self.add_error(
                "person_name",
                _("A person with an account is named by the account: leave the name empty."),
            )
        return data


class PledgeForm(StaffForm):
    participant = forms.ModelChoiceField(label=_("Who signed"), queryset=Participant.objects.none())
    signed_on = JapaneseDateField(label=_("Signed on"))
    scope = forms.ChoiceField(
        label=_("Covers"),
        choices=Pledge.Scope.choices,
        initial=Pledge.Scope.MEETING,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, meeting: Meeting, participants, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["participant"]
        field.queryset = participants
        field.label_from_instance = lambda p: (
            f"{(p.user.get_full_name() or p.user.get_username()) if p.user else p.person_name}"
            f" ({p.organisation.name})"
        )
        if not meeting.series_id:
            self.fields["scope"].choices = [
                choice for choice in Pledge.Scope.choices if choice[0] == Pledge.Scope.MEETING
            ]


class MeetingFilterForm(StaffForm):
    WHEN = [("upcoming", _("Upcoming")), ("past", _("Past"))]

    when = forms.ChoiceField(label=_("When"), choices=WHEN, required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    level = forms.ChoiceField(label=_("Level"), required=False)
    area = AreaChoiceField(label=_("Area"), blank_label=_("All areas"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    mine = forms.BooleanField(label=_("Only meetings I take part in"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = ("", _("All"))
        self.fields["kind"].choices = [everything, *MeetingKind.choices]
        self.fields["level"].choices = [everything, *MeetingLevel.choices]
        self.fields["status"].choices = [everything, *Meeting.Status.choices]
        field = self.fields["area"]
        field.choices = [("", field.blank_label), *district_selectors.area_choices()]
