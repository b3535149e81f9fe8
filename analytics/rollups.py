"""Writing the rollups (``analytics.models``) from the engine's tables.

Every function here rebuilds whole rows from the source (purchases, refunds, ledger entries, stamp rewards,
members, cards, tier changes), set-based, in the caller's transaction: running one twice writes the same rows, so
the outbox consumer (``analytics.receivers``), the nightly job and the recompute command can all call them without
coordinating. Days are the program's days (``Program.timezone``); a fact's day is the local date of its own time.
"""

import logging
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, Count, F, Max, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate, TruncMonth

from analytics.models import (
    DailyFact,
    LiabilitySnapshot,
    MemberFact,
    MemberJoining,
    MemberMonth,
    MemberRecency,
    RecomputeRun,
    RollupVersion,
)
from programs import clock
from programs.choices import Bucket, EntryKind, RewardStatus, TierChangeReason, Unit
from programs.models import (
    Card,
    CardType,
    LedgerEntry,
    Lot,
    Member,
    Program,
    Purchase,
    Refund,
    StampReward,
    TierChange,
)

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
# Days rebuilt per transaction by ``rollups_recompute``: a month of a busy program is a few seconds of work.
CHUNK_DAYS = 31
# The liability snapshot (open lots by bucket and what expires within 30 days) is refreshed by the consumer at most
# this often per program; the nightly job refreshes every program.
LIABILITY_REFRESH = timedelta(minutes=10)
EXPIRING_WITHIN = timedelta(days=30)
JOINING_WINDOW = timedelta(days=90)

SUM_FIELDS = (
    "revenue",
    "discount",
    "paid_with_points",
    "refunded",
    "points_earned_cashback",
    "points_earned_promo",
    "points_redeemed",
    "points_expired_cashback",
    "points_expired_promo",
    "points_net_cashback",
    "points_net_promo",
    "stamps_issued",
)
COUNT_FIELDS = (
    "purchases",
    "refunds",
    "rewards_issued",
    "rewards_redeemed",
    "new_members",
    "cards_issued",
    "tier_upgrades",
    "tier_downgrades",
)
DOWNGRADE_REASONS = (TierChangeReason.PERIOD_END, TierChangeReason.GRACE_ENDED, TierChangeReason.REFUND)


def program_zone(program: Program) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(program.timezone)


def day_bounds(program: Program, first: date, last: date) -> tuple[datetime, datetime]:
    """The moments ``[start, end)`` that cover the program's days ``first``..``last``."""
    zone = program_zone(program)
    return datetime.combine(first, time.min, zone), datetime.combine(last + timedelta(days=1), time.min, zone)


def local_day(program: Program, moment: datetime) -> date:
    return moment.astimezone(program_zone(program)).date()


def version_bump(*, program: Program) -> str:
    """Move ``program``'s rollup version (one upsert): whatever was built from its rollups before is stale.
    Called by every function here that writes a rollup, in the writer's transaction."""
    token = uuid.uuid4().hex
    RollupVersion.objects.bulk_create(
        [RollupVersion(program=program, token=token, changed_at=clock.now())],
        update_conflicts=True,
        unique_fields=["program"],
        update_fields=["token", "changed_at"],
    )
    return token


def version_get(*, program: Program) -> str:
    """``program``'s current rollup version (a program never rolled up gets its first one here)."""
    token = RollupVersion.objects.filter(program=program).values_list("token", flat=True).first()
    return token if token is not None else version_bump(program=program)


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _memory_for_big_reads() -> None:
    """On PostgreSQL, inside a transaction: memory to hash-join and aggregate millions of rows instead of sorting
    them on disk or walking an index row by row, and no JIT (it compiles for seconds and saves nothing here), until
    the transaction ends."""
    if not _postgresql():
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")


def _changed_members(program: Program):
    """The ids of ``program``'s members with a tier change (a subquery), or ``None`` when none has one."""
    changes = TierChange.objects.filter(program=program)
    return changes.values("member_id") if changes.exists() else None


def _tier_at(member: str, moment: str, changed):
    """The member's tier at ``moment`` (both are lookup paths from the row being grouped): the tier the last change
    at or before it moved to, else the tier the first later change moved from, else the member's tier today.
    0 stands for "no tier" inside the expression (a change to no tier must not fall through to the next guess).
    ``changed`` (``_changed_members``): the history is looked up only for the members who have one, a hashed set the
    database checks once per row, instead of two index probes for every purchase and entry of the program."""
    current = Coalesce(F(f"{member}__tier_id"), Value(0))
    if changed is None:
        return current
    after = (
        TierChange.objects.filter(member_id=OuterRef(f"{member}_id"), created_at__lte=OuterRef(moment))
        .order_by("-created_at", "-id")
        .annotate(t=Coalesce("to_tier_id", Value(0)))
        .values("t")[:1]
    )
    before = (
        TierChange.objects.filter(member_id=OuterRef(f"{member}_id"), created_at__gt=OuterRef(moment))
        .order_by("created_at", "id")
        .annotate(t=Coalesce("from_tier_id", Value(0)))
        .values("t")[:1]
    )
    return Case(
        When(**{f"{member}_id__in": changed}, then=Coalesce(Subquery(after), Subquery(before), current)),
        default=current,
        output_field=BigIntegerField(),
    )


def _points(**condition) -> Q:
    return Q(unit=Unit.POINTS, **condition)


@dataclass
class Sources:
    """The engine's rows a set of facts is computed from: each a queryset (already narrowed to a date range or to
    the rows some events named), or ``None`` for none of that kind."""

    purchases: object = None
    refunds: object = None
    entries: object = None
    rewards_issued: object = None
    rewards_redeemed: object = None
    members: object = None
    cards: object = None
    tier_changes: object = None
    # Refunds that handed back a stamp reward: the reward's redemption is taken off the purchase's own cell.
    rewards_returned: object = None


EARNED = (EntryKind.ACCRUAL, EntryKind.REVERSAL)
REDEEMED = (EntryKind.REDEMPTION, EntryKind.RETURN)


