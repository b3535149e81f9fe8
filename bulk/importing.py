"""Importing a customer base: every row checked (the dry run), then written in chunks (the commit).

One walk over the file does both (``import_walk``): rows are read in chunks, each chunk is checked against the
program as it is now (one query per kind of key), and in a commit each chunk is written in one transaction that
also records how far the job got (``BulkJob.rows_done``). A job that stops (a crash, a deploy, a database error)
keeps every chunk before the failing one and resumes after the last committed row: at a million rows, starting
over would cost more than it protects. Re-running a file, or the rest of it, creates nothing twice: a row is
matched to a member by external id, phone or card number, and a matched member only gets the profile fields the
row fills in; balances are posted for the members the import creates, never again.

The writes are set-based and keep every invariant the engine's services keep: a member starts in the tier the
row names (or that their total spend reaches, or the lowest one), gets a card of each active card type (the
row's plastic number on the points card), and each balance enters as an ``opening`` ledger entry in its bucket
(promo with its expiry) with a lot of its own, so the card's cached balance equals its entries and lots; each
member, card and balance is announced in the outbox (``member.created``, ``card.issued``,
``card.balances_changed`` with the cause ``import``) in the chunk's transaction. No joining or profile bonus is
granted: these are existing customers, their balances come from the old system.
"""

import json
import pickle
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bulk import parsing
from bulk.choices import RowOutcome
from bulk.columns import IMPORT_COLUMNS, strip_hint
from bulk.parsing import CellError
from programs import clock, outbox, payloads
from programs.choices import BalanceCause, Bucket, CardStatus, EntryKind, EventType, TierBasis, Unit
from programs.formats import moment, money, tier_data
from programs.models import Card, CardType, Event, LedgerEntry, Lot, Member, Program, Tier
from programs.phones import program_region
from programs.services.cards import luhn_digit

ZERO = Decimal("0")
NO_DEBT = money(ZERO)
# The choices' values as plain strings, read once: an enum member's attribute costs microseconds per row.
POINTS, STAMPS = Unit.POINTS.value, Unit.STAMPS.value
CASHBACK, PROMO = Bucket.CASHBACK.value, Bucket.PROMO.value
OPENING, ACTIVE, CAUSE_IMPORT = EntryKind.OPENING.value, CardStatus.ACTIVE.value, BalanceCause.IMPORT.value
MEMBER_CREATED, CARD_ISSUED = EventType.MEMBER_CREATED.value, EventType.CARD_ISSUED.value
CARD_BALANCES_CHANGED = EventType.CARD_BALANCES_CHANGED.value
CHUNK = 5000
REPORT_LIMIT = 500
PROFILE = ("first_name", "last_name", "email", "birth_date", "gender")
CONSENTS = ("consent_email", "consent_sms", "consent_push", "consent_telegram")


@dataclass
class Row:
    """One data row, parsed; ``reasons`` empty when it may be written."""

    number: int
    reasons: list[str] = field(default_factory=list)
    phone_key: str = ""
    card_number: str = ""
    external_id: str = ""
    profile: dict = field(default_factory=dict)
    tier: Tier | None = None
    lifetime_spend: Decimal | None = None
    cashback: Decimal = ZERO
    promo: Decimal = ZERO
    promo_expires: datetime | None = None
    stamps: Decimal = ZERO
    outcome: str = ""
    member_id: int | None = None
    changes: dict = field(default_factory=dict)


class ProgramContext:
    """What every row of one program is checked against, read once per job."""

    def __init__(self, program: Program):
        self.program = program
        self.now = clock.now()
        self.zone = ZoneInfo(program.timezone)
        self.today = self.now.astimezone(self.zone).date()
        self.tiers = list(Tier.objects.filter(program=program).order_by("threshold", "pk"))
        self.tiers_by_name = {tier.name.strip().lower(): tier for tier in self.tiers}
        self.tiers_by_pk = {tier.pk: tier for tier in self.tiers}
        types = list(CardType.objects.filter(program=program, is_active=True).order_by("pk"))
        self.card_types = [ct for ct in types if ct.is_valid_on(self.today)]
        for card_type in self.card_types:
            card_type.program = program
        # How events name a card type (``programs.payloads``), said once per job.
        self.card_type_data = {ct.pk: {"id": ct.pk, "name": ct.name, "kind": ct.kind} for ct in self.card_types}
        self.points_type = next((ct for ct in self.card_types if ct.earns_points), None)
        self.stamps_type = next((ct for ct in self.card_types if ct.earns_stamps), None)
        self.number_type = self.points_type or (self.card_types[0] if self.card_types else None)
        self.other_program_ids = list(
            Program.objects.filter(business_id=program.business_id).exclude(pk=program.pk).values_list("pk", flat=True)
        )
        self.lowest_tier = next((tier for tier in self.tiers if tier.threshold == 0), None)
        self.spend_places = program.tier_basis == TierBasis.SPEND and program.tier_window_days is None
        # Column names for the reasons, in the job's language, read once (not per row).
        self.labels = {column.key: strip_hint(column.label) for column in IMPORT_COLUMNS}
        self.phone_region = parsing.phone_region(program)

    def tier_for_spend(self, spend: Decimal) -> Tier | None:
        reached = None
        for tier in self.tiers:
            if spend >= tier.threshold:
                reached = tier
        return reached


