"""Launch a loyalty program in one go (issue 10): the program, its card type with the kind's default tiers and
rules, a first store, a published theme in the brand's colours and the portal site with its published home, in
one transaction.

It lives in ``pages`` because this is the one app allowed to compose programs, themes and pages
(``tests/test_architecture.py``). Each part is created the way the admin creates it (``full_clean`` before
``save``, an audit row per object), the theme and the portal through their own services.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Site

from pages.services import portal_site_create
from programs.choices import CardKind, Rounding, StampBasis, TierBasis
from programs.errors import InvalidInput
from programs.models import CardType, DiscountThreshold, Program, RedemptionRule, Store, Tier
from tenancy.actors import Actor
from tenancy.choices import AuditAction
from tenancy.models import Business
from tenancy.services import audit_record, business_workspace_ensure
from tenancy.snapshots import audit_changes, audit_snapshot
from themes.colours import AA_RATIO, HEX_COLOUR, contrast_ratio
from themes.models import Theme
from themes.services import theme_create, theme_program_assign

D = Decimal

# The card kinds the wizard offers, each with the defaults it starts from (the owner tunes them afterwards in the
# builder). Thresholds are in the program's currency.
CASHBACK_TIERS = (
    (gettext_lazy("Standard"), D(0), D(3)),
    (gettext_lazy("Silver"), D(10000), D(5)),
    (gettext_lazy("Gold"), D(30000), D(7)),
)
ACCUMULATIVE_STEPS = ((D(0), D(5)), (D(10000), D(7)), (D(30000), D(10)))
CASHBACK_PERCENT = D(3)
DISCOUNT_PERCENT = D(5)
STAMP_GOAL = 9  # nine stamps, the tenth is free
TIER_COLOURS = ("#9e9e9e", "#8a9aa9", "#c9a227")

PRESETS = {
    CardKind.CASHBACK: gettext_lazy("Cashback 3 % with Standard, Silver and Gold tiers (3 / 5 / 7 %)"),
    CardKind.STAMPS: gettext_lazy("Stamp card: 9 stamps, the 10th is free"),
    # xgettext:no-python-format
    CardKind.DISCOUNT: gettext_lazy("Discount card: 5 % off every purchase"),
    CardKind.ACCUMULATIVE: gettext_lazy("Accumulative discount: 5 / 7 / 10 % as spending grows"),
}

DARK_ON_ACCENT = "#111111"
LIGHT_ON_ACCENT = "#ffffff"


@dataclass(frozen=True)
class BrandColours:
    background: str
    text: str
    accent: str


@dataclass(frozen=True)
class ThemeColours:
    """The theme's full palette, derived from the three colours an owner picks."""

    background_colour: str
    text_colour: str
    label_colour: str
    accent_colour: str
    on_accent_colour: str
    stamp_filled_colour: str
    stamp_empty_colour: str


