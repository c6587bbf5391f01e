"""Forms of the case page. Each checks and carries input for one POST endpoint; the writes are
in conferences.services and conferences.cases (never form.save())."""

import unicodedata

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conferences import cases
from conferences.models import Case, Consent, Meeting
from districts.models import Area, TargetGroup
from resources.models import Organisation


class CaseForm(forms.Form):
    """No colon after labels, as in the other staff forms. The case page holds several forms
    with fields of the same name: `id_prefix` keeps their element ids apart."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        if self.id_prefix:
            kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 60})


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, meeting):
        local = timezone.localtime(meeting.starts_at)
        label = f"{local:%Y-%m-%d} {meeting.title}"
        if meeting.legal_basis:
            label += f"（{meeting.get_legal_basis_display()}）"
        return label


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, organisation):
        return organisation.name


class ConsentForm(CaseForm):
    id_prefix = "consent"
    given_on = forms.DateField(
        label=_("Consent given on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    scope = forms.CharField(
        label=_("Scope"),
        widget=_textarea(),
        max_length=2000,
        help_text=_("What may be shared, with whom, for what."),
    )
    covers_all = forms.BooleanField(
        label=_("Covers every organisation in the support network"), required=False
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations covered"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Agencies on the case or serving its district."),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.data.getlist("organisations") if self.is_bound else []
        self.fields["organisations"].queryset = cases.agencies_near(
            case=case, chosen=[pk for pk in chosen if str(pk).isdigit()]
        )
        self.fields["organisations"].label_from_instance = lambda org: org.name

    def clean_given_on(self):
        given_on = self.cleaned_data["given_on"]
        if given_on > timezone.localdate():
            raise forms.ValidationError(_("A consent cannot be dated in the future."))
        return given_on

    def clean(self):
        data = super().clean()
        if not data.get("covers_all") and not data.get("organisations"):
            raise forms.ValidationError(
                _("Choose the organisations the consent covers, or tick that it covers all.")
            )
        return data


class ConsentWithdrawForm(CaseForm):
    withdrawn_on = forms.DateField(
        label=_("Withdrawn on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, consent: Consent, **kwargs):
        super().__init__(*args, **kwargs)
        self.consent = consent

    def clean_withdrawn_on(self):
        withdrawn_on = self.cleaned_data["withdrawn_on"]
        if withdrawn_on < self.consent.given_on:
            raise forms.ValidationError(_("A consent cannot be withdrawn before it was given."))
        if withdrawn_on > timezone.localdate():
            raise forms.ValidationError(_("A withdrawal cannot be dated in the future."))
        return withdrawn_on


class RoleAddForm(CaseForm):
    id_prefix = "role"
    organisation = OrganisationChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    role = forms.CharField(label=_("Role in the plan"), max_length=200)
    contact_person = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    meeting = MeetingChoiceField(
        label=_("Meeting with a legal basis"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=_("None: sharing rests on the person's consent"),
        help_text=_(
            "Without a consent covering the organisation, sharing is allowed only when a meeting "
            "with a legal basis decided it."
        ),
    )

    def __init__(self, *args, case: Case, user, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.data.get("organisation", "") if self.is_bound else ""
        self.fields["organisation"].queryset = cases.agencies_to_add(
            case=case, chosen=[chosen] if str(chosen).isdigit() else []
        )
        # With htmx, choosing an organisation tells at once whether a consent covers it.
        self.fields["organisation"].widget.attrs.update(
            {
                "hx-get": reverse("staff:case_role_check", args=[case.public_id]),
                "hx-trigger": "change",
                "hx-target": "#sharing-check-slot",
                "hx-swap": "innerHTML",
                "hx-select": "unset",
            }
        )
        self.fields["meeting"].queryset = cases.case_meetings_with_legal_basis(user=user, case=case)


class LeadChangeForm(CaseForm):
    id_prefix = "lead"
    organisation = OrganisationChoiceField(
        label=_("New lead organisation"), queryset=Organisation.objects.none()
    )
    reason = forms.CharField(label=_("Reason"), widget=_textarea(), max_length=2000)
    meeting = MeetingChoiceField(
        label=_("Decided at meeting"), queryset=Meeting.objects.none(), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, case: Case, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (
            Organisation.objects.filter(case_roles__case=case)
            .exclude(pk=case.lead_organisation_id)
            .order_by("reading", "name")
        )
        self.fields["meeting"].queryset = cases.case_meetings_for_plan(user=user, case=case)
        if not self.is_bound:
            self.initial["version"] = case.version


class ServiceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, service):
        return f"{service.organisation.name}：{service.name}"


class PlanForm(CaseForm):
    id_prefix = "plan"
    goals = forms.CharField(label=_("Goals"), widget=_textarea(5), max_length=5000)
    services = ServiceChoiceField(
        label=_("Services"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_(
            "Services of the organisations on the case and public services of the district. "
            "Hold Ctrl (⌘ on a Mac) to choose more than one."
        ),
    )
    monitoring_interval_months = forms.IntegerField(
        label=_("Monitoring interval (months)"), min_value=1, max_value=24, initial=3
    )
    next_review_on = forms.DateField(
        label=_("Next review on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    meeting = MeetingChoiceField(
        label=_("Agreed at meeting"), queryset=Meeting.objects.none(), required=False
    )

    def __init__(self, *args, case: Case, user, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.data.getlist("services") if self.is_bound else []
        offered = cases.plan_services_offered(
            case=case, chosen=[pk for pk in chosen if str(pk).isdigit()]
        )
        # Offered in the list; accepted: any service a plan may link.
        self.fields["services"].queryset = offered
        self._allowed_services = cases.plan_services_for(case=case)
        self.fields["meeting"].queryset = cases.case_meetings_for_plan(user=user, case=case)

    def clean_services(self):
        services = self.cleaned_data["services"]
        allowed = set(
            self._allowed_services.filter(pk__in=[s.pk for s in services]).values_list(
                "pk", flat=True
            )
        )
        refused = [s for s in services if s.pk not in allowed]
        if refused:
            raise forms.ValidationError(
                _("%(service)s is a staff-only service of an organisation not on the case.")
                % {"service": refused[0].name}
            )
        return services

    def clean_next_review_on(self):
        next_review_on = self.cleaned_data["next_review_on"]
        if next_review_on < timezone.localdate():
            raise forms.ValidationError(_("The next review cannot be in the past."))
        return next_review_on


class CaseEditForm(CaseForm):
    id_prefix = "edit"
    support_level = forms.ChoiceField(label=_("Support level"), choices=Case.SupportLevel.choices)
    risk_tier = forms.TypedChoiceField(
        label=_("Risk tier"), choices=Case.RiskTier.choices, coerce=int
    )
    status = forms.ChoiceField(label=_("Status"), choices=Case.Status.choices)
    closed_on = forms.DateField(
        label=_("Closed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Required when the case is closed."),
    )
    next_review_on = forms.DateField(
        label=_("Next review on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        if not self.is_bound:
            self.initial.update(
                {
                    "support_level": case.support_level,
                    "risk_tier": case.risk_tier,
                    "status": case.status,
                    "closed_on": case.closed_on,
                    "next_review_on": case.next_review_on,
                    "version": case.version,
                }
            )

    def clean(self):
        data = super().clean()
        status, closed_on = data.get("status"), data.get("closed_on")
        if status == Case.Status.CLOSED and not closed_on:
            self.add_error("closed_on", _("Give the date the case was closed."))
        if closed_on and closed_on < self.case.opened_on:
            self.add_error("closed_on", _("A case cannot close before it was opened."))
        if closed_on and closed_on > timezone.localdate():
            self.add_error("closed_on", _("The closing date cannot be in the future."))
        return data


class CaseCreateForm(CaseForm):
    code = forms.CharField(
        label=_("Case code"),
        max_length=32,
        required=False,
        help_text=_(
            "Pseudonymous: never a name or anything that identifies the person. Leave blank to "
            "have one generated (e.g. K26-00042)."
        ),
    )
    lead = OrganisationChoiceField(
        label=_("Lead organisation"), queryset=Organisation.objects.none()
    )
    lead_role = forms.CharField(
        label=_("Role of the lead organisation"), max_length=200, initial=_("Lead")
    )
    contact_person = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=Area.objects.filter(level=Area.Level.DISTRICT).order_by("reading", "code"),
    )
    target_group = forms.ChoiceField(label=_("Target group"), choices=TargetGroup.choices)
    support_level = forms.ChoiceField(label=_("Support level"), choices=Case.SupportLevel.choices)
    risk_tier = forms.TypedChoiceField(
        label=_("Risk tier"), choices=Case.RiskTier.choices, coerce=int
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = cases.agency_organisations_of(user=user)
        self.fields["lead"].queryset = agencies
        self.fields["district"].label_from_instance = lambda area: area.name
        if not self.is_bound:
            # The user's own agency and its district, the usual case.
            first = agencies.select_related("home_area").first()
            if first is not None:
                self.initial["lead"] = first.pk
                if first.home_area and first.home_area.level == Area.Level.DISTRICT:
                    self.initial["district"] = first.home_area_id

    def clean_code(self):
        code = unicodedata.normalize("NFKC", self.cleaned_data["code"]).strip().upper()
        if code and Case.objects.filter(code=code).exists():
            raise forms.ValidationError(_("This case code is already in use."))
        return code
