"""The demo world: two businesses and a year of history, built only through the engine's services.

Configuration rows (businesses, programs, stores, card types, tiers, rules) come from the factories; every
member, card, receipt, refund, bonus, expiry and tier move goes through ``programs.services`` with the engine's
clock travelled to the moment it happens, so the ledger reads as if the programs had really run for a year.
The simulation is a day-by-day event queue driven by one seeded ``random.Random``: the same seed and end day
give the same world (card numbers aside, which the engine draws itself).
"""

import heapq
import itertools
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from programs import clock
from programs.choices import (
    Bucket,
    CardKind,
    DowngradePolicy,
    EntryKind,
    RewardStatus,
    Rounding,
    RuleKind,
    StampBasis,
    TierBasis,
    Unit,
)
from programs.demo import DEMO_BUSINESS_SLUGS
from programs.factories import (
    BusinessFactory,
    CardTypeFactory,
    EarningRuleFactory,
    ProgramFactory,
    RedemptionRuleFactory,
    StoreFactory,
    TierFactory,
    UserFactory,
)
from programs.management import demo_data as data
from programs.models import (
    ApiKey,
    Business,
    Card,
    CardType,
    LedgerEntry,
    Member,
    Program,
    Purchase,
    Refund,
    StampReward,
    Store,
    Tier,
    TierChange,
)
from programs.pricing import Line
from programs.selectors import card_balances
from programs.services.api_keys import api_key_create
from programs.services.bonuses import birthday_bonuses_grant
from programs.services.cards import card_adjust
from programs.services.expiry import lots_expire
from programs.services.members import member_create, member_update
from programs.services.purchases import RefundLineRequest, purchase_quote, purchase_record, purchase_refund
from programs.services.tiers import tiers_review
from tenancy.actors import Actor
from tenancy.services import business_staff_add

KYIV = ZoneInfo("Europe/Kyiv")
ZERO = Decimal("0")
ONE = Decimal("1")

# Chances per receipt / per day that drive the after-sales life of the programs.
KVITKA_REFUND_RATE = 0.07
ZERNO_REFUND_RATE = 0.01
LATE_EMAIL_RATE = 0.3
REFUND_KINDS = ("full", "lines", "amount", "lines", "full")


# --- Logins ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    first_name: str = ""
    last_name: str = ""


def demo_logins() -> list[Login]:
    """The demo's accounts; passwords come from the environment, with fixed demo defaults."""
    env = os.environ.get
    return [
        Login("admin", env("DEMO_ADMIN_PASSWORD") or "kartka-admin", "superuser, sees every business"),
        Login("kvitka", env("DEMO_KVITKA_PASSWORD") or "kvitka-demo", "owner of Kvitka Fashion", "Оксана", "Мельник"),
        Login("zerno", env("DEMO_ZERNO_PASSWORD") or "zerno-demo", "owner of Zerno Coffee", "Тарас", "Бойко"),
    ]


def _user_ensure(login: Login):
    """Create a demo account once; an existing account (and its password) is left alone."""
    User = get_user_model()
    user = User.objects.filter(username=login.username).first()
    if user is not None:
        return user
    email = f"{login.username}@example.com"
    if login.username == "admin":
        return User.objects.create_superuser(username=login.username, email=email, password=login.password)
    return UserFactory(
        username=login.username,
        email=email,
        first_name=login.first_name,
        last_name=login.last_name,
        password=login.password,
    )


# --- API keys ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoApiKey:
    business: str
    store_code: str
    name: str
    plaintext: str

    @property
    def prefix(self) -> str:
        return self.plaintext.split("_")[1]


def demo_api_keys() -> list[DemoApiKey]:
    """One till key per demo business. Fixed and public, so the README's curl examples work: demo only (set
    DEMO_KVITKA_API_KEY / DEMO_ZERNO_API_KEY, in the ``kk_<prefix>_<secret>`` form, to use others)."""
    env = os.environ.get
    return [
        DemoApiKey(
            "kvitka",
            "kyiv-khreshchatyk",
            "Demo till, Khreshchatyk",
            env("DEMO_KVITKA_API_KEY") or "kk_kvitkademo_khreshchatyk-till-demo-only-key",
        ),
        DemoApiKey(
            "zerno", "podil", "Demo till, Podil", env("DEMO_ZERNO_API_KEY") or "kk_zernodemo_podil-till-demo-only-key"
        ),
    ]