def _mix(first: str, second: str, share: float) -> str:
    """``share`` of ``second`` mixed into ``first`` (both ``#rrggbb``)."""
    a = [int(first[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(second[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def brand_palette(colours: BrandColours) -> ThemeColours:
    """The theme colours for a brand's background, text and accent, readable at WCAG AA: text on the background
    must reach 4.5:1 (else ``ValidationError`` on ``text``); the text on the accent is white or near-black,
    whichever reads better (``ValidationError`` on ``accent`` when neither reaches 4.5:1); labels are the text
    softened towards the background as far as AA allows."""
    background, text, accent = (colour.strip().lower() for colour in (colours.background, colours.text, colours.accent))
    errors = {}
    for field, value in (("background", background), ("text", text), ("accent", accent)):
        if not HEX_COLOUR.match(value):
            errors[field] = _("Enter a colour as # and six hexadecimal digits, e.g. #1f6feb.")
    if errors:
        raise ValidationError(errors)
    ratio = contrast_ratio(text, background)
    if ratio < AA_RATIO:
        raise ValidationError(
            {
                "text": _(
                    "The text would be hard to read on this background (%(ratio).2f:1, at least 4.5:1 is needed). "
                    "Pick a darker text or a lighter background, or the other way round."
                )
                % {"ratio": ratio}
            }
        )
    on_accent = max((LIGHT_ON_ACCENT, DARK_ON_ACCENT), key=lambda colour: contrast_ratio(colour, accent))
    if contrast_ratio(on_accent, accent) < AA_RATIO:
        raise ValidationError(
            {
                "accent": _(
                    "Neither white nor black text is readable on this accent (at least 4.5:1 is needed). "
                    "Pick a darker or a lighter accent."
                )
            }
        )
    label = text
    for share in (0.35, 0.25, 0.15):
        candidate = _mix(text, background, share)
        if contrast_ratio(candidate, background) >= AA_RATIO:
            label = candidate
            break
    return ThemeColours(
        background_colour=background,
        text_colour=text,
        label_colour=label,
        accent_colour=accent,
        on_accent_colour=on_accent,
        stamp_filled_colour=accent,
        stamp_empty_colour=_mix(background, accent, 0.2),
    )


def _free_slug(name: str) -> str:
    base = (slugify(name) or "program")[:70]
    slug, number = base, 1
    while Program.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def _free_theme_name(business: Business, name: str) -> str:
    candidate, number = name[:110], 1
    while Theme.objects.filter(business=business, name=candidate).exists():
        number += 1
        candidate = f"{name[:100]} ({number})"
    return candidate


def _created(*, actor: Actor, program: Program, obj, action: AuditAction) -> None:
    audit_record(actor=actor, program=program, action=action, obj=obj, changes=audit_changes({}, audit_snapshot(obj)))


def _saved(obj, *, actor: Actor, program: Program, action: AuditAction):
    obj.full_clean()
    obj.save()
    _created(actor=actor, program=program, obj=obj, action=action)
    return obj


def _card_type_create(*, program: Program, card_kind: str, actor: Actor) -> CardType:
    kind = CardKind(card_kind)
    card_type = CardType(program=program, kind=kind, name=program.name)
    if kind == CardKind.CASHBACK:
        card_type.cashback_percent = CASHBACK_PERCENT
        card_type.rounding = Rounding.DOWN
        card_type.description = _("Get 3 % back in points on every purchase and pay with them next time.")
    elif kind == CardKind.STAMPS:
        card_type.stamp_goal = STAMP_GOAL
        card_type.stamp_basis = StampBasis.PURCHASE
        card_type.reward_description = _("Every 10th purchase free")
        card_type.description = _("A stamp for every purchase: collect 9 and the 10th is on us.")
    elif kind == CardKind.DISCOUNT:
        card_type.discount_percent = DISCOUNT_PERCENT
        # xgettext:no-python-format
        card_type.description = _("5 % off every purchase.")
    else:
        card_type.description = _("The more you spend, the bigger your discount: 5, 7, then 10 %.")
    card_type.full_clean()
    card_type.save()
    if kind == CardKind.CASHBACK:
        # So the points can be spent: a point is worth one unit of the currency, up to half of a check.
        rule = RedemptionRule(card_type=card_type, point_value=D(1), max_share_percent=D(50))
        rule.full_clean()
        rule.save()
    if kind == CardKind.ACCUMULATIVE:
        for min_spend, percent in ACCUMULATIVE_STEPS:
            step = DiscountThreshold(card_type=card_type, min_spend=min_spend, percent=percent)
            step.full_clean()
            step.save()
    # Audited after its children, so the row lists the redemption rule or the steps with the card type.
    _created(actor=actor, program=program, obj=card_type, action=AuditAction.CARD_TYPE_CREATE)
    if kind == CardKind.CASHBACK:
        for (name, threshold, percent), colour in zip(CASHBACK_TIERS, TIER_COLOURS, strict=True):
            tier = Tier(program=program, name=str(name), threshold=threshold, cashback_percent=percent, color=colour)
            _saved(tier, actor=actor, program=program, action=AuditAction.TIER_CREATE)
    return card_type


def _logo_create(*, business: Business, name: str, logo_file, actor: Actor):
    """The uploaded logo as a Wagtail image in ``business``'s collection (the theme checks its size and format)."""
    image = get_image_model()(
        title=_("%(name)s logo") % {"name": name},
        collection=business.collection,
        uploaded_by_user=actor.user,
    )
    try:
        logo_file.seek(0)
        PILImage.open(logo_file).verify()
    except Exception as error:  # Pillow raises many kinds of errors for a file that is not an image
        raise ValidationError({"logo": _("This file is not an image Kartka can read: use a PNG or JPEG.")}) from error
    logo_file.seek(0)
    image.file = ImageFile(logo_file, name=getattr(logo_file, "name", None) or "logo.png")
    image.save()
    return image


@dataclass(frozen=True)
class Launched:
    program: Program
    card_type: CardType
    store: Store
    theme: Theme
    site: Site


def program_launch(
    *,
    business: Business,
    actor: Actor,
    name: str,
    currency: str,
    language: str,
    card_kind: str,
    colours: BrandColours,
    logo_file=None,
    hostname: str,
    port: int = 80,
) -> Launched:
    """Create a ready-to-use program of ``business``: the program (slug from its name), a card type of
    ``card_kind`` with its defaults (cashback 3 % with a redemption rule and Standard / Silver / Gold tiers at
    3 / 5 / 7 %; a 9 + 1 stamp card; a 5 % discount; accumulative 5 / 7 / 10 %), a "Main store", a published
    theme in ``colours`` (with ``logo_file`` as its logo) assigned to the program, and the portal at
    ``hostname``:``port`` with its published home in ``language``. Every object is audited.

    One transaction: any refusal leaves nothing behind (the rows roll back, the logo's stored file is deleted).
    Raises ``ValidationError`` (fields ``name``, ``currency``, ``text``, ``accent``, ``logo``, …) and
    ``InvalidInput`` (``hostname``, ``port``). Whether ``actor`` may act for ``business`` is the caller's check
    (``tenancy.access``).
    """
    # The files the launch writes are not in the transaction: a failure deletes them after the rollback.
    with _files_deleted_on_failure() as stored, transaction.atomic():
        name = (name or "").strip()
        if not name:
            raise ValidationError({"name": _("Give the program a name.")})
        if card_kind not in CardKind.values:
            raise InvalidInput(_("Choose a kind of card."), field="card_kind")
        palette = brand_palette(colours)
        business = business_workspace_ensure(business=business)

        with translation.override(language):
            # What members read (card and tier names, the store) is written in the portal's language.
            program, card_type, store = _engine_create(
                business=business, actor=actor, name=name, currency=currency, card_kind=card_kind
            )

        logo = None
        if logo_file is not None:
            logo = _logo_create(business=business, name=name, logo_file=logo_file, actor=actor)
            stored.append((logo.file.storage, logo.file.name))
        theme = theme_create(
            business=business,
            actor=actor,
            name=_free_theme_name(business, name),
            publish=True,
            logo=logo,
            **vars(palette),
        )
        theme_program_assign(program=program, theme=theme, actor=actor)
        site = portal_site_create(program=program, hostname=hostname, port=port, actor=actor, language=language)
        return Launched(program=program, card_type=card_type, store=store, theme=theme, site=site)


@contextmanager
def _files_deleted_on_failure():
    """Yield a list for ``(storage, name)`` of stored files; if the block raises, delete them and re-raise."""
    stored: list = []
    try:
        yield stored
    except BaseException:
        for storage, file_name in stored:
            storage.delete(file_name)
        raise


def _engine_create(*, business, actor, name, currency, card_kind):
    program = Program(business=business, name=name, slug=_free_slug(name), currency=currency)
    program.tier_basis = TierBasis.SPEND
    _saved(program, actor=actor, program=program, action=AuditAction.PROGRAM_CREATE)
    card_type = _card_type_create(program=program, card_kind=card_kind, actor=actor)
    store = _saved(
        Store(program=program, name=_("Main store"), code="main"),
        actor=actor,
        program=program,
        action=AuditAction.STORE_CREATE,
    )

    return program, card_type, store
