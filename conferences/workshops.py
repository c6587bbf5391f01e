"""Workshops (e.g. 「何が必要？福祉の土台づくり」): the welfare council's events where the
organisations of an area work out what the area needs.

No model of their own: a workshop is a Meeting of kind "workshop", its level given by its area's
level, with a Participant row per organisation taking part; the notes and findings are the
summary of its one report agenda item, so the meeting page shows them like any minutes.
Reads (workshops_in, workshop_organisation_choices), the write (workshop_create) and the form.
"""

import datetime

from django import forms
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from conferences.models import (
    AgendaItem,
    Meeting,
    MeetingKind,
    MeetingLevel,
    MeetingVisibility,
    Membership,
    Participant,
)
from conferences.selectors import meetings_visible_to
from districts import selectors as district_selectors
from districts.dates import parse_japanese_date
from districts.forms import AreaChoiceField, StaffForm
from districts.models import Area
from resources import selectors as resource_selectors
from resources.models import Organisation

LEVEL_OF_AREA = {
    Area.Level.MUNICIPALITY: MeetingLevel.MUNICIPAL,
    Area.Level.REGION: MeetingLevel.REGION,
    Area.Level.DISTRICT: MeetingLevel.DISTRICT,
}
FIND_LIMIT = 30
VISIBILITIES = [
    (MeetingVisibility.PUBLIC, gettext_lazy("Public: on the public site and calendars")),
    (MeetingVisibility.STAFF, gettext_lazy("Staff only")),
]


# --- Reads ----------------------------------------------------------------------------------------


def workshops_in(*, user, area: Area | None = None) -> QuerySet[Meeting]:
    """Workshops the user may see, of the area and every area under it (all when no area),
    newest first, each with the number of organisations taking part."""
    workshops = meetings_visible_to(user=user).filter(kind=MeetingKind.WORKSHOP)
    if area is not None:
        workshops = workshops.filter(
            Q(area=area) | Q(area__parent=area) | Q(area__parent__parent=area)
        )
    return (
        workshops.select_related("area")
        .annotate(organisation_count=Count("participants__organisation", distinct=True))
        .order_by("-starts_at", "-pk")
    )


def area_and_above(area: Area) -> list[int]:
    """The area's pk and its ancestors' (no query: the tree is at most three levels deep and
    the parents come with select_related)."""
    return [area.pk, *(parent.pk for parent in area.ancestors())]


def workshop_organisation_choices(
    *, area: Area | None, query: str = "", selected_ids=()
) -> list[Organisation]:
    """The organisations offered as taking part, in kind then 五十音 order: those located in or
    serving the area itself or an area above it (a district workshop offers the district's
    groups and the region's and the ward's offices; not a region's hundreds of groups), those
    a search finds, and those already chosen. One query."""
    condition = Q(pk__in=list(selected_ids))
    if area is not None:
        present = resource_selectors.organisations_present_in(area_ids=area_and_above(area))
        condition |= Q(pk__in=present.values("pk"))
    if query:
        found = resource_selectors.organisation_search(query=query).values("pk")[:FIND_LIMIT]
        condition |= Q(pk__in=found)
    kinds = {kind: index for index, kind in enumerate(Organisation.Kind.values)}
    organisations = list(
        Organisation.objects.filter(condition).only("pk", "name", "reading", "kind")
    )
    organisations.sort(
        key=lambda o: (kinds.get(o.kind, len(kinds)), o.reading or o.name, o.name, o.pk)
    )
    return organisations


def user_organisations(*, user) -> list[Organisation]:
    return [
        membership.organisation
        for membership in Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__reading", "organisation__name")
    ]


# --- Write ----------------------------------------------------------------------------------------


@transaction.atomic
def workshop_create(
    *,
    user,
    title: str,
    area: Area,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    place: str,
    organiser: Organisation,
    organisations,
    visibility: str,
    notes: str = "",
    now: datetime.datetime | None = None,
) -> Meeting:
    """A workshop with a Participant row per organisation (the organiser's included) and, when
    there are notes, a report item holding them. One that has ended is recorded as held."""
    now = now or timezone.now()
    held = ends_at <= now
    meeting = Meeting.objects.create(
        kind=MeetingKind.WORKSHOP,
        level=LEVEL_OF_AREA[area.level],
        area=area,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        organiser=organiser,
        recorder=user,
        status=Meeting.Status.HELD if held else Meeting.Status.PLANNED,
        visibility=visibility,
    )
    taking_part = {organiser.pk: organiser}
    for organisation in organisations:
        taking_part.setdefault(organisation.pk, organisation)
    Participant.objects.bulk_create(
        Participant(
            meeting=meeting,
            organisation_id=pk,
            role=Participant.Role.MEMBER,
            attended=True if held else None,
        )
        for pk in taking_part
    )
    if notes:
        minutes = int((ends_at - starts_at).total_seconds() // 60)
        AgendaItem.objects.create(
            meeting=meeting,
            order=1,
            kind=AgendaItem.Kind.REPORT,
            title=_("Notes and findings"),
            minutes_allotted=max(1, min(minutes, 32767)),
            presenting_organisation=organiser,
            summary=notes,
        )
    return meeting


# --- Form -----------------------------------------------------------------------------------------


class JapaneseDateField(forms.DateField):
    """A date from the date picker (YYYY-MM-DD) or typed as Japanese tables write it
    (令和8年7月12日, R8.7.12, 2026/7/12, 全角 digits)."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        try:
            return parse_japanese_date(str(value))
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


class WorkshopForm(StaffForm):
    """Checks and carries input; the organisations are rendered by the template (grouped by
    kind) from workshop_organisation_choices, but any organisation validates, so one chosen
    before the area was changed is kept."""

    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=200,
        help_text=gettext_lazy("e.g. 何が必要？福祉の土台づくり"),
    )
    area = AreaChoiceField(label=gettext_lazy("Area"), blank_label=gettext_lazy("Choose an area"))
    date = JapaneseDateField(label=gettext_lazy("Date"))
    starts = forms.TimeField(
        label=gettext_lazy("Starts at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    ends = forms.TimeField(
        label=gettext_lazy("Ends at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    organiser = forms.ModelChoiceField(
        label=gettext_lazy("Organised by"),
        queryset=Organisation.objects.all(),
        error_messages={"required": gettext_lazy("Choose the organisation running it.")},
    )
    organisations = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Organisations taking part"),
        queryset=Organisation.objects.all(),
        required=False,
    )
    find = forms.CharField(
        label=gettext_lazy("Find another organisation"), required=False, max_length=100
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("Who may see it"),
        choices=VISIBILITIES,
        initial=MeetingVisibility.STAFF,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes and findings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=gettext_lazy(
            "What the groups said the area needs. No names of residents or case codes."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        field.choices = [("", field.blank_label), *district_selectors.area_choices()]

    def clean(self):
        data = super().clean()
        day, starts, ends = data.get("date"), data.get("starts"), data.get("ends")
        if day and starts and ends:
            if ends <= starts:
                self.add_error("ends", _("The workshop must end after it starts."))
            else:
                data["starts_at"] = timezone.make_aware(datetime.datetime.combine(day, starts))
                data["ends_at"] = timezone.make_aware(datetime.datetime.combine(day, ends))
        return data
