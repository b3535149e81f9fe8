"""The Russian and Ukrainian catalogs (locale/ru, locale/uk): complete, well-formed, and used for real.

The catalogs are read as plain text (no polib in the venv), the compiled ones are checked through Django's own
translation machinery: domain errors, the Wagtail menu and the Loyalty admin pages in each language.
"""

import contextlib
import fcntl
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

from programs.errors import CardBlocked, DuplicateReceipt, InsufficientPoints, InsufficientStamps, MemberExists
from programs.factories import CardTypeFactory, ProgramFactory, UserFactory
from programs.models import AuditEvent
from programs.services.cards import card_adjust
from programs.services.members import member_create
from tenancy.actors import Actor

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ("ru", "uk")
PLURAL_FORMS = "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


# --- Reading a .po file ----------------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+"(.*)"$')


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match.group(1), "\\" + match.group(1)), text)


def parse_po(path: Path) -> tuple[Entry, list[Entry], list[str]]:
    """The header entry, the other entries, and any obsolete (``#~``) lines."""
    entries, obsolete = [], []
    entry, target = Entry(), None  # target: the field that continuation lines ("...") extend

    def flush():
        nonlocal entry, target
        if entry.line:
            entries.append(entry)
        entry, target = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#~"):
            obsolete.append(f"line {number}: {line}")
        elif line.startswith("#"):
            if entry.msgstr:  # a comment after a complete entry starts the next one
                flush()
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif match := _KEYWORD.match(line):
            keyword, index, text = match.groups()
            if keyword in ("msgctxt", "msgid") and entry.msgstr:
                flush()
            entry.line = entry.line or number
            if keyword == "msgstr":
                target = int(index or 0)
                entry.msgstr[target] = _unquote(text)
            else:
                target = keyword
                setattr(entry, keyword, _unquote(text))
        elif line.startswith('"') and line.endswith('"') and target is not None:
            text = _unquote(line[1:-1])
            if isinstance(target, int):
                entry.msgstr[target] += text
            else:
                setattr(entry, target, getattr(entry, target) + text)
        else:
            raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
    flush()
    headers = [item for item in entries if item.msgid == "" and item.msgctxt is None]
    assert len(headers) == 1, f"{path}: expected one header entry"
    return headers[0], [item for item in entries if item is not headers[0]], obsolete


def header_fields(header: Entry) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in header.msgstr[0].splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


NAMED = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACES = re.compile(r"\{[A-Za-z_]\w*\}")
TAG = re.compile(r"</?[A-Za-z][^>]*>")
CYRILLIC = re.compile(r"[А-Яа-яЁёІіЇїЄєҐґ]")
LATIN = re.compile(r"[A-Za-z]")
WORD = re.compile(r"[^\W\d_]+")  # runs of letters
NOT_UKRAINIAN = re.compile(r"[ЫыЭэЪъЁё]")
NOT_RUSSIAN = re.compile(r"[ІіЇїЄєҐґ]")


def placeholders(text: str) -> dict[str, list[str]]:
    """Named %-placeholders, {brace} fields, HTML tags and %% escapes: what a translation must carry over."""
    return {
        "named": sorted(NAMED.findall(text.replace("%%", ""))),
        "braces": sorted(BRACES.findall(text)),
        "tags": sorted(TAG.findall(text)),
        "percent-escapes": [str(text.count("%%"))],
    }


@pytest.fixture(scope="module", params=LANGUAGES)
def catalog(request):
    language = request.param
    header, entries, obsolete = parse_po(po_path(language))
    return language, header, entries, obsolete


# --- (a) The catalogs are complete and well-formed ---------------------------------------------------------------


def test_both_catalogs_exist_and_hold_the_same_messages():
    keys = {}
    for language in LANGUAGES:
        assert po_path(language).is_file(), f"missing {po_path(language)}"
        _header, entries, _obsolete = parse_po(po_path(language))
        keys[language] = {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in entries}
    assert keys["ru"] == keys["uk"]
    # The admin's own strings are there, not only a few.
    msgids = {msgid for _context, msgid, _plural in keys["ru"]}
    assert {"Loyalty", "Members", "Audit log", "earning rules", "Redemption", "Accrual"} <= msgids
    assert len(msgids) > 100


