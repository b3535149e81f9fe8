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

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from itertools import islice
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from bulk import parsing
from bulk.choices import RowOutcome
from bulk.columns import IMPORT_COLUMNS, strip_hint
from bulk.parsing import CellError
from programs import clock, outbox, payloads
from programs.choices import BalanceCause, Bucket, EntryKind, EventType, TierBasis, Unit
from programs.models import Card, CardType, LedgerEntry, Lot, Member, Program, Tier
from programs.phones import phone_parse, program_region
from programs.services.cards import luhn_digit

ZERO = Decimal("0")
CHUNK = 2000
REPORT_LIMIT = 500
PROFILE = ("first_name", "last_name", "email", "birth_date", "gender")
CONSENTS = ("consent_email", "consent_sms", "consent_push", "consent_telegram")


@dataclass
class Row:
    """One data row, parsed; ``reasons`` empty when it may be written."""

    number: int
    reasons: list[str] = field(default_factory=list)
    phone: object = None
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
        types = list(CardType.objects.filter(program=program, is_active=True).order_by("pk"))
        self.card_types = [ct for ct in types if ct.is_valid_on(self.today)]
        for card_type in self.card_types:
            card_type.program = program
        self.points_type = next((ct for ct in self.card_types if ct.earns_points), None)
        self.stamps_type = next((ct for ct in self.card_types if ct.earns_stamps), None)
        self.number_type = self.points_type or (self.card_types[0] if self.card_types else None)
        self.other_program_ids = list(
            Program.objects.filter(business_id=program.business_id).exclude(pk=program.pk).values_list("pk", flat=True)
        )
        self.lowest_tier = next((tier for tier in self.tiers if tier.threshold == 0), None)
        self.spend_places = program.tier_basis == TierBasis.SPEND and program.tier_window_days is None

    def tier_for_spend(self, spend: Decimal) -> Tier | None:
        reached = None
        for tier in self.tiers:
            if spend >= tier.threshold:
                reached = tier
        return reached


def _label(key: str) -> str:
    """A column's name for a message: its header without the hint in brackets."""
    return strip_hint(next(column.label for column in IMPORT_COLUMNS if column.key == key))


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
        row.phone = phone_parse(str(raw_phone), program=ctx.program)
        if row.phone is None:
            row.reasons.append(
                _("The phone number is not valid for %(country)s.") % {"country": program_region(ctx.program) or "—"}
            )
        else:
            row.phone_key = row.phone.as_e164
    row.card_number = read("card_number", parsing.card_number) or ""
    row.external_id = read("external_id", parsing.text, max_length=64, label=_label("external_id")) or ""
    for key in ("first_name", "last_name"):
        value = read(key, parsing.text, max_length=100, label=_label(key))
        if value:
            row.profile[key] = value
    if "email" in values:
        value = read("email", parsing.email)
        if value:
            row.profile["email"] = value
    birthday = read("birthday", parsing.day, label=_label("birthday"))
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
        value = read(key, parsing.yes_no, label=_label(key))
        if value is not None:
            row.profile[key] = value
    if "tier" in values:
        name = str(values["tier"]).strip().lower()
        row.tier = ctx.tiers_by_name.get(name)
        if row.tier is None:
            row.reasons.append(_("There is no tier “%(tier)s” in this program.") % {"tier": str(values["tier"])[:50]})
    row.lifetime_spend = read("lifetime_spend", parsing.amount, label=_label("lifetime_spend"))
    row.cashback = read("cashback", parsing.amount, label=_label("cashback")) or ZERO
    row.promo = read("promo", parsing.amount, label=_label("promo")) or ZERO
    row.stamps = read("stamps", parsing.amount, label=_label("stamps"), whole=True) or ZERO
    expires = read("promo_expires", parsing.day, label=_label("promo_expires"))
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


