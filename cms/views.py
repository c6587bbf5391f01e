"""robots.txt and sitemap.xml for the public site (every locale's pages)."""

from django.http import HttpResponse
from wagtail.contrib.sitemaps.sitemap_generator import Sitemap
from wagtail.contrib.sitemaps.views import sitemap as wagtail_sitemap
from wagtail.models import Page


class PublicSitemap(Sitemap):
    """Wagtail's sitemap lists the default site's tree; this one lists every locale's tree
    (the English home page is a translation beside the Japanese one, not under it)."""

    def items(self):
        homes = self.get_wagtail_site().root_page.get_translations(inclusive=True)
        pages = Page.objects.none()
        for home in homes:
            pages |= home.get_descendants(inclusive=True)
        return pages.live().public().order_by("path").defer_streamfields().specific()


def sitemap(request):
    return wagtail_sitemap(request, sitemaps={"pages": PublicSitemap(request)})


def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /staff/",
        "Disallow: /admin/",
        "Disallow: /i18n/",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
