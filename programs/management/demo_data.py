"""Static content of the demo world: people's names, stores, product catalogues and shopping habits.

Plain data only; ``demo_seed`` turns it into members and a year of receipts through the engine's services.
"""

from dataclasses import dataclass
from decimal import Decimal

# --- People ----------------------------------------------------------------------------------------------------

UK_FEMALE = [
    "Олена", "Оксана", "Ірина", "Наталія", "Юлія", "Тетяна", "Анна", "Марія", "Катерина", "Світлана",
    "Вікторія", "Дарина", "Софія", "Ольга", "Людмила", "Христина", "Анастасія", "Яна", "Галина", "Марта",
]  # fmt: skip
UK_MALE = [
    "Олександр", "Андрій", "Дмитро", "Сергій", "Іван", "Микола", "Володимир", "Максим", "Богдан", "Тарас",
    "Юрій", "Василь", "Олег", "Роман", "Артем", "Денис", "Ігор", "Михайло", "Павло", "Назар",
]  # fmt: skip
UK_SURNAMES = [
    "Коваленко", "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Шевчук", "Поліщук", "Мельник",
    "Бойко", "Лисенко", "Марченко", "Савченко", "Руденко", "Мороз", "Павленко", "Гончаренко", "Литвиненко",
    "Кравчук", "Онищенко", "Ковальчук", "Романюк", "Гаврилюк", "Тимошенко", "Кушнір", "Левченко", "Сидоренко",
]  # fmt: skip
RU_FEMALE = ["Елена", "Ольга", "Наталья", "Ирина", "Татьяна", "Екатерина", "Светлана", "Анна", "Юлия", "Марина"]
RU_MALE = ["Алексей", "Дмитрий", "Сергей", "Андрей", "Михаил", "Николай", "Владимир", "Евгений", "Игорь", "Павел"]
# (masculine, feminine)
RU_SURNAMES = [
    ("Иванов", "Иванова"), ("Смирнов", "Смирнова"), ("Кузнецов", "Кузнецова"), ("Попов", "Попова"),
    ("Соколов", "Соколова"), ("Лебедев", "Лебедева"), ("Морозов", "Морозова"), ("Волков", "Волкова"),
    ("Новиков", "Новикова"), ("Федоров", "Федорова"),
]  # fmt: skip

# Ukrainian mobile operators' codes (Kyivstar, Vodafone, lifecell).
MOBILE_CODES = ["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]

TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh", "з": "z",
    "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "ы": "y", "э": "e", "ё": "io", "ъ": "", "'": "",
}  # fmt: skip


def latin(text: str) -> str:
    """A Cyrillic name in Latin letters, good enough for a demo e-mail address."""
    return "".join(TRANSLIT.get(char, char) for char in text.lower())


# --- Businesses ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreInfo:
    code: str
    name: str
    address: str
    weight: int  # share of the business's traffic


KVITKA_STORES = [
    StoreInfo("kyiv-khreshchatyk", "Kvitka Khreshchatyk", "вул. Хрещатик, 15, Київ", 5),
    StoreInfo("lviv-rynok", "Kvitka Lviv Rynok", "пл. Ринок, 10, Львів", 3),
    StoreInfo("odesa-derybasivska", "Kvitka Derybasivska", "вул. Дерибасівська, 12, Одеса", 2),
]
ZERNO_STORES = [
    StoreInfo("podil", "Zerno Podil", "вул. Сагайдачного, 25, Київ", 3),
    StoreInfo("pechersk", "Zerno Pechersk", "вул. Лютеранська, 8, Київ", 2),
]


@dataclass(frozen=True)
class Product:
    sku: str
    category: str
    price: Decimal
    months: tuple[int, ...] = ()  # sold only in these months; empty: all year


def _products(category: str, months: tuple[int, ...], *items: tuple[str, int]) -> list[Product]:
    return [Product(sku=sku, category=category, price=Decimal(price), months=months) for sku, price in items]


COLD = (1, 2, 3, 10, 11, 12)
KNIT = (1, 2, 3, 9, 10, 11, 12)
WARM = (5, 6, 7, 8)