class Seen:
    """Keys of the accepted rows so far, to reject a second row with the same phone, card or external id."""

    def __init__(self):
        self.phones: dict[str, int] = {}
        self.cards: dict[str, int] = {}
        self.external: dict[str, int] = {}

    def check(self, row: Row) -> None:
        for keys, value, message in (
            (self.phones, row.phone_key, _("The same phone is on row %(row)s.")),
            (self.cards, row.card_number, _("The same card number is on row %(row)s.")),
            (self.external, row.external_id, _("The same external id is on row %(row)s.")),
        ):
            if value and value in keys:
                row.reasons.append(message % {"row": keys[value]})

    def add(self, row: Row) -> None:
        if row.phone_key:
            self.phones.setdefault(row.phone_key, row.number)
        if row.card_number:
            self.cards.setdefault(row.card_number, row.number)
        if row.external_id:
            self.external.setdefault(row.external_id, row.number)


def rows_resolve(rows: list[Row], ctx: ProgramContext, seen: Seen) -> None:
    """Check a chunk of parsed rows against the file so far and the program: match each to a member or plan it
    as new (``outcome``), or reject it with its reasons. Four queries per chunk, whatever its size."""
    program = ctx.program
    phones = {row.phone_key for row in rows if row.phone_key}
    numbers = {row.card_number for row in rows if row.card_number}
    external = {row.external_id for row in rows if row.external_id}
    members = {}
    by_phone, by_external = {}, {}
    fields = ("pk", "phone", "external_id", *PROFILE, *CONSENTS)
    if phones:
        for member in Member.objects.filter(program=program, phone__in=phones).only(*fields):
            members[member.pk] = member
            by_phone[member.phone.as_e164] = member.pk
    if external:
        for member in Member.objects.filter(program=program, external_id__in=external).only(*fields):
            members[member.pk] = member
            by_external[member.external_id] = member.pk
    cards = {}
    if numbers:
        cards = dict(Card.objects.filter(program=program, number__in=numbers).values_list("number", "member_id"))
        missing = {pk for pk in cards.values() if pk not in members}
        for member in Member.objects.filter(pk__in=missing).only(*fields):
            members[member.pk] = member
    elsewhere = set()
    if numbers and ctx.other_program_ids:
        elsewhere = set(
            Card.objects.filter(program_id__in=ctx.other_program_ids, number__in=numbers - set(cards)).values_list(
                "number", flat=True
            )
        )
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
        elif row.card_number in elsewhere:
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
            body = "2" + "".join(str(secrets.randbelow(10)) for _ in range(11))
            number = body + luhn_digit(body)
            if number not in taken:
                batch.add(number)
        used = set(Card.objects.filter(program_id=program_id, number__in=batch).values_list("number", flat=True))
        fresh = batch - used
        numbers.extend(fresh)
        taken |= fresh
    return numbers