def _facts(program: Program, sources: Sources) -> dict[tuple, dict]:
    """The facts of ``sources`` by (day, card type, store, tier): what the rebuild writes for a range of days and
    what the consumer adds for a batch of events, computed by the same expressions."""
    zone = program_zone(program)
    changed = _changed_members(program)
    rows: dict[tuple, dict] = defaultdict(dict)

    def add(queryset, day_field: str, dims: dict, aggregates: dict):
        if queryset is None:
            return
        grouped = queryset.annotate(day=TruncDate(day_field, tzinfo=zone), **dims).values("day", *dims)
        for row in grouped.annotate(**aggregates).order_by():
            key = (row["day"], row["ct"], row.get("st"), row["tr"] or None)
            for name in aggregates:
                value = row[name]
                if value:
                    rows[key][name] = rows[key].get(name, 0) + value

    add(
        sources.purchases,
        "purchased_at",
        {
            "ct": F("card__card_type_id"),
            "st": F("store_id"),
            "tr": _tier_at("member", "created_at", changed),
        },
        {
            "purchases": Count("id"),
            "revenue": Sum("total"),
            "discount": Sum("discount_amount"),
            "paid_with_points": Sum("redeemed_value"),
        },
    )
    add(
        sources.refunds,
        "created_at",
        {
            "ct": F("purchase__card__card_type_id"),
            "st": F("purchase__store_id"),
            "tr": _tier_at("purchase__member", "created_at", changed),
        },
        {"refunds": Count("id"), "refunded": Sum("amount")},
    )
    add(
        sources.entries,
        "created_at",
        {
            "ct": F("card__card_type_id"),
            "st": F("store_id"),
            "tr": _tier_at("card__member", "created_at", changed),
        },
        {
            # Earned net of what refunds took back, redeemed net of what they gave back.
            "points_earned_cashback": Sum("amount", filter=_points(kind__in=EARNED, bucket=Bucket.CASHBACK)),
            "points_earned_promo": Sum("amount", filter=_points(kind__in=EARNED, bucket=Bucket.PROMO)),
            "points_redeemed": Sum(-F("amount"), filter=_points(kind__in=REDEEMED)),
            "points_expired_cashback": Sum(-F("amount"), filter=_points(kind=EntryKind.EXPIRY, bucket=Bucket.CASHBACK)),
            "points_expired_promo": Sum(-F("amount"), filter=_points(kind=EntryKind.EXPIRY, bucket=Bucket.PROMO)),
            "points_net_cashback": Sum("amount", filter=_points(bucket=Bucket.CASHBACK)),
            "points_net_promo": Sum("amount", filter=_points(bucket=Bucket.PROMO)),
            "stamps_issued": Sum("amount", filter=Q(unit=Unit.STAMPS, kind__in=EARNED)),
        },
    )
    add(
        sources.rewards_issued,
        "issued_at",
        {
            "ct": F("card__card_type_id"),
            "st": F("issued_by_purchase__store_id"),
            "tr": _tier_at("card__member", "issued_at", changed),
        },
        {"rewards_issued": Count("id")},
    )
    add(
        sources.rewards_redeemed,
        "redeemed_at",
        {
            "ct": F("card__card_type_id"),
            "st": F("redeemed_by_purchase__store_id"),
            "tr": _tier_at("card__member", "redeemed_at", changed),
        },
        {"rewards_redeemed": Count("id")},
    )
    add(
        sources.rewards_returned,
        "purchase__created_at",
        {
            "ct": F("purchase__card__card_type_id"),
            "st": F("purchase__store_id"),
            "tr": _tier_at("purchase__member", "purchase__created_at", changed),
        },
        {"rewards_redeemed": -Count("id")},
    )
    first_card_type = (
        Card.objects.filter(member_id=OuterRef("pk")).order_by("issued_at", "id").values("card_type_id")[:1]
    )
    add(
        sources.members,
        "joined_at",
        {"ct": Subquery(first_card_type), "tr": _member_tier_at_join(changed)},
        {"new_members": Count("id")},
    )
    add(
        sources.cards,
        "issued_at",
        {"ct": F("card_type_id"), "tr": _tier_at("member", "issued_at", changed)},
        {"cards_issued": Count("id")},
    )
    member_card_type = Card.objects.filter(member_id=OuterRef("member_id")).order_by("issued_at", "id")
    add(
        sources.tier_changes,
        "created_at",
        {"ct": Subquery(member_card_type.values("card_type_id")[:1]), "tr": Coalesce("to_tier_id", Value(0))},
        {
            "tier_upgrades": Count("id", filter=Q(reason=TierChangeReason.UPGRADE)),
            "tier_downgrades": Count("id", filter=Q(reason__in=DOWNGRADE_REASONS)),
        },
    )
    return rows


def _day_rows(program: Program, first: date, last: date) -> dict[tuple, dict]:
    """The facts of ``program``'s days ``first``..``last`` by (day, card type, store, tier), from the source."""
    start, end = day_bounds(program, first, last)
    rewards = StampReward.objects.filter(program=program)
    return _facts(
        program,
        Sources(
            purchases=Purchase.objects.filter(program=program, purchased_at__gte=start, purchased_at__lt=end),
            refunds=Refund.objects.filter(program=program, created_at__gte=start, created_at__lt=end),
            entries=LedgerEntry.objects.filter(program=program, created_at__gte=start, created_at__lt=end),
            rewards_issued=rewards.filter(issued_at__gte=start, issued_at__lt=end),
            rewards_redeemed=rewards.filter(status=RewardStatus.REDEEMED, redeemed_at__gte=start, redeemed_at__lt=end),
            members=Member.objects.filter(program=program, joined_at__gte=start, joined_at__lt=end),
            cards=Card.objects.filter(program=program, issued_at__gte=start, issued_at__lt=end),
            tier_changes=TierChange.objects.filter(program=program, created_at__gte=start, created_at__lt=end),
        ),
    )


def facts_add(*, program: Program, sources: Sources) -> int:
    """Add the facts of ``sources`` (rows some events named) to ``program``'s daily facts: the consumer's upkeep.

    Each event is handed to the consumer once, in the transaction that also moves its cursor, so adding is exact;
    the rebuilds that write whole days (``days_rebuild``) hold the same cursor (``cursor_held``), so the two never
    count a row twice. Returns the number of rows changed or created.
    """
    rows = _facts(program, sources)
    if not rows:
        return 0
    version_bump(program=program)
    if _postgresql():
        return _cells_add_postgresql(program, rows)
    days = {key[0] for key in rows}
    existing: dict[tuple, int] = {}
    for pk, day, card_type, store, tier in DailyFact.objects.filter(program=program, day__in=days).values_list(
        "pk", "day", "card_type_id", "store_id", "tier_id"
    ):
        existing.setdefault((day, card_type, store, tier), pk)
    changed, created = [], []
    for key, values in rows.items():
        pk = existing.get(key)
        if pk is None:
            day, card_type, store, tier = key
            created.append(
                DailyFact(program=program, day=day, card_type_id=card_type, store_id=store, tier_id=tier, **values)
            )
            continue
        # Only the figures that moved, as increments: a short UPDATE per cell.
        DailyFact.objects.filter(pk=pk).update(**{name: F(name) + value for name, value in values.items()})
        changed.append(pk)
    if created:
        DailyFact.objects.bulk_create(created, batch_size=500)
    return len(changed) + len(created)


CELL_KEYS = (("day", "date"), ("card_type_id", "bigint"), ("store_id", "bigint"), ("tier_id", "bigint"))


def _cells_add_postgresql(program: Program, rows: dict[tuple, dict]) -> int:
    """``facts_add``'s writing in one statement (``_increments_add_postgresql``)."""
    values = (*((name, "numeric") for name in SUM_FIELDS), *((name, "integer") for name in COUNT_FIELDS))
    return _increments_add_postgresql(DailyFact, program, CELL_KEYS, values, rows)


def _increments_add_postgresql(model, program: Program, keys: tuple, values: tuple, rows: dict[tuple, dict]) -> int:
    """Add ``rows`` (key tuple -> {value column: increment}) to ``model``'s rows of ``program`` in one statement: the
    rows as a VALUES list, added to the rows with the same key (empty keys match empty ones) and inserted where none
    has it. ``keys`` and ``values`` are (column, SQL type) pairs; the first key is never empty. Exact because the
    outbox consumer and the rebuilds never run at once (``cursor_held``)."""
    if not rows:
        return 0
    names = [name for name, _kind in values]
    row_sql = "(" + ", ".join(f"%s::{kind}" for _name, kind in (*keys, *values)) + ")"
    params: list = []
    for key, increments in rows.items():
        params.extend(key)
        params.extend(increments.get(name, 0) for name in names)
    _increments_add_select(model, program, keys, values, f"VALUES {', '.join([row_sql] * len(rows))}", params)
    return len(rows)