def row_parse(number: int, values: dict, ctx: ProgramContext) -> Row:
    """The row's values checked one by one (no database reads): every reason is collected, not just the first."""
    row = Row(number=number)

    def read(key, parser, **kwargs):
        if key not in values:
            return None
        try:
            return parser(values[key], **kwargs)
        except CellError as error:
            row.reasons.append(str(error))
            return None

    raw_phone = values.get("phone")
    if raw_phone in (None, ""):
        row.reasons.append(_("The phone is missing."))
    else:
        row.phone_key = parsing.phone_e164(str(raw_phone), region=ctx.phone_region) or ""
        if not row.phone_key:
            row.reasons.append(
                _("The phone number is not valid for %(country)s.") % {"country": program_region(ctx.program) or "—"}
            )
    row.card_number = read("card_number", parsing.card_number) or ""
    row.external_id = read("external_id", parsing.text, max_length=64, label=ctx.labels["external_id"]) or ""
    for key in ("first_name", "last_name"):
        value = read(key, parsing.text, max_length=100, label=ctx.labels[key])
        if value:
            row.profile[key] = value
    if "email" in values:
        value = read("email", parsing.email)
        if value:
            row.profile["email"] = value
    birthday = read("birthday", parsing.day, label=ctx.labels["birthday"])
    if birthday is not None:
        if birthday.year < 1900 or birthday > ctx.today:
            row.reasons.append(_("The birthday is not a real one."))
        else:
            row.profile["birth_date"] = birthday
    if "gender" in values:
        value = read("gender", parsing.gender)
        if value is not None:
            row.profile["gender"] = value
    for key in CONSENTS:
        value = read(key, parsing.yes_no, label=ctx.labels[key])
        if value is not None:
            row.profile[key] = value
    if "tier" in values:
        name = str(values["tier"]).strip().lower()
        row.tier = ctx.tiers_by_name.get(name)
        if row.tier is None:
            row.reasons.append(_("There is no tier “%(tier)s” in this program.") % {"tier": str(values["tier"])[:50]})
    row.lifetime_spend = read("lifetime_spend", parsing.amount, label=ctx.labels["lifetime_spend"])
    row.cashback = read("cashback", parsing.amount, label=ctx.labels["cashback"]) or ZERO
    row.promo = read("promo", parsing.amount, label=ctx.labels["promo"]) or ZERO
    row.stamps = read("stamps", parsing.amount, label=ctx.labels["stamps"], whole=True) or ZERO
    expires = read("promo_expires", parsing.day, label=ctx.labels["promo_expires"])
    if row.promo > 0:
        if expires is None and "promo_expires" not in values:
            row.reasons.append(_("Promo points need an expiry date."))
        elif expires is not None and expires <= ctx.today:
            row.reasons.append(_("The promo expiry date has passed."))
        elif expires is not None:
            # Promo points last to the end of the day written, in the program's zone.
            row.promo_expires = datetime.combine(expires + timedelta(days=1), time(0), tzinfo=ctx.zone)
    if (row.cashback > 0 or row.promo > 0) and ctx.points_type is None:
        row.reasons.append(_("The program has no active points card type for these balances."))
    if row.stamps > 0 and ctx.stamps_type is None:
        row.reasons.append(_("The program has no active stamp card type for these stamps."))
    if not ctx.card_types:
        row.reasons.append(_("The program has no active card type to issue."))
    return row


def _compact(key: str) -> int | str:
    """A key as ``Seen`` holds it: a string of ASCII digits as the int of "1" and its digits (one to one: the "1"
    keeps leading zeros, and an int never equals a str), anything else as it is. At a million rows an int takes
    half the memory of its string."""
    return int("1" + key) if key.isascii() and key.isdigit() else key


class Seen:
    """Keys of the accepted rows so far, to reject a second row with the same phone, card or external id."""

    def __init__(self):
        self.phones: dict[int | str, int] = {}
        self.cards: dict[int | str, int] = {}
        self.external: dict[int | str, int] = {}

    def check(self, row: Row) -> None:
        # Messages are translated only for a duplicate found: this runs for every row.
        for keys, value, message in (
            # Phones are all E.164: their "+" says nothing.
            (self.phones, row.phone_key[1:], gettext_noop("The same phone is on row %(row)s.")),
            (self.cards, row.card_number, gettext_noop("The same card number is on row %(row)s.")),
            (self.external, row.external_id, gettext_noop("The same external id is on row %(row)s.")),
        ):
            if value and (key := _compact(value)) in keys:
                row.reasons.append(_(message) % {"row": keys[key]})

    def add(self, row: Row) -> None:
        if row.phone_key:
            self.phones.setdefault(_compact(row.phone_key[1:]), row.number)
        if row.card_number:
            self.cards.setdefault(_compact(row.card_number), row.number)
        if row.external_id:
            self.external.setdefault(_compact(row.external_id), row.number)


