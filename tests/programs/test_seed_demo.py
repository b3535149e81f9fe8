"""``manage.py seed_demo``: a believable year of two businesses, built through the services, consistent, and
idempotent. A small world (64 members, 120 days, a fixed end day) keeps the run short and the content fixed."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.test import override_settings

from programs.choices import Bucket, CardKind, EntryKind, RewardStatus, RuleKind, StampBasis, Unit
from programs.models import (
    ApiKey,
    AuditEvent,
    Business,
    Card,
    CardType,
    EarningRule,
    LedgerEntry,
    Lot,
    LotAllocation,
    Member,
    Program,
    Purchase,
    PurchaseLine,
    Refund,
    StampReward,
    Store,
    Tier,
    TierChange,
)
from tenancy.services import BUSINESS_OWNERS_GROUP
from tests.programs.invariants import assert_ledger_consistent

KYIV = ZoneInfo("Europe/Kyiv")
END = "2026-11-01"
DAYS = 120
SMALL = ["--members=64", f"--days={DAYS}", f"--end={END}"]
START_AT = datetime.combine(datetime.fromisoformat(END).date() - timedelta(days=DAYS), time(0), tzinfo=KYIV)
END_AT = datetime.combine(datetime.fromisoformat(END).date(), time(0), tzinfo=KYIV)


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def seeded_world(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back afterwards; each test then runs in
    its own savepoint (the ``db`` fixture), so tests may write without seeing each other's changes."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        yield seed(*SMALL)
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_world, db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return seeded_world


def test_seed_builds_both_businesses_with_their_rules(seeded):
    kvitka = Program.objects.get(business__slug="kvitka")
    zerno = Program.objects.get(business__slug="zerno")
    assert (kvitka.business.name, kvitka.currency) == ("Kvitka Fashion", "UAH")
    assert (zerno.business.name, zerno.currency) == ("Zerno Coffee", "UAH")
    assert Store.objects.filter(program=kvitka).count() == 3
    assert Store.objects.filter(program=zerno).count() == 2

    tiers = list(Tier.objects.filter(program=kvitka).order_by("threshold"))
    assert [(tier.name, tier.threshold, tier.cashback_percent) for tier in tiers] == [
        ("Базовий", Decimal("0"), Decimal("3")),
        ("Срібний", Decimal("10000"), Decimal("5")),
        ("Золотий", Decimal("30000"), Decimal("7")),
    ]
    assert (kvitka.tier_window_days, kvitka.downgrade_policy, kvitka.downgrade_grace_days) == (365, "grace", 30)

    cashback = CardType.objects.get(program=kvitka)
    assert (cashback.kind, cashback.cashback_percent, cashback.points_expiry_days) == (CardKind.CASHBACK, 3, 365)
    redemption = cashback.redemption_rules.get()
    assert (redemption.point_value, redemption.max_share_percent, redemption.min_check) == (1, 30, 200)
    welcome = EarningRule.objects.get(program=kvitka, kind=RuleKind.REGISTRATION)
    assert (welcome.bucket, welcome.expiry_days) == (Bucket.PROMO, 30)
    # A Ukrainian business names its card and rules in Ukrainian (Zerno's owner writes English).
    assert (cashback.name, welcome.name) == ("Картка Kvitka Club", "Вітальний бонус")
    assert EarningRule.objects.filter(program=kvitka, kind=RuleKind.BIRTHDAY).exists()
    assert EarningRule.objects.filter(program=kvitka, kind=RuleKind.MULTIPLIER, categories="accessories").exists()
    happy = EarningRule.objects.get(program=kvitka, kind=RuleKind.MULTIPLIER, time_from__isnull=False)
    assert happy.weekdays == [0, 1, 2, 3, 4]

    stamps = CardType.objects.get(program=zerno, kind=CardKind.STAMPS)
    assert (stamps.stamp_goal, stamps.stamp_basis, stamps.stamp_categories) == (9, StampBasis.ITEM, "coffee")
    assert stamps.stamp_expiry_days == 180
    assert CardType.objects.get(program=zerno, kind=CardKind.DISCOUNT).discount_percent == 5


def test_seed_creates_the_logins_with_business_access(seeded):
    User = get_user_model()
    admin, kvitka, zerno = (User.objects.get(username=name) for name in ("admin", "kvitka", "zerno"))
    assert admin.is_superuser and admin.check_password("kartka-admin")
    assert kvitka.check_password("kvitka-demo") and not kvitka.is_superuser
    assert list(kvitka.businesses.values_list("slug", flat=True)) == ["kvitka"]
    assert list(zerno.businesses.values_list("slug", flat=True)) == ["zerno"]
    assert kvitka.groups.filter(name=BUSINESS_OWNERS_GROUP).exists()
    assert "http://localhost:8000/admin/" in seeded
    assert "kvitka / kvitka-demo" in seeded and "zerno / zerno-demo" in seeded


def test_seed_members_look_like_real_customers(seeded):
    members = Member.objects.all()
    assert members.count() == 64
    assert Member.objects.filter(program__business__slug="kvitka").count() == 40
    for member in members:
        assert str(member.phone).startswith("+380") and len(str(member.phone)) == 13
        assert any("А" <= char <= "я" or char in "ІіЇїЄєҐґ" for char in member.first_name)
    assert members.filter(birth_date__isnull=False).count() > 50
    assert members.filter(consent_sms=True).exists() and members.filter(consent_sms=False).exists()
    # Some people are customers of both businesses, with the same phone.
    shared = Member.objects.values("phone").annotate(programs=Count("program")).filter(programs=2)
    assert shared.exists()


def test_seed_history_has_purchases_refunds_expiries_rewards_and_tier_moves(seeded):
    kvitka = Program.objects.get(business__slug="kvitka")
    purchases = Purchase.objects.all()
    assert purchases.filter(program=kvitka).count() > 50
    assert purchases.exclude(program=kvitka).count() > 100
    line = PurchaseLine.objects.filter(purchase__program=kvitka).first()
    assert line.sku.startswith("KV-") and line.category and line.quantity >= 1 and line.amount > 0
    # Points paid for part of some checks, within the rule: at most 30 % of a check of at least 200.
    paid = purchases.filter(points_redeemed__gt=0)
    assert paid.exists()
    for purchase in paid:
        assert purchase.total >= 200 and purchase.redeemed_value <= purchase.total * Decimal("0.3")
    # Refunds: some whole purchases, some in part (by lines and by amount).
    full = purchases.filter(refunded_amount=F("total"), total__gt=0)
    partial = purchases.filter(refunded_amount__gt=0, refunded_amount__lt=F("total"))
    assert full.exists() and partial.exists()
    assert Refund.objects.filter(lines__isnull=False).exists()
    assert LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).exists()
    # Welcome bonuses (promo, 30 days) and stamps expired along the way.
    assert LedgerEntry.objects.filter(kind=EntryKind.EXPIRY, bucket=Bucket.PROMO).exists()
    assert LedgerEntry.objects.filter(kind=EntryKind.ACCRUAL, rule__kind=RuleKind.BIRTHDAY).exists()
    assert LedgerEntry.objects.filter(kind=EntryKind.ADJUSTMENT, actor__username="kvitka").exists()
    # Nine stamps became free coffees, and most of those were drunk.
    assert StampReward.objects.filter(status=RewardStatus.REDEEMED).exists()
    assert LedgerEntry.objects.filter(kind=EntryKind.REWARD_ISSUE, unit=Unit.STAMPS).exists()
    # Regular customers climbed tiers.
    assert Member.objects.filter(program=kvitka).exclude(tier__name="Базовий").exists()
    assert TierChange.objects.filter(program=kvitka, reason="upgrade").exists()


def test_seed_dates_history_honestly(seeded):
    """Everything happened inside the simulated year, at the moment the services were called."""
    for model, field in (
        (Member, "joined_at"),
        (Card, "issued_at"),
        (Purchase, "purchased_at"),
        (Purchase, "created_at"),
        (Refund, "created_at"),
        (LedgerEntry, "created_at"),
        (TierChange, "created_at"),
    ):
        rows = model.objects.all()
        assert not rows.filter(**{f"{field}__lt": START_AT}).exists(), (model, field)
        assert not rows.filter(**{f"{field}__gte": END_AT}).exists(), (model, field)
    for purchase in Purchase.objects.filter(refunds__isnull=False).prefetch_related("refunds"):
        assert all(refund.created_at > purchase.purchased_at for refund in purchase.refunds.all())
    # Cashback lots expire 365 days after their purchase.
    entry = LedgerEntry.objects.filter(
        kind=EntryKind.ACCRUAL, purchase__isnull=False, unit=Unit.POINTS, rule=None
    ).first()
    assert entry.expires_at == entry.purchase.purchased_at + timedelta(days=365)


def test_seed_keeps_every_ledger_invariant(seeded):
    assert not LedgerEntry.objects.filter(balance_after__lt=0).exists()
    assert not Card.objects.filter(Q(points_balance__lt=0) | Q(stamps_balance__lt=0)).exists()
    sums = {
        (row["card_id"], row["unit"]): row["total"]
        for row in LedgerEntry.objects.values("card_id", "unit").annotate(total=Sum("amount"))
    }
    for card in Card.objects.all():
        assert sums.get((card.pk, Unit.POINTS), 0) == card.points_balance, card
        assert sums.get((card.pk, Unit.STAMPS), 0) == card.stamps_balance, card
        assert_ledger_consistent(card)


def test_seed_is_idempotent(seeded):
    models = (
        get_user_model(),
        Business,
        Program,
        Store,
        CardType,
        Tier,
        EarningRule,
        Member,
        Card,
        Purchase,
        PurchaseLine,
        Refund,
        LedgerEntry,
        Lot,
        LotAllocation,
        StampReward,
        TierChange,
        AuditEvent,
        ApiKey,
    )
    before = {model.__name__: model.objects.count() for model in models}
    balances = list(Card.objects.order_by("pk").values_list("points_balance", "stamps_balance", "updated_at"))

    again = seed(*SMALL)

    assert "already there; nothing changed" in again
    assert {model.__name__: model.objects.count() for model in models} == before
    assert list(Card.objects.order_by("pk").values_list("points_balance", "stamps_balance", "updated_at")) == balances


def test_seed_second_run_is_cheap(seeded, django_assert_max_num_queries):
    # 25 for the engine's demo, 1 for each extension finding its rows in place (themes, pages, portal, analytics).
    with django_assert_max_num_queries(25 + 1 + 1 + 1 + 1):
        seed(*SMALL)


def test_seed_summary_prints_counts_and_logins(seeded, monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("DEMO_ZERNO_PASSWORD", "brew-more")
    summary = seed("--summary")
    assert "Admin: http://localhost:8123/admin/" in summary
    assert "zerno / brew-more" in summary
    assert "Cabinet: http://kvitka.localhost:8123/account/  (Kvitka Club; sign in with +380" in summary
    assert "Cabinet codes: the one-time code is printed in this terminal." in summary
    assert f"members 64 · cards {Card.objects.count()} · purchases {Purchase.objects.count():,}" in summary
    assert f"ledger entries {LedgerEntry.objects.count():,}" in summary
    assert "kk_kvitkademo_khreshchatyk-till-demo-only-key   Demo till, Khreshchatyk" in summary
    assert "curl -H 'Authorization: Bearer kk_kvitkademo_" in summary


def test_seed_creates_one_working_till_key_per_business(seeded, client):
    keys = {key.program.business.slug: key for key in ApiKey.objects.select_related("program__business", "store")}

    assert {slug: key.store.code for slug, key in keys.items()} == {"kvitka": "kyiv-khreshchatyk", "zerno": "podil"}
    card = Card.objects.filter(program=keys["kvitka"].program).first()
    headers = {"Authorization": "Bearer kk_kvitkademo_khreshchatyk-till-demo-only-key"}
    response = client.get("/api/v1/lookup/", {"card_number": card.number}, headers=headers)
    assert response.status_code == 200
    assert response.json()["member"]["id"] == card.member_id
