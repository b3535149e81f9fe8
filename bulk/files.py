"""Uploaded files: where they are kept while a job needs them, what is accepted, and how their rows are read.

Rows are streamed: a CSV through ``csv.reader`` over the file on disk, an XLSX through openpyxl's read-only
mode, so a million rows cost what one row costs in memory. A CSV may be UTF-8 (with or without a BOM, what
Excel writes as "CSV UTF-8") or Windows-1251 (what Excel writes as plain "CSV" on Russian and Ukrainian
systems), separated by commas, semicolons or tabs.
"""

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from bulk.columns import Column, header_keys

FORMATS = ("csv", "xlsx")
SNIFF_BYTES = 64 * 1024
XLSX_MAGIC = b"PK\x03\x04"


def bulk_dir() -> Path:
    path = Path(settings.KARTKA_BULK_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_validate(upload) -> str:
    """The format of an uploaded file (``csv`` or ``xlsx``) after checking its size, name and first bytes.

    Raises ``ValidationError`` (in the active language) for a file that is too big, empty or not what its name
    says.
    """
    limit = settings.KARTKA_BULK_MAX_UPLOAD_MB * 1024 * 1024
    if upload.size > limit:
        raise ValidationError(
            _("The file is too big: at most %(size)s MB.") % {"size": settings.KARTKA_BULK_MAX_UPLOAD_MB},
            code="too_big",
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    suffix = Path(upload.name or "").suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValidationError(_("Upload a .csv or .xlsx file."), code="type")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if suffix == "xlsx" and not head.startswith(XLSX_MAGIC):
        raise ValidationError(_("This is not an Excel (.xlsx) file."), code="type")
    if suffix == "csv" and (b"\x00" in head or head.startswith(XLSX_MAGIC)):
        raise ValidationError(_("This is not a text (.csv) file."), code="type")
    if suffix == "csv" and _encoding(head) is None:
        raise ValidationError(_("The file's text is neither UTF-8 nor Windows-1251."), code="encoding")
    return suffix


def upload_store(upload, *, file_format: str) -> str:
    """Copy the upload to the jobs' directory under a random name; returns that name."""
    name = f"{uuid.uuid4().hex}.{file_format}"
    with open(bulk_dir() / name, "wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    return name


def stored_path(name: str) -> Path:
    return bulk_dir() / name


def kept_path(name: str) -> Path:
    """Where the dry run keeps its parsed rows for the commit (``bulk.importing.KeptRows``)."""
    return bulk_dir() / f"{name}.rows"


def stored_delete(name: str) -> None:
    if name:
        stored_path(name).unlink(missing_ok=True)
        kept_path(name).unlink(missing_ok=True)
        kept_path(name).with_name(f"{name}.rows.partial").unlink(missing_ok=True)


def _encoding(head: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as error:
            # A multi-byte character cut by the sniffing window is not an error.
            if encoding.startswith("utf-8") and error.start >= len(head) - 3 and len(head) == SNIFF_BYTES:
                return encoding
            continue
        return encoding
    return None


class FileUnreadable(Exception):
    """The file cannot be read as a table (the message says why, in the active language)."""


def rows_read(path: Path, file_format: str, columns: tuple[Column, ...]) -> Iterator[tuple[int, dict]]:
    """``(row number as the spreadsheet shows it, {column key: value})`` for every non-empty data row.

    Values are ``str`` from a CSV; from an XLSX also numbers and dates as the cells hold them. Raises
    ``FileUnreadable`` when the file has no header naming at least one of ``columns``.
    """
    reader = _csv_rows(path) if file_format == "csv" else _xlsx_rows(path)
    try:
        header = next(reader, None)
        keys = header_keys(header or [], columns)
        if not any(keys):
            raise FileUnreadable(_("The first row must hold the column names of the template."))
        for number, row in enumerate(reader, start=2):
            values = {}
            for key, value in zip(keys, row, strict=False):
                if key is not None and value is not None and value != "":
                    values[key] = value.strip() if isinstance(value, str) else value
            if any(value != "" for value in values.values()):
                yield number, values
    finally:
        reader.close()


def _csv_rows(path: Path) -> Iterator[list]:
    with open(path, "rb") as raw:
        encoding = _encoding(raw.read(SNIFF_BYTES)) or "utf-8-sig"
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        first = text.readline()
        delimiter = max((";", ",", "\t"), key=first.count)
        yield from csv.reader([first], delimiter=delimiter)
        yield from csv.reader(text, delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[tuple]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # a zip that is not a workbook, a damaged file
        raise FileUnreadable(_("The Excel file cannot be read.")) from error
    try:
        sheet = workbook.active
        for row in sheet.iter_rows(values_only=True):
            yield tuple(_cell(value) for value in row)
    finally:
        workbook.close()


def _cell(value):
    """Numbers as the digits a person typed (phones and card numbers arrive as numbers from Excel)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(str(value)))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date) or value is None:
        return value
    return str(value)