def _increments_add_select(
    model, program: Program, keys: tuple, values: tuple, source: str, params: list | dict
) -> None:
    """``_increments_add_postgresql`` with the increments read by ``source`` (a query with ``params`` giving the
    key columns, then the value columns, in the order of ``keys`` and ``values``). ``params`` as a dict when
    ``source`` names its parameters (then ``program_id`` is taken)."""
    key_names = [name for name, _kind in keys]
    names = [name for name, _kind in values]
    table = model._meta.db_table
    (first, _kind), *nullable = keys
    # Empty keys compared through a stand-in no real key takes, so that every condition is an equality the
    # database can hash or look up by index (IS NOT DISTINCT FROM makes it compare every pair of rows); the first
    # key's range bounds the rows read (the index on program and day: a batch's day, not the whole history).
    empty = {"bigint": "-1", "smallint": "-1", "date": "DATE '0001-01-01'"}

    def equal(a: str, b: str) -> str:
        return " AND ".join(
            [
                f"{a}.{first} = {b}.{first}",
                *(f"COALESCE({a}.{c}, {empty[k]}) = COALESCE({b}.{c}, {empty[k]})" for c, k in nullable),
            ]
        )

    same, found = equal("d", "v"), equal("u", "v")
    named = isinstance(params, dict)
    program_id = "%(program_id)s" if named else "%s"
    columns = ", ".join((*key_names, *names))
    # Only our own table and column names are formatted in; every value is a parameter.
    sql = (
        f"WITH v ({columns}) AS ({source}), "  # noqa: S608
        f"updated AS (UPDATE {table} d SET {', '.join(f'{name} = d.{name} + v.{name}' for name in names)} FROM v "
        f"WHERE d.program_id = {program_id} AND {same} AND d.{first} BETWEEN (SELECT min({first}) FROM v) "
        f"AND (SELECT max({first}) FROM v) RETURNING {', '.join(f'v.{column}' for column in key_names)}) "
        f"INSERT INTO {table} (program_id, {columns}) "
        f"SELECT {program_id}, {', '.join(f'v.{c}' for c in (*key_names, *names))} "
        f"FROM v WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE {found})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "program_id": program.pk} if named else [*params, program.pk, program.pk])


def _member_tier_at_join(changed):
    """``_tier_at`` for a member row itself (the paths start at the member)."""
    current = Coalesce(F("tier_id"), Value(0))
    if changed is None:
        return current
    after = (
        TierChange.objects.filter(member_id=OuterRef("pk"), created_at__lte=OuterRef("joined_at"))
        .order_by("-created_at", "-id")
        .annotate(t=Coalesce("to_tier_id", Value(0)))
        .values("t")[:1]
    )
    before = (
        TierChange.objects.filter(member_id=OuterRef("pk"), created_at__gt=OuterRef("joined_at"))
        .order_by("created_at", "id")
        .annotate(t=Coalesce("from_tier_id", Value(0)))
        .values("t")[:1]
    )
    return Case(
        When(pk__in=changed, then=Coalesce(Subquery(after), Subquery(before), current)),
        default=current,
        output_field=BigIntegerField(),
    )


def days_rebuild(*, program: Program, first: date, last: date) -> int:
    """Replace ``program``'s daily facts for the days ``first``..``last`` with ones computed from the source.

    Runs in one transaction (the caller's, or its own); idempotent. Returns the number of rows written.
    """
    rows = _day_rows(program, first, last)
    facts = []
    for (day, card_type, store, tier), values in rows.items():
        facts.append(
            DailyFact(program=program, day=day, card_type_id=card_type, store_id=store, tier_id=tier, **values)
        )
    with transaction.atomic():
        DailyFact.objects.filter(program=program, day__gte=first, day__lte=last).delete()
        DailyFact.objects.bulk_create(facts, batch_size=2000)
        version_bump(program=program)
    return len(facts)


def cursor_held() -> None:
    """Inside a transaction: lock the analytics consumer's cursor (waiting for a running consumer) and hand it every
    event already readable, so that a rebuild that follows in the same transaction and the consumer's additions
    never count a row twice. The lock is held until the transaction ends."""
    from programs import outbox

    consumer = next((c for c in outbox.consumers() if c.name == "analytics"), None)
    if consumer is None:
        return
    while outbox.consumer_dispatch(consumer, wait=True):
        pass


# --- The consumer's batch on PostgreSQL --------------------------------------------------------------------------


@dataclass
class Batch:
    """What one batch of outbox events named, for one program: the rows ``batch_add_postgresql`` adds.
    ``entries`` and ``tier_changes`` are (card or member id, moment) pairs: the rows written at an event's moment."""

    purchases: set = field(default_factory=set)
    refunds: set = field(default_factory=set)
    entries: set = field(default_factory=set)
    members_new: set = field(default_factory=set)
    cards: set = field(default_factory=set)
    tier_changes: set = field(default_factory=set)
    members: set = field(default_factory=set)


def _tier_sql(member: str, moment: str, current: str, has_changes: bool) -> str:
    """``_tier_at`` in SQL: ``member`` and ``moment`` are column references, ``current`` the member's tier today."""
    if not has_changes:
        return f"COALESCE({current}, 0)"
    changed = f"SELECT tc.member_id FROM {TierChange._meta.db_table} tc WHERE tc.program_id = %(program_id)s"  # noqa: S608
    changes = TierChange._meta.db_table
    after = (
        f"(SELECT COALESCE(t.to_tier_id, 0) FROM {changes} t WHERE t.member_id = {member} "  # noqa: S608
        f"AND t.created_at <= {moment} ORDER BY t.created_at DESC, t.id DESC LIMIT 1)"
    )
    before = (
        f"(SELECT COALESCE(t.from_tier_id, 0) FROM {changes} t WHERE t.member_id = {member} "  # noqa: S608
        f"AND t.created_at > {moment} ORDER BY t.created_at, t.id LIMIT 1)"
    )
    return (
        f"CASE WHEN {member} IN ({changed}) THEN COALESCE({after}, {before}, {current}, 0) "
        f"ELSE COALESCE({current}, 0) END"
    )


def _first_card_type_sql(member: str) -> str:
    card = Card._meta.db_table
    return (
        f"(SELECT c1.card_type_id FROM {card} c1 WHERE c1.member_id = {member} "  # noqa: S608
        "ORDER BY c1.issued_at, c1.id LIMIT 1)"
    )


CELL_COLUMNS = (*SUM_FIELDS, *COUNT_FIELDS)


def _cell_branch(source: str, day: str, card_type: str, store: str, tier: str, figures: dict[str, str]) -> str:
    """One SELECT of the cells' union: the key expressions, then every figure (0 where this source has none)."""
    values = ", ".join(
        figures.get(name, "0::numeric" if name in SUM_FIELDS else "0") + f" AS {name}" for name in CELL_COLUMNS
    )
    return f"SELECT ({day} AT TIME ZONE %(tz)s)::date AS day, {card_type} AS card_type_id, {store} AS store_id, {tier} AS tier_id, {values} FROM {source}"  # noqa: E501, S608


def _batch_cells_sql(batch: Batch, *, stamped: bool, has_changes: bool) -> str:
    """The batch's daily cells as one grouped SELECT (keys, then ``CELL_COLUMNS``): the very figures ``_facts`` makes
    of the same rows, written for the database to compute in one statement. Parameters: ``%(tz)s`` and the id
    arrays of ``batch_add_postgresql``."""
    tables = {model: model._meta.db_table for model in (Purchase, Refund, LedgerEntry, StampReward, Member, Card)}
    purchase, refund, entry = tables[Purchase], tables[Refund], tables[LedgerEntry]
    reward, member, card = tables[StampReward], tables[Member], tables[Card]
    changes = TierChange._meta.db_table
    branches = []
    if batch.purchases:
        branches.append(
            _cell_branch(
                f"{purchase} p JOIN {card} c ON c.id = p.card_id JOIN {member} m ON m.id = p.member_id "
                "WHERE p.id = ANY(%(purchases)s::bigint[])",
                "p.purchased_at",
                "c.card_type_id",
                "p.store_id",
                _tier_sql("p.member_id", "p.created_at", "m.tier_id", has_changes),
                {
                    "purchases": "1",
                    "revenue": "p.total",
                    "discount": "p.discount_amount",
                    "paid_with_points": "p.redeemed_value",
                },
            )
        )
    if batch.refunds:
        branches.append(
            _cell_branch(
                f"{refund} r JOIN {purchase} p ON p.id = r.purchase_id JOIN {card} c ON c.id = p.card_id "
                f"JOIN {member} m ON m.id = p.member_id WHERE r.id = ANY(%(refunds)s::bigint[])",
                "r.created_at",
                "c.card_type_id",
                "p.store_id",
                _tier_sql("p.member_id", "r.created_at", "m.tier_id", has_changes),
                {"refunds": "1", "refunded": "r.amount"},
            )
        )
        # A reward handed back by a refund was counted with its purchase, unless that purchase is in this very
        # batch (its reward was already back when the batch was read).
        if stamped:
            branches.append(
                _cell_branch(
                    f"{refund} r JOIN {purchase} p ON p.id = r.purchase_id JOIN {card} c ON c.id = p.card_id "
                    f"JOIN {member} m ON m.id = p.member_id WHERE r.id = ANY(%(refunds)s::bigint[]) "
                    "AND r.reward_returned AND NOT p.id = ANY(%(purchases)s::bigint[])",
                    "p.created_at",
                    "c.card_type_id",
                    "p.store_id",
                    _tier_sql("p.member_id", "p.created_at", "m.tier_id", has_changes),
                    {"rewards_redeemed": "-1"},
                )
            )
    if batch.entries:
        points = f"e.unit = '{Unit.POINTS.value}'"
        earned = f"e.kind IN ('{EntryKind.ACCRUAL.value}', '{EntryKind.REVERSAL.value}')"
        redeemed = f"e.kind IN ('{EntryKind.REDEMPTION.value}', '{EntryKind.RETURN.value}')"
        expired = f"e.kind = '{EntryKind.EXPIRY.value}'"
        cashback, promo = f"e.bucket = '{Bucket.CASHBACK.value}'", f"e.bucket = '{Bucket.PROMO.value}'"

        def when(condition: str, value: str = "e.amount") -> str:
            return f"CASE WHEN {condition} THEN {value} ELSE 0 END"

        branches.append(
            _cell_branch(
                f"(SELECT DISTINCT * FROM unnest(%(entry_cards)s::bigint[], %(entry_moments)s::timestamptz[])) "  # noqa: S608
                f"AS b (card_id, at) JOIN {entry} e ON e.card_id = b.card_id AND e.created_at = b.at "
                f"JOIN {card} c ON c.id = e.card_id JOIN {member} m ON m.id = c.member_id",
                "e.created_at",
                "c.card_type_id",
                "e.store_id",
                _tier_sql("c.member_id", "e.created_at", "m.tier_id", has_changes),
                {
                    "points_earned_cashback": when(f"{points} AND {earned} AND {cashback}"),
                    "points_earned_promo": when(f"{points} AND {earned} AND {promo}"),
                    "points_redeemed": when(f"{points} AND {redeemed}", "-e.amount"),
                    "points_expired_cashback": when(f"{points} AND {expired} AND {cashback}", "-e.amount"),
                    "points_expired_promo": when(f"{points} AND {expired} AND {promo}", "-e.amount"),
                    "points_net_cashback": when(f"{points} AND {cashback}"),
                    "points_net_promo": when(f"{points} AND {promo}"),
                    "stamps_issued": when(f"e.unit = '{Unit.STAMPS.value}' AND {earned}"),
                },
            )
        )
    if stamped and (batch.purchases or batch.entries):
        # Rewards issued by the batch's purchases, and those issued outside a purchase (stamps added by staff) at
        # their card's entries' moment.
        branches.append(
            _cell_branch(
                f"{reward} s JOIN {card} c ON c.id = s.card_id JOIN {member} m ON m.id = c.member_id "  # noqa: S608
                f"LEFT JOIN {purchase} p ON p.id = s.issued_by_purchase_id "
                "WHERE s.issued_by_purchase_id = ANY(%(purchases)s::bigint[]) OR (s.issued_by_purchase_id IS NULL "
                "AND (s.card_id, s.issued_at) IN (SELECT * FROM unnest(%(entry_cards)s::bigint[], "
                "%(entry_moments)s::timestamptz[])))",
                "s.issued_at",
                "c.card_type_id",
                "p.store_id",
                _tier_sql("c.member_id", "s.issued_at", "m.tier_id", has_changes),
                {"rewards_issued": "1"},
            )
        )
    if stamped and batch.purchases:
        branches.append(
            _cell_branch(
                f"{reward} s JOIN {card} c ON c.id = s.card_id JOIN {member} m ON m.id = c.member_id "
                f"JOIN {purchase} p ON p.id = s.redeemed_by_purchase_id "
                f"WHERE s.status = '{RewardStatus.REDEEMED.value}' "
                "AND s.redeemed_by_purchase_id = ANY(%(purchases)s::bigint[])",
                "s.redeemed_at",
                "c.card_type_id",
                "p.store_id",
                _tier_sql("c.member_id", "s.redeemed_at", "m.tier_id", has_changes),
                {"rewards_redeemed": "1"},
            )
        )
    if batch.members_new:
        branches.append(
            _cell_branch(
                f"{member} m WHERE m.id = ANY(%(members_new)s::bigint[])",
                "m.joined_at",
                _first_card_type_sql("m.id"),
                "NULL::bigint",
                _tier_sql("m.id", "m.joined_at", "m.tier_id", has_changes),
                {"new_members": "1"},
            )
        )
    if batch.cards:
        branches.append(
            _cell_branch(
                f"{card} c JOIN {member} m ON m.id = c.member_id WHERE c.id = ANY(%(cards)s::bigint[])",
                "c.issued_at",
                "c.card_type_id",
                "NULL::bigint",
                _tier_sql("c.member_id", "c.issued_at", "m.tier_id", has_changes),
                {"cards_issued": "1"},
            )
        )
    if batch.tier_changes:
        upgrade = f"t.reason = '{TierChangeReason.UPGRADE.value}'"
        downgrade = "t.reason IN (" + ", ".join(f"'{reason.value}'" for reason in DOWNGRADE_REASONS) + ")"
        branches.append(
            _cell_branch(
                f"(SELECT DISTINCT * FROM unnest(%(change_members)s::bigint[], %(change_moments)s::timestamptz[])) "  # noqa: S608
                f"AS b (member_id, at) JOIN {changes} t ON t.member_id = b.member_id AND t.created_at = b.at",
                "t.created_at",
                _first_card_type_sql("t.member_id"),
                "NULL::bigint",
                "COALESCE(t.to_tier_id, 0)",
                {
                    "tier_upgrades": f"CASE WHEN {upgrade} THEN 1 ELSE 0 END",
                    "tier_downgrades": f"CASE WHEN {downgrade} THEN 1 ELSE 0 END",
                },
            )
        )
    if not branches:
        return ""
    sums = ", ".join(f"sum(u.{name})" for name in CELL_COLUMNS)
    # A cell only where some figure moved (an entry of no amount, a debt's, makes none).
    moved = " OR ".join(f"sum(u.{name}) <> 0" for name in CELL_COLUMNS)
    union = " UNION ALL ".join(branches)
    return (
        f"SELECT u.day, u.card_type_id, u.store_id, NULLIF(u.tier_id, 0), {sums} FROM ({union}) u "  # noqa: S608
        f"GROUP BY 1, 2, 3, 4 HAVING {moved}"
    )


def batch_add_postgresql(*, program: Program, batch: Batch) -> None:
    """The outbox consumer's batch on PostgreSQL, in the caller's transaction: the batch's daily cells added in one
    statement, and the members it touched brought up to date by increments (what the batch's purchases and refunds
    add to each member's figures and months), with the summaries moved along. Exact for the same reason
    ``facts_add`` is: each event is handed over once. Frequency, first and last purchase only grow with new
    purchases; spend is the purchases' totals less their refunds', which is the rebuild's "total less refunded" as
    every refund adds its amount to its purchase's."""
    has_changes = TierChange.objects.filter(program=program).exists()
    stamped = StampReward.objects.filter(program=program).exists()
    entries = sorted(batch.entries)
    changes = sorted(batch.tier_changes)
    params = {
        "program_id": program.pk,
        "tz": program.timezone,
        "window": JOINING_WINDOW,
        "purchases": sorted(batch.purchases),
        "refunds": sorted(batch.refunds),
        "members_new": sorted(batch.members_new),
        "cards": sorted(batch.cards),
        "entry_cards": [card for card, _at in entries],
        "entry_moments": [at for _card, at in entries],
        "change_members": [member for member, _at in changes],
        "change_moments": [at for _member, at in changes],
    }
    cells = _batch_cells_sql(batch, stamped=stamped, has_changes=has_changes)
    if cells:
        values = (*((name, "numeric") for name in SUM_FIELDS), *((name, "integer") for name in COUNT_FIELDS))
        _increments_add_select(DailyFact, program, CELL_KEYS, values, cells, params)
    members = _batch_members(batch, params)
    if members:
        params["members"] = members
        joining = _joining_changes(params)
        _summaries_shift_postgresql(program, members, -1, joining=joining)
        _members_add_postgresql(params)
        _summaries_shift_postgresql(program, members, 1, joining=joining)
        _summaries_tidy(program)
    if cells or members:
        version_bump(program=program)


def _batch_members(batch: Batch, params: dict) -> list[int]:
    """The members a batch touched: those its events named, and the buyers of its purchases and refunds."""
    if not (batch.purchases or batch.refunds):
        return sorted(batch.members)
    purchase, refund = Purchase._meta.db_table, Refund._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT unnest(%(members)s::bigint[]) UNION SELECT member_id FROM {purchase} "  # noqa: S608
            f"WHERE id = ANY(%(purchases)s::bigint[]) UNION SELECT p.member_id FROM {refund} r "
            f"JOIN {purchase} p ON p.id = r.purchase_id WHERE r.id = ANY(%(refunds)s::bigint[]) ORDER BY 1",
            {**params, "members": sorted(batch.members)},
        )
        return [row[0] for row in cursor.fetchall()]


