from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from conferences.selectors import public_meetings_upcoming


class HomePage(Page):
    """The residents' front door: what the centres do and how to consult them."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    body = RichTextField(_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["public_meetings"] = public_meetings_upcoming(limit=5)
        return context
