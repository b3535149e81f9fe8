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
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from itertools import islice
from operator import attrgetter
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from phonenumber_field.modelfields import PhoneNumberField

from bulk import parsing
from bulk.choices import RowOutcome
from bulk.columns import IMPORT_COLUMNS, strip_hint
from bulk.parsing import CellError
from programs import clock, outbox, payloads
from programs.choices import BalanceCause, Bucket, EntryKind, EventType, TierBasis, Unit
from programs.models import Card, CardType, Event, LedgerEntry, Lot, Member, Program, Tier
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
        # Column names for the reasons, in the job's language, read once (not per row).
        self.labels = {column.key: strip_hint(column.label) for column in IMPORT_COLUMNS}

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
        row.phone = phone_parse(str(raw_phone), program=ctx.program)
        if row.phone is None:
            row.reasons.append(
                _("The phone number is not valid for %(country)s.") % {"country": program_region(ctx.program) or "—"}
            )
        else:
            row.phone_key = row.phone.as_e164
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


class Seen:
    """Keys of the accepted rows so far, to reject a second row with the same phone, card or external id."""

    def __init__(self):
        self.phones: dict[str, int] = {}
        self.cards: dict[str, int] = {}
        self.external: dict[str, int] = {}

    def check(self, row: Row) -> None:
        # Messages are translated only for a duplicate found: this runs for every row.
        for keys, value, message in (
            (self.phones, row.phone_key, gettext_noop("The same phone is on row %(row)s.")),
            (self.cards, row.card_number, gettext_noop("The same card number is on row %(row)s.")),
            (self.external, row.external_id, gettext_noop("The same external id is on row %(row)s.")),
        ):
            if value and value in keys:
                row.reasons.append(_(message) % {"row": keys[value]})

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
        # By the stored E.164 text: a ``phone__in`` lookup would parse every phone of the chunk again.
        for pk, phone in _members_by_phone(program.pk, phones):
            by_phone[phone] = pk
    if external:
        for member in Member.objects.filter(program=program, external_id__in=external).only(*fields):
            members[member.pk] = member
            by_external[member.external_id] = member.pk
    cards = {}
    if numbers:
        cards = dict(Card.objects.filter(program=program, number__in=numbers).values_list("number", "member_id"))
    missing = {pk for pk in (*cards.values(), *by_phone.values()) if pk not in members}
    if missing:
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