def _joining_changes(params: dict) -> list[int]:
    """Of the batch's members, those whose line in the joining summary may move: without facts yet, or whose tier,
    first card type or joining day the facts have not caught up with, or with a purchase or refund of the batch
    within the 90 days either side of joining. (Read before their facts are written.)"""
    facts, member = MemberFact._meta.db_table, Member._meta.db_table
    purchase, refund = Purchase._meta.db_table, Refund._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH bought AS (
                SELECT p.member_id, p.purchased_at FROM {purchase} p WHERE p.id = ANY(%(purchases)s::bigint[])
                UNION ALL SELECT p.member_id, p.purchased_at FROM {refund} r JOIN {purchase} p ON p.id = r.purchase_id
                WHERE r.id = ANY(%(refunds)s::bigint[])
            )
            SELECT m.id FROM {member} m LEFT JOIN {facts} f ON f.member_id = m.id
            WHERE m.id = ANY(%(members)s::bigint[]) AND (
                f.member_id IS NULL OR f.tier_id IS DISTINCT FROM m.tier_id
                OR f.joined_on <> (m.joined_at AT TIME ZONE %(tz)s)::date
                OR m.id IN (
                    SELECT b.member_id FROM bought b JOIN {member} j ON j.id = b.member_id
                    WHERE b.purchased_at >= j.joined_at - %(window)s AND b.purchased_at < j.joined_at + %(window)s
                )
                OR f.card_type_id IS DISTINCT FROM {_first_card_type_sql("m.id")}
            )
            ORDER BY m.id""",  # noqa: S608
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def _members_add_postgresql(params: dict) -> None:
    """``batch_add_postgresql``'s member facts and months: what the batch's purchases and refunds add, per member and
    per month, upserted; the touched members' card type, tier and joining day read again; the months of a member
    whose first purchase moved earlier (a late receipt) moved to the new cohort."""
    facts, months = MemberFact._meta.db_table, MemberMonth._meta.db_table
    purchase, refund, member = Purchase._meta.db_table, Refund._meta.db_table, Member._meta.db_table
    local = "(p.purchased_at AT TIME ZONE %(tz)s)"

    def window(value: str) -> str:
        return (
            f"CASE WHEN p.purchased_at < j.joined_at AND p.purchased_at >= j.joined_at - %(window)s THEN {value} "
            f"ELSE 0 END AS before, CASE WHEN p.purchased_at >= j.joined_at AND p.purchased_at < j.joined_at + "
            f"%(window)s THEN {value} ELSE 0 END AS after"
        )

    # The purchases at their total, each refund at minus its amount, both in the month of the purchase.
    moves = (
        f"SELECT p.member_id, 1 AS n, p.total AS spend, {local}::date AS day, {window('p.total')} "  # noqa: S608
        f"FROM {purchase} p JOIN {member} j ON j.id = p.member_id WHERE p.id = ANY(%(purchases)s::bigint[]) "
        f"UNION ALL SELECT p.member_id, 0, -r.amount, NULL::date, {window('-r.amount')} "
        f"FROM {refund} r JOIN {purchase} p ON p.id = r.purchase_id JOIN {member} j ON j.id = p.member_id "
        "WHERE r.id = ANY(%(refunds)s::bigint[])"
    )
    month_moves = (
        f"SELECT p.member_id, date_trunc('month', {local})::date AS month, 1 AS n, p.total AS spend "  # noqa: S608
        f"FROM {purchase} p WHERE p.id = ANY(%(purchases)s::bigint[]) UNION ALL "
        f"SELECT p.member_id, date_trunc('month', {local})::date, 0, -r.amount FROM {refund} r "
        f"JOIN {purchase} p ON p.id = r.purchase_id WHERE r.id = ANY(%(refunds)s::bigint[])"
    )
    with connection.cursor() as cursor:
        # Only our own table names and fixed fragments are formatted in; every value is a parameter.
        cursor.execute(
            f"""WITH d AS (
                SELECT x.member_id, sum(x.n) AS n, sum(x.spend) AS spend, min(x.day) AS first, max(x.day) AS last,
                    sum(x.before) AS before, sum(x.after) AS after
                FROM ({moves}) x GROUP BY x.member_id
            )
            INSERT INTO {facts} AS f (program_id, member_id, card_type_id, tier_id, joined_on, first_purchase_on,
                last_purchase_on, purchases, monetary, spend_before_joining, spend_after_joining)
            SELECT m.program_id, m.id, {_first_card_type_sql("m.id")}, m.tier_id,
                (m.joined_at AT TIME ZONE %(tz)s)::date, d.first, d.last, COALESCE(d.n, 0), COALESCE(d.spend, 0),
                COALESCE(d.before, 0), COALESCE(d.after, 0)
            FROM {member} m LEFT JOIN d ON d.member_id = m.id
            WHERE m.program_id = %(program_id)s AND m.id = ANY(%(members)s::bigint[])
            ORDER BY m.id
            ON CONFLICT (member_id) DO UPDATE SET card_type_id = EXCLUDED.card_type_id,
                tier_id = EXCLUDED.tier_id, joined_on = EXCLUDED.joined_on,
                first_purchase_on = LEAST(f.first_purchase_on, EXCLUDED.first_purchase_on),
                last_purchase_on = GREATEST(f.last_purchase_on, EXCLUDED.last_purchase_on),
                purchases = f.purchases + EXCLUDED.purchases, monetary = f.monetary + EXCLUDED.monetary,
                spend_before_joining = f.spend_before_joining + EXCLUDED.spend_before_joining,
                spend_after_joining = f.spend_after_joining + EXCLUDED.spend_after_joining""",  # noqa: S608
            params,
        )
        if not (params["purchases"] or params["refunds"]):
            return
        cohort = "date_trunc('month', f.first_purchase_on)::date"
        cursor.execute(
            f"""INSERT INTO {months} AS mm (program_id, member_id, month, cohort, purchases, spend)
            SELECT %(program_id)s, x.member_id, x.month, COALESCE({cohort}, min(x.month)), sum(x.n), sum(x.spend)
            FROM ({month_moves}) x JOIN {facts} f ON f.member_id = x.member_id
            GROUP BY x.member_id, x.month, f.first_purchase_on
            ORDER BY 2, 3
            ON CONFLICT (member_id, month) DO UPDATE SET purchases = mm.purchases + EXCLUDED.purchases,
                spend = mm.spend + EXCLUDED.spend, cohort = EXCLUDED.cohort""",  # noqa: S608
            params,
        )
        # Only a member who bought in their cohort's month in this batch can have a new first purchase.
        cursor.execute(
            f"""UPDATE {months} mm SET cohort = {cohort} FROM {facts} f
            WHERE f.member_id = mm.member_id AND mm.cohort <> {cohort} AND mm.member_id IN (
                SELECT p.member_id FROM {purchase} p JOIN {facts} f ON f.member_id = p.member_id
                WHERE p.id = ANY(%(purchases)s::bigint[])
                    AND date_trunc('month', {local})::date = {cohort}
            )""",  # noqa: S608
            params,
        )


# --- Member facts --------------------------------------------------------------------------------------------


def members_rebuild(*, program: Program, member_ids: Iterable[int] | None = None) -> int:
    """Replace the member facts and member months of ``member_ids`` (every member of the program when ``None``).

    Frequency counts purchases, monetary is what they paid net of refunds; first/last purchase are the program's
    days. Idempotent; returns the number of members written. On PostgreSQL, two ``INSERT … SELECT … GROUP BY``
    (``_members_rebuild_postgresql``); elsewhere the same figures through Python.
    """
    ids = None if member_ids is None else sorted(set(member_ids))
    if ids == []:
        return 0
    with transaction.atomic():
        if ids is None:
            rebuild = _members_rebuild_postgresql if _postgresql() else _members_rebuild_python
            written = rebuild(program, None)
            _summaries_rebuild(program)
        elif _postgresql():
            # The summaries lose what these members' old facts counted and gain what the new ones count, each in
            # one statement the database runs (no rows through Python: this is the consumer's every batch).
            _summaries_shift_postgresql(program, ids, -1)
            written = _members_rebuild_postgresql(program, ids)
            _summaries_shift_postgresql(program, ids, 1)
            _summaries_tidy(program)
        else:
            before = _summaries_of(program, ids)
            written = _members_rebuild_python(program, ids)
            _summaries_add(program, _summaries_of(program, ids), before)
        version_bump(program=program)
    return written


def _members_rebuild_python(program: Program, member_ids: list[int] | None) -> int:
    """``members_rebuild`` through Python objects (SQLite)."""
    zone = program_zone(program)
    members = Member.objects.filter(program=program)
    purchases = Purchase.objects.filter(program=program)
    if member_ids is not None:
        members = members.filter(pk__in=member_ids)
        purchases = purchases.filter(member_id__in=member_ids)
    net = F("total") - F("refunded_amount")
    first_card_type = (
        Card.objects.filter(member_id=OuterRef("pk")).order_by("issued_at", "id").values("card_type_id")[:1]
    )
    member_rows = members.annotate(card_type_ref=Subquery(first_card_type)).values_list(
        "pk", "tier_id", "joined_at", "card_type_ref"
    )
    buying = {
        row["member_id"]: row
        for row in purchases.values("member_id")
        .annotate(
            first=Min(TruncDate("purchased_at", tzinfo=zone)),
            count=Count("id"),
            monetary=Sum(net),
            before=Sum(
                net,
                filter=Q(
                    purchased_at__lt=F("member__joined_at"),
                    purchased_at__gte=F("member__joined_at") - JOINING_WINDOW,
                ),
            ),
            after=Sum(
                net,
                filter=Q(
                    purchased_at__gte=F("member__joined_at"),
                    purchased_at__lt=F("member__joined_at") + JOINING_WINDOW,
                ),
            ),
        )
        .order_by()
    }
    months: dict[int, list] = defaultdict(list)
    last: dict[int, date] = {}
    for row in (
        purchases.annotate(month=TruncMonth("purchased_at", tzinfo=zone), day=TruncDate("purchased_at", tzinfo=zone))
        .values("member_id", "month")
        .annotate(count=Count("id"), spend=Sum(net), last=Max("day"))
        .order_by()
    ):
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        months[row["member_id"]].append((month, row["count"], row["spend"] or ZERO))
        if row["member_id"] not in last or row["last"] > last[row["member_id"]]:
            last[row["member_id"]] = row["last"]
    facts, member_months = [], []
    for member_id, tier_id, joined_at, card_type_id in member_rows:
        row = buying.get(member_id)
        facts.append(
            MemberFact(
                program=program,
                member_id=member_id,
                card_type_id=card_type_id,
                tier_id=tier_id,
                joined_on=joined_at.astimezone(zone).date(),
                first_purchase_on=row["first"] if row else None,
                last_purchase_on=last.get(member_id),
                purchases=row["count"] if row else 0,
                monetary=(row["monetary"] or ZERO) if row else ZERO,
                spend_before_joining=(row["before"] or ZERO) if row else ZERO,
                spend_after_joining=(row["after"] or ZERO) if row else ZERO,
            )
        )
        if row:
            cohort = row["first"].replace(day=1)
            for month, count, spend in months[member_id]:
                member_months.append(
                    MemberMonth(
                        program=program, member_id=member_id, month=month, cohort=cohort, purchases=count, spend=spend
                    )
                )
    with transaction.atomic():
        old_facts = MemberFact.objects.filter(program=program)
        old_months = MemberMonth.objects.filter(program=program)
        if member_ids is not None:
            old_facts = old_facts.filter(member_id__in=member_ids)
            old_months = old_months.filter(member_id__in=member_ids)
        old_facts.delete()
        old_months.delete()
        MemberFact.objects.bulk_create(facts, batch_size=2000)
        MemberMonth.objects.bulk_create(member_months, batch_size=2000)
    return len(facts)


def _members_rebuild_postgresql(program: Program, member_ids: list[int] | None) -> int:
    """``members_rebuild`` set-based: the rows of ``member_ids`` (all the program's when ``None``) deleted, then
    computed from the purchases and inserted by the database, with the very rules of the Python path: days and
    months in the program's time zone, spend net of refunds, the cohort the month of the first purchase, the card
    type the member's first card's. Rows go in in the order of their unique key: the index grows at its end
    instead of being written all over."""
    facts, months = MemberFact._meta.db_table, MemberMonth._meta.db_table
    purchase, member, card = Purchase._meta.db_table, Member._meta.db_table, Card._meta.db_table
    only_facts = only_members = only_purchases = only_joined = ""
    if member_ids is not None:
        only_facts = " AND member_id = ANY(%(ids)s)"
        only_members = " AND m.id = ANY(%(ids)s)"
        only_purchases = " AND p.member_id = ANY(%(ids)s)"
        only_joined = " AND j.id = ANY(%(ids)s)"  # else the planner hashes every member of the program
    params = {"p": program.pk, "tz": program.timezone, "ids": member_ids, "window": JOINING_WINDOW}
    net = "p.total - p.refunded_amount"
    local = "(p.purchased_at AT TIME ZONE %(tz)s)"
    with connection.cursor() as cursor:
        if member_ids is None:
            # A whole program: with the default 4 MB the planner walks every member's purchases by index (random
            # reads of the whole table, minutes at 10M purchases); with memory for a hash join and hash aggregate it
            # reads the purchases once.
            _memory_for_big_reads()
        # Only our own table names and fixed fragments are formatted in; every value is a parameter.
        cursor.execute(f"DELETE FROM {facts} WHERE program_id = %(p)s{only_facts}", params)  # noqa: S608
        cursor.execute(f"DELETE FROM {months} WHERE program_id = %(p)s{only_facts}", params)  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {facts} (program_id, member_id, card_type_id, tier_id, joined_on, first_purchase_on,
                    last_purchase_on, purchases, monetary, spend_before_joining, spend_after_joining)
            SELECT m.program_id, m.id,
                (SELECT c.card_type_id FROM {card} c WHERE c.member_id = m.id ORDER BY c.issued_at, c.id LIMIT 1),
                m.tier_id, (m.joined_at AT TIME ZONE %(tz)s)::date, b.first, b.last, COALESCE(b.n, 0),
                COALESCE(b.monetary, 0), COALESCE(b.before, 0), COALESCE(b.after, 0)
            FROM {member} m LEFT JOIN (
                SELECT p.member_id, min({local}::date) AS first, max({local}::date) AS last, count(*) AS n,
                    sum({net}) AS monetary,
                    sum({net}) FILTER (
                        WHERE p.purchased_at < j.joined_at AND p.purchased_at >= j.joined_at - %(window)s
                    ) AS before,
                    sum({net}) FILTER (
                        WHERE p.purchased_at >= j.joined_at AND p.purchased_at < j.joined_at + %(window)s
                    ) AS after
                FROM {purchase} p JOIN {member} j ON j.id = p.member_id
                WHERE p.program_id = %(p)s{only_purchases}{only_joined}
                GROUP BY p.member_id
            ) b ON b.member_id = m.id
            WHERE m.program_id = %(p)s{only_members}
            ORDER BY m.id""",  # noqa: S608
            params,
        )
        written = cursor.rowcount
        if member_ids is None:
            # Every purchase, grouped by member and month: the planner expects as many months as purchases and
            # would walk the purchases in member order through the index, one random read each (60 s at 10M
            # purchases); read in one pass and sorted, they take 15 s.
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(
            f"""INSERT INTO {months} (program_id, member_id, month, cohort, purchases, spend)
            SELECT %(p)s, s.member_id, s.month, min(s.month) OVER (PARTITION BY s.member_id ORDER BY s.month), s.n,
                s.spend
            FROM (
                SELECT p.member_id, date_trunc('month', {local})::date AS month, count(*) AS n, sum({net}) AS spend
                FROM {purchase} p WHERE p.program_id = %(p)s{only_purchases}
                GROUP BY 1, 2
            ) s
            ORDER BY s.member_id, s.month""",  # noqa: S608
            params,
        )
        if member_ids is None:
            cursor.execute("RESET enable_indexscan")
            cursor.execute("RESET enable_bitmapscan")
    return written


