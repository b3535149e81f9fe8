"""Building upload files the way owners make them: CSV from a spreadsheet, XLSX from Excel."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from bulk.choices import JobKind
from bulk.models import BulkJob
from bulk.services import bulk_job_commit, bulk_job_upload
from tenancy.actors import Actor

HEADER = [
    "phone",
    "card_number",
    "first_name",
    "last_name",
    "birthday",
    "gender",
    "email",
    "consent_sms",
    "tier",
    "lifetime_spend",
    "cashback",
    "promo",
    "promo_expires",
    "stamps",
    "external_id",
]


def csv_upload(rows, *, header=HEADER, name="base.csv", delimiter=",", encoding="utf-8") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(key, "") for key in header] if isinstance(row, dict) else row)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(rows, *, header, name="base.xlsx") -> SimpleUploadedFile:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def import_checked(program, owner, rows, **kwargs) -> BulkJob:
    """Upload and check (tasks run inline in tests): the job as the dry run left it."""
    job = bulk_job_upload(
        program=program, kind=JobKind.IMPORT, upload=csv_upload(rows, **kwargs), actor=Actor.staff(owner)
    )
    job.refresh_from_db()
    return job


def import_run(program, owner, rows, **kwargs) -> BulkJob:
    job = import_checked(program, owner, rows, **kwargs)
    bulk_job_commit(job=job, actor=Actor.staff(owner))
    job.refresh_from_db()
    return job


def reasons_by_row(job: BulkJob) -> dict[int, list[str]]:
    return dict(job.report)
