"""The pages of a program's portal: one ``PortalHomePage`` per program, the root of its own Wagtail ``Site``, with
``PromoPage`` children built from blocks; and the ``LandingPage`` the default site shows (the bare host).

Pages say what the owner writes; the facts (rates, tiers, stamp goals) come from the engine at render time
(``pages.selectors.program_facts``). Rendered pages are cached per site by ``pages.cache``, keyed on what they
depend on.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, PagePermissionTester

from pages.blocks import RICH_TEXT_FEATURES, PromoStreamBlock
from pages.selectors import program_facts
from programs.models import Program
from themes.tokens import theme_tokens

# The request attribute a portal page's ``serve`` sets: the id of the page whose response may be cached.
CACHEABLE_ATTRIBUTE = "kartka_cacheable_page_id"


def portal_language_default() -> str:
    """The site's language (``LANGUAGE_CODE``, set by the environment): a callable, so migrations don't depend on it."""
    return settings.LANGUAGE_CODE


class SocialMixin(models.Model):
    """A social image (``og:image``) beside Wagtail's SEO title and description, on the Promote tab."""

    social_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("social image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Shown when the page is shared in messengers and social networks (1200 × 630 works best)."),
    )

    promote_panels = [
        MultiFieldPanel(
            [FieldPanel("slug"), FieldPanel("seo_title"), FieldPanel("search_description")],
            heading=_("For search engines"),
        ),
        FieldPanel("social_image"),
    ]

    class Meta:
        abstract = True


class PortalPage(SocialMixin, Page):
    """What the portal's page types share: drawn in the program's brand and language, cacheable per site."""

    class Meta:
        abstract = True

    def __str__(self):
        return self.title

    def portal_home(self) -> "PortalHomePage":
        raise NotImplementedError

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        home = self.portal_home()
        program = home.program
        site = home.get_site()
        context.update(
            home=home,
            program=program,
            tokens=theme_tokens(program),
            facts=program_facts(program=program),
            offers=PromoPage.objects.child_of(home)
            .live()
            .exclude(pk__in=[self.pk, home.terms_page_id or 0])
            .order_by("-first_published_at")[:6],
            portal_root=site.root_url if site is not None else "",
            page_path="/" + self.url_path[len(home.url_path) :],
        )
        return context

    def serve(self, request, *args, **kwargs):
        # Rendered inside the portal's language (the response is a lazy TemplateResponse: render it here).
        language = self.portal_home().language
        with translation.override(language):
            response = super().serve(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
        response["Content-Language"] = language
        if not getattr(request, "is_preview", False):
            setattr(request, CACHEABLE_ATTRIBUTE, self.pk)
        return response


class PortalHomePermissionTester(PagePermissionTester):
    """A portal home stays where ``portal_site_create`` put it: its site points at it, so only a superuser may
    delete or move it (the business's staff edit and publish it)."""

    def _superuser(self) -> bool:
        return self.user.is_active and self.user.is_superuser

    def can_delete(self, ignore_bulk=False):
        return self._superuser() and super().can_delete(ignore_bulk=ignore_bulk)

    def can_move(self):
        return self._superuser() and super().can_move()


class PortalHomePage(PortalPage):
    """The home of one program's portal and the root page of its ``Site`` (``pages.services.portal_site_create``):
    the brand, how to join, "How it works" generated from the program's rules, and its live promo pages."""

    program = models.OneToOneField(
        Program, verbose_name=_("program"), related_name="portal_home", on_delete=models.PROTECT, editable=False
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=portal_language_default,
        help_text=_("The portal's texts (“How it works”, buttons, dates) are written in this language."),
    )
    tagline = models.CharField(
        _("tagline"),
        max_length=200,
        blank=True,
        help_text=_("One line under the program's name, e.g. “Points back on every purchase”."),
    )
    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)
    join_url = models.URLField(
        _("sign-up link"),
        blank=True,
        help_text=_(
            "Where customers sign up online. Empty: this portal's own sign-up (by phone, with a one-time code)."
        ),
    )
    join_text = models.TextField(
        _("how to join"),
        blank=True,
        help_text=_("Empty: “Ask for a card at the till: all you need is your phone number.”"),
    )
    body = StreamField(PromoStreamBlock(), verbose_name=_("more content"), blank=True)
    terms_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("terms page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "The page with the program's terms, under this portal: customers accept it when they sign up (the time "
            "is recorded). Empty: they accept “How it works” on this page."
        ),
    )

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["pages.PromoPage"]
    # Made by portal_site_create only (with its program, site and permissions): the admin's "add page" form has no
    # program to offer, so it never lists this type.
    is_creatable = False
    template = "pages/portal_home_page.html"

    content_panels = [
        *Page.content_panels,
        HelpPanel(
            content=_(
                "“How it works” (rates, tiers, stamps) is written from the program's rules: change the rules in "
                "Loyalty and this page follows."
            )
        ),
        FieldPanel("tagline"),
        FieldPanel("intro"),
        MultiFieldPanel(
            [FieldPanel("join_url"), FieldPanel("join_text"), FieldPanel("terms_page")], heading=_("How to join")
        ),
        FieldPanel("body"),
    ]
    settings_panels = [*Page.settings_panels, FieldPanel("language")]

    class Meta:
        verbose_name = _("portal home page")
        verbose_name_plural = _("portal home pages")

    def portal_home(self) -> "PortalHomePage":
        return self

    def clean(self):
        super().clean()
        if self.terms_page_id is not None and self.pk is not None:
            terms = Page.objects.filter(pk=self.terms_page_id).first()
            if terms is None or not terms.is_descendant_of(self):
                raise ValidationError({"terms_page": _("Choose a page of this portal.")})

    def permissions_for_user(self, user):
        return PortalHomePermissionTester(user, self)


class PromoPage(PortalPage):
    """A promotion under a portal home: built from blocks, scheduled with go-live and expiry dates."""

    body = StreamField(PromoStreamBlock(), verbose_name=_("content"))

    parent_page_types = ["pages.PortalHomePage"]
    subpage_types = []
    template = "pages/promo_page.html"

    content_panels = [*Page.content_panels, FieldPanel("body")]
    # Wagtail's own settings panels hold the publishing schedule (go-live and expiry dates).
    settings_panels = Page.settings_panels

    class Meta:
        verbose_name = _("promo page")
        verbose_name_plural = _("promo pages")

    def portal_home(self) -> "PortalHomePage":
        home = getattr(self, "_portal_home", None)
        if home is None:
            home = PortalHomePage.objects.ancestor_of(self).select_related("program").get()
            self._portal_home = home
        return home


class LandingPage(Page):
    """What the bare host (the default site, ``localhost``) shows: what Kartka is and where to go, nothing of any
    business. Replaces Wagtail's "Welcome to your new Wagtail site!" (migration 0002)."""

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = []
    max_count = 1
    template = "pages/landing_page.html"

    class Meta:
        verbose_name = _("Kartka landing page")
        verbose_name_plural = _("Kartka landing pages")