@dataclass
class Found:
    """What the program holds of a chunk's keys: member ids by phone and by external id, card numbers' members,
    the members themselves, and the chunk's unknown card numbers that another program of the business has."""

    by_phone: dict
    by_external: dict
    cards: dict
    members: dict
    elsewhere: set


def keys_lookup(rows: list[Row], ctx: ProgramContext) -> Found:
    """The program's members and cards that a chunk's phones, card numbers and external ids name: a query per kind
    of key (and per sister program), whatever the chunk's size."""
    program = ctx.program
    phones = {row.phone_key for row in rows if row.phone_key}
    numbers = {row.card_number for row in rows if row.card_number}
    external = {row.external_id for row in rows if row.external_id}
    by_phone = dict(_values_in(Member, "phone, id", "phone", program_id=program.pk, values=phones)) if phones else {}
    by_external = (
        dict(_values_in(Member, "external_id, id", "external_id", program_id=program.pk, values=external))
        if external
        else {}
    )
    cards = (
        dict(_values_in(Card, "number, member_id", "number", program_id=program.pk, values=numbers)) if numbers else {}
    )
    wanted = {*by_phone.values(), *by_external.values(), *cards.values()}
    fields = ("pk", "phone", "external_id", *PROFILE, *CONSENTS)
    members = (
        {member.pk: member for member in Member.objects.filter(_pk_in(Member, wanted)).only(*fields)} if wanted else {}
    )
    elsewhere, unknown = set(), numbers - set(cards)
    if unknown:
        for other in ctx.other_program_ids:
            elsewhere.update(_values_in(Card, "number", "number", program_id=other, values=unknown))
    return Found(by_phone=by_phone, by_external=by_external, cards=cards, members=members, elsewhere=elsewhere)


def rows_resolve(rows: list[Row], ctx: ProgramContext, seen: Seen, found: Found | None = None) -> None:
    """Check a chunk of parsed rows against the file so far and the program (``found``: its ``keys_lookup``, made
    now if not given): match each to a member or plan it as new (``outcome``), or reject it with its reasons."""
    if found is None:
        found = keys_lookup(rows, ctx)
    by_phone, by_external, cards, members = found.by_phone, found.by_external, found.cards, found.members
    for row in rows:
        if row.reasons:
            row.outcome = RowOutcome.REJECT
            continue
        seen.check(row)
        matched = {
            pk
            for pk in (by_external.get(row.external_id), by_phone.get(row.phone_key), cards.get(row.card_number))
            if pk is not None
        }
        if len(matched) > 1:
            row.reasons.append(_("The phone, card number and external id belong to different members."))
        elif matched:
            member = members[matched.pop()]
            if row.external_id and member.external_id and member.external_id != row.external_id:
                row.reasons.append(_("This phone or card belongs to a member with another external id."))
            elif row.card_number and row.card_number not in cards:
                row.reasons.append(_("The member already has a card with another number."))
            else:
                row.member_id = member.pk
                row.changes = _profile_changes(member, row)
                row.outcome = RowOutcome.UPDATE if row.changes else RowOutcome.UNCHANGED
        elif row.card_number in found.elsewhere:
            row.reasons.append(_("This card number belongs to another program."))
        else:
            row.outcome = RowOutcome.CREATE
        if row.reasons:
            row.outcome = RowOutcome.REJECT
        else:
            seen.add(row)


def _profile_changes(member: Member, row: Row) -> dict:
    changes = {}
    for key, value in row.profile.items():
        if getattr(member, key) != value:
            changes[key] = value
    if row.external_id and not member.external_id:
        changes["external_id"] = row.external_id
    return changes


# --- Writing -------------------------------------------------------------------------------------------------


def _numbers_generate(program_id: int, count: int, taken: set[str]) -> list[str]:
    """``count`` fresh 13-digit Luhn numbers, unused in the program and not in ``taken`` (one query per round)."""
    numbers: list[str] = []
    while len(numbers) < count:
        wanted = count - len(numbers)
        batch = set()
        while len(batch) < wanted:
            body = f"2{secrets.randbelow(10**11):011d}"
            number = body + luhn_digit(body)
            if number not in taken:
                batch.add(number)
        used = set(_values_in(Card, "number", "number", program_id=program_id, values=batch))
        fresh = batch - used
        numbers.extend(fresh)
        taken |= fresh
    return numbers


