"""What a pass shows, built from a real card: the cabinet's figures, the tier, the barcode, the theme, the texts in
three languages; and which changes make a pass due."""

from datetime import timedelta
from decimal import Decimal

import pytest

from pages.services import portal_site_create
from programs import clock
from programs.barcodes import card_payload
from programs.models import Card
from programs.services.cards import card_block
from programs.services.purchases import purchase_record
from tenancy.actors import Actor
from tests.programs.admin_support import build_tenant
from wallet.content import pass_content
from wallet.models import AppleDevice, AppleRegistration, WalletPass
from wallet.services import passes_refresh, wallet_pass_ensure

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def alpha(db):
    tenant = build_tenant("alpha", phone="+380501000001", first_name="Anna")
    portal_site_create(program=tenant.program, hostname="alpha.localhost", actor=Actor.system("test"), language="en")
    return tenant


def fields(content) -> dict:
    every = (
        content.header_fields
        + content.primary_fields
        + content.secondary_fields
        + content.auxiliary_fields
        + content.back_fields
    )
    return {field.key: field for field in every}


def test_a_cashback_pass_shows_the_cabinets_balance_tier_and_barcode(alpha):
    wallet_pass = wallet_pass_ensure(card=alpha.card)
    content = pass_content(wallet_pass)
    shown = fields(content)
    # 10 registration points + 40 goodwill cashback, 15 promo: the cabinet's figures.
    assert shown["balance"].value == D("65.00") and "%@" in shown["balance"].change_message
    assert shown["worth"].value == D("65.00") and shown["worth"].currency == "UAH"
    assert shown["promo"].value == D("15.00")
    assert shown["tier"].value == "Alpha Silver" and "%@" in shown["tier"].change_message
    assert shown["member"].value == "Anna"
    assert shown["number"].value == alpha.card.number
    assert content.barcode == card_payload(alpha.card.number)
    assert content.points == D("65.00") and content.secondary_points == D("15.00")
    assert content.serial == wallet_pass.serial and len(content.authentication_token) >= 16
    assert content.portal_url == "http://alpha.localhost/account/"
    assert shown["account"].link == content.portal_url
    assert content.background.startswith("#") and content.organization == "Alpha Ltd"
    assert not content.voided


def test_texts_come_in_russian_and_ukrainian_including_the_cabinets_own_lines(alpha):
    content = pass_content(wallet_pass_ensure(card=alpha.card))
    assert content.strings["uk"]["Your balance is now %@"] == "Ваш баланс тепер %@"
    assert content.strings["ru"]["Tier"] == "Уровень"
    expiring = fields(content)["expiring"].value
    assert "15 points" in expiring
    assert "15 балів" in content.strings["uk"][expiring]
    assert "15 баллов" in content.strings["ru"][expiring]


def test_the_content_hash_changes_with_the_balance_and_only_then(alpha):
    wallet_pass = wallet_pass_ensure(card=alpha.card)
    first = pass_content(wallet_pass).content_hash
    assert pass_content(wallet_pass).content_hash == first == wallet_pass.content_hash
    purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-1", total=D(200))
    wallet_pass.card.refresh_from_db()
    assert pass_content(wallet_pass).content_hash != first


def test_a_blocked_card_gives_a_voided_pass_that_says_why(alpha):
    wallet_pass = wallet_pass_ensure(card=alpha.card)
    card_block(card=alpha.card, reason="lost", actor=Actor.staff(alpha.owner))
    wallet_pass.card = Card.objects.get(pk=alpha.card.pk)
    content = pass_content(wallet_pass)
    assert content.voided
    assert "blocked" in fields(content)["status"].value


def test_one_pass_per_card_whoever_asks_first(alpha):
    first = wallet_pass_ensure(card=alpha.card)
    again = wallet_pass_ensure(card=alpha.card)
    assert first.pk == again.pk and WalletPass.objects.count() == 1


def test_refresh_marks_only_changed_passes_due_with_a_later_change_time(alpha):
    wallet_pass = wallet_pass_ensure(card=alpha.card)
    device = AppleDevice.objects.create(library_identifier="device-1", push_token="a" * 64)
    registration = AppleRegistration.objects.create(device=device, wallet_pass=wallet_pass)
    assert passes_refresh(card_ids={alpha.card.pk}) == []
    registration.refresh_from_db()
    assert registration.push_due_at is None

    purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-2", total=D(100))
    before = WalletPass.objects.get(pk=wallet_pass.pk).changed_at
    assert passes_refresh(card_ids={alpha.card.pk}) == [wallet_pass.pk]
    wallet_pass.refresh_from_db()
    registration.refresh_from_db()
    assert wallet_pass.changed_at > before
    assert registration.push_due_at is not None and registration.push_due_at <= clock.now()
    assert wallet_pass.content_hash == pass_content(wallet_pass).content_hash


def test_a_member_change_refreshes_the_members_passes_and_google_gets_a_notifying_update(alpha):
    wallet_pass = wallet_pass_ensure(card=alpha.card)
    WalletPass.objects.filter(pk=wallet_pass.pk).update(google_object_id="3388000000000000000.kartka-c1")
    member = alpha.member
    member.first_name = "Hanna"
    member.save()
    changed = passes_refresh(card_ids=set(), member_ids={member.pk}, notify_member_ids=set())
    assert changed == [wallet_pass.pk]
    wallet_pass.refresh_from_db()
    assert wallet_pass.google_due_at is not None and not wallet_pass.google_notify
    purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-3", total=D(100))
    passes_refresh(card_ids={alpha.card.pk}, notify_card_ids={alpha.card.pk})
    wallet_pass.refresh_from_db()
    assert wallet_pass.google_notify


def test_changes_in_the_same_instant_still_move_the_change_time_forward(alpha):
    wallet_pass = wallet_pass_ensure(card=alpha.card)
    at = clock.now()
    WalletPass.objects.filter(pk=wallet_pass.pk).update(changed_at=at + timedelta(seconds=5))
    purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-4", total=D(100))
    passes_refresh(card_ids={alpha.card.pk})
    wallet_pass.refresh_from_db()
    assert wallet_pass.changed_at > at + timedelta(seconds=5)