def demo_api_keys_ensure() -> int:
    """Create the demo's till keys that are missing (also for a demo seeded before the API existed).

    Returns how many were created; a second run reads two rows and writes nothing.
    """
    created = 0
    existing = set(
        ApiKey.objects.filter(prefix__in=[key.prefix for key in demo_api_keys()]).values_list("prefix", flat=True)
    )
    for key in demo_api_keys():
        if key.prefix in existing:
            continue
        store = (
            Store.objects.filter(program__business__slug=key.business, code=key.store_code)
            .select_related("program__business")
            .first()
        )
        if store is None:
            continue
        owner = store.program.business.staff.order_by("pk").first()
        api_key_create(
            program=store.program, store=store, name=key.name, actor=Actor.staff(owner), plaintext=key.plaintext
        )
        created += 1
    return created


# --- The businesses --------------------------------------------------------------------------------------------


@dataclass
class Shop:
    """One business's program as the simulation sees it."""

    key: str
    program: Program
    owner: object
    stores: list[Store]
    store_weights: list[int]
    card_types: dict[str, CardType]
    customers: list["Customer"] = field(default_factory=list)


def _stores(program: Program, infos: list[data.StoreInfo]) -> list[Store]:
    return [StoreFactory(program=program, code=info.code, name=info.name, address=info.address) for info in infos]


def _kvitka_build(*, launch: datetime, owner) -> Shop:
    business = BusinessFactory(name="Kvitka Fashion", slug="kvitka", created_at=launch)
    business_staff_add(business=business, user=owner)
    program = ProgramFactory(
        business=business,
        name="Kvitka Club",
        slug="kvitka-club",
        # A Ukrainian business: what its owner and customers read is in Ukrainian (Zerno's is in English).
        description="Клуб покупців магазинів одягу Kvitka: бали з кожної покупки, подарунки до дня народження, "
        "Срібний і Золотий рівні для постійних клієнтів.",
        currency="UAH",
        timezone="Europe/Kyiv",
        tier_basis=TierBasis.SPEND,
        tier_window_days=365,
        downgrade_policy=DowngradePolicy.GRACE,
        downgrade_grace_days=30,
        created_at=launch,
    )
    card = CardTypeFactory(
        program=program,
        kind=CardKind.CASHBACK,
        name="Картка Kvitka Club",
        description="3 % балами з кожної покупки (5 % на Срібному рівні, 7 % на Золотому). 1 бал = 1 ₴; балами можна "
        "оплатити до 30 % чека від 200 ₴, вони діють 12 місяців.",
        cashback_percent=Decimal("3"),
        rounding=Rounding.DOWN,
        points_expiry_days=365,
        created_at=launch,
    )
    RedemptionRuleFactory(card_type=card, point_value=ONE, max_share_percent=Decimal("30"), min_check=Decimal("200"))
    tiers = [
        ("Базовий", "0", "3", "1", "#9e9e9e", "circle", "3 % балами з кожної покупки."),
        ("Срібний", "10000", "5", "1.1", "#b0b7c3", "star", "5 % балами, ×1,1 бала, ранній доступ до розпродажів."),
        ("Золотий", "30000", "7", "1.2", "#c9a227", "crown", "7 % балами, ×1,2 бала, безкоштовна підгонка одягу."),
    ]
    for name, threshold, cashback, multiplier, color, icon, text in tiers:
        TierFactory(
            program=program,
            name=name,
            threshold=Decimal(threshold),
            cashback_percent=Decimal(cashback),
            multiplier=Decimal(multiplier),
            color=color,
            icon=icon,
            description=text,
        )
    rules = [
        {
            "name": "Вітальний бонус",
            "kind": RuleKind.REGISTRATION,
            "bonus_points": Decimal("100"),
            "bucket": Bucket.PROMO,
            "expiry_days": 30,
        },
        {
            "name": "Подарунок до дня народження",
            "kind": RuleKind.BIRTHDAY,
            "bonus_points": Decimal("200"),
            "bucket": Bucket.PROMO,
            "expiry_days": 14,
        },
        {
            "name": "Заповнений профіль",
            "kind": RuleKind.PROFILE_COMPLETED,
            "bonus_points": Decimal("50"),
            "expiry_days": 365,
        },
        {
            "name": "Подвійні бали за аксесуари",
            "kind": RuleKind.MULTIPLIER,
            "multiplier": Decimal("2"),
            "categories": "accessories",
            "expiry_days": 365,
        },
        {
            "name": "Щасливі години ×1,5 (будні, 10:00–12:00)",
            "kind": RuleKind.MULTIPLIER,
            "multiplier": Decimal("1.5"),
            "weekdays": [0, 1, 2, 3, 4],
            "time_from": time(10, 0),
            "time_until": time(12, 0),
            "expiry_days": 365,
        },
    ]
    for rule in rules:
        EarningRuleFactory(program=program, created_at=launch, **rule)
    stores = _stores(program, data.KVITKA_STORES)
    return Shop(
        key="kvitka",
        program=program,
        owner=owner,
        stores=stores,
        store_weights=[info.weight for info in data.KVITKA_STORES],
        card_types={"cashback": card},
    )


