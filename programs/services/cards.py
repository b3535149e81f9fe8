"""Card life cycle and staff actions on balances. Each public function is one transaction."""

import secrets
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from programs import clock, outbox, payloads
from programs.choices import (
    ACTION_RULE_KINDS,
    BalanceCause,
    Bucket,
    CardStatus,
    EntryKind,
    EventType,
    RewardStatus,
    RuleKind,
    Unit,
)
from programs.credits import Credit
from programs.errors import CardReplaced, InvalidInput, ProgramInactive
from programs.models import Card, CardType, Event, LedgerEntry, Lot, Member
from programs.pricing import action_bonuses, money
from programs.selectors import rules_for_card_type
from programs.services import ledger
from tenancy.actors import SYSTEM, Actor
from tenancy.choices import AuditAction
from tenancy.services import audit_record

ZERO = Decimal("0")


def luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def card_number_generate(*, program_id: int) -> str:
    """A random 13-digit number with a Luhn check digit, unused in the program (cashiers mistype less)."""
    while True:
        body = "2" + "".join(str(secrets.randbelow(10)) for _ in range(11))
        number = body + luhn_digit(body)
        if not Card.objects.filter(program_id=program_id, number=number).exists():
            return number


def _event(card: Card, type: str, payload: dict, at: datetime) -> Event:
    return outbox.event_new(
        type=type, program_id=card.program_id, card_id=card.pk, member_id=card.member_id, payload=payload, at=at
    )


def action_bonus_grant(*, card: Card, kind: str, at: datetime, actor: Actor = SYSTEM) -> list[LedgerEntry]:
    """Credit the active action bonuses of ``kind`` (joining, birthday, profile) to a locked points card."""
    assert kind in ACTION_RULE_KINDS
    if not card.card_type.earns_points:
        return []
    rules = rules_for_card_type(card_type=card.card_type, program=card.program)
    credits = action_bonuses(rules=rules, kind=kind, at=at)
    return ledger.credits_post(
        card=card, unit=Unit.POINTS, kind=EntryKind.ACCRUAL, credits=credits, now=at, actor=actor.user
    )


@transaction.atomic
def card_issue(*, member: Member, card_type: CardType, number: str = "", actor: Actor = SYSTEM) -> Card:
    """Issue a card of ``card_type`` to ``member`` (a plastic ``number`` may be given), with the joining bonus.

    One live card per member and card type (database constraint). Raises ``InvalidInput`` if the number is
    taken or the card type belongs to another program. Writes ``card.issued`` (and ``card.balances_changed``
    for a joining bonus) to the outbox.
    """
    card, issued = card_issue_unannounced(member=member, card_type=card_type, number=number, actor=actor)
    outbox.events_record([issued])
    return card


def card_issue_unannounced(
    *, member: Member, card_type: CardType, number: str = "", actor: Actor = SYSTEM
) -> tuple[Card, Event]:
    """``card_issue`` without recording its ``card.issued`` event, which it returns: for a caller that must
    announce something else first (enrolment: the member before their cards). Runs in the caller's transaction."""
    if card_type.program_id != member.program_id:
        raise InvalidInput(_("The card type belongs to another program."))
    if not card_type.program.is_active:
        raise ProgramInactive()
    number = (number or "").strip().replace(" ", "")
    if number and Card.objects.filter(program_id=member.program_id, number=number).exists():
        raise InvalidInput(_("Card number %(number)s is already in use.") % {"number": number}, field="number")
    if Card.objects.live().filter(member=member, card_type=card_type).exists():
        raise InvalidInput(_("The member already has a card of this type."))
    now = clock.now()
    card = Card(
        program_id=member.program_id,
        member=member,
        card_type=card_type,
        number=number or card_number_generate(program_id=member.program_id),
        issued_at=now,
        updated_at=now,
    )
    card.full_clean(validate_constraints=False)
    card.save()
    card = ledger.cards_lock(card_ids=[card.pk])[card.pk]
    action_bonus_grant(card=card, kind=RuleKind.REGISTRATION, at=now, actor=actor)
    ledger.card_save_balances(card=card, now=now, cause=BalanceCause.JOINING_BONUS)
    audit_record(actor=actor, program=card_type.program, action=AuditAction.CARD_ISSUE, obj=card)
    return card, _event(card, EventType.CARD_ISSUED, payloads.card_issued(card), now)


def _status_set(*, card: Card, status: str, reason: str, actor: Actor, action: AuditAction) -> Card:
    card = ledger.cards_lock(card_ids=[card.pk])[card.pk]
    if card.status == CardStatus.REPLACED:
        raise CardReplaced()
    old = card.status
    if old == status:
        return card  # already so: nothing changes, nothing to audit
    card.status = status
    card.status_reason = reason
    card.updated_at = clock.now()
    card.save(update_fields=["status", "status_reason", "updated_at"])
    event_type = EventType.CARD_BLOCKED if status == CardStatus.BLOCKED else EventType.CARD_UNBLOCKED
    payload = payloads.card_status_changed(card, old=old, reason=reason)
    outbox.events_record([_event(card, event_type, payload, card.updated_at)])
    audit_record(
        actor=actor,
        program=card.program,
        action=action,
        obj=card,
        changes={"status": (old, status)},
        reason=reason,
    )
    return card


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Please give a reason."), field="reason")
    return reason


@transaction.atomic
def card_block(*, card: Card, reason: str, actor: Actor) -> Card:
    """Block a card (lost, fraud): it can't earn or pay until unblocked. A reason is required."""
    return _status_set(
        card=card,
        status=CardStatus.BLOCKED,
        reason=_reason_required(reason),
        actor=actor,
        action=AuditAction.CARD_BLOCK,
    )


