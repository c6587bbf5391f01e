"""Forms of the minutes page. Each item's forms carry the item's prefix (item-<pk>) so that the
fields of thirty items on one page keep distinct names and ids. Choices are passed in, built
once per page (no query per form)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from conferences.models import CorrectionProposal

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ItemMinutesForm(forms.Form):
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One information point per line: each can become an action item."),
    )
    decisions = forms.CharField(
        label=_("Decisions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PersonSelect(forms.Select):
    """A select of people whose options carry the ids of their organisations
    (data-organisations), so static/js/minutes.js can offer the chosen organisation's people."""

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = organisations or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        organisation_ids = self.organisations.get(str(value))
        if organisation_ids:
            option["attrs"]["data-organisations"] = " ".join(str(pk) for pk in organisation_ids)
        return option


class ActionItemForm(forms.Form):
    description = forms.CharField(label=_("What"), max_length=300)
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), coerce=int, required=False, empty_value=None
    )
    other_organisation = forms.CharField(
        label=_("or another agency"),
        required=False,
        max_length=200,
        help_text=_("The name of any agency, if it is not in the list."),
    )
    assignee = forms.TypedChoiceField(
        label=_("Person"), coerce=int, required=False, empty_value=None
    )
    is_lead = forms.TypedChoiceField(
        label=_("Role"),
        choices=[("0", _("Supporting")), ("1", _("Lead"))],
        coerce=lambda value: value == "1",
        initial="0",
        widget=forms.RadioSelect,
    )
    due_on = forms.DateField(label=_("Due on"), widget=DATE_INPUT)

    def __init__(self, *args, organisation_choices=(), people_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "—"), *organisation_choices]
        self.fields["assignee"].choices = [("", "—")] + [
            (pk, label) for pk, label, _orgs in people_choices
        ]
        self.fields["assignee"].widget = PersonSelect(
            organisations={str(pk): orgs for pk, _label, orgs in people_choices}
        )
        self.fields["assignee"].widget.choices = self.fields["assignee"].choices
        self.fields["other_organisation"].widget.attrs.update(
            {"list": "minutes-agencies", "autocomplete": "off"}
        )

    def clean(self):
        data = super().clean()
        if not data.get("organisation") and not (data.get("other_organisation") or "").strip():
            self.add_error(
                "organisation", _("Choose the organisation, or type the name of another agency.")
            )
        return data


class ProposalForm(forms.Form):
    field = forms.ChoiceField(label=_("Field"), choices=CorrectionProposal.Field.choices)
    text = forms.CharField(
        label=_("Proposed text"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The whole field as you think it should read."),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("reject", _("Reject"))])
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PrivateNoteForm(forms.Form):
    text = forms.CharField(
        label=_("My private note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only you see this note: it is not part of the minutes."),
    )


class PlanForm(forms.Form):
    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea(attrs={"rows": 3}))
    monitoring_interval_months = forms.IntegerField(
        label=_("Monitoring interval (months)"), min_value=1, max_value=24, initial=3
    )
    next_review_on = forms.DateField(label=_("Next review on"), required=False, widget=DATE_INPUT)


class LeadForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("Lead organisation"), coerce=int)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, organisation_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = list(organisation_choices)


class ReviewForm(forms.Form):
    next_review_on = forms.DateField(label=_("Next review on"), required=False, widget=DATE_INPUT)


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 2})
    )


class CompareForm(forms.Form):
    left = forms.TypedChoiceField(label=_("Revision"), coerce=int)
    right = forms.TypedChoiceField(label=_("compared with revision"), coerce=int)

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(n, str(n)) for n in numbers]
        self.fields["left"].choices = choices
        self.fields["right"].choices = choices
