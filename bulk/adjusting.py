"""Bulk adjustments: a file of cards (or phones) with points and stamps to add or take, one reason for all.

Each row becomes the engine's own staff adjustment (``programs.services.cards.card_adjust``): a normal
``adjustment`` ledger entry with the reason and the staff user, its audit row and its outbox event. The check
finds the card (by number, else the member's card by phone), refuses what the card cannot give, and a commit
adjusts row by row, each row in one transaction with the job's progress, so a stopped job resumes after the last
row it wrote and never adjusts a row twice.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from bulk import parsing
from bulk.columns import ADJUST_COLUMNS, strip_hint
from bulk.parsing import CellError
from programs.choices import CardStatus
from programs.models import Card, Member, Program
from programs.phones import phone_parse, program_region

ZERO = Decimal("0")


@dataclass
class AdjustRow:
    number: int
    reasons: list[str] = field(default_factory=list)
    card_number: str = ""
    phone_key: str = ""
    points: Decimal = ZERO
    stamps: Decimal = ZERO
    card_id: int | None = None


def _label(key: str) -> str:
    """A column's name for a message: its header without the hint in brackets."""
    return strip_hint(next(column.label for column in ADJUST_COLUMNS if column.key == key))


def adjust_row_parse(number: int, values: dict, program: Program) -> AdjustRow:
    row = AdjustRow(number=number)
    if values.get("card_number"):
        try:
            row.card_number = parsing.card_number(values["card_number"])
        except CellError as error:
            row.reasons.append(str(error))
    elif values.get("phone"):
        phone = phone_parse(str(values["phone"]), program=program)
        if phone is None:
            row.reasons.append(
                _("The phone number is not valid for %(country)s.") % {"country": program_region(program) or "—"}
            )
        else:
            row.phone_key = phone.as_e164
    else:
        row.reasons.append(_("Give a card number or a phone."))
    for key in ("points", "stamps"):
        if values.get(key) in (None, ""):
            continue
        try:
            value = parsing.amount(values[key], label=_label(key), whole=key == "stamps", signed=True)
        except CellError as error:
            row.reasons.append(str(error))
            continue
        setattr(row, key, value)
    if not row.points and not row.stamps and not row.reasons:
        row.reasons.append(_("Nothing to add or take: points and stamps are empty or zero."))
    return row


def adjust_rows_resolve(rows: list[AdjustRow], program: Program, seen: dict[int, int]) -> None:
    """Find each row's card and check it can give what the row takes (two queries per chunk)."""
    numbers = {row.card_number for row in rows if row.card_number}
    phones = {row.phone_key for row in rows if row.phone_key}
    cards = {}
    if numbers:
        cards = {
            card.number: card
            for card in Card.objects.filter(program=program, number__in=numbers).select_related("card_type")
        }
    by_phone = {}
    if phones:
        members = {
            m.pk: m.phone.as_e164 for m in Member.objects.filter(program=program, phone__in=phones).only("pk", "phone")
        }
        for card in (
            Card.objects.filter(member_id__in=members)
            .exclude(status=CardStatus.REPLACED)
            .select_related("card_type")
            .order_by("pk")
        ):
            by_phone.setdefault(members[card.member_id], []).append(card)
    for row in rows:
        if row.reasons:
            continue
        if row.card_number:
            card = cards.get(row.card_number)
            if card is None:
                row.reasons.append(_("There is no card with this number in the program."))
                continue
        else:
            candidates = by_phone.get(row.phone_key)
            if not candidates:
                row.reasons.append(_("There is no member with this phone in the program."))
                continue
            wanted = [
                c
                for c in candidates
                if (not row.points or c.card_type.earns_points) and (not row.stamps or c.card_type.earns_stamps)
            ]
            if not wanted:
                row.reasons.append(_("The member has no card that holds these points or stamps."))
                continue
            card = wanted[0]
        if card.status == CardStatus.REPLACED:
            row.reasons.append(_("The card was replaced by another one."))
            continue
        if row.points and not card.card_type.earns_points:
            row.reasons.append(_("This card does not hold points."))
        if row.stamps and not card.card_type.earns_stamps:
            row.reasons.append(_("This card does not hold stamps."))
        if row.points < 0 and card.points_balance < -row.points:
            row.reasons.append(
                _("Takes %(amount)s points but the card holds %(balance)s.")
                % {"amount": -row.points, "balance": card.points_balance}
            )
        if row.stamps < 0 and card.stamps_balance < -row.stamps:
            row.reasons.append(
                _("Takes %(amount)s stamps but the card holds %(balance)s.")
                % {"amount": -row.stamps, "balance": card.stamps_balance}
            )
        if card.pk in seen:
            row.reasons.append(_("The same card is on row %(row)s.") % {"row": seen[card.pk]})
        if not row.reasons:
            row.card_id = card.pk
            seen[card.pk] = row.number