def test_header_names_the_language_with_three_plural_forms(catalog):
    language, header, _entries, _obsolete = catalog
    assert "fuzzy" not in header.flags
    fields = header_fields(header)
    assert fields["Language"] == language
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == PLURAL_FORMS


def test_every_message_is_translated_and_none_is_fuzzy_or_obsolete(catalog):
    language, _header, entries, obsolete = catalog
    assert not obsolete, f"{language}: obsolete entries left: {obsolete[:5]}"
    fuzzy = [entry.label for entry in entries if "fuzzy" in entry.flags]
    assert not fuzzy, f"{language}: fuzzy entries: {fuzzy}"
    untranslated = []
    for entry in entries:
        forms = 3 if entry.msgid_plural is not None else 1
        if sorted(entry.msgstr) != list(range(forms)) or not all(text.strip() for text in entry.msgstr.values()):
            untranslated.append(entry.label)
    assert not untranslated, f"{language}: {len(untranslated)} untranslated entries: {untranslated}"


def test_translations_keep_placeholders_and_tags(catalog):
    language, _header, entries, _obsolete = catalog
    broken = []
    for entry in entries:
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        expected = placeholders(entry.msgid_plural or entry.msgid)
        for form, text in entry.msgstr.items():
            found = placeholders(text)
            for kind in ("named", "braces", "tags"):
                # A singular form may leave the count out ("one point"), never add or rename a placeholder.
                allowed = set().union(*(placeholders(source)[kind] for source in sources))
                if entry.msgid_plural is None and found[kind] != expected[kind]:
                    broken.append(f"{entry.label} [{form}] {kind}: {found[kind]} != {expected[kind]}")
                elif not set(found[kind]) <= allowed:
                    broken.append(f"{entry.label} [{form}] {kind}: {found[kind]} not in {sorted(allowed)}")
            if "python-format" in entry.flags and found["percent-escapes"] != expected["percent-escapes"]:
                broken.append(f"{entry.label} [{form}]: '%%' escapes differ")
    assert not broken, f"{language}: " + "\n".join(broken)


def test_translations_are_in_the_right_language(catalog):
    language, _header, entries, _obsolete = catalog
    wrong_script = NOT_UKRAINIAN if language == "uk" else NOT_RUSSIAN
    problems = []
    for entry in entries:
        for text in entry.msgstr.values():
            bare = TAG.sub("", BRACES.sub("", NAMED.sub("", text)))
            if LATIN.search(bare) and not CYRILLIC.search(bare):
                problems.append(f"{entry.label}: left in English? {text!r}")
            if wrong_script.search(text):
                problems.append(f"{entry.label}: letters of the other language in {text!r}")
            # A Latin look-alike inside a Cyrillic word ("oплати" with a Latin o) reads fine and breaks search.
            for word in WORD.findall(bare):
                if LATIN.search(word) and CYRILLIC.search(word):
                    problems.append(f"{entry.label}: Latin and Cyrillic letters mixed in {word!r}")
    assert not problems, f"{language}: " + "\n".join(problems)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")
