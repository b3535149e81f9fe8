"""The Import and export screens over HTTP: permissions, another business's program or job (404), uploads refused
by size and type (in the owner's language), the dry run then the start, templates and exports."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from bulk.choices import JobStatus
from bulk.models import BulkJob
from programs import clock
from programs.factories import UserFactory
from programs.models import Member
from tenancy.choices import AuditAction
from tenancy.models import AuditEvent
from tests.bulk.support import csv_upload
from tests.programs.admin_support import page_text

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"bulk_admin:{name}", args=args)


@pytest.fixture
def owner_client(client, alpha):
    client.force_login(alpha.owner)
    return client


def test_the_program_page_offers_templates_uploads_and_export(owner_client, alpha):
    response = owner_client.get(url("program", alpha.program.pk))
    assert response.status_code == 200
    text = page_text(response)
    assert "Import members" in text and "Adjust balances in bulk" in text and "Export" in text
    index = owner_client.get(url("index"))
    assert alpha.program.name in page_text(index)


def test_another_business_is_a_404_whatever_the_method(owner_client, alpha, beta):
    program = beta.program
    job = BulkJob.objects.create(program=program, kind="import", file_name="b.csv", file_format="csv")
    assert owner_client.get(url("program", program.pk)).status_code == 404
    assert owner_client.get(url("template", program.pk, "import", "csv")).status_code == 404
    upload = csv_upload([{"phone": "+380671110001"}])
    assert owner_client.post(url("upload", program.pk, "import"), {"file": upload}).status_code == 404
    assert owner_client.get(url("export", program.pk), {"what": "members", "format": "csv"}).status_code == 404
    assert owner_client.get(url("job", job.pk)).status_code == 404
    assert owner_client.post(url("commit", job.pk)).status_code == 404
    assert not BulkJob.objects.filter(program=program).exclude(pk=job.pk).exists()
    assert index_names(owner_client) == [alpha.program.name]


def index_names(client):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(client.get(url("index")).content, "html.parser")
    return [a.get_text(strip=True) for a in soup.select("[data-programs] a")]


def test_staff_without_the_permissions_are_refused(client, alpha):
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="access_admin"))
    alpha.business.staff.add(clerk)  # on the business, but not in the Business owners group
    client.force_login(clerk)
    # 403, or Wagtail's "no permission" redirect to the dashboard.
    for path in (url("index"), url("program", alpha.program.pk), url("template", alpha.program.pk, "import", "csv")):
        assert client.get(path).status_code in (302, 403), path
    assert "Import and export" not in page_text(client.get(reverse("wagtailadmin_home")))
    # Export only: no import, no upload.
    clerk.user_permissions.add(Permission.objects.get(codename="export_members"))
    clerk = type(clerk).objects.get(pk=clerk.pk)
    client.force_login(clerk)
    upload = csv_upload([{"phone": "+380671110001"}])
    assert client.post(url("upload", alpha.program.pk, "import"), {"file": upload}).status_code in (302, 403)
    assert not BulkJob.objects.exists()
    assert client.get(url("export", alpha.program.pk), {"what": "members", "format": "csv"}).status_code == 200


def test_upload_then_dry_run_then_start(owner_client, alpha):
    upload = csv_upload([{"phone": "+380671110001", "cashback": "10"}, {"phone": "nope"}])
    response = owner_client.post(url("upload", alpha.program.pk, "import"), {"file": upload})
    job = BulkJob.objects.get(program=alpha.program)
    assert response.status_code == 302 and response["Location"] == url("job", job.pk)

    page = owner_client.get(url("job", job.pk))
    text = page_text(page)
    assert "New members 1" in text and "Rejected 1" in text
    assert "The phone number is not valid" in text
    assert "Import 1 row" in text
    assert not Member.objects.filter(phone="+380671110001").exists()

    owner_client.post(url("commit", job.pk))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert Member.objects.filter(phone="+380671110001").exists()
    done = page_text(owner_client.get(url("job", job.pk)))
    assert "2 of 2 rows (100 %)" in done


def test_a_running_job_page_refreshes_itself_without_script(owner_client, alpha):
    job = BulkJob.objects.create(
        program=alpha.program,
        kind="import",
        file_name="a.csv",
        file_format="csv",
        status=JobStatus.RUNNING,
        rows_total=10,
        rows_done=4,
        started_at=clock.now(),
    )
    body = owner_client.get(url("job", job.pk)).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in body
    assert 'value="40"' in body


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("base.pdf", b"%PDF-1.4", "Загрузите файл .csv или .xlsx."),
        ("base.xlsx", b"phone\n+380671110001\n", "Это не файл Excel (.xlsx)."),
        ("base.csv", b"PK\x03\x04zip", "Это не текстовый файл (.csv)."),
        ("base.csv", b"", "Отправленный файл пуст."),
    ],
)
def test_uploads_of_the_wrong_type_are_refused_in_the_owners_language(owner_client, alpha, name, content, message):
    upload = SimpleUploadedFile(name, content)
    response = owner_client.post(
        url("upload", alpha.program.pk, "import"),
        {"file": upload},
        headers={"accept-language": "ru"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BulkJob.objects.exists()


def test_uploads_over_the_limit_are_refused(owner_client, alpha, settings):
    settings.KARTKA_BULK_MAX_UPLOAD_MB = 1
    upload = SimpleUploadedFile("big.csv", b"phone\n" + b"+380671110001\n" * 80_000)
    response = owner_client.post(url("upload", alpha.program.pk, "import"), {"file": upload})
    assert response.status_code == 400
    assert "The file is too big: at most 1 MB." in response.content.decode()


def test_the_template_comes_in_the_owners_language_and_reads_back(owner_client, alpha):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(alpha.owner)
    profile.preferred_language = "uk"
    profile.save()
    response = owner_client.get(url("template", alpha.program.pk, "import", "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Телефон", "Номер картки", "Ім’я"]
    # The template itself, uploaded as it is, is a file of one new member.
    upload = SimpleUploadedFile("template.xlsx", response.content)
    owner_client.post(url("upload", alpha.program.pk, "import"), {"file": upload})
    job = BulkJob.objects.get()
    assert job.checked == {"create": 1}, job.report
    csv_template = owner_client.get(url("template", alpha.program.pk, "adjust", "csv")).content.decode("utf-8-sig")
    assert csv_template.splitlines()[0].startswith('Номер картки,Телефон,"Бали (+ нарахувати')


def test_export_members_streams_only_the_program_and_is_audited(owner_client, alpha, beta):
    response = owner_client.get(url("export", alpha.program.pk), {"what": "members", "format": "csv"})
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["External id", "Phone"]
    phones = [row[1] for row in rows[1:]]
    assert phones == ["+380501000001"]
    assert rows[1][10] == alpha.card.number and Decimal(rows[1][13]) == alpha.card.points_balance
    assert beta.card.number not in str(rows)
    audit = AuditEvent.objects.get(action=AuditAction.BULK_EXPORT)
    assert audit.actor == alpha.owner and audit.program == alpha.program


def test_export_the_ledger_of_a_date_range_as_excel(owner_client, alpha):
    # Days are the program's (Kyiv): near midnight UTC it is already tomorrow there.
    today = clock.now().astimezone(ZoneInfo(alpha.program.timezone)).date()
    response = owner_client.get(
        url("export", alpha.program.pk),
        {
            "what": "ledger",
            "format": "xlsx",
            "start": (today - timedelta(days=1)).isoformat(),
            "end": today.isoformat(),
        },
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Time", "Card number", "Kind")
    amounts = sorted(Decimal(str(row[5])) for row in rows[1:])
    assert amounts == sorted(alpha.card.entries.values_list("amount", flat=True))
    older = owner_client.get(
        url("export", alpha.program.pk),
        {"what": "ledger", "format": "csv", "start": "2020-01-01", "end": "2020-01-31"},
    )
    assert len(b"".join(older.streaming_content).decode("utf-8-sig").splitlines()) == 1


def test_a_ledger_export_needs_its_dates(owner_client, alpha):
    response = owner_client.get(url("export", alpha.program.pk), {"what": "ledger", "format": "csv"})
    assert response.status_code == 400
    assert "Give the first and the last day of the ledger to export." in response.content.decode()
