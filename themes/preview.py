"""What the editor's preview panel draws: a theme (as typed, not yet saved) applied to the real card types and
tiers of a program of its business, with sample balances and history (no member's data is shown)."""

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from programs.choices import CardKind
from programs.models import CardType, Program
from themes.colours import HEX_COLOUR
from themes.tokens import DEFAULT_TOKENS, ThemeTokens, tokens_from_theme

SAMPLE_NUMBER = "2000 4417 0042"


def _program_for(theme) -> Program | None:
    """A program that wears the theme, else any of its business's programs (the newest active first)."""
    if theme.business_id is None:
        return None
    programs = Program.objects.filter(business_id=theme.business_id)
    if theme.pk:
        wearing = programs.filter(theme_id=theme.pk).order_by("-is_active", "pk").first()
        if wearing is not None:
            return wearing
    return programs.order_by("-is_active", "-pk").first()


def _safe_css(tokens: ThemeTokens) -> str:
    """The tokens' CSS declarations for a ``<style>`` block: colours are checked again here because a preview
    draws what the owner typed."""
    colours = [value for name, value in tokens.css_variables().items() if name != "--k-font"]
    if not all(HEX_COLOUR.match(value) for value in colours):
        tokens = DEFAULT_TOKENS
    # Safe: validated hex colours and a font stack from themes.fonts.
    return mark_safe(tokens.css)


def barcode_cells(payload: str, size: int = 21) -> list[list[bool]]:
    """A QR-looking placeholder (three finder squares and a pattern derived from ``payload``): the preview shows
    where the member's code goes; the real code is drawn by the portal and the wallet."""
    bits = "".join(f"{byte:08b}" for byte in hashlib.sha256(payload.encode()).digest() * 2)
    cells = [[bits[(row * size + column) % len(bits)] == "1" for column in range(size)] for row in range(size)]
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        for row in range(8):
            for column in range(8):
                r, c = top + row - (1 if top else 0), left + column - (1 if left else 0)
                if not (0 <= r < size and 0 <= c < size):
                    continue
                inner_r, inner_c = r - top, c - left
                if 0 <= inner_r < 7 and 0 <= inner_c < 7:
                    edge = inner_r in (0, 6) or inner_c in (0, 6)
                    core = 2 <= inner_r <= 4 and 2 <= inner_c <= 4
                    cells[r][c] = edge or core
                else:
                    cells[r][c] = False
    return cells


def _balance(card_type: CardType | None, currency: str) -> tuple[str, str]:
    """(label, value) the card shows for ``card_type``, with sample numbers."""
    if card_type is None or card_type.kind == CardKind.CASHBACK:
        return _("Points"), "1 250"
    if card_type.kind == CardKind.STAMPS:
        goal = card_type.stamp_goal or 10
        return _("Stamps"), f"{_sample_filled(goal)} / {goal}"
    if card_type.kind == CardKind.ACCUMULATIVE:
        step = card_type.thresholds.order_by("min_spend").first()
        percent = step.percent if step is not None else Decimal(5)
        return _("Discount"), f"{percent.normalize():f} %"
    return _("Discount"), f"{card_type.discount_percent.normalize():f} %"


def _sample_filled(goal: int) -> int:
    return max(1, goal * 6 // 10)


def preview_context(*, theme, mode: str) -> dict:
    tokens = tokens_from_theme(theme)
    program = _program_for(theme)
    card_types = list(program.card_types.order_by("-is_active", "pk")) if program else []
    card_type = next((item for item in card_types if item.kind != CardKind.STAMPS), None) or (
        card_types[0] if card_types else None
    )
    stamp_type = next((item for item in card_types if item.kind == CardKind.STAMPS), None)
    tiers = list(program.tiers.order_by("threshold", "pk")[:2]) if program else []
    balance_label, balance = _balance(card_type, program.currency if program else "")
    goal = (stamp_type.stamp_goal if stamp_type else None) or 10
    filled = _sample_filled(goal)
    today = timezone.localdate()
    return {
        "theme": theme,
        "tokens": tokens,
        "tokens_css": _safe_css(tokens),
        "mode": mode,
        "program_name": program.name if program else theme.name,
        "card_type_name": card_type.name if card_type else _("Loyalty card"),
        "balance_label": balance_label,
        "balance": balance,
        "card_number": SAMPLE_NUMBER,
        "barcode": barcode_cells(SAMPLE_NUMBER),
        "member_name": _("Olena K."),
        "tier_name": tiers[0].name if tiers else _("Member"),
        "next_tier_name": tiers[1].name if len(tiers) > 1 else "",
        "tier_progress": 60,
        "history": [
            {"date": today - timedelta(days=1), "what": _("Purchase"), "amount": "+42"},
            {"date": today - timedelta(days=6), "what": _("Paid with points"), "amount": "−150"},
            {"date": today - timedelta(days=13), "what": _("Purchase"), "amount": "+18"},
            {"date": today - timedelta(days=30), "what": _("Welcome bonus"), "amount": "+100"},
        ],
        "stamp_type_name": stamp_type.name if stamp_type else _("Stamp card"),
        "stamp_reward": (stamp_type.reward_description if stamp_type else "") or _("A free gift"),
        "stamps": [index < filled for index in range(goal)],
        "stamps_filled": filled,
        "stamps_goal": goal,
    }
