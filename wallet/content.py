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
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal


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
