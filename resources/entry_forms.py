"""Forms that edit directory entries in /staff/: one ModelForm per object. They check and carry
input; resources.services writes (never form.save())."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from districts.models import Area
from resources.models import Location, Organisation, Service, TaxonomyTerm

KEEPER_KINDS = (
    Organisation.Kind.WELFARE_COUNCIL,
    Organisation.Kind.GOVERNMENT,
    Organisation.Kind.COMMUNITY_CARE_CENTRE,
    Organisation.Kind.CHILD_FAMILY_CENTRE,
    Organisation.Kind.TOWN_OFFICE,
)
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 60})


class EntryForm(forms.ModelForm):
    """No colon after labels, as in the other staff forms."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class OrganisationForm(EntryForm):
    # The version the editor started from: saving is refused if someone saved since.
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    website = forms.URLField(
        label=_("website"), max_length=200, required=False, assume_scheme="https"
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "reading",
            "name_en",
            "kind",
            "description",
            "phone",
            "fax",
            "email",
            "website",
            "corporate_number",
            "home_area",
            "areas_served",
            "is_agency",
            "visibility",
            "keeper_organisation",
        ]
        widgets = {
            "description": _textarea(5),
            "areas_served": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {
            "reading": _("In hiragana, for 五十音 order and search."),
            "areas_served": _("Hold Ctrl (⌘ on a Mac) to choose more than one."),
            "keeper_organisation": _(
                "Whose members keep this entry true: it comes up in their verification queue."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        areas = Area.objects.order_by("level", "reading", "code")
        self.fields["home_area"].queryset = areas
        self.fields["areas_served"].queryset = areas
        # Keepers are public bodies: the 社協, the ward, the centres (resources.stewardship).
        self.fields["keeper_organisation"].queryset = Organisation.objects.filter(
            kind__in=KEEPER_KINDS
        ).order_by("reading", "name", "pk")
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean_corporate_number(self):
        number = self.cleaned_data["corporate_number"].strip()
        if number and not re.fullmatch(r"\d{13}", number):
            raise forms.ValidationError(_("A corporate number (法人番号) has 13 digits."))
        return number

    def fields_to_save(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class LanguagesField(forms.CharField):
    """Language codes typed as "ja, en, zh"; cleans to a list."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def clean(self, value):
        text = super().clean(value) or ""
        codes = [code.strip() for code in re.split(r"[,、\s]+", text) if code.strip()]
        wrong = [code for code in codes if not LANGUAGE_CODE.match(code)]
        if wrong:
            raise forms.ValidationError(
                _("Not a language code: %(codes)s. Use codes such as ja, en, zh, ko, vi."),
                params={"codes": ", ".join(wrong)},
            )
        return list(dict.fromkeys(codes))


class ServiceForm(EntryForm):
    languages = LanguagesField(
        label=_("Languages"),
        required=False,
        help_text=_("Language codes, separated by commas, e.g. ja, en, zh."),
    )

    class Meta:
        model = Service
        fields = [
            "name",
            "description",
            "target_group",
            "categories",
            "cost",
            "languages",
            "application_process",
            "visibility",
        ]
        widgets = {
            "description": _textarea(4),
            "application_process": _textarea(3),
            "categories": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = TaxonomyTerm.objects.order_by("order", "code")


class LocationForm(EntryForm):
    class Meta:
        model = Location
        fields = ["name", "postal_code", "address", "accessibility", "hide_address"]
        widgets = {"accessibility": _textarea(3)}
        help_texts = {
            "address": _("The district is found from the address when the place is saved."),
        }