def _zerno_build(*, launch: datetime, owner) -> Shop:
    business = BusinessFactory(name="Zerno Coffee", slug="zerno", created_at=launch)
    business_staff_add(business=business, user=owner)
    program = ProgramFactory(
        business=business,
        name="Zerno Friends",
        slug="zerno-friends",
        description="Every tenth coffee is on us; neighbours from the offices around get 5 % off.",
        currency="UAH",
        timezone="Europe/Kyiv",
        created_at=launch,
    )
    stamps = CardTypeFactory(
        program=program,
        kind=CardKind.STAMPS,
        name="Zerno 9+1",
        description="A stamp for every coffee; nine stamps and the tenth coffee is free. Stamps keep for 180 days.",
        cashback_percent=ZERO,
        stamp_goal=9,
        stamp_basis=StampBasis.ITEM,
        stamp_categories="coffee",
        stamp_expiry_days=180,
        reward_description="A free coffee of your choice",
        created_at=launch,
    )
    discount = CardTypeFactory(
        program=program,
        kind=CardKind.DISCOUNT,
        name="Neighbour card",
        description="5 % off everything for the people who work around the corner.",
        cashback_percent=ZERO,
        discount_percent=Decimal("5"),
        created_at=launch,
    )
    stores = _stores(program, data.ZERNO_STORES)
    return Shop(
        key="zerno",
        program=program,
        owner=owner,
        stores=stores,
        store_weights=[info.weight for info in data.ZERNO_STORES],
        card_types={"stamps": stamps, "discount": discount},
    )


# --- People ----------------------------------------------------------------------------------------------------


@dataclass
class Person:
    first_name: str
    last_name: str
    gender: str
    phone: str
    email: str
    birth_date: date | None
    consent_email: bool
    consent_sms: bool
    consent_push: bool

    def profile(self) -> dict:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "gender": self.gender,
            "email": self.email,
            "birth_date": self.birth_date,
            "consent_email": self.consent_email,
            "consent_sms": self.consent_sms,
            "consent_push": self.consent_push,
        }

    def email_address(self, rng: random.Random) -> str:
        suffix = str(rng.randrange(10, 99)) if rng.random() < 0.5 else ""
        return f"{data.latin(self.first_name)}.{data.latin(self.last_name)}{suffix}@example.com"