def test_msgfmt_accepts_the_catalogs(catalog):
    language = catalog[0]
    result = subprocess.run(
        ["msgfmt", "--check-format", "-c", "-o", "/dev/null", str(po_path(language))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- Compiled catalogs for the runtime checks --------------------------------------------------------------------


def _stale_catalogs() -> list[Path]:
    stale = []
    for language in LANGUAGES:
        po = po_path(language)
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


@pytest.fixture(scope="module")
def compiled_catalogs():
    """Compile locale/*.po once if a .mo is missing or older (they are git-ignored), then make Django reload them."""
    lock_path = Path(tempfile.gettempdir()) / "kartka-compilemessages.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers must not write the same .mo at once
        try:
            if _stale_catalogs():
                with contextlib.chdir(settings.BASE_DIR):
                    call_command(
                        "compilemessages",
                        ignore_patterns=[".venv", ".git", "var", "node_modules", "bench"],
                        verbosity=0,
                    )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    assert not _stale_catalogs()
    # Re-setting LOCALE_PATHS clears Django's cache of loaded catalogs (a test may have loaded them before).
    with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):
        yield


# --- (b) Domain errors speak the member's language --------------------------------------------------------------


ERROR_WORDS = {
    "ru": {
        "points": "Недостаточно баллов",
        "stamps": "Недостаточно штампов",
        "available": "доступно",
        "blocked": "Эта карта заблокирована.",
        "member": "Участник с этим номером телефона уже есть в программе.",
        "receipt": "Чек R-77 уже зарегистрирован",
    },
    "uk": {
        "points": "Недостатньо балів",
        "stamps": "Недостатньо штампів",
        "available": "доступно",
        "blocked": "Цю картку заблоковано.",
        "member": "Учасник із цим номером телефону вже є в програмі.",
        "receipt": "Чек R-77 уже зареєстровано",
    },
}


@pytest.mark.usefixtures("compiled_catalogs")
@pytest.mark.parametrize("language", LANGUAGES)
def test_domain_errors_render_in_the_active_language(language):
    words = ERROR_WORDS[language]
    # Made outside the override: the message is lazy and follows the language active when it is read.
    points = InsufficientPoints(available=Decimal("12.50"), requested=Decimal("40.00"))
    with translation.override(language):
        text = str(points)
        assert words["points"] in text
        assert f"{words['available']} 12.50" in text
        assert "40.00" in text
        stamps = str(InsufficientStamps(available=3, requested=9))
        assert words["stamps"] in stamps
        assert "3" in stamps
        assert "9" in stamps
        assert str(CardBlocked()) == words["blocked"]
        assert str(MemberExists()) == words["member"]
        assert str(DuplicateReceipt(receipt="R-77")).startswith(words["receipt"])
    with translation.override("en"):
        assert str(points) == "Not enough points: 12.50 available, 40.00 requested."


# --- (c) The Wagtail admin in Ukrainian and Russian ------------------------------------------------------------

ADMIN_WORDS = {
    "ru": {
        "menu": "Лояльность",
        "items": ["Программы", "Типы карт", "Уровни", "Правила начисления", "Магазины", "Участники", "Журнал аудита"],
        "program_columns": ["Название", "Компания", "Валюта", "Действует", "Дата создания"],
        "member_columns": ["Участник", "Телефон", "Программа", "Уровень", "Карты", "Дата регистрации"],
        "member_page": ["Профиль", "Баллы кешбэка", "Акционные баллы", "История карты", "Ручная корректировка"],
        "currency": "Украинская гривна (₴)",
    },
    "uk": {
        "menu": "Лояльність",
        "items": ["Програми", "Типи карток", "Рівні", "Правила нарахування", "Магазини", "Учасники", "Журнал аудиту"],
        "program_columns": ["Назва", "Компанія", "Валюта", "Діє", "Дата створення"],
        "member_columns": ["Учасник", "Телефон", "Програма", "Рівень", "Картки", "Дата реєстрації"],
        "member_page": ["Профіль", "Бали кешбеку", "Акційні бали", "Історія картки", "Ручне коригування"],
        "currency": "Українська гривня (₴)",
    },
}


def _text(response) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def _column_headers(response) -> list[str]:
    page = BeautifulSoup(response.content, "html.parser")
    return [" ".join(th.get_text(" ").split()) for th in page.select("table thead th")]


def _menu_labels(response) -> dict[str, list[str]]:
    """The sidebar's menu as Wagtail sends it (JSON props for the React sidebar): {group label: item labels}."""
    page = BeautifulSoup(response.content, "html.parser")
    props = json.loads(page.find("script", id="wagtail-sidebar-props").string)
    groups = {}

    def walk(node):
        if isinstance(node, dict):
            if node.get("_type") == "wagtail.sidebar.SubMenuItem":
                options, children = node["_args"]
                groups[options["label"]] = [child["_args"][0]["label"] for child in children]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(props)
    return groups


@pytest.fixture
def admin_in(client, db):
    """Log a superuser in with Wagtail's admin language preference set to ``language``; returns the user."""

    def login(language: str):
        user = UserFactory(username=f"root-{language}", is_superuser=True, is_staff=True)
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = language
        profile.save()
        client.force_login(user)
        return user

    return login


@pytest.mark.usefixtures("compiled_catalogs")
@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_menu_and_program_listing_are_translated(client, admin_in, language):
    words = ADMIN_WORDS[language]
    ProgramFactory(name="Kava Club", currency="UAH")
    admin_in(language)

    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    assert f'lang="{language}"' in dashboard.content.decode()
    menu = _menu_labels(dashboard)
    assert words["menu"] in menu, f"Loyalty menu not translated: {list(menu)}"
    assert set(words["items"]) <= set(menu[words["menu"]]), menu[words["menu"]]

    listing = client.get(reverse("loyalty_programs:index"))
    assert listing.status_code == 200
    headers = _column_headers(listing)
    for header in words["program_columns"]:
        assert header in headers, f"{header!r} not among {headers}"
    text = _text(listing)
    assert "Kava Club" in text
    assert words["currency"] in text


@pytest.mark.usefixtures("compiled_catalogs")
@pytest.mark.parametrize("language", LANGUAGES)
def test_member_listing_and_page_are_translated(client, admin_in, language):
    words = ADMIN_WORDS[language]
    program = ProgramFactory(name="Kava Club")
    card_type = CardTypeFactory(program=program, name="Kava Bonus")
    member = member_create(program=program, phone="+380501234567", first_name="Olena", card_types=[card_type])
    user = admin_in(language)
    card_adjust(card=member.cards.get(), amount=Decimal("40"), reason="Goodwill", actor=Actor.staff(user))

    listing = client.get(reverse("loyalty_members:index"))
    assert listing.status_code == 200
    headers = _column_headers(listing)
    for header in words["member_columns"]:
        assert header in headers, f"{header!r} not among {headers}"

    page = client.get(reverse("loyalty_members:detail", args=[member.pk]))
    assert page.status_code == 200
    text = _text(page)
    for phrase in words["member_page"]:
        assert phrase in text, f"{phrase!r} not on the member's page"
    assert "Goodwill" in text


AUDIT_WORDS = {
    "ru": {"columns": ["Программа", "Кто"], "inspect": ["Программа", "Кто", "Просмотр: Баланс скорректирован"]},
    "uk": {"columns": ["Програма", "Хто"], "inspect": ["Програма", "Хто", "Переглянути: Баланс скориговано"]},
}


@pytest.mark.usefixtures("compiled_catalogs")
@pytest.mark.parametrize("language", LANGUAGES)
def test_audit_log_labels_its_links_in_the_admins_language(client, admin_in, language):
    """The audit rows' program is a foreign key and who acted a choice: their labels come from the models' verbose
    names; the event is titled by its action in words."""
    program = ProgramFactory(name="Kava Club")
    card_type = CardTypeFactory(program=program, name="Kava Bonus")
    member = member_create(program=program, phone="+380501234568", card_types=[card_type])
    user = admin_in(language)
    card_adjust(card=member.cards.get(), amount=Decimal("5"), reason="Goodwill", actor=Actor.staff(user))
    event = AuditEvent.objects.get(program=program, actor=user)

    listing = client.get(reverse("loyalty_audit:index"))
    assert listing.status_code == 200
    headers = _column_headers(listing)
    for header in AUDIT_WORDS[language]["columns"]:
        assert header in headers, f"{header!r} not among {headers}"

    inspect = client.get(reverse("loyalty_audit:inspect", args=[event.pk]))
    assert inspect.status_code == 200
    text = _text(inspect)
    for label in AUDIT_WORDS[language]["inspect"]:
        assert label in text, f"{label!r} not on the audit event's page"