def rows_write(rows: list[Row], ctx: ProgramContext, *, user) -> None:
    """Write one checked chunk: new members with their cards, opening balances and events; profile updates.
    Runs in the caller's transaction."""
    program, now = ctx.program, clock.now()
    new = [row for row in rows if row.outcome == RowOutcome.CREATE]
    updated = [row for row in rows if row.outcome == RowOutcome.UPDATE]
    events = []
    if new:
        members = []
        for row in new:
            tier = row.tier
            if tier is None and row.lifetime_spend and ctx.spend_places:
                tier = ctx.tier_for_spend(row.lifetime_spend)
            tier = tier or ctx.lowest_tier
            member = Member(
                program=program,
                phone=row.phone,
                external_id=row.external_id,
                joined_at=now,
                updated_at=now,
                tier=tier,
                tier_achieved_at=now if tier else None,
                lifetime_spend=row.lifetime_spend or ZERO,
                **row.profile,
            )
            if all(row.profile.get(key) for key in PROFILE):
                member.profile_completed_at = now  # no profile bonus later for a profile they already had
            members.append(member)
        Member.objects.bulk_create(members)
        taken = {row.card_number for row in new if row.card_number}
        generated = iter(_numbers_generate(program.pk, len(new) * len(ctx.card_types), taken))
        cards, cards_of = [], []
        for row, member in zip(new, members, strict=True):
            mine = []
            for card_type in ctx.card_types:
                number = row.card_number if (card_type is ctx.number_type and row.card_number) else next(generated)
                card = Card(
                    program=program, member=member, card_type=card_type, number=number, issued_at=now, updated_at=now
                )
                if card_type is ctx.points_type:
                    card.points_balance = row.cashback + row.promo
                if card_type is ctx.stamps_type:
                    card.stamps_balance = row.stamps
                mine.append(card)
            cards.extend(mine)
            cards_of.append(mine)
        Card.objects.bulk_create(cards)
        entries = []
        actor_id = user.pk if user is not None else None
        reason = _("Opening balance (imported)")
        for row, mine in zip(new, cards_of, strict=True):
            for card in mine:
                running = ZERO
                for unit, bucket, value, expires in (
                    (Unit.POINTS, Bucket.CASHBACK, row.cashback, None),
                    (Unit.POINTS, Bucket.PROMO, row.promo, row.promo_expires),
                    (Unit.STAMPS, Bucket.CASHBACK, row.stamps, None),
                ):
                    if value <= 0 or card.card_type is not (
                        ctx.points_type if unit == Unit.POINTS else ctx.stamps_type
                    ):
                        continue
                    running = value if unit == Unit.STAMPS else running + value
                    entries.append(
                        LedgerEntry(
                            program_id=program.pk,
                            card=card,
                            kind=EntryKind.OPENING,
                            unit=unit,
                            bucket=bucket,
                            amount=value,
                            balance_after=running,
                            reason=reason,
                            expires_at=expires,
                            actor_id=actor_id,
                            created_at=now,
                        )
                    )
        LedgerEntry.objects.bulk_create(entries)
        Lot.objects.bulk_create(
            Lot(
                program_id=program.pk,
                card=entry.card,
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
        with_entries = {entry.card_id for entry in entries}
        for member, mine in zip(members, cards_of, strict=True):
            events.append(
                outbox.event_new(
                    type=EventType.MEMBER_CREATED,
                    program_id=program.pk,
                    member_id=member.pk,
                    payload=payloads.member_created(member, mine),
                    at=now,
                    program=program,
                )
            )
            for card in mine:
                events.append(
                    outbox.event_new(
                        type=EventType.CARD_ISSUED,
                        program_id=program.pk,
                        card_id=card.pk,
                        member_id=member.pk,
                        payload=payloads.card_issued(card),
                        at=now,
                        program=program,
                    )
                )
            for card in mine:
                if card.pk in with_entries:
                    events.append(
                        outbox.event_new(
                            type=EventType.CARD_BALANCES_CHANGED,
                            program_id=program.pk,
                            card_id=card.pk,
                            member_id=member.pk,
                            payload=payloads.card_balances_changed(card, cause=BalanceCause.IMPORT),
                            at=now,
                            program=program,
                        )
                    )
    if updated:
        members = list(Member.objects.filter(pk__in=[row.member_id for row in updated]).select_for_update())
        by_pk = {member.pk: member for member in members}
        changed_fields = set()
        for row in updated:
            member = by_pk[row.member_id]
            for key, value in row.changes.items():
                setattr(member, key, value)
                changed_fields.add(key)
            member.updated_at = now
            events.append(
                outbox.event_new(
                    type=EventType.MEMBER_UPDATED,
                    program_id=program.pk,
                    member_id=member.pk,
                    payload=payloads.member_updated(member, fields=list(row.changes)),
                    at=now,
                    program=program,
                )
            )
        Member.objects.bulk_update(members, [*sorted(changed_fields), "updated_at"])
    outbox.events_record(events)


# --- The walk ------------------------------------------------------------------------------------------------


def chunks(iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch
