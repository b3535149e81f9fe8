"""A ``PassContent`` for tests of the wallet builders that need no database (the real one comes from
``wallet.content.pass_content``; tests of that build it from a card)."""

import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from PIL import Image

from wallet.content import PassContent, PassField, PassImages


def png(size: tuple[int, int], colour: str = "#c2185b") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def sample_content(**overrides) -> PassContent:
    content = PassContent(
        card_id=1,
        program_id=1,
        serial="8d5c3f0e-1f3b-4c1e-9a57-0c1d2e3f4a5b",
        authentication_token="Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5",
        organization="Kvitka",
        program_name="Kvitka Club",
        description="Loyalty card",
        card_number="2000000000017",
        barcode="2000000000017",
        member_name="Olena Koval",
        kind="cashback",
        card_type_name="Kvitka Cashback",
        points=Decimal("120.50"),
        points_label="Points",
        secondary_points=Decimal("20.00"),
        secondary_points_label="Promo points",
        tier_name="Silver",
        header_fields=(PassField("tier", "Tier", "Silver", change_message="Your tier is now %@"),),
        primary_fields=(
            PassField("balance", "Balance", Decimal("140.50"), change_message="Your balance is now %@", currency="UAH"),
        ),
        secondary_fields=(
            PassField("cashback", "Cashback", Decimal("120.50")),
            PassField("promo", "Promo points", Decimal("20.00")),
        ),
        auxiliary_fields=(PassField("member", "Member", "Olena Koval"),),
        back_fields=(
            PassField("number", "Card number", "2000000000017"),
            PassField(
                "portal", "Your account", "https://kvitka.example/account/", link="https://kvitka.example/account/"
            ),
        ),
        background="#fff7f3",
        foreground="#3b1f2b",
        label_colour="#8a4b63",
        images=PassImages(logo=png((480, 150)), icon=png((300, 300)), strip=png((1125, 369), "#f8bbd0")),
        images_version="t1.r1",
        strings={
            "ru": {
                "Loyalty card": "Карта лояльности",
                "Tier": "Уровень",
                "Your tier is now %@": "Ваш уровень теперь %@",
                "Balance": "Баланс",
                "Your balance is now %@": "Ваш баланс теперь %@",
                "Cashback": "Кешбэк",
                "Promo points": "Промобаллы",
                "Member": "Участник",
                "Card number": "Номер карты",
                "Your account": "Личный кабинет",
                "Points": "Баллы",
            },
            "uk": {
                "Loyalty card": "Картка лояльності",
                "Tier": "Рівень",
                "Your tier is now %@": "Ваш рівень тепер %@",
                "Balance": "Баланс",
                "Your balance is now %@": "Ваш баланс тепер %@",
                "Cashback": "Кешбек",
                "Promo points": "Промобали",
                "Member": "Учасник",
                "Card number": "Номер картки",
                "Your account": "Особистий кабінет",
                "Points": "Бали",
            },
        },
        portal_url="https://kvitka.example/account/",
        updated_at=datetime(2026, 12, 6, 12, 0, tzinfo=UTC),
    )
    return replace(content, **overrides)
