"""Forms of referrals and notification preferences. They check and carry input; the writes are
in conferences.referrals and conferences.notifications."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conferences import cases, referrals
from conferences.case_forms import CaseForm, MeetingChoiceField, OrganisationChoiceField
from conferences.models import Case, Meeting, NotificationPreference
from resources.models import Organisation


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 60})


class ReferralForm(CaseForm):
    id_prefix = "referral"
    from_organisation = OrganisationChoiceField(
        label=_("Referring organisation"), queryset=Organisation.objects.none()
    )
    to_organisation = OrganisationChoiceField(
        label=_("Refer to"), queryset=Organisation.objects.none()
    )
    summary = forms.CharField(
        label=_("Summary for the receiving organisation"),
        widget=_textarea(),
        max_length=1000,
        help_text=_(
            "All the receiver sees before accepting, with the target group and district: what "
            "help is asked for, written for them. No names or addresses."
        ),
    )
    meeting = MeetingChoiceField(
        label=_("Meeting with a legal basis"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=_("None: sharing rests on the person's consent"),
        help_text=_(
            "Without a consent covering the receiving organisation, a referral is allowed only "
            "when a meeting with a legal basis decided it."
        ),
    )

    def __init__(self, *args, case: Case, user, **kwargs):
        super().__init__(*args, **kwargs)
        senders = referrals.sender_organisations(user=user, case=case)
        self.fields["from_organisation"].queryset = senders
        if not self.is_bound and senders.count() == 1:
            self.initial["from_organisation"] = senders.first().pk
        chosen = self.data.get("to_organisation", "") if self.is_bound else ""
        self.fields["to_organisation"].queryset = referrals.receivers_offered(
            case=case, chosen=[chosen] if str(chosen).isdigit() else []
        )
        self.fields["meeting"].queryset = cases.case_meetings_with_legal_basis(user=user, case=case)


class AcceptForm(CaseForm):
    id_prefix = "accept"
    role = forms.CharField(
        label=_("Your role in the plan"),
        max_length=200,
        help_text=_("As it will show in the case's role sharing."),
    )


class DeclineForm(CaseForm):
    id_prefix = "decline"
    reason = forms.CharField(label=_("Reason"), widget=_textarea(3), max_length=2000)


class MessageForm(CaseForm):
    id_prefix = "message"
    text = forms.CharField(label=_("Message"), widget=_textarea(3), max_length=2000)


class DoneForm(CaseForm):
    id_prefix = "done"
    started_on = forms.DateField(
        label=_("Service started on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_started_on(self):
        started_on = self.cleaned_data["started_on"]
        if started_on > timezone.localdate():
            raise forms.ValidationError(_("The start of the service cannot be in the future."))
        return started_on


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["daily_digest", "language"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            (code, name) for code, name in [("ja", "日本語"), ("en", "English")]
        ]
        if not self.instance.language:
            self.initial.setdefault("language", settings.LANGUAGE_CODE)
