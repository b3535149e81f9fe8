"""A chart's numbers as a download: CSV (UTF-8 with a BOM, so spreadsheet programs read Cyrillic) or XLSX
(openpyxl, numbers as numbers and dates as dates)."""

import csv
import io
from datetime import date

from openpyxl import Workbook

from analytics.selectors import Table

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(column) for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_xlsx(table: Table) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.key[:31]
    sheet.append([str(column) for column in table.columns])
    for row in table.rows:
        sheet.append(list(row))  # Decimal and date cells are written as numbers and dates
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = max(12, min(40, len(str(column[0].value)) + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
