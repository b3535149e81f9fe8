"""The dashboards over HTTP: scoped to the owner's businesses (another business's program is a 404 for the page,
every download and the report), a permission, filter errors in the user's language, and downloads that hold the
numbers the page shows."""

import csv
import io
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from openpyxl import load_workbook
from wagtail.users.models import UserProfile

from analytics.rollups import local_day
from analytics.selectors import TABLE_KEYS
from programs import clock
from programs.factories import UserFactory
from programs.services.purchases import purchase_record
from tests.analytics.support import analytics_dispatch

pytestmark = pytest.mark.django_db

# What would give beta away on alpha's screens: its names and its amounts as any language writes them.
BETA_MARKERS = (
    "Beta Club",
    "Beta Main Street",
    "Beta Bonus",
    "Beta Silver",
    "7777.77",
    "7 777,77",
    "7,777.77",
    "7\xa0777,77",
)


def dashboard_url(tenant, **params):
    url = reverse("analytics_dashboards:program", args=[tenant.program.pk])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def all_urls(tenant) -> list[str]:
    pk = tenant.program.pk
    return [
        dashboard_url(tenant),
        reverse("analytics_dashboards:report", args=[pk]),
        *(reverse("analytics_dashboards:export", args=[pk, key, fmt]) for key in TABLE_KEYS for fmt in ("csv", "xlsx")),
    ]


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response["Content-Type"]
    if kind.startswith("application/pdf"):
        return pdf_text(content)
    if kind.startswith("application/vnd.openxmlformats"):
        sheet = load_workbook(io.BytesIO(content)).active
        return "\n".join(
            " ".join(str(cell) for cell in row if cell is not None) for row in sheet.iter_rows(values_only=True)
        )
    return content.decode("utf-8")


def test_owner_sees_own_numbers_and_never_another_business(client, alpha, beta):
    client.force_login(alpha.owner)
    for url in all_urls(alpha):
        response = client.get(url)
        assert response.status_code == 200, url
        text = body_text(response)
        for marker in BETA_MARKERS:
            assert marker not in text, (url, marker)
    page = client.get(dashboard_url(alpha)).content.decode()
    assert "Alpha Main Street" in page and "1,111.11" in page
    for url in all_urls(beta):
        assert client.get(url).status_code == 404, url


def test_the_home_panel_shows_only_own_programs(client, alpha, beta):
    client.force_login(alpha.owner)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "data-analytics-home" in page and "Alpha Club" in page
    for marker in BETA_MARKERS:
        assert marker not in page


def test_staff_without_the_permission_get_403(client, alpha):
    clerk = UserFactory(username="clerk")
    clerk.groups.add(Group.objects.get(name="Business owners"))
    alpha.business.staff.add(clerk)
    client.force_login(clerk)
    assert client.get(dashboard_url(alpha)).status_code == 200
    group = Group.objects.create(name="Admin only")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    clerk.groups.set([group])
    clerk = type(clerk).objects.get(pk=clerk.pk)
    client.force_login(clerk)
    for url in [reverse("analytics_dashboards:index"), *all_urls(alpha)]:
        response = client.get(url)
        # 403, or Wagtail's "no permission" redirect to the admin home; never the numbers.
        assert response.status_code in (302, 403), url
        assert response.status_code == 403 or response["Location"] == reverse("wagtailadmin_home")
    assert "Dashboards" not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_bad_filters_are_form_errors_in_the_users_language(client, alpha, beta):
    profile = UserProfile.get_for_user(alpha.owner)
    profile.preferred_language = "ru"
    profile.save()
    client.force_login(alpha.owner)
    today = clock.now().date()
    response = client.get(dashboard_url(alpha, first=today, last=today - timedelta(days=3)))
    assert response.status_code == 200
    assert "Конец периода раньше его начала." in response.content.decode()
    # Another program's store is not a choice here.
    response = client.get(dashboard_url(alpha, store=beta.store.pk))
    assert "Выберите корректный вариант" in response.content.decode()
    export = reverse("analytics_dashboards:export", args=[alpha.program.pk, "sales", "csv"])
    assert client.get(f"{export}?first=2026-13-01").status_code == 400


def test_csv_and_xlsx_hold_the_same_rows(client, alpha):
    client.force_login(alpha.owner)
    pk = alpha.program.pk
    today = local_day(alpha.program, clock.now())  # the program's day (Kyiv), not UTC's
    query = f"?first={today - timedelta(days=60)}&last={today}"
    csv_body = client.get(reverse("analytics_dashboards:export", args=[pk, "stores", "csv"]) + query).content
    rows = list(csv.reader(io.StringIO(csv_body.decode("utf-8-sig"))))
    assert rows[0] == ["Store", "Revenue", "Purchases", "Average check"]
    assert rows[1] == ["Alpha Main Street", "2222.22", "2", "1111.11"]
    xlsx = client.get(reverse("analytics_dashboards:export", args=[pk, "stores", "xlsx"]) + query).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == "Alpha Main Street" and float(values[1][1]) == pytest.approx(2222.22)


def test_the_pdf_report_says_the_months_figures(client, alpha):
    client.force_login(alpha.owner)
    month = local_day(alpha.program, clock.now()).replace(day=1)
    response = client.get(reverse("analytics_dashboards:report", args=[alpha.program.pk]) + f"?month={month:%Y-%m}")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Alpha Club" in text and "Monthly report" in text
    assert "₴1,111.11" in text and "Alpha Main Street" in text
    fonts = subprocess.run(["pdffonts", "-"], input=response.content, capture_output=True).stdout.decode()
    assert "DejaVu" in fonts


def test_a_month_in_the_future_is_refused(client, alpha):
    client.force_login(alpha.owner)
    later = (clock.now() + timedelta(days=70)).date()
    response = client.get(reverse("analytics_dashboards:report", args=[alpha.program.pk]) + f"?month={later:%Y-%m}")
    assert response.status_code == 302


def test_a_built_dashboard_is_reused_until_the_rollups_move(client, alpha):
    client.force_login(alpha.owner)
    url = dashboard_url(alpha)
    first = client.get(url).context["dashboard"]
    assert first.kpis.purchases == 1
    # The same rollups: the very figures built for the first request.
    again = client.get(url).context["dashboard"]
    assert again.kpis == first.kpis and again.tables["sales"].rows == first.tables["sales"].rows
    purchase_record(card=alpha.card, store=alpha.store, receipt_id="later", total=Decimal("10.00"))
    analytics_dispatch()
    # The consumer moved the rollups' version: the new purchase is on the page at once.
    now = client.get(url).context["dashboard"]
    assert now.kpis.purchases == 2
    assert now.kpis.revenue == first.kpis.revenue + Decimal("10.00")
    assert now.activity.active_30 == 1 and now.tables["rfm"].rows != first.tables["rfm"].rows


def test_a_chosen_store_says_which_figures_count_the_whole_program(client, alpha):
    client.force_login(alpha.owner)
    page = client.get(dashboard_url(alpha)).content.decode()
    assert "data-all-stores" not in page

    page = client.get(dashboard_url(alpha, store=alpha.store.pk)).content.decode()
    notes = page.count("data-all-stores")
    # Six key figures (new members, cards, active 30/90, repeat rate, liability) and seven charts.
    assert notes == 13
    assert "All stores: a member is not tied to one store." in page
    activity = page.split('data-chart="activity"')[1].split("</figure>")[0]
    assert "data-all-stores" in activity
    sales = page.split('data-chart="sales"')[1].split("</figure>")[0]
    assert "data-all-stores" not in sales
