"""Clearing the public page cache when what a page shows changes in Wagtail.

Connected in CmsConfig.ready. A publish can change other pages than its own (the home page
lists the latest news, a district page its events, every page its menu), so the whole page
cache is cleared rather than one address: publishing is rare, serving is not.
"""

from django.db.models.signals import post_delete, post_save
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from cms.middleware import page_cache_clear


def clear_page_cache(**kwargs) -> None:
    page_cache_clear()


def connect() -> None:
    page_published.connect(clear_page_cache, dispatch_uid="cms-cache-published")
    page_unpublished.connect(clear_page_cache, dispatch_uid="cms-cache-unpublished")
    post_page_move.connect(clear_page_cache, dispatch_uid="cms-cache-moved")
    post_delete.connect(_deleted, dispatch_uid="cms-cache-deleted")
    # The help lines show on every page.
    post_save.connect(clear_page_cache, sender="cms.HelpLines", dispatch_uid="cms-cache-help")


def _deleted(sender, instance, **kwargs) -> None:
    if isinstance(instance, Page):
        page_cache_clear()
