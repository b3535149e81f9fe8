"""A business's visual themes: colours, a font, images and links, drafted and previewed in the admin and drawn
by every surface (portal, promo pages, wallet passes, PDF reports) through ``themes.tokens.theme_tokens``.

A theme is a Wagtail snippet with drafts and revisions: owners save as many drafts as they like, but a theme is
published only when its colours meet WCAG AA contrast (``themes.colours``), checked by the editor's form and by
``themes.services.theme_publish``. The row holds the live content once published (later edits wait in
revisions), and only a live theme gives tokens.
"""

from pathlib import PurePosixPath

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from wagtail.models import DraftStateMixin, PreviewableMixin, RevisionMixin

from tenancy.models import Business
from themes.colours import ColourField
from themes.fonts import SYSTEM, font_choices

# Minimum pixel sizes, from Apple's pass images at @3x (shared/design/wallet.md): the icon is 29×29 points (87 px),
# the logo up to 160×50 points, the store card's strip 375×123 points (1125×369 px). Smaller images would be
# blurry on a phone; larger ones are scaled down by renditions.
IMAGE_RULES = {
    # field: (min width, min height, must be square)
    "logo": (160, 50, False),
    "icon": (87, 87, True),
    "strip": (1125, 369, False),
    "stamp_icon": (64, 64, True),
}
IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def _image_field(verbose_name, help_text):
    return models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=verbose_name,
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=help_text,
    )


class Theme(PreviewableMixin, DraftStateMixin, RevisionMixin, models.Model):
    business = models.ForeignKey(Business, verbose_name=_("business"), related_name="themes", on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=120, help_text=_("For you only, e.g. “Spring 2026”."))

    background_colour = ColourField(_("background"), default="#ffffff")
    text_colour = ColourField(_("text"), default="#1b1f24")
    label_colour = ColourField(_("labels"), default="#57606a", help_text=_("Secondary text: labels, captions, dates."))
    accent_colour = ColourField(_("accent"), default="#1f6feb", help_text=_("Buttons, links, progress bars."))
    on_accent_colour = ColourField(
        _("text on accent"), default="#ffffff", help_text=_("Text and icons drawn on the accent colour.")
    )
    stamp_filled_colour = ColourField(_("filled stamp"), default="#1f6feb")
    stamp_empty_colour = ColourField(_("empty stamp"), default="#d0d7de")
    font = models.CharField(_("font"), max_length=32, choices=font_choices, default=SYSTEM.key)

    logo = _image_field(_("logo"), _("PNG or JPEG, at least 160×50 px; shown on the card and the portal."))
    icon = _image_field(_("icon"), _("Square PNG or JPEG, at least 87×87 px; the wallet pass's icon."))
    strip = _image_field(
        _("card background"), _("PNG or JPEG, at least 1125×369 px; the strip behind the balance on the card.")
    )
    stamp_icon = _image_field(_("stamp icon"), _("Square PNG or JPEG, at least 64×64 px; drawn in filled stamps."))

    website = models.URLField(_("website"), blank=True)
    instagram = models.URLField(_("Instagram"), blank=True, help_text=_("e.g. https://instagram.com/yourshop"))
    facebook = models.URLField(_("Facebook"), blank=True)
    telegram = models.URLField(_("Telegram"), blank=True, help_text=_("e.g. https://t.me/yourshop"))
    phone = PhoneNumberField(_("phone"), blank=True)

    created_at = models.DateTimeField(_("created"), default=dj_timezone.now, editable=False)

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="theme")

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["business__name", "name"]
        constraints = [models.UniqueConstraint(fields=["business", "name"], name="theme_name_unique_per_business")]

    def __str__(self):
        return self.name

    @property
    def revisions(self):
        return self._revisions

    # --- Validation ----------------------------------------------------------------------------------------

    def clean(self):
        super().clean()
        errors = {}
        for name in IMAGE_RULES:
            message = self.image_problem(name)
            if message:
                errors[name] = message
        if errors:
            raise ValidationError(errors)

    def image_problem(self, name: str) -> str:
        """Why the image in field ``name`` can't be used ("" when it can): another business's, not PNG/JPEG, or
        too small for a sharp wallet pass."""
        image = getattr(self, name)
        if image is None:
            return ""
        if self.business_id is not None and not _image_belongs_to(image, self.business):
            return _("Choose an image from your business's own collection.")
        suffix = PurePosixPath(image.file.name).suffix.lower()
        if suffix not in IMAGE_FORMATS:
            return _("Use a PNG or JPEG image (this one is %(format)s).") % {
                "format": suffix.lstrip(".").upper() or "?"
            }
        min_width, min_height, square = IMAGE_RULES[name]
        if square and image.width != image.height:
            return _("Use a square image (this one is %(width)s×%(height)s px).") % {
                "width": image.width,
                "height": image.height,
            }
        if image.width < min_width or image.height < min_height:
            return _(
                "The image is too small: at least %(min_width)s×%(min_height)s px, this one is %(width)s×%(height)s px."
            ) % {
                "min_width": min_width,
                "min_height": min_height,
                "width": image.width,
                "height": image.height,
            }
        return ""

    # --- Preview (Wagtail's preview panel in the editor) ---------------------------------------------------

    @property
    def preview_modes(self):
        return [("card", _("Card")), ("cabinet", _("Cabinet")), ("stamps", _("Stamps"))]

    @property
    def default_preview_mode(self):
        return "card"

    def get_preview_template(self, request, mode_name):
        return f"themes/preview/{mode_name if mode_name in dict(self.preview_modes) else 'card'}.html"

    def get_preview_context(self, request, mode_name):
        from themes.preview import preview_context

        return {**super().get_preview_context(request, mode_name), **preview_context(theme=self, mode=mode_name)}


def _image_belongs_to(image, business) -> bool:
    """Whether ``image`` lies in ``business``'s collection (or one under it)."""
    collection = business.collection
    if collection is None or image.collection_id is None:
        return False
    return image.collection_id == collection.pk or image.collection.path.startswith(collection.path)
