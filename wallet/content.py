"""What a wallet pass shows, in one value both wallets are drawn from: ``PassContent``.

``pass_content(card)`` reads the card, its member, the program's theme tokens and the cabinet's own figures
(``portal.selectors``: the same balance, tier and stamp numbers the customer sees on the portal) and returns plain
data. The Apple builder (``wallet.apple``) and the Google builder (``wallet.google``) only lay it out, so a pass never
disagrees with the cabinet, and ``content_hash`` says whether anything a wallet would show has changed since the
pass was last served or sent.

Texts. Labels and change messages are written in English, the msgid of Django's catalogs; ``strings`` holds their
translation for each language Kartka ships (Apple writes them to ``xx.lproj/pass.strings``, Google to
``translatedValues``). Values are numbers where a wallet formats them itself (money with ``currency``), or text in
the program's own words (tier and card type names, which owners write in their customers' language).
"""

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop
from wagtail.images import get_image_model
from wagtail.models import Site

from portal.selectors import card_views, program_tiers, tier_view
from programs import clock
from programs.barcodes import card_payload
from programs.choices import CardKind, CardStatus
from programs.selectors import rules_for_card_type_id
from themes.tokens import ThemeTokens, theme_tokens

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PassField:
    """One field of a pass: ``label`` and ``change_message`` are English (msgids, see ``PassContent.strings``);
    ``change_message`` holds ``%@`` where the wallet puts the new value ("" for a field that changes silently)."""

    key: str
    label: str
    value: str | Decimal | int
    change_message: str = ""
    currency: str = ""  # ISO 4217 when ``value`` is money
    link: str = ""  # back fields only: a URL the wallet shows as a link


@dataclass(frozen=True)
class PassImages:
    """The theme's images as PNG/JPEG bytes of the largest rendition available (the builders scale them)."""

    logo: bytes | None = None
    icon: bytes | None = None
    strip: bytes | None = None