# --- Member summaries ------------------------------------------------------------------------------------------

FREQUENCY_SQL = "CASE WHEN purchases <= 1 THEN 0 WHEN purchases <= 4 THEN 1 ELSE 2 END"
RECENCY_KEYS = (
    ("frequency", "smallint"),
    ("card_type_id", "bigint"),
    ("tier_id", "bigint"),
    ("last_purchase_on", "date"),
)
RECENCY_VALUES = (("members", "integer"), ("monetary", "numeric"))
JOINING_KEYS = (("joined_on", "date"), ("card_type_id", "bigint"), ("tier_id", "bigint"))
JOINING_VALUES = (("members", "integer"), ("spend_before_joining", "numeric"), ("spend_after_joining", "numeric"))


def _summary_selects() -> tuple[str, str]:
    """The member facts grouped as ``MemberRecency`` and ``MemberJoining`` hold them (keys, then values, in the
    order of ``RECENCY_KEYS``/``RECENCY_VALUES`` and ``JOINING_KEYS``/``JOINING_VALUES``), for a WHERE to follow."""
    facts = MemberFact._meta.db_table
    recency = (
        f"SELECT {FREQUENCY_SQL} AS frequency, card_type_id, tier_id, last_purchase_on, count(*) AS members, "  # noqa: S608
        "sum(monetary) AS monetary "
        f"FROM {facts} WHERE program_id = %s{{where}} GROUP BY {FREQUENCY_SQL}, card_type_id, tier_id, last_purchase_on"
    )
    joining = (
        "SELECT joined_on, card_type_id, tier_id, count(*) AS members, "  # noqa: S608
        "sum(spend_before_joining) AS spend_before_joining, sum(spend_after_joining) AS spend_after_joining "
        f"FROM {facts} WHERE program_id = %s{{where}} "
        "GROUP BY joined_on, card_type_id, tier_id"
    )
    return recency, joining