def _people(rng: random.Random, count: int) -> list[Person]:
    people, phones = [], set()
    for _ in range(count):
        female = rng.random() < 0.6
        if rng.random() < 0.25:
            first = rng.choice(data.RU_FEMALE if female else data.RU_MALE)
            masculine, feminine = rng.choice(data.RU_SURNAMES)
            last = feminine if female else masculine
        else:
            first = rng.choice(data.UK_FEMALE if female else data.UK_MALE)
            last = rng.choice(data.UK_SURNAMES)
        phone = ""
        while not phone or phone in phones:
            phone = f"+380{rng.choice(data.MOBILE_CODES)}{rng.randrange(10**7):07d}"
        phones.add(phone)
        birth = date(1962, 1, 1) + timedelta(days=rng.randrange(16_000)) if rng.random() < 0.9 else None
        person = Person(
            first_name=first,
            last_name=last,
            gender="" if rng.random() < 0.05 else ("f" if female else "m"),
            phone=phone,
            email="",
            birth_date=birth,
            consent_email=False,
            consent_sms=rng.random() < 0.7,
            consent_push=rng.random() < 0.3,
        )
        if rng.random() < 0.6:
            person.email = person.email_address(rng)
            person.consent_email = rng.random() < 0.5
        people.append(person)
    return people


@dataclass
class Customer:
    person: Person
    segment: data.Segment
    join_offset: int
    home_store: int
    neighbour: bool = False  # Zerno: also holds the 5 % discount card
    member: Member | None = None
    cards: dict[str, Card] = field(default_factory=dict)


def _segments(rng: random.Random, segments: list[data.Segment]) -> list[data.Segment]:
    pattern = [segment for segment in segments for _ in range(segment.share)]
    rng.shuffle(pattern)
    return pattern


