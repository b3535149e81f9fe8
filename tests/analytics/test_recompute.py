"""The recompute job: resumable after a stop, idempotent, available as a command; the nightly job; the monthly
report e-mailed once to the owners, and nothing sent while reports by e-mail are off."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Sum
from wagtail.users.models import UserProfile

from analytics import rollups, tasks
from analytics.models import DailyFact, RecomputeRun, ReportDelivery
from programs import clock
from programs.services.purchases import purchase_record
from tests.analytics.support import facts_direct, facts_rolled_up
from tests.analytics.test_admin_dashboards import pdf_text

KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture
def history(program, store, cashback_type, make_card):
    start = datetime(2026, 1, 10, 12, tzinfo=KYIV)
    with clock.travel(start):
        card = make_card(cashback_type)
    for n in range(8):
        with clock.travel(start + timedelta(days=20 * n)):
            purchase_record(card=card, store=store, receipt_id=f"r{n}", total=Decimal("100.00") + n)
    return program


def test_a_stopped_recompute_resumes_where_it_stopped_and_ends_equal(history):
    program = history
    first, last = datetime(2026, 1, 1).date(), datetime(2026, 6, 30).date()
    partial = rollups.rollups_recompute(program=program, first=first, last=last, chunk_days=30, stop_after=2)
    run = partial.run
    assert run.finished_at is None and run.next_day == first + timedelta(days=60)
    # (Facts past next_day may exist already: each chunk first hands the consumer what it had not read yet.)

    resumed = rollups.rollups_recompute(program=program, first=first, last=last, chunk_days=30)
    assert resumed.resumed and resumed.run.pk == run.pk
    assert resumed.days_done == (last - run.next_day).days + 1  # only what was left
    assert resumed.run.finished_at is not None
    assert facts_rolled_up(program) == facts_direct(program)


def test_recompute_twice_writes_the_same_rows(history):
    program = history
    first, last = datetime(2026, 1, 1).date(), datetime(2026, 6, 30).date()
    rollups.rollups_recompute(program=program, first=first, last=last)
    before = sorted(DailyFact.objects.filter(program=program).values_list("day", "purchases", "revenue"))
    rollups.rollups_recompute(program=program, first=first, last=last)
    after = sorted(DailyFact.objects.filter(program=program).values_list("day", "purchases", "revenue"))
    assert before == after and len(after) >= 8
    assert RecomputeRun.objects.filter(program=program, finished_at__isnull=False).count() == 2


def test_the_command_rolls_up_a_programs_history(history, capsys):
    call_command("analytics_recompute", "--program", history.slug)
    assert "rolled up" in capsys.readouterr().out
    assert facts_rolled_up(history) == facts_direct(history)


def test_nightly_rebuilds_yesterday(history, store, cashback_type, make_card):
    now = datetime(2026, 9, 2, 3, tzinfo=KYIV)
    with clock.travel(now - timedelta(hours=8)):
        purchase_record(card=make_card(cashback_type), store=store, receipt_id="late", total=Decimal("55.00"))
    with clock.travel(now):
        assert tasks.rollups_nightly() == 1
    yesterday = DailyFact.objects.filter(program=history, day=now.date() - timedelta(days=1))
    assert yesterday.aggregate(revenue=Sum("revenue"), new=Sum("new_members")) == {
        "revenue": Decimal("55.00"),
        "new": 1,
    }


def test_the_monthly_report_is_mailed_once_to_the_owners(history, settings, django_user_model):
    owner = django_user_model.objects.create_user(username="olena", email="olena@example.com")
    history.business.staff.add(owner)
    with clock.travel(datetime(2026, 3, 1, 9, tzinfo=KYIV)):
        settings.KARTKA_ANALYTICS_REPORTS_EMAIL = False
        assert tasks.reports_monthly() == 0
        assert mail.outbox == []
        settings.KARTKA_ANALYTICS_REPORTS_EMAIL = True
        assert tasks.reports_monthly() == 1
        assert tasks.reports_monthly() == 0  # the next hour: already sent
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["olena@example.com"]
    name, content, kind = message.attachments[0]
    assert kind == "application/pdf" and name.endswith("2026-02.pdf") and content.startswith(b"%PDF")
    assert ReportDelivery.objects.get(program=history).month == datetime(2026, 2, 1).date()


def test_each_owner_gets_the_report_in_the_language_they_read_the_admin_in(history, settings, django_user_model):
    settings.KARTKA_ANALYTICS_REPORTS_EMAIL = True
    for username, language in (("olena", "uk"), ("ivan", "ru"), ("mark", "")):
        owner = django_user_model.objects.create_user(username=username, email=f"{username}@example.com")
        history.business.staff.add(owner)
        if language:
            profile = UserProfile.get_for_user(owner)
            profile.preferred_language = language
            profile.save()
    with clock.travel(datetime(2026, 3, 1, 9, tzinfo=KYIV)):
        assert tasks.reports_monthly() == 1
    by_recipient = {tuple(message.to): message for message in mail.outbox}
    assert set(by_recipient) == {("olena@example.com",), ("ivan@example.com",), ("mark@example.com",)}
    uk, ru, en = (by_recipient[(f"{name}@example.com",)] for name in ("olena", "ivan", "mark"))
    assert uk.subject == f"{history.name}: звіт за лютий 2026"
    assert ru.subject == f"{history.name}: отчёт за февраль 2026"
    assert en.subject == f"{history.name}: report for February 2026"
    assert "Ключові показники" in pdf_text(uk.attachments[0][1])
    assert "Key figures" in pdf_text(en.attachments[0][1])
    assert ReportDelivery.objects.get(program=history).recipients == 3
