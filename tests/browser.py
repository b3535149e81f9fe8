"""Helpers for the browser tests: Playwright's sync API drives Debian's Chromium (``/usr/bin/chromium``, or
``KARTKA_CHROMIUM``) against pytest-django's ``live_server``. Screenshots go to ``var/screenshots/``, which CI
keeps as artefacts; look at them, they are how a person will see the screen.

A test asks for pytest-playwright's ``page`` fixture and the ``live_server`` fixture::

    def test_audit_log(page, live_server, owner):
        admin_login(page, live_server, owner)
        page.goto(f"{live_server.url}/admin/audit/")
        screenshots(page, "audit-log")
"""

from pathlib import Path

from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
PASSWORD = "browser-test-password"


def screenshots(page, name: str, *, sizes=(("phone", PHONE), ("desktop", DESKTOP)), full_page=True) -> list[Path]:
    """Save ``var/screenshots/<name>-<size>.png`` for each size (phone 390×844 and desktop 1440×900 by default)
    and return the paths; the page is left at the last size."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths = []
    for label, viewport in sizes:
        page.set_viewport_size(viewport)
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=full_page)
        paths.append(path)
    return paths


def admin_login(page, live_server, user, *, password: str = PASSWORD, language: str = "") -> None:
    """Sign ``user`` in to the Wagtail admin through its login form (the password is set here), optionally with
    ``language`` as the user's preferred admin language, as they would choose it in their account."""
    from wagtail.users.models import UserProfile

    user.set_password(password)
    user.save(update_fields=["password"])
    if language:
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = language
        profile.save(update_fields=["preferred_language"])
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def wait_until(page, expression: str, arg=None, *, timeout: float = 15000) -> None:
    """Like ``page.wait_for_function``, for pages with a Content-Security-Policy (the admin's, ``config.csp``):
    Playwright polls a predicate given as a string with ``eval``, which such a policy refuses, while
    ``page.evaluate`` runs through the debugging protocol. Polls every 100 ms; raises ``TimeoutError``."""
    import time

    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise TimeoutError(f"Still false after {timeout:.0f} ms: {expression}")
        page.wait_for_timeout(100)


def policy_watch(page, *origins: str) -> tuple[list[str], list[str]]:
    """What the page's Content-Security-Policy blocks (the console's reports) and every request answered by
    anything but ``origins`` (a blocked request fails instead; ``blob:`` and ``data:`` URLs are the page's own).
    Both lists fill while the test walks; a page that works under its policy leaves them empty."""
    blocked, elsewhere = [], []
    page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    local = tuple(origins) + tuple(f"blob:{origin}" for origin in origins) + ("data:",)
    page.on("requestfinished", lambda request: request.url.startswith(local) or elsewhere.append(request.url))
    return blocked, elsewhere
