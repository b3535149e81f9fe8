"""The demo's dashboard and its PDF report as an owner sees them: a phone and a desktop, in English and Ukrainian
(screenshots under var/screenshots/, the PDF's pages rendered with pdftoppm)."""

import subprocess
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from analytics.demo import analytics_demo_ensure
from programs import clock
from programs.demo import demo_programs
from programs.management.demo_seed import demo_seed
from tests.browser import DESKTOP, PHONE, SCREENSHOTS, admin_login, screenshots
from themes.demo import themes_demo_ensure

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TEXTS = {
    "en": ("Revenue", "Redemption rate", "Monthly cohort retention, %", "vs previous period", "₴"),
    "uk": ("Виручка", "Частка списання", "Утримання когорт по місяцях, %", "до попереднього періоду", "₴"),
}

ALL_STORES = {
    "en": "All stores: a member is not tied to one store.",
    "uk": "Усі магазини: учасник не прив’язаний до одного магазину.",
}


@pytest.fixture
def demo(transactional_db):
    demo_seed(members=90, days=200, seed=7, end=(clock.now() + timedelta(days=1)).date())
    themes_demo_ensure()
    analytics_demo_ensure()
    return demo_programs()


@pytest.mark.parametrize("language", ["en", "uk"])
def test_owner_reads_the_demo_dashboard(page, live_server, demo, language):
    owner = get_user_model().objects.get(username="kvitka")
    program = demo["kvitka"]
    admin_login(page, live_server, owner, language=language)
    first = (clock.now() - timedelta(days=180)).date()
    url = f"{live_server.url}{reverse('analytics_dashboards:program', args=[program.pk])}?first={first}"
    for label, viewport in (("phone", {**PHONE, "height": 5200}), ("desktop", {**DESKTOP, "height": 3000})):
        page.set_viewport_size(viewport)
        page.goto(url)
        page.wait_for_selector("#plot-sales .main-svg")
        screenshots(page, f"analytics-dashboard-{language}", sizes=[(label, viewport)])
    body = page.locator("main").inner_text()
    for text in TEXTS[language]:
        assert text in body, text
    # One store chosen: the member figures say they are every store's.
    store = program.stores.order_by("pk").first()
    phone = {**PHONE, "height": 5200}
    page.set_viewport_size(phone)
    page.goto(f"{url}&store={store.pk}")
    page.wait_for_selector("#plot-sales .main-svg")
    screenshots(page, f"analytics-dashboard-{language}-one-store", sizes=[("phone", phone)])
    assert ALL_STORES[language] in page.locator('[data-chart="activity"]').inner_text()
    assert ALL_STORES[language] not in page.locator('[data-chart="sales"]').inner_text()
    # Every chart with data was drawn by plotly.js (served locally), none left blank.
    drawn = page.locator(".analytics-plot .svg-container").count()
    assert drawn == page.locator(".analytics-plot").count() >= 10
    assert "Zerno" not in body

    # The home panel, and the PDF of last month.
    page.goto(f"{live_server.url}/admin/")
    assert program.name in page.locator("[data-analytics-home]").inner_text()
    month = (clock.now().date().replace(day=1) - timedelta(days=1)).replace(day=1)
    report = page.request.get(
        f"{live_server.url}{reverse('analytics_dashboards:report', args=[program.pk])}?month={month:%Y-%m}"
    )
    assert report.headers["content-type"] == "application/pdf"
    pdf = SCREENSHOTS / f"analytics-report-{language}.pdf"
    pdf.write_bytes(report.body())
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", str(pdf), str(SCREENSHOTS / f"analytics-report-{language}")], check=True
    )
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    assert program.name in text
    if language == "uk":
        assert "Щомісячний звіт" in text
