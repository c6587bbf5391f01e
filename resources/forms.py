"""Forms of the staff directory and the mapping work. They check and carry input; writes go
through resources.mapping and resources.search."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from districts import selectors as district_selectors
from districts.forms import AreaChoiceField, StaffForm
from districts.models import TargetGroup
from resources import search
from resources.models import Organisation, Service, TaxonomyTerm, Tie, Visibility
from resources.selectors import WEEKDAY_CODES

VIEWS = ("list", "map")
WEEKDAY_LABELS = {
    "MO": _("Monday"),
    "TU": _("Tuesday"),
    "WE": _("Wednesday"),
    "TH": _("Thursday"),
    "FR": _("Friday"),
    "SA": _("Saturday"),
    "SU": _("Sunday"),
}


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 60})


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


class CategoryChoiceField(forms.ChoiceField):
    """A category by code; cleans to a TaxonomyTerm. Terms are read once per form."""

    def __init__(self, **kwargs):
        self.terms: dict[str, TaxonomyTerm] = {}
        super().__init__(choices=(), **kwargs)

    def set_terms(self, terms, *, blank_label) -> None:
        self.terms = {term.code: term for term in terms}
        self.choices = [("", blank_label), *((t.code, t.name) for t in terms)]

    def clean(self, value):
        code = super().clean(value)
        return self.terms.get(code) if code else None


class DirectoryFilterForm(StaffForm):
    """The directory's search and filters, read from the URL (so a link reproduces the view)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    district = AreaChoiceField(label=_("Located in"), required=False, blank_label=_("Anywhere"))
    serves = AreaChoiceField(
        label=_("Serves"),
        required=False,
        blank_label=_("Any area"),
        help_text=_("Serves this area: named among the areas served, itself or an area above it."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Organisation.Kind.choices]
    )
    category = CategoryChoiceField(label=_("Category"), required=False)
    target = forms.ChoiceField(
        label=_("Target group"),
        required=False,
        choices=[("", _("All target groups")), *TargetGroup.choices],
    )
    day = forms.ChoiceField(
        label=_("Open on"),
        required=False,
        choices=[("", _("Any day")), *((code, WEEKDAY_LABELS[code]) for code in WEEKDAY_CODES)],
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        required=False,
        choices=[("", _("Public and staff only")), *Visibility.choices],
    )
    stale = forms.BooleanField(label=_("Not verified for 12 months"), required=False)
    view = forms.ChoiceField(
        required=False, choices=[(v, v) for v in VIEWS], widget=forms.HiddenInput
    )

    # In the URL in this order; `view` and `page` are added by the view.
    FILTERS = (
        "q",
        "district",
        "serves",
        "kind",
        "category",
        "target",
        "day",
        "visibility",
        "stale",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One query for both area pickers, one for the categories.
        choices = district_selectors.area_choices()
        for name in ("district", "serves"):
            field = self.fields[name]
            field.choices = [("", field.blank_label), *choices]
        self.fields["category"].set_terms(
            list(TaxonomyTerm.objects.order_by("order", "code")), blank_label=_("All categories")
        )

    def filters(self) -> dict[str, str]:
        """The valid filters as URL parameters (empty ones left out)."""
        data = self.cleaned_data
        values = {
            "q": data.get("q", ""),
            "district": data["district"].code if data.get("district") else "",
            "serves": data["serves"].code if data.get("serves") else "",
            "kind": data.get("kind", ""),
            "category": data["category"].code if data.get("category") else "",
            "target": data.get("target", ""),
            "day": data.get("day", ""),
            "visibility": data.get("visibility", ""),
            "stale": "1" if data.get("stale") else "",
        }
        return {key: value for key, value in values.items() if value}


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


def _staff_queryset():
    User = get_user_model()
    return User.objects.filter(is_active=True).order_by(
        "last_name", "first_name", User.USERNAME_FIELD
    )


class VisitForm(StaffForm):
    visited_on = forms.DateField(label=_("Visited on"), widget=DateInput())
    staff = StaffChoiceField(label=_("Visited by"), queryset=None)
    heard = forms.CharField(
        label=_("What was heard"),
        widget=_textarea(5),
        help_text=_("困りごと・要望: troubles and wishes, in their words."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=_textarea(3))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = _staff_queryset()

    def clean_visited_on(self):
        visited_on = self.cleaned_data["visited_on"]
        if visited_on > timezone.localdate():
            raise forms.ValidationError(_("A visit cannot be in the future."), code="future")
        return visited_on


class FollowUpForm(StaffForm):
    description = forms.CharField(label=_("Follow-up"), max_length=300)
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())
    assignee = StaffChoiceField(
        label=_("Person"), queryset=None, required=False, empty_label=_("Nobody yet")
    )

    def __init__(self, *args, staff_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            staff_queryset if staff_queryset is not None else _staff_queryset()
        )


class BaseFollowUpFormSet(forms.BaseFormSet):
    """Follow-up rows of a visit. Every row is optional (a blank row is skipped), so no row
    counts as an initial form; rows typed before "Add another follow-up" come back as initial
    values with one blank row after them. The staff list is read once for all rows."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.extra = len(self.initial or []) + 1
        self._staff = _staff_queryset()

    def initial_form_count(self):
        return super().initial_form_count() if self.is_bound else 0

    def get_form_kwargs(self, index):
        return {"staff_queryset": self._staff}

    def rows(self) -> list[dict]:
        """Follow-ups to record: the filled rows (after is_valid)."""
        return [form.cleaned_data for form in self.forms if form.has_changed()]

    def typed_rows(self) -> list[dict]:
        """What was typed in the filled rows, unchecked (to show again)."""
        rows = []
        for form in self.forms:
            values = {name: form[name].value() for name in form.fields}
            if any(values.values()):
                rows.append(values)
        return rows


FollowUpFormSet = forms.formset_factory(
    FollowUpForm, formset=BaseFollowUpFormSet, extra=1, max_num=20, validate_max=True
)
FOLLOW_UP_PREFIX = "follow_ups"


class TieForm(StaffForm):
    """Adds a tie: the other organisation is found by search and picked from the matches."""

    OUTGOING, INCOMING = "outgoing", "incoming"

    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (OUTGOING, _("This organisation → the other")),
            (INCOMING, _("The other → this organisation")),
        ],
        initial=OUTGOING,
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(label=_("Kind of tie"), choices=Tie.Kind.choices)
    other = forms.CharField(
        label=_("Other organisation"),
        required=False,
        max_length=200,
        help_text=_("Type part of the name or reading, then pick it from the matches."),
    )
    target = forms.UUIDField(required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
    since = forms.DateField(label=_("Since"), required=False, widget=DateInput())

    def __init__(self, *args, organisation: Organisation, **kwargs):
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def clean_target(self):
        uuid = self.cleaned_data.get("target")
        if uuid is None:
            raise forms.ValidationError(
                _("Choose the other organisation: search by name and pick one of the matches."),
                code="required",
            )
        other = Organisation.objects.filter(uuid=uuid).first()
        if other is None:
            raise forms.ValidationError(
                _("That organisation no longer exists."), code="invalid_choice"
            )
        if other.pk == self.organisation.pk:
            raise forms.ValidationError(_("An organisation cannot be tied to itself."), code="self")
        return other


# The Wagtail admin's organisation and service forms keep the search key current.


def with_search_key(form_class: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """A subclass of an admin ModelForm (of Organisation or Service) whose save() refreshes the
    organisation's search key, and that of the organisation a service was moved away from, and
    raises the organisation's version so that an edit open in /staff/ sees the change."""

    class SearchKeyForm(form_class):
        def save(self, commit=True):
            previous = None
            if isinstance(self.instance, Service) and "organisation" in self.changed_data:
                previous = self.initial.get("organisation")
            instance = super().save(commit=commit)
            if commit:
                organisation_ids = {
                    instance.pk if isinstance(instance, Organisation) else instance.organisation_id
                }
                if previous:
                    organisation_ids.add(getattr(previous, "pk", previous))
                search.organisations_search_refresh(organisation_ids=organisation_ids)
                if isinstance(instance, Organisation):
                    Organisation.objects.filter(pk=instance.pk).update(version=F("version") + 1)
            return instance

    SearchKeyForm.__name__ = SearchKeyForm.__qualname__ = form_class.__name__
    return SearchKeyForm