@dataclass
class NewCard:
    """A card the chunk creates: its values, as written and as announced."""

    card_type: CardType
    number: str
    points: Decimal = ZERO
    stamps: Decimal = ZERO
    pk: int | None = None


def rows_write(rows: list[Row], ctx: ProgramContext, *, user) -> None:
    """Write one checked chunk: new members with their cards, opening balances and events; profile updates.
    Runs in the caller's transaction.

    New members and cards are written from the rows' values, never through model instances, and the events'
    payloads built from the same values (``_created_events``; a test holds them equal to ``programs.payloads``).
    On PostgreSQL in the three steps a commit overlaps with the next chunk's work (``rows_plan``, ``plan_format``,
    ``plan_write``: ``COPY`` of text formatted ahead); SQLite gets the ORM's ``bulk_create`` of the same values.
    """
    if connection.vendor == "postgresql":
        plan = rows_plan(rows, ctx, user=user)
        plan_format(plan, ctx)
        plan_write(plan, ctx)
        return
    program, now = ctx.program, clock.now()
    new = [row for row in rows if row.outcome == RowOutcome.CREATE]
    events: list[tuple] = []  # (type, card_id, member_id, payload)
    if new:
        taken = {row.card_number for row in new if row.card_number}
        cards_of = _new_cards(new, ctx, _numbers_generate(program.pk, _numbers_wanted(new, ctx), taken))
        members = [_member_values(row, ctx, now) for row in new]
        created = Member.objects.bulk_create(
            Member(program=program, joined_at=now, updated_at=now, **values) for values in members
        )
        member_ids = [member.pk for member in created]
        written = Card.objects.bulk_create(
            Card(program=program, issued_at=now, updated_at=now, **_card_values(card, member_id))
            for member_id, mine in zip(member_ids, cards_of, strict=True)
            for card in mine
        )
        for card, row in zip([card for mine in cards_of for card in mine], written, strict=True):
            card.pk = row.pk
        openings = _openings(new, cards_of, ctx)
        _openings_create(openings, program_id=program.pk, actor_id=user.pk if user is not None else None, now=now)
        with_entries = {card.pk for card, *_ in openings}
        for member_id, values, mine in zip(member_ids, members, cards_of, strict=True):
            events.extend(_created_events(member_id, values, mine, ctx, with_entries=with_entries, now=now))
    events.extend(_members_update([row for row in rows if row.outcome == RowOutcome.UPDATE], now=now))
    if events:
        outbox.events_record(
            [
                outbox.event_new(
                    type=type_,
                    program_id=program.pk,
                    card_id=card_id,
                    member_id=member_id,
                    payload=payload,
                    at=now,
                    program=program,
                )
                for type_, card_id, member_id, payload in events
            ]
        )


def _numbers_wanted(new: list[Row], ctx: ProgramContext) -> int:
    """How many card numbers the new members' cards need generated (all but the rows' plastic ones)."""
    plastic = sum(1 for row in new if row.card_number) if ctx.number_type is not None else 0
    return len(new) * len(ctx.card_types) - plastic


def _new_cards(new: list[Row], ctx: ProgramContext, generated: list[str]) -> list[list[NewCard]]:
    """Each new member's cards: one of each active card type, the row's plastic number on the points card."""
    numbers = iter(generated)
    cards_of = []
    for row in new:
        mine = []
        for card_type in ctx.card_types:
            number = row.card_number if (card_type is ctx.number_type and row.card_number) else next(numbers)
            card = NewCard(card_type=card_type, number=number)
            if card_type is ctx.points_type:
                card.points = row.cashback + row.promo
            if card_type is ctx.stamps_type:
                card.stamps = row.stamps
            mine.append(card)
        cards_of.append(mine)
    return cards_of


def _openings(new: list[Row], cards_of: list[list[NewCard]], ctx: ProgramContext) -> list[tuple]:
    """(card, unit, bucket, amount, balance after, expires): the opening entries, each opening a lot."""
    openings = []
    for row, mine in zip(new, cards_of, strict=True):
        for card in mine:
            running = ZERO
            for unit, bucket, value, expires in (
                (POINTS, CASHBACK, row.cashback, None),
                (POINTS, PROMO, row.promo, row.promo_expires),
                (STAMPS, CASHBACK, row.stamps, None),
            ):
                holder = ctx.points_type if unit == POINTS else ctx.stamps_type
                if value <= 0 or card.card_type is not holder:
                    continue
                running = value if unit == STAMPS else running + value
                openings.append((card, unit, bucket, value, running, expires))
    return openings


def _openings_wanted(new: list[Row], ctx: ProgramContext) -> int:
    """How many opening entries ``_openings`` will make of the new rows (to draw their ids ahead)."""
    count = 0
    for row in new:
        if ctx.points_type is not None:
            count += (row.cashback > 0) + (row.promo > 0)
        if ctx.stamps_type is not None:
            count += row.stamps > 0
    return count


