"""Residents report a correction to a directory entry: /directory-report/<uuid>/ (and
/en/directory-report/<uuid>/), linked from the entry's public page.

A plain POST form that works without JavaScript. It is not kept in the public page cache (it
carries a CSRF token), and is guarded against spam without outside services: a honeypot field
that people never see (a filled one is thanked and dropped), and a limit on reports per client
address per hour, counted in the database (resources.stewardship) so every server shares it.
Reports land in the queue of the entry's keepers.
"""

from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from wagtail.models import Locale

from cms import selectors
from resources import stewardship

HONEYPOT = "homepage"


class ReportForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("What is wrong or out of date?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 50}),
        help_text=gettext_lazy(
            "For example a new phone number, changed opening hours, or that the place has "
            "closed. Please do not write about your own situation or anyone else's."
        ),
        error_messages={
            "required": gettext_lazy("Tell us what is wrong with this entry."),
            "max_length": gettext_lazy(
                "Please keep it to %(limit_value)d characters (it has %(show_value)d)."
            ),
        },
    )
    contact = forms.CharField(
        label=gettext_lazy("How can we reach you? (optional)"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("An e-mail address or phone number, if you would like an answer."),
        error_messages={
            "max_length": gettext_lazy(
                "Please keep it to %(limit_value)d characters (it has %(show_value)d)."
            ),
        },
    )
    # The honeypot: hidden from people (CSS and aria-hidden), filled in by bots.
    homepage = forms.CharField(label=gettext_lazy("Leave this empty"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if len(message) < 5:
            raise forms.ValidationError(
                _("Please say a little more (at least 5 characters) so the keeper can check it.")
            )
        return message


def _home():
    from cms.models import HomePage

    language = (translation.get_language() or "ja").split("-")[0]
    homes = HomePage.objects.live().order_by("path")
    return (
        homes.filter(locale__language_code=language).first()
        or homes.filter(locale__language_code=Locale.get_default().language_code).first()
    )


def _language_links(uuid) -> list[dict]:
    current = translation.get_language()
    links = []
    for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES:
        with translation.override(code):
            url = reverse("directory_report", args=[uuid])
        links.append(
            {
                "code": code,
                "name": selectors.language_name(code),
                "url": url,
                "current": code == current,
                "translated": False,
            }
        )
    return links


def _client_address(request) -> str:
    """The client's address: behind TRUSTED_PROXY_COUNT proxies, the entry of X-Forwarded-For
    that the outermost trusted proxy added (entries further left can be forged by anyone)."""
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if proxies > 0 and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


@require_http_methods(["GET", "POST"])
def report(request, uuid):
    organisation = selectors.public_organisation_get(uuid=uuid)
    home = _home()
    status = 200
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data[HONEYPOT]:
            return redirect(reverse("directory_report", args=[uuid]) + "?sent=1")
        try:
            stewardship.report_create(
                organisation=organisation,
                message=form.cleaned_data["message"],
                contact=form.cleaned_data["contact"].strip(),
                key=stewardship.client_key(_client_address(request)),
            )
        except stewardship.RateLimited:
            status = 429
            form.add_error(
                None,
                _(
                    "We have received several reports from your connection in the last hour. "
                    "Please try again later, or call the number on the entry's page."
                ),
            )
        else:
            return redirect(reverse("directory_report", args=[uuid]) + "?sent=1")
    return render(
        request,
        "cms/report_form.html",
        {
            "organisation": organisation,
            "form": form,
            "sent": request.GET.get("sent") == "1" and request.method == "GET",
            "home": home,
            "entry_url": selectors.organisation_url(
                organisation=organisation, home=home, request=request
            ),
            "languages": _language_links(uuid),
            "meta_description": "",
        },
        status=status,
    )
