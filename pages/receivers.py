"""What makes cached portal pages stale (``pages.cache``): each of these changes renews the cache's generation
once its transaction commits. (A theme is a publishable snippet: its publication sends Wagtail's ``published``,
and its tokens' ``version`` is part of the page key too.)"""

from django.db.models.signals import post_delete, post_save
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move, published, unpublished

from pages.cache import portal_cache_invalidate_on_commit
from programs.models import CardType, DiscountThreshold, EarningRule, Program, RedemptionRule, Store, Tier

# Rows whose saving or deleting changes what a portal page shows: the program and its rules (what "How it works"
# and the tier table say), its stores (where to join), sites and view restrictions (what is served, to whom),
# images (their renditions' URLs).
WATCHED = (Program, CardType, DiscountThreshold, RedemptionRule, Tier, EarningRule, Store, Site, PageViewRestriction)


def connect() -> None:
    """Connect the receivers (from ``PagesConfig.ready``)."""
    receiver = portal_cache_invalidate_on_commit
    page_published.connect(receiver, dispatch_uid="pages.cache.published")
    page_unpublished.connect(receiver, dispatch_uid="pages.cache.unpublished")
    post_page_move.connect(receiver, dispatch_uid="pages.cache.moved")
    # Any other publishable model (snippets with a publishing workflow: the program's theme) going live or not.
    published.connect(receiver, dispatch_uid="pages.cache.snippet-published")
    unpublished.connect(receiver, dispatch_uid="pages.cache.snippet-unpublished")
    post_delete.connect(receiver, sender=Page, dispatch_uid="pages.cache.page-deleted")
    for model in (*WATCHED, get_image_model()):
        post_save.connect(receiver, sender=model, dispatch_uid=f"pages.cache.saved-{model._meta.label}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"pages.cache.deleted-{model._meta.label}")