def _members_update(updated: list[Row], *, now) -> list[tuple]:
    """The matched members' changed profile fields, written; their ``member.updated`` events returned."""
    if not updated:
        return []
    members = list(Member.objects.filter(_pk_in(Member, [row.member_id for row in updated])).select_for_update())
    by_pk = {member.pk: member for member in members}
    changed_fields = set()
    events = []
    for row in updated:
        member = by_pk[row.member_id]
        for key, value in row.changes.items():
            setattr(member, key, value)
            changed_fields.add(key)
        member.updated_at = now
        events.append(
            (EventType.MEMBER_UPDATED, None, member.pk, payloads.member_updated(member, fields=list(row.changes)))
        )
    Member.objects.bulk_update(members, [*sorted(changed_fields), "updated_at"])
    return events


def _member_values(row: Row, ctx: ProgramContext, now) -> dict:
    """A new member's columns that differ from a member's defaults (by attribute name)."""
    tier = row.tier
    if tier is None and row.lifetime_spend and ctx.spend_places:
        tier = ctx.tier_for_spend(row.lifetime_spend)
    tier = tier or ctx.lowest_tier
    values = {
        "phone": row.phone_key,
        "external_id": row.external_id,
        "tier_id": tier.pk if tier else None,
        "tier_achieved_at": now if tier else None,
        "lifetime_spend": row.lifetime_spend or ZERO,
        **row.profile,
    }
    if all(row.profile.get(key) for key in PROFILE):
        values["profile_completed_at"] = now  # no profile bonus later for a profile they already had
    return values


def _card_values(card: NewCard, member_id: int) -> dict:
    return {
        "member_id": member_id,
        "card_type_id": card.card_type.pk,
        "number": card.number,
        "points_balance": card.points,
        "stamps_balance": card.stamps,
    }


def _created_events(member_id, values: dict, cards: list[NewCard], ctx, *, with_entries: set, now) -> list[tuple]:
    """``member.created``, ``card.issued`` and ``card.balances_changed`` of one new member, as
    ``programs.payloads`` would say them of the rows just written (same keys, same formats)."""
    tier = ctx.tiers_by_pk.get(values["tier_id"])
    types = {card.card_type.pk: ctx.card_type_data[card.card_type.pk] for card in cards}
    joined = moment(now)
    member = {
        "id": member_id,
        "phone": values["phone"],
        "first_name": values.get("first_name", ""),
        "last_name": values.get("last_name", ""),
        "tier": tier_data(tier),
        "joined_at": joined,
    }
    events = [
        (
            MEMBER_CREATED,
            None,
            member_id,
            {
                "member": member,
                "cards": [{"number": card.number, "card_type": types[card.card_type.pk]} for card in cards],
            },
        )
    ]
    for card in cards:
        events.append(
            (
                CARD_ISSUED,
                card.pk,
                member_id,
                {
                    "card": {
                        "number": card.number,
                        "card_type": types[card.card_type.pk],
                        "status": ACTIVE,
                        "issued_at": joined,
                        "balances": _balances(card),
                    },
                    "member": {"id": member_id},
                },
            )
        )
    for card in cards:
        if card.pk in with_entries:
            events.append(
                (
                    CARD_BALANCES_CHANGED,
                    card.pk,
                    member_id,
                    {
                        "card": {"id": card.pk, "number": card.number, "balances": _balances(card)},
                        "debts": {"points": NO_DEBT, "stamps": NO_DEBT},
                        "member": {"id": member_id},
                        "cause": CAUSE_IMPORT,
                    },
                )
            )
    return events


def _balances(card: NewCard) -> dict:
    return {"points": money(card.points), "stamps": money(card.stamps)}


def _openings_create(openings: list[tuple], *, program_id: int, actor_id, now) -> None:
    """The opening entries and their lots through the ORM (SQLite; PostgreSQL's are in ``plan_format``)."""
    if not openings:
        return
    reason = _("Opening balance (imported)")[:300]
    entries = [
        LedgerEntry(
            program_id=program_id,
            card_id=card.pk,
            kind=EntryKind.OPENING,
            unit=unit,
            bucket=bucket,
            amount=amount,
            balance_after=after,
            reason=reason,
            expires_at=expires,
            actor_id=actor_id,
            created_at=now,
        )
        for card, unit, bucket, amount, after, expires in openings
    ]
    LedgerEntry.objects.bulk_create(entries)
    Lot.objects.bulk_create(
        Lot(
            program_id=program_id,
            card_id=entry.card_id,
            unit=entry.unit,
            bucket=entry.bucket,
            amount=entry.amount,
            remaining=entry.amount,
            expires_at=entry.expires_at,
            entry=entry,
            created_at=now,
        )
        for entry in entries
    )


# --- Writing on PostgreSQL: planned, formatted, written ------------------------------------------------------