def _as_key(value):
    """Dates come back from SQLite's grouped raw rows as text."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _summaries_of(program: Program, member_ids: list[int]) -> tuple[dict, dict]:
    """What ``member_ids``' member facts add to the two summaries now: (recency rows, joining rows), each
    key -> {column: value}."""
    where = f" AND member_id IN ({', '.join(['%s'] * len(member_ids))})"
    result = []
    with connection.cursor() as cursor:
        for select, keys, values in zip(
            _summary_selects(), (RECENCY_KEYS, JOINING_KEYS), (RECENCY_VALUES, JOINING_VALUES), strict=True
        ):
            cursor.execute(select.format(where=where), [program.pk, *member_ids])
            rows = {}
            for row in cursor.fetchall():
                key = tuple(_as_key(value) for value in row[: len(keys)])
                rows[key] = {
                    name: Decimal(str(value or 0)).quantize(Decimal("0.01")) if kind == "numeric" else value
                    for (name, kind), value in zip(values, row[len(keys) :], strict=True)
                }
            result.append(rows)
    return result[0], result[1]


def _summaries_add(program: Program, after: tuple[dict, dict], before: tuple[dict, dict]) -> None:
    """Add to the summaries what some members' facts add now (``after``) less what they added before (``before``),
    row by row (SQLite; PostgreSQL does it in two statements, ``_summaries_shift_postgresql``)."""
    for model, keys, values, new, old in (
        (MemberRecency, RECENCY_KEYS, RECENCY_VALUES, after[0], before[0]),
        (MemberJoining, JOINING_KEYS, JOINING_VALUES, after[1], before[1]),
    ):
        names = [name for name, _kind in values]
        changes = {}
        for key in new.keys() | old.keys():
            change = {name: new.get(key, {}).get(name, 0) - old.get(key, {}).get(name, 0) for name in names}
            if any(change.values()):
                changes[key] = change
        if not changes:
            continue
        key_names = [name for name, _kind in keys]
        for key, change in changes.items():
            where = dict(zip(key_names, key, strict=True))
            updated = model.objects.filter(program=program, **where).update(
                **{name: F(name) + value for name, value in change.items()}
            )
            if not updated:
                model.objects.create(program=program, **where, **change)
    _summaries_tidy(program)


def _summaries_tidy(program: Program) -> None:
    """Rows that count nobody any more are dropped."""
    MemberRecency.objects.filter(program=program, members=0).delete()
    MemberJoining.objects.filter(program=program, members=0).delete()


def _summaries_shift_postgresql(
    program: Program, member_ids: list[int], sign: int, *, joining: list[int] | None = None
) -> None:
    """Add (``sign`` 1) or take off (-1) what ``member_ids``' member facts count now to/from the summaries (the
    joining summary: ``joining``'s, when given, the members whose joining figures may have changed)."""
    for model, keys, values, select, members in zip(
        (MemberRecency, MemberJoining),
        (RECENCY_KEYS, JOINING_KEYS),
        (RECENCY_VALUES, JOINING_VALUES),
        _summary_selects(),
        (member_ids, member_ids if joining is None else joining),
        strict=True,
    ):
        if not members:
            continue
        columns = [f"g.{name}" for name, _kind in keys] + [f"{sign:d} * g.{name}" for name, _kind in values]
        source = f"SELECT {', '.join(columns)} FROM ({select.format(where=' AND member_id = ANY(%s)')}) g"  # noqa: S608
        _increments_add_select(model, program, keys, values, source, [program.pk, members])


