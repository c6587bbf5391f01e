"""Forms of the agenda builder. They check input only; the rules live in conferences.agenda."""

import unicodedata

from django import forms
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from conferences import agenda, selectors
from conferences.models import AgendaItem, Case
from districts.models import DistrictIssue

MAX_MINUTES = 240
# The case field suggests this many of the user's open cases (soonest review first); any
# other case the user may see can still be typed in by its code.
CASE_SUGGESTIONS = 200


class AgendaItemAddForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AgendaItem.Kind.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_(
            "For case items, say what is to be discussed, not who the person is: the "
            "participants' print shows the case code only."
        ),
    )
    minutes_allotted = forms.IntegerField(
        label=_("Minutes allotted"), min_value=1, max_value=MAX_MINUTES, initial=15
    )
    case_code = forms.CharField(
        label=_("Case code"),
        max_length=32,
        required=False,
        help_text=_("For a new case or a case review."),
    )
    district_issue = forms.ModelChoiceField(
        label=_("District issue"), queryset=DistrictIssue.objects.none(), required=False
    )
    presenting_organisation = forms.ModelChoiceField(
        label=_("Presenting organisation"), queryset=None, required=False
    )

    def __init__(self, *args, meeting, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.user = user
        self.fields["district_issue"].queryset = selectors.open_issues_in(
            area_ids=agenda.area_subtree_ids(area=meeting.area)
        )
        self.fields["presenting_organisation"].queryset = agenda.meeting_organisations(
            meeting=meeting
        )
        # Suggestions (a <datalist> in the template) while typing; works without JavaScript.
        self.fields["case_code"].widget.attrs.update(
            {"list": "agenda-case-suggestions", "autocomplete": "off"}
        )

    def case_suggestions(self):
        return (
            selectors.cases_visible_to(user=self.user)
            .filter(status=Case.Status.OPEN)
            .order_by(F("next_review_on").asc(nulls_last=True), "code")
            .values_list("code", flat=True)[:CASE_SUGGESTIONS]
        )

    def clean_case_code(self):
        # 全角 codes typed on a Japanese keyboard are the same code.
        return unicodedata.normalize("NFKC", self.cleaned_data["case_code"]).strip()

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        data["case"] = None
        if kind in agenda.CASE_KINDS:
            code = data.get("case_code")
            if not code:
                self.add_error("case_code", _("Give the code of the case this item is about."))
            else:
                case = selectors.cases_visible_to(user=self.user).filter(code__iexact=code).first()
                if case is None:
                    # The same answer whether the case exists or is merely not the user's.
                    self.add_error(
                        "case_code", _("You have no case with the code %(code)s.") % {"code": code}
                    )
                data["case"] = case
        if kind == AgendaItem.Kind.DISTRICT_ISSUE and not data.get("district_issue"):
            self.add_error("district_issue", _("Choose the district issue this item is about."))
        if (
            kind in (AgendaItem.Kind.DISTRICT_ISSUE, AgendaItem.Kind.REPORT)
            and not (data.get("title") or "").strip()
        ):
            self.add_error("title", _("Give the item a title."))
        return data


class ItemMinutesForm(forms.Form):
    minutes_allotted = forms.IntegerField(
        label=_("Minutes allotted"), min_value=1, max_value=MAX_MINUTES
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ItemVersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])
    previous = forms.CharField()


class ReorderForm(forms.Form):
    order = forms.CharField()
    previous = forms.CharField()