@dataclass
class ChunkPlan:
    """One checked chunk on its way into PostgreSQL. ``rows_plan`` draws what needs the database (fresh card
    numbers, the new rows' ids), ``plan_format`` makes the ``COPY`` text without touching it (so it may run in
    another thread while an earlier chunk is written), ``plan_write`` sends it in the caller's transaction."""

    new: list[Row]
    updated: list[Row]
    now: datetime
    actor_id: int | None
    reason: str
    generated: list[str]
    member_ids: list[int]
    card_ids: list[int]
    entry_ids: list[int]
    member_prototype: Member
    card_prototype: Card
    # Every card number the chunk writes, and every key (phone, card number, external id) of its accepted rows.
    numbers: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    copies: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)


def rows_plan(rows: list[Row], ctx: ProgramContext, *, user, ahead: Iterable[ChunkPlan] = ()) -> ChunkPlan:
    """The database's part of a checked chunk's writing before its transaction: fresh card numbers (off the
    program's cards, and off those of ``ahead``, chunks planned and not yet committed) and ids from the tables'
    sequences.
    """
    program, now = ctx.program, clock.now()
    new = [row for row in rows if row.outcome == RowOutcome.CREATE]
    updated = [row for row in rows if row.outcome == RowOutcome.UPDATE]
    plastic = {row.card_number for row in new if row.card_number}
    taken = set(plastic).union(*(plan.numbers for plan in ahead))
    wanted = _numbers_wanted(new, ctx)
    generated = _numbers_generate(program.pk, wanted, taken) if wanted else []
    member_ids, card_ids, entry_ids = _ids_draw(
        (Member, len(new)), (Card, len(new) * len(ctx.card_types)), (LedgerEntry, _openings_wanted(new, ctx))
    )
    keys = set(generated)
    for row in rows:
        if not row.reasons:
            keys.update((row.phone_key, row.card_number, row.external_id))
    keys.discard("")
    return ChunkPlan(
        new=new,
        updated=updated,
        now=now,
        actor_id=user.pk if user is not None else None,
        reason=_("Opening balance (imported)")[:300],
        generated=generated,
        member_ids=member_ids,
        card_ids=card_ids,
        entry_ids=entry_ids,
        member_prototype=Member(program=program, joined_at=now, updated_at=now),
        card_prototype=Card(program=program, issued_at=now, updated_at=now),
        numbers=plastic | set(generated),
        keys=keys,
    )


def plan_conflicts(plan: ChunkPlan, rows: list[Row], found: Found) -> bool:
    """Whether a chunk looked up while ``plan`` is not yet written could be judged otherwise once it is: one of its
    keys is one ``plan`` writes (a duplicate in the file, or a generated card number), or it names a member whose
    profile ``plan`` changes. Then ``plan`` is written first and the chunk looked up again, so a
    chunk checked ahead is judged exactly as one checked after."""
    keys = plan.keys
    for row in rows:
        if row.phone_key in keys or row.card_number in keys or row.external_id in keys:
            return True
    return any(row.member_id in found.members for row in plan.updated)


def plan_format(plan: ChunkPlan, ctx: ProgramContext) -> None:
    """The chunk's rows as ``COPY`` text (members, cards, opening entries, lots, events): no database, no
    translation (both are per thread), so it may run beside the writing of an earlier chunk."""
    if not plan.new:
        return
    program_id, now = ctx.program.pk, plan.now
    members = [_member_values(row, ctx, now) for row in plan.new]
    cards_of = _new_cards(plan.new, ctx, plan.generated)
    cards = [card for mine in cards_of for card in mine]
    for card, pk in zip(cards, plan.card_ids, strict=True):
        card.pk = pk
    card_values = [
        _card_values(card, member_id)
        for member_id, mine in zip(plan.member_ids, cards_of, strict=True)
        for card in mine
    ]
    plan.copies.append(_model_text(Member, plan.member_prototype, plan.member_ids, members))
    plan.copies.append(_model_text(Card, plan.card_prototype, plan.card_ids, card_values))
    openings = _openings(plan.new, cards_of, ctx)
    if openings:
        stamp, program, actor = _text(now), str(program_id), _text(plan.actor_id)
        reason = _text(plan.reason)
        entries, lots = [], []
        for pk, (card, unit, bucket, amount, after, expires) in zip(plan.entry_ids, openings, strict=True):
            until = _text(expires)
            # An opening balance owes nothing (debt_change 0).
            entries.append(
                f"{pk}\t{program}\t{card.pk}\t{OPENING}\t{unit}\t{bucket}\t{amount}\t0\t{after}\t{reason}\t{until}"
                f"\t{actor}\t{stamp}\n"
            )
            lots.append(f"{program}\t{card.pk}\t{unit}\t{bucket}\t{amount}\t{amount}\t{until}\t{pk}\t{stamp}\n")
        plan.copies.append((LedgerEntry._meta.db_table, ENTRY_COLUMNS, "".join(entries)))
        plan.copies.append((Lot._meta.db_table, LOT_COLUMNS, "".join(lots)))
    with_entries = {card.pk for card, *_ in openings}
    events = []
    for member_id, values, mine in zip(plan.member_ids, members, cards_of, strict=True):
        events.extend(_created_events(member_id, values, mine, ctx, with_entries=with_entries, now=now))
    plan.copies.append(_events_text(events, program_id=program_id, now=now))