@transaction.atomic
def card_unblock(*, card: Card, reason: str, actor: Actor) -> Card:
    """Make a blocked card usable again. A reason is required."""
    return _status_set(
        card=card,
        status=CardStatus.ACTIVE,
        reason=_reason_required(reason),
        actor=actor,
        action=AuditAction.CARD_UNBLOCK,
    )


@transaction.atomic
def card_adjust(
    *,
    card: Card,
    amount: Decimal,
    reason: str,
    actor: Actor,
    unit: str = Unit.POINTS,
    bucket: str = Bucket.CASHBACK,
    expires_at: datetime | None = None,
) -> list[LedgerEntry]:
    """A staff correction of points or stamps, positive or negative, with a mandatory reason.

    Positive amounts open a lot in ``bucket`` (promo needs an expiry); negative ones spend soonest-expiring
    lots first and raise ``InsufficientPoints``/``InsufficientStamps`` beyond the balance.
    """
    reason = _reason_required(reason)
    if amount == 0 or money(amount) != amount:
        raise InvalidInput(_("The amount must not be zero and has at most two decimals."), field="amount")
    if unit == Unit.STAMPS and amount != amount.to_integral_value():
        raise InvalidInput(_("Stamps are whole numbers."), field="amount")
    if bucket == Bucket.PROMO and amount > 0 and expires_at is None:
        raise InvalidInput(_("Promo points need an expiry date."), field="expires_at")
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(_("The expiry must be in the future."), field="expires_at")
    card = ledger.cards_lock(card_ids=[card.pk])[card.pk]
    if card.status == CardStatus.REPLACED:
        raise CardReplaced()
    old = card.balance(unit)
    links = {"actor": actor.user, "reason": reason[:300]}
    if amount > 0:
        entries = ledger.credits_post(
            card=card,
            unit=unit,
            kind=EntryKind.ADJUSTMENT,
            credits=[Credit(amount=amount, bucket=bucket, expires_at=expires_at, reason=reason[:300])],
            now=now,
            actor=actor.user,
        )
    else:
        entries = ledger.debit_post(card=card, unit=unit, kind=EntryKind.ADJUSTMENT, amount=-amount, now=now, **links)
    ledger.card_save_balances(card=card, now=now, cause=BalanceCause.ADJUSTMENT)
    audit_record(
        actor=actor,
        program=card.program,
        action=AuditAction.CARD_ADJUST,
        obj=card,
        changes={f"{unit}_balance": (old, card.balance(unit))},
        reason=reason,
    )
    return entries


@transaction.atomic
def card_replace(*, card: Card, reason: str, actor: Actor, number: str = "") -> Card:
    """Replace a card (lost, damaged, plastic swap): a new card of the same type takes over every open lot
    (with its bucket and expiry), the debts and the unused rewards; the old card is marked replaced."""
    reason = _reason_required(reason)
    now = clock.now()
    old = ledger.cards_lock(card_ids=[card.pk])[card.pk]
    if old.status == CardStatus.REPLACED:
        raise CardReplaced()
    number = (number or "").strip().replace(" ", "")
    if number and Card.objects.filter(program_id=old.program_id, number=number).exists():
        raise InvalidInput(_("Card number %(number)s is already in use.") % {"number": number}, field="number")
    old_status = old.status
    Card.objects.filter(pk=old.pk).update(status=CardStatus.REPLACED, status_reason=reason, updated_at=now)
    old.status = CardStatus.REPLACED
    new = Card.objects.create(
        program_id=old.program_id,
        member_id=old.member_id,
        card_type_id=old.card_type_id,
        number=number or card_number_generate(program_id=old.program_id),
        issued_at=now,
        updated_at=now,
    )
    new = ledger.cards_lock(card_ids=[new.pk])[new.pk]
    # The debts move first, so the points moving after them settle them as any credit would.
    ledger.debts_transfer(source=old, target=new, now=now, actor=actor.user)
    links = {"actor": actor.user, "reason": reason[:300]}
    for unit in (Unit.POINTS, Unit.STAMPS):
        lots = list(Lot.objects.for_card(old, unit).open().soonest_expiring_first())
        live = [lot for lot in lots if lot.expires_at is None or lot.expires_at > now]
        if not lots:
            continue
        # Past-due lots expire on the old card (on touch); the rest move with their own expiry.
        total = sum((lot.remaining for lot in live), ZERO)
        if total > 0:
            ledger.debit_post(card=old, unit=unit, kind=EntryKind.TRANSFER_OUT, amount=total, now=now, **links)
            ledger.credits_post(
                card=new,
                unit=unit,
                kind=EntryKind.TRANSFER_IN,
                credits=[
                    Credit(
                        amount=lot.remaining,
                        bucket=lot.bucket,
                        expires_at=lot.expires_at,
                        reason=reason[:300],
                    )
                    for lot in live
                ],
                now=now,
                actor=actor.user,
            )
    old.rewards.filter(status=RewardStatus.AVAILABLE).update(card=new)
    ledger.card_save_balances(card=old, now=now, cause=BalanceCause.REPLACEMENT)
    ledger.card_save_balances(card=new, now=now, cause=BalanceCause.REPLACEMENT)
    Card.objects.filter(pk=old.pk).update(replaced_by=new)
    audit_record(
        actor=actor,
        program=old.program,
        action=AuditAction.CARD_REPLACE,
        obj=old,
        changes={"status": (old_status, CardStatus.REPLACED), "replaced_by": (None, new.number)},
        reason=reason,
    )
    new.card_type = old.card_type
    outbox.events_record(
        [
            _event(old, EventType.CARD_REPLACED, payloads.card_replaced(old, new=new, reason=reason), now),
            _event(new, EventType.CARD_ISSUED, payloads.card_issued(new), now),
        ]
    )
    return new
