"""An owner brings a customer base in a real browser, in Ukrainian, on a phone and a desktop: the program's import
page, the upload, the dry run's report and the finished import."""

import pytest

from programs.models import Member
from tests.browser import DESKTOP, PHONE, admin_login, screenshots
from tests.bulk.support import csv_upload
from tests.programs.admin_support import build_tenant

# The live server answers from another thread, so the data must be committed; serialized_rollback restores what
# the data migrations wrote (groups, collections) after the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def shoot(page, name: str) -> None:
    """Each size loaded afresh, tall enough for the whole screen (the admin scrolls inside its main element)."""
    for label, viewport in (("phone", {**PHONE, "height": 1900}), ("desktop", {**DESKTOP, "height": 1200})):
        page.set_viewport_size(viewport)
        page.reload()
        screenshots(page, name, sizes=[(label, viewport)])


def main_text(page) -> str:
    return " ".join(page.locator("main").inner_text().replace("\xa0", " ").split())


def test_owner_uploads_checks_and_imports_a_base_in_ukrainian(page, live_server, tmp_path, settings):
    settings.KARTKA_BULK_DIR = tmp_path / "bulk"
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    rows = [
        {"phone": "+380671110001", "first_name": "Оксана", "cashback": "120,50", "card_number": "7700000000011"},
        {"phone": "067 111 00 02", "first_name": "Петро", "promo": "30", "promo_expires": "2099-12-31"},
        {"phone": "+380501112233", "first_name": "Olena", "email": "olena@example.com"},
        {"phone": "12345", "first_name": "Хтось"},
        {"phone": "+380671110005", "cashback": "-3", "tier": "Платина"},
    ]
    path = tmp_path / "klienty.csv"
    path.write_bytes(csv_upload(rows).read())

    admin_login(page, live_server, tenant.owner, language="uk")
    page.goto(f"{live_server.url}/admin/loyalty/import/{tenant.program.pk}/")
    assert "Імпорт учасників" in main_text(page)
    shoot(page, "bulk-import-program")

    page.set_input_files("[data-upload=import] input[type=file]", str(path))
    page.click("[data-upload=import] button[type=submit]")
    page.wait_for_selector("[data-checked]")
    text = main_text(page)
    assert "Нові учасники 2" in text and "Оновлені профілі 1" in text and "Відхилено 2" in text
    assert "Номер телефону недійсний" in text
    assert "Кешбек-баланс: від'ємне значення." in text and "У програмі немає рівня «Платина»." in text
    assert Member.objects.filter(program=tenant.program).count() == 1
    shoot(page, "bulk-import-dry-run")

    page.click("[data-start]")
    page.wait_for_selector("[data-status=done]")
    text = main_text(page)
    assert "5 із 5 рядків (100 %)" in text
    assert Member.objects.filter(program=tenant.program).count() == 3
    shoot(page, "bulk-import-done")