@dataclass(frozen=True)
class PassContent:
    # Identity.
    card_id: int
    program_id: int
    serial: str  # WalletPass.serial: stable for the card's life
    authentication_token: str  # Apple's per-pass token (>= 16 characters); never changes
    # Who and what.
    organization: str  # the business's name
    program_name: str
    description: str  # English; translated in ``strings``
    card_number: str
    barcode: str  # the payload the POS API's lookup accepts (programs.barcodes.card_payload)
    member_name: str
    kind: str  # programs.choices.CardKind
    card_type_name: str
    # Figures (Decimal), for Google's loyaltyPoints and for tests; the fields below show them.
    points: Decimal  # cashback + promo (points kinds) or stamps (stamp cards)
    points_label: str  # English: "Points", "Stamps", "Discount"
    secondary_points: Decimal | None
    secondary_points_label: str
    tier_name: str
    # Layout, in the order the wallets show them.
    header_fields: tuple[PassField, ...]
    primary_fields: tuple[PassField, ...]
    secondary_fields: tuple[PassField, ...]
    auxiliary_fields: tuple[PassField, ...]
    back_fields: tuple[PassField, ...]
    # Brand: "#rrggbb" colours and the images.
    background: str
    foreground: str
    label_colour: str
    images: PassImages = field(default_factory=PassImages)
    images_version: str = ""  # changes when the images do (the theme's tokens version)
    # Translations of every English text above: {"ru": {"Balance": "Баланс", …}, "uk": {…}}.
    strings: dict[str, dict[str, str]] = field(default_factory=dict)
    # State.
    voided: bool = False  # the card is blocked or replaced: the wallet greys it out
    portal_url: str = ""  # the cabinet, for the back of the pass and Google's links module
    updated_at: datetime | None = None

    def hash_source(self) -> dict:
        data = asdict(self)
        data.pop("images")
        data.pop("updated_at")
        return data

    @property
    def content_hash(self) -> str:
        """A digest of everything a wallet shows (images by their version): equal hashes, equal passes."""
        text = json.dumps(self.hash_source(), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


# --- Building ------------------------------------------------------------------------------------------------

LANGUAGES = ("en", "ru", "uk")
# Rendered images per theme version, so a pass served again reads no image file.
_IMAGES_CACHE: dict[str, PassImages] = {}
_IMAGES_CACHE_SIZE = 64

# The English texts of the pass, found here by makemessages and translated per language into ``strings``.
DESCRIPTION = gettext_noop("Loyalty card")
LABEL_TIER = gettext_noop("Tier")
LABEL_CARD = gettext_noop("Card")
LABEL_POINTS = gettext_noop("Points")
LABEL_PROMO = gettext_noop("Promo points")
LABEL_CASHBACK = gettext_noop("Cashback points")
LABEL_WORTH = gettext_noop("Worth")
LABEL_STAMPS = gettext_noop("Stamps")
LABEL_REWARDS = gettext_noop("Rewards")
LABEL_DISCOUNT = gettext_noop("Discount")
LABEL_MEMBER = gettext_noop("Member")
LABEL_NUMBER = gettext_noop("Card number")
LABEL_NEXT_TIER = gettext_noop("Next tier")
LABEL_EXPIRES = gettext_noop("Expiring")
LABEL_GOOD_TO_KNOW = gettext_noop("Good to know")
LABEL_ACCOUNT = gettext_noop("Your account")
LABEL_STATUS = gettext_noop("Card status")
CHANGE_BALANCE = gettext_noop("Your balance is now %@")
CHANGE_WORTH = gettext_noop("Your points are now worth %@")
CHANGE_TIER = gettext_noop("Your tier is now %@")
CHANGE_STAMPS = gettext_noop("You have %@ stamps")
CHANGE_REWARDS = gettext_noop("Rewards ready: %@")
CHANGE_DISCOUNT = gettext_noop("Your discount is now %@")
STATUS_BLOCKED = gettext_noop("This card is blocked. Ask the staff or open your account for a new one.")
STATUS_REPLACED = gettext_noop("This card was replaced. Add your new card from your account.")
FIXED_TEXTS = (
    DESCRIPTION,
    LABEL_TIER,
    LABEL_CARD,
    LABEL_POINTS,
    LABEL_PROMO,
    LABEL_CASHBACK,
    LABEL_WORTH,
    LABEL_STAMPS,
    LABEL_REWARDS,
    LABEL_DISCOUNT,
    LABEL_MEMBER,
    LABEL_NUMBER,
    LABEL_NEXT_TIER,
    LABEL_EXPIRES,
    LABEL_GOOD_TO_KNOW,
    LABEL_ACCOUNT,
    LABEL_STATUS,
    CHANGE_BALANCE,
    CHANGE_WORTH,
    CHANGE_TIER,
    CHANGE_STAMPS,
    CHANGE_REWARDS,
    CHANGE_DISCOUNT,
    STATUS_BLOCKED,
    STATUS_REPLACED,
)


@dataclass
class _Words:
    """Texts the cabinet writes in the active language (expiries, "you can pay up to", tier progress), gathered
    in each language so the pass carries them all."""

    expiries: str = ""
    lines: str = ""
    next_tier: str = ""


def _words(member, card, program, tiers, at) -> _Words:
    view = card_views(member=member, cards=[card], at=at)[0]
    tier = tier_view(member=member, tiers=tiers, at=at)
    return _Words(
        expiries="\n".join(expiry.text + " — " + date_format(expiry.at, "DATE_FORMAT") for expiry in view.expiries),
        lines="\n".join(view.lines),
        next_tier=tier.remaining_text if tier is not None and tier.next_tier is not None else "",
    )


def _image_bytes(image_id: int | None) -> bytes | None:
    if image_id is None:
        return None
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is None:
        return None
    try:
        with image.file.open("rb") as handle:
            return handle.read()
    except OSError:
        logger.warning("wallet: image %s of a theme cannot be read; the pass goes without it", image_id)
        return None


def pass_images(tokens: ThemeTokens) -> PassImages:
    """The theme's logo, icon and strip as stored (cached per theme version: a published theme never changes)."""
    cached = _IMAGES_CACHE.get(tokens.version)
    if cached is not None:
        return cached
    images = PassImages(
        logo=_image_bytes(tokens.logo_image_id),
        icon=_image_bytes(tokens.icon_image_id),
        strip=_image_bytes(tokens.strip_image_id),
    )
    if len(_IMAGES_CACHE) >= _IMAGES_CACHE_SIZE:
        _IMAGES_CACHE.pop(next(iter(_IMAGES_CACHE)))
    _IMAGES_CACHE[tokens.version] = images
    return images


def public_origin(program) -> str:
    """The origin phones and Google reach this install at for ``program``: ``WALLET_PUBLIC_URL`` when set, else
    the program's portal host ("" when it has no portal)."""
    if settings.KARTKA_WALLET_PUBLIC_URL:
        return settings.KARTKA_WALLET_PUBLIC_URL
    site = Site.objects.filter(root_page__portalhomepage__program=program).order_by("pk").first()
    return site.root_url if site is not None else ""


def pass_content(wallet_pass, *, at: datetime | None = None) -> PassContent:
    """What ``wallet_pass`` shows now: the card's balances (the cabinet's own figures: ``portal.selectors``), tier,
    stamps or discount, the barcode the tills scan, the program's theme, and every text in en/ru/uk.

    A blocked or replaced card gives a voided pass that says so on its back.
    """
    at = at or clock.now()
    card = wallet_pass.card
    member = card.member
    program = card.program
    member.program = program
    card.card_type = rules_for_card_type_id(card_type_id=card.card_type_id, program=program).card_type
    tiers = program_tiers(cards=[card], program=program)
    view = card_views(member=member, cards=[card], at=at)[0]
    tier = tier_view(member=member, tiers=tiers, at=at)
    tokens = theme_tokens(program)
    currency = program.currency
    kind = card.card_type.kind
    tier_name = tier.tier.name if tier is not None and tier.tier is not None else ""

    words = {}
    for language in LANGUAGES:
        with translation.override(language):
            words[language] = _words(member, card, program, tiers, at)
    english = words["en"]

    header = [PassField("tier", LABEL_TIER, tier_name, change_message=CHANGE_TIER)] if tier_name else []
    if not header:
        header = [PassField("card", LABEL_CARD, card.card_type.name)]
    secondary: list[PassField] = []
    if kind == CardKind.CASHBACK:
        primary = [PassField("balance", LABEL_POINTS, view.points.quantize(CENT), change_message=CHANGE_BALANCE)]
        secondary.append(PassField("worth", LABEL_WORTH, view.value, change_message=CHANGE_WORTH, currency=currency))
        if view.promo:
            secondary.append(PassField("promo", LABEL_PROMO, view.promo.quantize(CENT)))
        points, points_label = view.points.quantize(CENT), LABEL_POINTS
        secondary_points = view.promo.quantize(CENT) if view.promo else None
        secondary_label = LABEL_PROMO if view.promo else ""
    elif kind == CardKind.STAMPS:
        goal = card.card_type.stamp_goal or 0
        stamps = int(min(view.stamps, goal)) if goal else int(view.stamps)
        primary = [PassField("stamps", LABEL_STAMPS, f"{stamps} / {goal}", change_message=CHANGE_STAMPS)]
        secondary.append(PassField("rewards", LABEL_REWARDS, view.rewards_available, change_message=CHANGE_REWARDS))
        points, points_label = Decimal(stamps), LABEL_STAMPS
        secondary_points, secondary_label = Decimal(view.rewards_available), LABEL_REWARDS
    else:
        discount = view.discount_percent.normalize()
        primary = [PassField("discount", LABEL_DISCOUNT, f"{discount:f} %", change_message=CHANGE_DISCOUNT)]
        points, points_label = view.discount_percent, LABEL_DISCOUNT
        secondary_points, secondary_label = None, ""
    auxiliary = [PassField("member", LABEL_MEMBER, _member_name(member))] if _member_name(member) else []

    voided = card.status != CardStatus.ACTIVE
    back: list[PassField] = []
    if voided:
        status = STATUS_REPLACED if card.status == CardStatus.REPLACED else STATUS_BLOCKED
        back.append(PassField("status", LABEL_STATUS, status))
    back.append(PassField("number", LABEL_NUMBER, card.number))
    if english.next_tier:
        back.append(PassField("next_tier", LABEL_NEXT_TIER, english.next_tier))
    if english.expiries:
        back.append(PassField("expiring", LABEL_EXPIRES, english.expiries))
    if english.lines:
        back.append(PassField("good_to_know", LABEL_GOOD_TO_KNOW, english.lines))
    origin = public_origin(program)
    url = f"{origin}/account/" if origin else ""
    if url:
        back.append(PassField("account", LABEL_ACCOUNT, url, link=url))

    strings: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        if language == "en":
            continue
        with translation.override(language):
            table = {text: gettext(text) for text in FIXED_TEXTS}
        for name in ("expiries", "lines", "next_tier"):
            if getattr(english, name):
                table[getattr(english, name)] = getattr(words[language], name)
        strings[language] = table

    return PassContent(
        card_id=card.pk,
        program_id=program.pk,
        serial=wallet_pass.serial,
        authentication_token=wallet_pass.authentication_token,
        organization=program.business.name,
        program_name=program.name,
        description=DESCRIPTION,
        card_number=card.number,
        barcode=card_payload(card.number),
        member_name=_member_name(member),
        kind=kind,
        card_type_name=card.card_type.name,
        points=points,
        points_label=points_label,
        secondary_points=secondary_points,
        secondary_points_label=secondary_label,
        tier_name=tier_name,
        header_fields=tuple(header),
        primary_fields=tuple(primary),
        secondary_fields=tuple(secondary),
        auxiliary_fields=tuple(auxiliary),
        back_fields=tuple(back),
        background=tokens.background,
        foreground=tokens.text,
        label_colour=tokens.label,
        images=pass_images(tokens),
        images_version=tokens.version,
        strings=strings,
        voided=voided,
        portal_url=url,
        updated_at=wallet_pass.changed_at,
    )


def _member_name(member) -> str:
    return " ".join(part for part in (member.first_name, member.last_name) if part)