def _customers(rng: random.Random, shop: Shop, people: list[Person], segments, days: int) -> list[Customer]:
    pattern = _segments(rng, segments)
    customers = []
    for index, person in enumerate(people):
        launch_weeks = rng.random() < 0.35
        join = rng.randrange(max(1, days // 10 if launch_weeks else days - 1))
        home = rng.choices(range(len(shop.stores)), weights=shop.store_weights)[0]
        customers.append(
            Customer(
                person=person,
                segment=pattern[index % len(pattern)],
                join_offset=join,
                home_store=home,
                neighbour=shop.key == "zerno" and rng.random() < 0.25,
            )
        )
    return customers


# --- The simulation --------------------------------------------------------------------------------------------


def black_friday(year: int) -> date:
    first = date(year, 11, 1)
    first_friday = first + timedelta(days=(4 - first.weekday()) % 7)
    return first_friday + timedelta(weeks=3)


@dataclass
class SeedStats:
    purchases: int = 0
    refunds: int = 0
    redemptions: int = 0
    rewards_redeemed: int = 0
    adjustments: int = 0


class Simulation:
    """Walks the timeline day by day; every event runs inside ``clock.travel`` at its own moment."""

    def __init__(self, *, rng: random.Random, start: date, days: int, shops: list[Shop], progress=None):
        self.rng = rng
        self.start = start
        self.days = days
        self.shops = {shop.key: shop for shop in shops}
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.sequence = itertools.count()
        self.receipts = itertools.count(1)
        self.refund_kinds = itertools.cycle(REFUND_KINDS)
        self.stats = SeedStats()
        self.progress = progress

    # The queue.

    def push(self, at: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self.queue, (at, next(self.sequence), action))

    def run(self) -> SeedStats:
        for offset in range(self.days):
            day = self.start + timedelta(days=offset)
            self.plan_day(offset, day)
            day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=KYIV)
            while self.queue and self.queue[0][0] < day_end:
                at, _, action = heapq.heappop(self.queue)
                with clock.travel(at):
                    action()
            last_of_month = (day + timedelta(days=1)).day == 1 or offset == self.days - 1
            if self.progress and last_of_month:
                self.progress(f"  {day:%Y-%m}: {self.stats.purchases:,} purchases so far")
        self.queue.clear()  # refunds and profile updates planned past the end never happen
        return self.stats

    @staticmethod
    def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
        """A wall-clock moment in Kyiv, in UTC like the real clock (so "365 days later" means the same)."""
        return datetime.combine(day, time(hour, minute, second), tzinfo=KYIV).astimezone(UTC)

    def moment(self, day: date, hours: dict[int, int]) -> datetime:
        hour = self.rng.choices(list(hours), weights=list(hours.values()))[0]
        return self.local(day, hour, self.rng.randrange(60), self.rng.randrange(60))

    def plan_day(self, offset: int, day: date) -> None:
        self.push(self.local(day, 0, 5), self.expire)
        self.push(self.local(day, 9, 0), self.birthdays)
        kvitka, zerno = self.shops["kvitka"], self.shops["zerno"]
        rush = self.kvitka_rush(day)
        for customer in kvitka.customers:
            rate = customer.segment.visits_per_day * data.KVITKA_WEEKDAYS[day.weekday()] * rush
            self.plan_customer(kvitka, customer, offset, day, rate, data.KVITKA_HOURS)
        for customer in zerno.customers:
            rate = customer.segment.visits_per_day * data.ZERNO_WEEKDAYS[day.weekday()]
            self.plan_customer(zerno, customer, offset, day, rate, data.ZERNO_HOURS)
        if self.rng.random() < 0.06:
            self.push(self.moment(day, data.KVITKA_HOURS), self.kvitka_goodwill)
        if self.rng.random() < 0.015:
            self.push(self.moment(day, data.KVITKA_HOURS), self.kvitka_correction)
        if self.rng.random() < 0.04:
            self.push(self.moment(day, data.ZERNO_HOURS), self.zerno_gift)
        if day.weekday() == 6:  # weekly here (the real schedule is daily): a downgrade may land a few days late
            self.push(self.local(day, 23, 55), self.review)

    def kvitka_rush(self, day: date) -> float:
        friday = black_friday(day.year)
        if friday <= day <= friday + timedelta(days=3):
            return 2.5
        return data.KVITKA_MONTHS[day.month]

    def plan_customer(self, shop: Shop, customer: Customer, offset: int, day: date, rate: float, hours) -> None:
        if offset < customer.join_offset:
            return
        if offset == customer.join_offset:
            at = self.moment(day, hours)
            self.push(at, lambda: self.join(shop, customer))
            if self.rng.random() < 0.85:  # most people sign up at the till, right before paying
                self.push(at + timedelta(minutes=3), lambda: self.purchase(shop, customer))
            return
        if self.rng.random() < rate:
            self.push(self.moment(day, hours), lambda: self.purchase(shop, customer))

    # Engine jobs, as the django-q2 schedules would run them.

    def expire(self) -> None:
        lots_expire(at=clock.now())

    def birthdays(self) -> None:
        birthday_bonuses_grant(at=clock.now())

    def review(self) -> None:
        tiers_review(at=clock.now())

    # Members.

    def join(self, shop: Shop, customer: Customer) -> None:
        person = customer.person
        if shop.key == "kvitka":
            card_types = [shop.card_types["cashback"]]
        else:
            card_types = [shop.card_types["stamps"]]
            if customer.neighbour:
                card_types.append(shop.card_types["discount"])
        customer.member = member_create(
            program=shop.program, phone=person.phone, card_types=card_types, **person.profile()
        )
        for card in customer.member.cards.select_related("card_type"):
            customer.cards[card.card_type.kind] = card
        if not person.email and self.rng.random() < LATE_EMAIL_RATE:
            at = clock.now() + timedelta(days=self.rng.randint(3, 60), hours=self.rng.randint(0, 10))
            email = person.email_address(self.rng)
            self.push(at, lambda: self.profile_complete(customer, email))

    def profile_complete(self, customer: Customer, email: str) -> None:
        member_update(member=customer.member, email=email, consent_email=self.rng.random() < 0.5)

    # Purchases and refunds.

    def receipt_id(self) -> str:
        return f"{clock.now().astimezone(KYIV):%Y%m%d}-{next(self.receipts):06d}"

    def store_for(self, shop: Shop, customer: Customer) -> Store:
        if self.rng.random() < 0.85:
            return shop.stores[customer.home_store]
        return self.rng.choices(shop.stores, weights=shop.store_weights)[0]

    def purchase(self, shop: Shop, customer: Customer) -> None:
        if shop.key == "kvitka":
            self.kvitka_purchase(shop, customer)
        else:
            self.zerno_purchase(shop, customer)
        self.stats.purchases += 1

    def kvitka_basket(self, customer: Customer, day: date) -> list[Line]:
        rng = self.rng
        products = [product for product in data.KVITKA_CATALOGUE if not product.months or day.month in product.months]
        categories = sorted({product.category for product in products})
        weights = [data.KVITKA_CATEGORY_WEIGHTS[category] for category in categories]
        items = max(1, min(5, round(rng.gauss(customer.segment.basket, 0.8))))
        chosen: dict[str, list] = {}
        for _ in range(items):
            category = rng.choices(categories, weights=weights)[0]
            product = rng.choice([product for product in products if product.category == category])
            chosen.setdefault(product.sku, [product, 0])[1] += 1
        friday = black_friday(day.year)
        lines = []
        for product, quantity in chosen.values():
            markdown = Decimal("0")
            if friday <= day <= friday + timedelta(days=3):
                markdown = Decimal("0.25")
            elif day.month in data.SALE_MONTHS and rng.random() < 0.5:
                markdown = Decimal(rng.choice(["0.3", "0.4", "0.5"]))
            amount = (product.price * quantity * (1 - markdown)).quantize(ONE)
            lines.append(Line(amount=amount, quantity=Decimal(quantity), sku=product.sku, category=product.category))
        return lines

    def kvitka_purchase(self, shop: Shop, customer: Customer) -> None:
        at = clock.now()
        lines = self.kvitka_basket(customer, at.astimezone(KYIV).date())
        card = customer.cards[CardKind.CASHBACK]
        redeem = ZERO
        if self.rng.random() < customer.segment.redeems:
            card = _card_fresh(card)
            redeemable = purchase_quote(card=card, lines=lines).points_redeemable
            if redeemable >= 50:
                redeem = redeemable.quantize(ONE, rounding=ROUND_DOWN)
                if redeem >= 100 and self.rng.random() < 0.4:  # some people pay a round sum
                    redeem = (redeem / 100).quantize(ONE, rounding=ROUND_DOWN) * 100
        result = purchase_record(
            card=card,
            store=self.store_for(shop, customer),
            receipt_id=self.receipt_id(),
            lines=lines,
            redeem_points=redeem,
        )
        customer.cards[CardKind.CASHBACK] = result.card
        self.stats.redemptions += bool(redeem)
        if self.rng.random() < KVITKA_REFUND_RATE:
            back = at + timedelta(days=self.rng.randint(1, 14))
            back = self.moment(back.astimezone(KYIV).date(), data.KVITKA_HOURS)
            kind = next(self.refund_kinds)
            purchase = result.purchase
            self.push(back, lambda: self.refund(purchase, kind))

    def zerno_basket(self, customer: Customer, day: date) -> list[Line]:
        rng = self.rng

        def pick(products):
            return rng.choice([product for product in products if not product.months or day.month in product.months])

        lines = []
        if rng.random() < 0.1:
            tea = pick(data.ZERNO_TEA)
            lines.append(Line(amount=tea.price, sku=tea.sku, category=tea.category))
        else:
            cups = 2 if rng.random() < customer.segment.basket - 1 else 1
            coffee = pick(data.ZERNO_COFFEE)
            lines.append(
                Line(amount=coffee.price * cups, quantity=Decimal(cups), sku=coffee.sku, category=coffee.category)
            )
        if rng.random() < 0.3:
            pastry = pick(data.ZERNO_PASTRY)
            lines.append(Line(amount=pastry.price, sku=pastry.sku, category=pastry.category))
        if rng.random() < 0.04:
            beans = pick(data.ZERNO_BEANS)
            lines.append(Line(amount=beans.price, sku=beans.sku, category=beans.category))
        return lines

    def zerno_purchase(self, shop: Shop, customer: Customer) -> None:
        at = clock.now()
        day = at.astimezone(KYIV).date()
        lines = self.zerno_basket(customer, day)
        total = sum((line.amount for line in lines), ZERO)
        kind = CardKind.STAMPS
        if CardKind.DISCOUNT in customer.cards and total >= 150:  # the barista applies the better card
            kind = CardKind.DISCOUNT
        card = customer.cards[kind]
        redeem_reward = False
        wants_reward = kind == CardKind.STAMPS and self.rng.random() < customer.segment.redeems
        if wants_reward and StampReward.objects.filter(card_id=card.pk, status=RewardStatus.AVAILABLE).exists():
            free = self.rng.choice([product for product in data.ZERNO_COFFEE if not product.months])
            lines.append(Line(amount=ZERO, sku=free.sku, category=free.category))
            redeem_reward = True
        result = purchase_record(
            card=card,
            store=self.store_for(shop, customer),
            receipt_id=self.receipt_id(),
            lines=lines,
            redeem_reward=redeem_reward,
        )
        customer.cards[kind] = result.card
        self.stats.rewards_redeemed += redeem_reward
        if result.purchase.total > 0 and self.rng.random() < ZERNO_REFUND_RATE:  # a wrong order, paid back
            purchase = result.purchase
            self.push(at + timedelta(minutes=self.rng.randint(3, 40)), lambda: self.refund(purchase, "full"))

    def refund(self, purchase: Purchase, kind: str) -> None:
        refund_id = f"RF-{self.stats.refunds + 1:05d}"
        if kind == "lines":  # one item brought back (the whole receipt if it was the only one)
            line = self.rng.choice(list(purchase.lines.all()))
            purchase_refund(purchase=purchase, refund_id=refund_id, lines=[RefundLineRequest(line.pk, ONE)])
        elif kind == "amount":  # a price correction after the fact
            share = Decimal(self.rng.choice(["0.1", "0.15", "0.2", "0.25"]))
            amount = (purchase.total * share).quantize(ONE)
            purchase_refund(purchase=purchase, refund_id=refund_id, amount=amount)
        else:
            purchase_refund(purchase=purchase, refund_id=refund_id)
        self.stats.refunds += 1

    # Staff corrections.

    def _joined(self, shop: Shop) -> list[Customer]:
        return [customer for customer in shop.customers if customer.member is not None]

    def kvitka_goodwill(self) -> None:
        shop = self.shops["kvitka"]
        customers = self._joined(shop)
        if not customers:
            return
        customer = self.rng.choice(customers)
        card_adjust(
            card=customer.cards[CardKind.CASHBACK],
            amount=Decimal(self.rng.choice([100, 150, 200, 300])),
            reason=self.rng.choice(data.ADJUSTMENT_REASONS),
            actor=Actor.staff(shop.owner),
            expires_at=clock.now() + timedelta(days=365),
        )
        self.stats.adjustments += 1

    def kvitka_correction(self) -> None:
        shop = self.shops["kvitka"]
        customers = self._joined(shop)
        self.rng.shuffle(customers)
        customer = next(
            (
                customer
                for customer in customers[:20]
                if card_balances(card=_card_fresh(customer.cards[CardKind.CASHBACK])).points >= 50
            ),
            None,
        )
        if customer is None:
            return
        card_adjust(
            card=customer.cards[CardKind.CASHBACK],
            amount=Decimal("-50"),
            reason="Виправлення: бонус нараховано двічі",
            actor=Actor.staff(shop.owner),
        )
        self.stats.adjustments += 1

    def zerno_gift(self) -> None:
        shop = self.shops["zerno"]
        customers = self._joined(shop)
        if not customers:
            return
        customer = self.rng.choice(customers)
        card_adjust(
            card=customer.cards[CardKind.STAMPS],
            amount=ONE,
            unit=Unit.STAMPS,
            reason=self.rng.choice(data.STAMP_ADJUSTMENT_REASONS),
            actor=Actor.staff(shop.owner),
            expires_at=clock.now() + timedelta(days=180),
        )
        self.stats.adjustments += 1


def _card_fresh(card: Card) -> Card:
    """The card as the database has it now (balances, the member's tier and spend)."""
    return Card.objects.select_related("member__tier", "card_type", "program").get(pk=card.pk)


# --- Entry points ----------------------------------------------------------------------------------------------


def demo_exists() -> bool:
    return Business.objects.filter(slug__in=DEMO_BUSINESS_SLUGS).exists()


def demo_seed(
    *, members: int = 400, days: int = 365, seed: int = 2026, end: date | None = None, progress=None
) -> SeedStats | None:
    """Build the demo world with ``days`` of history ending the day before ``end`` (default: today in Kyiv).

    Returns ``None`` and changes nothing when the demo businesses already exist. One transaction: an
    interrupted seed leaves no half world behind.
    """
    if demo_exists():
        return None
    rng = random.Random(seed)  # noqa: S311 (a reproducible demo, not a secret)
    end = end or timezone.now().astimezone(KYIV).date()
    start = end - timedelta(days=days)
    launch = datetime.combine(start, time(8, 0), tzinfo=KYIV).astimezone(UTC)
    fashion_count = round(members * 5 / 8)
    with transaction.atomic(), clock.travel(launch):
        users = {login.username: _user_ensure(login) for login in demo_logins()}
        kvitka = _kvitka_build(launch=launch, owner=users["kvitka"])
        zerno = _zerno_build(launch=launch, owner=users["zerno"])
        coffee_count = members - fashion_count
        shared_count = coffee_count // 5
        people = _people(rng, members - shared_count)
        fashion_people = people[:fashion_count]
        # About a fifth of the coffee shop's customers also shop at Kvitka (same phone, two programs).
        coffee_people = fashion_people[:shared_count] + people[fashion_count:]
        kvitka.customers = _customers(rng, kvitka, fashion_people, data.KVITKA_SEGMENTS, days)
        zerno.customers = _customers(rng, zerno, coffee_people, data.ZERNO_SEGMENTS, days)
        simulation = Simulation(rng=rng, start=start, days=days, shops=[kvitka, zerno], progress=progress)
        stats = simulation.run()
    demo_api_keys_ensure()
    return stats


@dataclass(frozen=True)
class ProgramSummary:
    business: str
    program: str
    stores: int
    members: int
    purchases: int
    tiers: list[tuple[str, int]]


def demo_summary() -> dict:
    """Counts of the demo world for the command's report (a handful of queries)."""
    programs = Program.objects.filter(business__slug__in=DEMO_BUSINESS_SLUGS).select_related("business")
    summaries = []
    for program in programs.order_by("business__name"):
        tier_counts = Tier.objects.filter(program=program).annotate(count=Count("members")).order_by("threshold")
        summaries.append(
            ProgramSummary(
                business=program.business.name,
                program=program.name,
                stores=program.stores.count(),
                members=program.members.count(),
                purchases=program.purchases.count(),
                tiers=[(tier.name, tier.count) for tier in tier_counts],
            )
        )
    entries = LedgerEntry.objects.filter(program__in=programs)
    rewards = StampReward.objects.filter(program__in=programs)
    return {
        "programs": summaries,
        "members": Member.objects.filter(program__in=programs).count(),
        "cards": Card.objects.filter(program__in=programs).count(),
        "purchases": Purchase.objects.filter(program__in=programs).count(),
        "refunds": Refund.objects.filter(program__in=programs).count(),
        "ledger_entries": entries.count(),
        "expiry_entries": entries.filter(kind=EntryKind.EXPIRY).count(),
        "redemptions": entries.filter(kind=EntryKind.REDEMPTION).count(),
        "rewards_issued": rewards.count(),
        "rewards_redeemed": rewards.filter(status=RewardStatus.REDEEMED).count(),
        "tier_changes": TierChange.objects.filter(program__in=programs).count(),
    }