def plan_write(plan: ChunkPlan, ctx: ProgramContext) -> None:
    """Send a formatted chunk (``COPY`` of each table's text), then its profile updates and their events, in the
    caller's transaction; the outbox's dispatcher is woken after the commit."""
    for copy in plan.copies:
        _copy(*copy)
    events = _members_update(plan.updated, now=plan.now)
    if events:
        _copy(*_events_text(events, program_id=ctx.program.pk, now=plan.now))
    if plan.copies or events:
        outbox.events_committed([], always=True)


ENTRY_COLUMNS = (
    "id",
    "program_id",
    "card_id",
    "kind",
    "unit",
    "bucket",
    "amount",
    "debt_change",
    "balance_after",
    "reason",
    "expires_at",
    "actor_id",
    "created_at",
)
LOT_COLUMNS = ("program_id", "card_id", "unit", "bucket", "amount", "remaining", "expires_at", "entry_id", "created_at")
EVENT_COLUMNS = ("type", "program_id", "card_id", "member_id", "payload", "created_at")
_COPY_SPECIAL = re.compile(r"[\\\n\r\t]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _text(value) -> str:
    """A value in ``COPY``'s text format, as psycopg's ``write_row`` would send it: ``\\N`` for NULL, ``t``/``f``,
    ISO dates and times (with their offset), numbers as written, text with backslash, tab and line ends escaped."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else str(value)
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return str(value)
    raise TypeError(f"no COPY text for {type(value).__name__}")


def _model_text(model, prototype, ids: list[int], rows: list[dict]) -> tuple[str, tuple[str, ...], str]:
    """``COPY`` text of new rows of ``model``: each row's values (by attribute name) over those of ``prototype``,
    an unsaved instance holding the columns every row shares and the model's defaults."""
    fields = model._meta.concrete_fields
    names = [model_field.attname for model_field in fields]
    base = {name: _text(getattr(prototype, name)) for name in names}
    lines = []
    for pk, values in zip(ids, rows, strict=True):
        line = base.copy()
        for name, value in values.items():
            line[name] = _text(value)
        line["id"] = str(pk)
        lines.append("\t".join([line[name] for name in names]))
    lines.append("")
    return model._meta.db_table, tuple(model_field.column for model_field in fields), "\n".join(lines)


def _events_text(events: list[tuple], *, program_id: int, now) -> tuple[str, tuple[str, ...], str]:
    """``COPY`` text of outbox events ``(type, card_id, member_id, payload)``, in order. JSON escapes every control
    character, so only its backslashes need ``COPY``'s escaping."""
    tail = f"\t{_text(now)}\n"
    encode = _JSON.encode
    lines = [
        f"{type_}\t{program_id}\t{_text(card_id)}\t{_text(member_id)}\t{encode(payload).replace(chr(92), chr(92) * 2)}"
        + tail
        for type_, card_id, member_id, payload in events
    ]
    return Event._meta.db_table, EVENT_COLUMNS, "".join(lines)


def _copy(table: str, columns: tuple[str, ...], text: str) -> None:
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(text)


def _ids_draw(*wanted: tuple) -> list[list[int]]:
    """For each ``(model, count)``, ``count`` ids from the model's table sequence, for rows written with ``COPY``:
    two round trips for all, the sequences' names and then their values. Each ``nextval`` is given its sequence as
    a constant: ``pg_get_serial_sequence`` inside the ``generate_series`` was looked up again for every id (58 ms
    for 7 500 ids, 4 ms this way), and a chunk waited for it before any of its work could overlap the server's."""
    with connection.cursor() as cursor:
        names = ", ".join(["pg_get_serial_sequence(%s, 'id')"] * len(wanted))
        cursor.execute(f"SELECT {names}", [model._meta.db_table for model, _count in wanted])
        sequences = cursor.fetchone()
        parts, params = [], []
        for sequence, (_model, count) in zip(sequences, wanted, strict=True):
            parts.append("ARRAY(SELECT nextval(%s::regclass) FROM generate_series(1, %s))")
            params += [sequence, count]
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return [list(ids) for ids in cursor.fetchone()]


def _pk_in(model, pks):
    """A filter on ``model``'s ids: one array parameter on PostgreSQL (see ``_values_in``)."""
    if connection.vendor == "postgresql":
        column = f'"{model._meta.db_table}"."id"'
        return RawSQL(f"{column} = ANY(%s)", (list(pks),), output_field=BooleanField())  # noqa: S611 (names are ours)
    return Q(pk__in=pks)


def _values_in(model, column: str, key: str, *, program_id: int, values) -> list:
    """``column`` of the program's rows of ``model`` whose ``key`` is one of ``values``: one array parameter,
    where ``__in`` would send (and the driver would parse) a placeholder per value."""
    table = model._meta.db_table
    sql = f"SELECT {column} FROM {table} WHERE program_id = %s AND {key} "  # noqa: S608 (names are ours)
    if connection.vendor == "postgresql":
        sql, params = sql + "= ANY(%s)", [program_id, list(values)]
    else:
        values = list(values)
        sql, params = sql + f"IN ({', '.join(['%s'] * len(values))})", [program_id, *values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if "," in column else [value for (value,) in cursor.fetchall()]


# --- The dry run's rows, kept for the commit ------------------------------------------------------------------

# Bump when ``Row`` or ``row_parse`` changes what a kept row means: older kept files are then parsed again.
KEPT_FORMAT = 1


def rows_state(ctx: ProgramContext, *, path: Path, language: str) -> dict:
    """What a row's parse depends on besides its own values: the upload itself, the program's country, zone and
    day, its tiers' names, which card types it issues, and the language of the reasons. A commit reuses the dry
    run's rows only if this is unchanged; the keys the rows name (phones, card numbers, external ids) are checked
    against the database again in any case (``rows_resolve``)."""
    stat = path.stat()
    return {
        "format": KEPT_FORMAT,
        "upload": [path.name, stat.st_size, stat.st_mtime_ns],
        "region": program_region(ctx.program),
        "zone": ctx.program.timezone,
        "today": ctx.today.isoformat(),
        "tiers": sorted([tier.pk, tier.name] for tier in ctx.tiers),
        "card_types": [[ct.pk, ct.earns_points, ct.earns_stamps] for ct in ctx.card_types],
        "language": language,
    }


def row_pack(row: Row) -> tuple:
    return (
        row.number,
        row.reasons,
        row.phone_key,
        row.card_number,
        row.external_id,
        row.profile,
        row.tier.pk if row.tier else None,
        row.lifetime_spend,
        row.cashback,
        row.promo,
        row.promo_expires,
        row.stamps,
    )


def row_unpack(packed: tuple, ctx: ProgramContext) -> Row:
    number, reasons, phone_key, card_number, external_id, profile, tier_pk, spend, cashback, promo, expires, stamps = (
        packed
    )
    return Row(
        number=number,
        reasons=reasons,
        phone_key=phone_key,
        card_number=card_number,
        external_id=external_id,
        profile=profile,
        tier=ctx.tiers_by_pk[tier_pk] if tier_pk is not None else None,
        lifetime_spend=spend,
        cashback=cashback,
        promo=promo,
        promo_expires=expires,
        stamps=stamps,
    )


class KeptRows:
    """Writes the dry run's parsed rows, chunk by chunk, beside the upload (``<stored name>.rows``).

    The file is ours alone (the jobs' directory, a random name), written whole under a temporary name and renamed
    at the end of a dry run that finished, so a commit never reads half a file. Pickled: every value is a str,
    ``Decimal``, date or bool.
    """

    def __init__(self, path: Path, state: dict):
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.file = open(self.partial, "wb")  # noqa: SIM115 (closed by done() or drop())
        pickle.dump(state, self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def add(self, rows: list[Row]) -> None:
        self.add_packed(pickle.dumps([row_pack(row) for row in rows], protocol=pickle.HIGHEST_PROTOCOL))

    def add_packed(self, packed: bytes) -> None:
        """A chunk's rows as ``add`` writes them, packed and pickled already (``bulk.parsers``)."""
        self.file.write(packed)

    def done(self) -> None:
        self.file.close()
        self.partial.replace(self.path)

    def drop(self) -> None:
        self.file.close()
        self.partial.unlink(missing_ok=True)


def rows_kept(path: Path, state: dict, ctx: ProgramContext) -> Iterator[list[Row]] | None:
    """The dry run's rows in its chunks, or ``None`` when there are none kept or they were parsed under another
    state (the program changed, the day turned, another upload): then the commit parses the file again."""
    try:
        file = open(path, "rb")  # noqa: SIM115 (closed by the generator)
    except FileNotFoundError:
        return None
    try:
        kept_state = pickle.load(file)  # noqa: S301 (a file this server wrote, see KeptRows)
    except Exception:
        file.close()
        return None
    if kept_state != state:
        file.close()
        return None

    def chunks_read():
        with file:
            while True:
                try:
                    packed = pickle.load(file)  # noqa: S301 (as above)
                except EOFError:
                    return
                yield [row_unpack(row, ctx) for row in packed]

    return chunks_read()


# --- The walk ------------------------------------------------------------------------------------------------


def chunks(iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch
