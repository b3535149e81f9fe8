"""Exports: a program's members with their cards and balances, and its ledger over a date range, as CSV or XLSX.

Both stream: rows come from the database through a server-side cursor (``iterator``) and go out as they come, so
a million ledger rows cost what a thousand do in memory. A CSV goes straight to the response; an XLSX is written
by openpyxl's write-only mode to a temporary file first (a zip needs its directory at the end), then sent.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from programs.choices import Bucket, CardStatus, EntryKind, Gender, Unit
from programs.models import Card, LedgerEntry, Program

ITERATOR_CHUNK = 5000


def _labels(choices) -> dict:
    return {value: str(label) for value, label in choices.choices}


def members_header() -> list[str]:
    return [
        _("External id"),
        _("Phone"),
        _("First name"),
        _("Last name"),
        _("E-mail"),
        _("Birthday"),
        _("Gender"),
        _("Tier"),
        _("Total spend"),
        _("Joined"),
        _("Card number"),
        _("Card type"),
        _("Card status"),
        _("Points"),
        _("Stamps"),
    ]


def members_rows(*, program: Program) -> Iterator[list]:
    """One row per card that is not replaced, with its member: the program's customer base as it stands."""
    zone = ZoneInfo(program.timezone)
    genders, statuses = _labels(Gender), _labels(CardStatus)
    cards = (
        Card.objects.filter(program=program)
        .exclude(status=CardStatus.REPLACED)
        .order_by("member_id", "pk")
        .values_list(
            "member__external_id",
            "member__phone",
            "member__first_name",
            "member__last_name",
            "member__email",
            "member__birth_date",
            "member__gender",
            "member__tier__name",
            "member__lifetime_spend",
            "member__joined_at",
            "number",
            "card_type__name",
            "status",
            "points_balance",
            "stamps_balance",
        )
    )
    for row in cards.iterator(chunk_size=ITERATOR_CHUNK):
        (external, phone, first, last, email, birthday, gender, tier, spend, joined, number, type_name, status) = row[
            :13
        ]
        yield [
            external,
            str(phone),
            first,
            last,
            email,
            birthday.isoformat() if birthday else "",
            genders.get(gender, "") if gender else "",
            tier or "",
            spend,
            joined.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            number,
            type_name,
            statuses.get(status, status),
            row[13],
            row[14],
        ]


def ledger_header() -> list[str]:
    return [
        _("Time"),
        _("Card number"),
        _("Kind"),
        _("Unit"),
        _("Bucket"),
        _("Amount"),
        _("Balance after"),
        _("Expires"),
        _("Reason"),
    ]


def day_bounds(program: Program, start: date, end: date) -> tuple[datetime, datetime]:
    """From the start of ``start`` to the end of ``end``, in the program's zone."""
    zone = ZoneInfo(program.timezone)
    return datetime.combine(start, time(0), tzinfo=zone), datetime.combine(
        end + timedelta(days=1), time(0), tzinfo=zone
    )


def ledger_rows(*, program: Program, start: date, end: date) -> Iterator[list]:
    """The program's ledger entries from ``start`` to ``end`` (days in the program's zone), oldest first."""
    zone = ZoneInfo(program.timezone)
    since, until = day_bounds(program, start, end)
    kinds, units, buckets = _labels(EntryKind), _labels(Unit), _labels(Bucket)
    entries = (
        LedgerEntry.objects.filter(program=program, created_at__gte=since, created_at__lt=until)
        .order_by("created_at", "pk")
        .values_list(
            "created_at", "card__number", "kind", "unit", "bucket", "amount", "balance_after", "expires_at", "reason"
        )
    )
    for at, number, kind, unit, bucket, amount, after, expires, reason in entries.iterator(chunk_size=ITERATOR_CHUNK):
        yield [
            at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            number,
            kinds.get(kind, kind),
            units.get(unit, unit),
            buckets.get(bucket, bucket),
            amount,
            after,
            expires.astimezone(zone).strftime("%Y-%m-%d %H:%M") if expires else "",
            reason,
        ]


class _Line:
    """A file-like that hands back what ``csv.writer`` writes, for streaming."""

    def write(self, value):
        return value


def csv_stream(header: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (so Excel reads Cyrillic right), comma-separated, one chunk per 500 rows."""
    writer = csv.writer(_Line())
    yield "\ufeff".encode() + writer.writerow(header).encode()
    buffer = []
    for row in rows:
        buffer.append(writer.writerow(row))
        if len(buffer) >= 500:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def xlsx_file(header: list[str], rows: Iterable[list], *, title: str):
    """An open temporary file holding the workbook (deleted when closed), positioned at its start."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (the response closes it)
    workbook.save(target)
    target.seek(0)
    return target