KVITKA_CATALOGUE = [
    *_products("dresses", (), ("KV-DR-101", 1890), ("KV-DR-102", 2290), ("KV-DR-103", 2650), ("KV-DR-104", 3190)),
    *_products("dresses", WARM, ("KV-DR-150", 1690), ("KV-DR-151", 2190)),
    *_products("tops", (), ("KV-TP-201", 590), ("KV-TP-202", 690), ("KV-TP-203", 790), ("KV-TP-204", 1190)),
    *_products("trousers", (), ("KV-TR-301", 1490), ("KV-TR-302", 1790), ("KV-TR-303", 1990), ("KV-TR-304", 2390)),
    *_products("outerwear", COLD, ("KV-OW-401", 3990), ("KV-OW-402", 4990), ("KV-OW-403", 6990)),
    *_products("knitwear", KNIT, ("KV-KN-501", 1290), ("KV-KN-502", 1590), ("KV-KN-503", 1890)),
    *_products("shoes", (), ("KV-SH-601", 2190), ("KV-SH-602", 2690), ("KV-SH-603", 3290)),
    *_products(
        "accessories",
        (),
        ("KV-AC-701", 290),
        ("KV-AC-702", 390),
        ("KV-AC-703", 490),
        ("KV-AC-704", 890),
        ("KV-AC-705", 1490),
    ),
]
KVITKA_CATEGORY_WEIGHTS = {
    "dresses": 14,
    "tops": 22,
    "trousers": 14,
    "outerwear": 10,
    "knitwear": 10,
    "shoes": 9,
    "accessories": 21,
}

ZERNO_COFFEE = _products(
    "coffee",
    (),
    ("ZR-ESP", 55),
    ("ZR-AME", 65),
    ("ZR-CAP", 80),
    ("ZR-LAT", 90),
    ("ZR-FLW", 95),
    ("ZR-RAF", 110),
) + _products("coffee", WARM, ("ZR-ICL", 100), ("ZR-TON", 105))
ZERNO_TEA = _products("tea", (), ("ZR-TEA", 60), ("ZR-MAT", 95))
ZERNO_PASTRY = _products("pastry", (), ("ZR-CRO", 70), ("ZR-CIN", 85), ("ZR-CHK", 120), ("ZR-COO", 45))
ZERNO_BEANS = _products("beans", (), ("ZR-BN-ETH", 480), ("ZR-BN-COL", 420), ("ZR-BN-BRA", 390))


# --- Habits ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    name: str
    visits_per_day: float  # average over the week, before seasonality
    basket: float  # how many items a receipt tends to hold (fashion) / group orders (coffee)
    redeems: float  # chance the member pays with points (or takes the free coffee) when possible
    share: int  # out of 20 members


KVITKA_SEGMENTS = [
    Segment("vip", visits_per_day=0.05, basket=2.2, redeems=0.5, share=1),
    Segment("regular", visits_per_day=0.025, basket=1.6, redeems=0.35, share=7),
    Segment("occasional", visits_per_day=0.008, basket=1.3, redeems=0.2, share=12),
]
ZERNO_SEGMENTS = [
    Segment("daily", visits_per_day=0.3, basket=1.1, redeems=0.9, share=2),
    Segment("weekly", visits_per_day=0.1, basket=1.3, redeems=0.85, share=6),
    Segment("monthly", visits_per_day=0.03, basket=1.5, redeems=0.7, share=12),
]

# Relative traffic by weekday (Monday first) and by hour of the stores' local day.
KVITKA_WEEKDAYS = [0.8, 0.8, 0.9, 0.9, 1.1, 1.6, 1.4]
ZERNO_WEEKDAYS = [1.15, 1.15, 1.15, 1.15, 1.1, 0.75, 0.6]
KVITKA_HOURS = {10: 3, 11: 4, 12: 6, 13: 7, 14: 7, 15: 7, 16: 8, 17: 9, 18: 10, 19: 8, 20: 5}
ZERNO_HOURS = {7: 6, 8: 12, 9: 10, 10: 6, 11: 5, 12: 6, 13: 8, 14: 7, 15: 5, 16: 5, 17: 4, 18: 3, 19: 2}
# Fashion season: January and July sales, a quiet spring, the November and December rush.
KVITKA_MONTHS = {1: 1.3, 2: 0.8, 3: 0.9, 4: 1.0, 5: 1.0, 6: 0.9, 7: 1.2, 8: 1.0, 9: 1.1, 10: 1.0, 11: 1.4, 12: 1.7}
SALE_MONTHS = (1, 7)

ADJUSTMENT_REASONS = [  # Kvitka's, in its owner's Ukrainian
    "Компенсація: онлайн-замовлення прийшло із запізненням",
    "Вибачення: плутанина в примірочній",
    "Компенсація: замінили несправну блискавку",
]
STAMP_ADJUSTMENT_REASONS = [
    "Apology: the order took too long",
    "Barista's gift for a regular",
]