def _members_by_phone(program_id: int, phones: set[str]) -> list[tuple[int, str]]:
    table, placeholders = Member._meta.db_table, ", ".join(["%s"] * len(phones))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, phone FROM {table} WHERE program_id = %s AND phone IN ({placeholders})",  # noqa: S608
            [program_id, *phones],
        )
        return cursor.fetchall()


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
    Runs in the caller's transaction.

    On PostgreSQL the new rows go in with ``COPY`` (ids drawn from the tables' sequences first), the way the file
    itself would: a multi-row ``INSERT`` built by the ORM spends most of an import preparing values. SQLite gets
    the ORM's ``bulk_create`` of the same rows.
    """
    program, now = ctx.program, clock.now()
    new = [row for row in rows if row.outcome == RowOutcome.CREATE]
    updated = [row for row in rows if row.outcome == RowOutcome.UPDATE]
    fast = connection.vendor == "postgresql"
    events: list[tuple] = []  # (type, card_id, member_id, payload)
    if new:
        members = [_member_new(row, ctx, now) for row in new]
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
        if fast:
            for obj, pk in zip(members, _ids(Member, len(members)), strict=True):
                obj.pk = pk
            _copy_models(Member, members)
            for obj, pk in zip(cards, _ids(Card, len(cards)), strict=True):
                obj.pk = pk
                obj.member_id = obj.member.pk
            _copy_models(Card, cards)
        else:
            Member.objects.bulk_create(members)
            for card in cards:
                card.member_id = card.member.pk
            Card.objects.bulk_create(cards)
        # (card, unit, bucket, amount, balance after, expires): the opening entries, each opening a lot.
        openings = []
        for row, mine in zip(new, cards_of, strict=True):
            for card in mine:
                running = ZERO
                for unit, bucket, value, expires in (
                    (Unit.POINTS, Bucket.CASHBACK, row.cashback, None),
                    (Unit.POINTS, Bucket.PROMO, row.promo, row.promo_expires),
                    (Unit.STAMPS, Bucket.CASHBACK, row.stamps, None),
                ):
                    holder = ctx.points_type if unit == Unit.POINTS else ctx.stamps_type
                    if value <= 0 or card.card_type is not holder:
                        continue
                    running = value if unit == Unit.STAMPS else running + value
                    openings.append((card, unit, bucket, value, running, expires))
        _openings_write(openings, program_id=program.pk, actor_id=user.pk if user is not None else None, now=now)
        with_entries = {card.pk for card, *_ in openings}
        for member, mine in zip(members, cards_of, strict=True):
            events.append((EventType.MEMBER_CREATED, None, member.pk, payloads.member_created(member, mine)))
            events.extend((EventType.CARD_ISSUED, card.pk, member.pk, payloads.card_issued(card)) for card in mine)
            events.extend(
                (
                    EventType.CARD_BALANCES_CHANGED,
                    card.pk,
                    member.pk,
                    payloads.card_balances_changed(card, cause=BalanceCause.IMPORT),
                )
                for card in mine
                if card.pk in with_entries
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
                (EventType.MEMBER_UPDATED, None, member.pk, payloads.member_updated(member, fields=list(row.changes)))
            )
        Member.objects.bulk_update(members, [*sorted(changed_fields), "updated_at"])
    _events_write(events, program=program, now=now, fast=fast)


def _member_new(row: Row, ctx: ProgramContext, now) -> Member:
    tier = row.tier
    if tier is None and row.lifetime_spend and ctx.spend_places:
        tier = ctx.tier_for_spend(row.lifetime_spend)
    tier = tier or ctx.lowest_tier
    member = Member(
        program=ctx.program,
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
    return member


def _openings_write(openings: list[tuple], *, program_id: int, actor_id, now) -> None:
    if not openings:
        return
    reason = _("Opening balance (imported)")[:300]
    if connection.vendor == "postgresql":
        entry_ids = _ids(LedgerEntry, len(openings))
        _copy(
            LedgerEntry._meta.db_table,
            (
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
            ),
            (
                (
                    pk,
                    program_id,
                    card.pk,
                    EntryKind.OPENING.value,
                    str(unit),
                    str(bucket),
                    amount,
                    0,  # an opening balance owes nothing
                    after,
                    reason,
                    expires,
                    actor_id,
                    now,
                )
                for pk, (card, unit, bucket, amount, after, expires) in zip(entry_ids, openings, strict=True)
            ),
        )
        _copy(
            Lot._meta.db_table,
            ("program_id", "card_id", "unit", "bucket", "amount", "remaining", "expires_at", "entry_id", "created_at"),
            (
                (program_id, card.pk, str(unit), str(bucket), amount, amount, expires, pk, now)
                for pk, (card, unit, bucket, amount, _after, expires) in zip(entry_ids, openings, strict=True)
            ),
        )
        return
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


def _events_write(events: list[tuple], *, program: Program, now, fast: bool) -> None:
    """The chunk's outbox events, in order, in its transaction; the dispatcher is woken after the commit."""
    if not events:
        return
    if fast:
        _copy(
            Event._meta.db_table,
            ("type", "program_id", "card_id", "member_id", "payload", "created_at"),
            (
                (str(type_), program.pk, card_id, member_id, json.dumps(payload), now)
                for type_, card_id, member_id, payload in events
            ),
        )
        outbox.events_committed([], always=True)
        return
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


def _ids(model, count: int) -> list[int]:
    """``count`` ids from the model's table sequence (PostgreSQL), for rows written with ``COPY``."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [pk for (pk,) in cursor.fetchall()]


def _copy(table: str, columns: tuple[str, ...], rows) -> None:
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _copy_models(model, objects: list) -> None:
    """Every concrete column of ``objects`` (their ids set), values as the instances hold them: phones as E.164."""
    fields = model._meta.concrete_fields
    getters = []
    for model_field in fields:
        if isinstance(model_field, PhoneNumberField):
            getters.append(lambda obj, name=model_field.attname: getattr(obj, name).as_e164)
        else:
            getters.append(attrgetter(model_field.attname))
    _copy(
        model._meta.db_table,
        tuple(model_field.column for model_field in fields),
        (tuple(get(obj) for get in getters) for obj in objects),
    )


# --- The walk ------------------------------------------------------------------------------------------------


def chunks(iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch
