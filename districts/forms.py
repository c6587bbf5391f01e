"""Forms of the districts staff pages. They only check and carry input: writes go through
districts.services, which enforce the rules (status flow, versions)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from districts import selectors, services
from districts.models import Area, DistrictIssue, TargetGroup


class StaffForm(forms.Form):
    """No colon after labels: they sit above their fields, and a colon reads oddly in Japanese."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 60})


class AssessmentForm(StaffForm):
    strengths = forms.CharField(label=_("Strengths"), required=False, widget=_textarea(5))
    challenges = forms.CharField(label=_("Challenges"), required=False, widget=_textarea(5))
    notes = forms.CharField(label=_("Notes"), required=False, widget=_textarea(4))
    participants = forms.CharField(
        label=_("Who took part"),
        required=False,
        widget=_textarea(4),
        help_text=_("Organisations and people, one per line."),
    )
    # The version the editor started from (0: the year has no assessment yet).
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in services.ASSESSMENT_TEXT_FIELDS):
            raise forms.ValidationError(
                _("Write at least one of strengths, challenges, notes or who took part."),
                code="empty",
            )
        return data


class AreaChoiceField(forms.ChoiceField):
    """Picks an area by code from the whole tree (sub-areas indented); cleans to an Area.

    The choices are read once per form (see _with_area_choices), not on every iteration.
    """

    def __init__(self, *, blank_label, **kwargs):
        self.blank_label = blank_label
        super().__init__(choices=(), **kwargs)

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        area = Area.objects.filter(code=code).first()
        if area is None:  # deleted since the choices were read
            raise forms.ValidationError(_("This area no longer exists."), code="invalid_choice")
        return area


def _with_area_choices(form: forms.Form) -> None:
    field = form.fields["area"]
    field.choices = [("", field.blank_label), *selectors.area_choices()]


class IssueRaiseForm(StaffForm):
    area = AreaChoiceField(label=_("Area"), blank_label=_("Choose an area"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=_textarea(6),
        help_text=_("What was seen and where. No names or case codes: issues are anonymous."),
    )
    target_group = forms.ChoiceField(
        label=_("Target group"), choices=TargetGroup.choices, initial=TargetGroup.ALL
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _with_area_choices(self)


class IssueStatusForm(StaffForm):
    """Offers only the moves the flow allows from the issue's current status."""

    to_status = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Why"),
        required=False,
        widget=_textarea(3),
        help_text=_("Required when closing or re-opening."),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, issue: DistrictIssue, **kwargs):
        kwargs.setdefault("initial", {"version": issue.version})
        super().__init__(*args, **kwargs)
        field = self.fields["to_status"]
        # Any status passes the form, so a move the flow refuses gets the service's message
        # (which says why), and a stale page gets "changed meanwhile" rather than "invalid choice".
        field.choices = DistrictIssue.Status.choices
        field.widget.choices = [
            (status, services.issue_transition_label(issue=issue, to_status=status))
            for status in services.issue_next_statuses(issue=issue)
        ]


class IssueFilterForm(StaffForm):
    """The issue list's filters, read from the URL."""

    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All levels")), *Area.Level.choices]
    )
    area = AreaChoiceField(label=_("Area"), required=False, blank_label=_("All areas"))
    sub = forms.BooleanField(label=_("Include sub-areas"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All statuses")),
            (selectors.ISSUE_OPEN, _("Open (not closed)")),
            *DistrictIssue.Status.choices,
        ],
    )
    target = forms.ChoiceField(
        label=_("Target group"),
        required=False,
        choices=[("", _("All target groups")), *TargetGroup.choices],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _with_area_choices(self)
