"""The public directory's search and filters (GET, so every search has its own address)."""

import dataclasses
from html import escape

from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from cms import selectors
from districts.models import Area, TargetGroup
from resources.models import Organisation, TaxonomyTerm


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Keywords"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Kind of organisation"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    target = forms.ChoiceField(label=_("For whom"), required=False)
    area = forms.ChoiceField(label=_("District"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["kind"].choices = everything + list(Organisation.Kind.choices)
        self.fields["category"].choices = everything + selectors.directory_categories()
        self.fields["target"].choices = everything + list(TargetGroup.choices)
        self.fields["area"].choices = everything + selectors.district_choices()
        self.fields["q"].widget.attrs.update(type="search", autocomplete="off")


@dataclasses.dataclass
class DirectoryFilters:
    form: DirectoryFilterForm
    values: dict
    active: bool

    def selects(self) -> list[dict]:
        """The filters other than the keywords, with their <option>s written here: the form
        widget renders a template per option, far slower for 280 districts."""
        result = []
        for field in self.form:
            if field.name == "q":
                continue
            chosen = str(field.value() or "")
            options = mark_safe(
                "".join(
                    f'<option value="{escape(str(value))}"'
                    f"{' selected' if str(value) == chosen else ''}>{escape(str(label))}</option>"
                    for value, label in field.field.choices
                )
            )
            result.append(
                {"name": field.html_name, "id": field.id_for_label, "label": field.label,
                 "options": options}
            )  # fmt: skip
        return result


def directory_filters(data) -> DirectoryFilters:
    """The form bound to the query string and the arguments for selectors.directory_search;
    a value that is not a choice is left out (the rest still filter)."""
    form = DirectoryFilterForm(data)
    form.is_valid()
    cleaned = form.cleaned_data
    category = area = None
    if cleaned.get("category"):
        category = TaxonomyTerm.objects.filter(code=cleaned["category"]).first()
    if cleaned.get("area"):
        area = Area.objects.filter(code=cleaned["area"]).first()
    values = {
        "query": cleaned.get("q", ""),
        "kind": cleaned.get("kind", ""),
        "category": category,
        "target_group": cleaned.get("target", ""),
        "area": area,
    }
    return DirectoryFilters(form=form, values=values, active=any(values.values()))