def _summaries_rebuild(program: Program) -> None:
    """Replace ``program``'s summaries with its member facts grouped (two ``INSERT … SELECT … GROUP BY``)."""
    recency, joining = _summary_selects()
    with connection.cursor() as cursor:
        for model, keys, values, select in (
            (MemberRecency, RECENCY_KEYS, RECENCY_VALUES, recency),
            (MemberJoining, JOINING_KEYS, JOINING_VALUES, joining),
        ):
            model.objects.filter(program=program).delete()
            columns = ", ".join(name for name, _kind in (*keys, *values))
            cursor.execute(
                f"INSERT INTO {model._meta.db_table} (program_id, {columns}) "  # noqa: S608
                f"SELECT CAST(%s AS bigint), g.* FROM ({select.format(where='')}) g",
                [program.pk, program.pk],
            )


# --- Liability -----------------------------------------------------------------------------------------------


def liability_refresh(*, program: Program, force: bool = True) -> bool:
    """Replace ``program``'s liability snapshot from its open lots: points outstanding per card type and bucket, and
    the part that expires within 30 days. With ``force=False`` does nothing if the snapshot is younger than
    ``LIABILITY_REFRESH``. Returns whether it was refreshed."""
    now = clock.now()
    if not force:
        latest = LiabilitySnapshot.objects.filter(program=program).order_by("-computed_at").first()
        if latest is not None and now - latest.computed_at < LIABILITY_REFRESH:
            return False
    soon = now + EXPIRING_WITHIN
    rows = (
        Lot.objects.filter(program=program, unit=Unit.POINTS, remaining__gt=0)
        .values("card__card_type_id", "bucket")
        .annotate(
            outstanding=Sum("remaining"),
            expiring=Sum("remaining", filter=Q(expires_at__isnull=False, expires_at__lte=soon)),
        )
        .order_by()
    )
    snapshots = [
        LiabilitySnapshot(
            program=program,
            card_type_id=row["card__card_type_id"],
            bucket=row["bucket"],
            outstanding=row["outstanding"] or ZERO,
            expiring_30d=row["expiring"] or ZERO,
            computed_at=now,
        )
        for row in rows
    ]
    if not snapshots:  # an empty program still records when it was looked at
        card_type = CardType.objects.filter(program=program).order_by("pk").first()
        if card_type is not None:
            snapshots.append(
                LiabilitySnapshot(program=program, card_type=card_type, bucket=Bucket.CASHBACK, computed_at=now)
            )
    with transaction.atomic():
        LiabilitySnapshot.objects.filter(program=program).delete()
        LiabilitySnapshot.objects.bulk_create(snapshots)
        version_bump(program=program)
    return True


# --- Recompute -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecomputeResult:
    run: RecomputeRun
    resumed: bool
    days_done: int


def history_bounds(program: Program) -> tuple[date, date] | None:
    """The first and last of ``program``'s days that have anything to roll up (``None`` for an empty program)."""
    firsts = [
        Purchase.objects.filter(program=program).aggregate(m=Min("purchased_at"))["m"],
        LedgerEntry.objects.filter(program=program).aggregate(m=Min("created_at"))["m"],
        Member.objects.filter(program=program).aggregate(m=Min("joined_at"))["m"],
    ]
    firsts = [moment for moment in firsts if moment is not None]
    if not firsts:
        return None
    return local_day(program, min(firsts)), local_day(program, clock.now())


def rollups_recompute(
    *,
    program: Program,
    first: date,
    last: date,
    chunk_days: int = CHUNK_DAYS,
    progress=None,
    stop_after=None,
    members: bool = True,
) -> RecomputeResult:
    """Rebuild ``program``'s rollups for the days ``first``..``last``, then its member facts and liability.

    Resumable: the days are rebuilt ``chunk_days`` at a time, each chunk in its own transaction that also moves the
    run's ``next_day``; calling again for the same range after a crash goes on from there. Idempotent: a finished
    range rebuilt again writes the same rows. ``stop_after`` (chunks) is for tests and for spreading a long
    history over several runs. Raises ``ValueError`` for an empty range.
    """
    if last < first:
        raise ValueError("the last day is before the first")
    run = (
        RecomputeRun.objects.filter(program=program, first_day=first, last_day=last, finished_at=None)
        .order_by("-pk")
        .first()
    )
    resumed = run is not None
    if run is None:
        run = RecomputeRun.objects.create(
            program=program, first_day=first, last_day=last, next_day=first, started_at=clock.now()
        )
    days_done = 0
    chunks = 0
    while run.next_day <= last:
        if stop_after is not None and chunks >= stop_after:
            return RecomputeResult(run=run, resumed=resumed, days_done=days_done)
        chunk_last = min(last, run.next_day + timedelta(days=chunk_days - 1))
        with transaction.atomic():
            cursor_held()
            _memory_for_big_reads()
            days_rebuild(program=program, first=run.next_day, last=chunk_last)
            days_done += (chunk_last - run.next_day).days + 1
            run.next_day = chunk_last + timedelta(days=1)
            run.save(update_fields=["next_day"])
        chunks += 1
        if progress:
            progress(run)
    with transaction.atomic():
        if members:  # the nightly run leaves them to the consumer: every member's purchases is a long read
            members_rebuild(program=program)
        liability_refresh(program=program)
        run.finished_at = clock.now()
        run.save(update_fields=["finished_at"])
    logger.info("analytics: program %s rolled up %s..%s (%s days)", program.pk, first, last, days_done)
    return RecomputeResult(run=run, resumed=resumed, days_done=days_done)
