"""Settings are secure by default and driven by the environment. Each check starts ``manage.py`` in a fresh
process with a chosen environment, since settings are read once at start-up (and pytest-django's own test
database is an in-memory SQLite, so the file database's journal mode is checked against a temp file)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
# Variables that would change what is checked; each test sets what it needs.
CLEARED = (
    "KARTKA_ENV",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DATABASE_URL",
    "CSRF_TRUSTED_ORIGINS",
    "SILENCED_SYSTEM_CHECKS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "OTP_BACKEND",
    "SERVE_MEDIA",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # tests/conftest.py sets it for the browser tests; production never does
)
PRODUCTION = {
    "KARTKA_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "loyalty.example.com",
}


def manage(*args: str, env: dict[str, str], var_dir: Path) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if key not in CLEARED}
    environ.update({"KARTKA_VAR_DIR": str(var_dir), "PYTHONWARNINGS": "ignore"}, **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


SNAPSHOT = """
import json
from django.conf import settings
from django.db import connection
journal_mode = None
if connection.vendor == "sqlite":
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]
db = settings.DATABASES["default"]
print("SNAPSHOT" + json.dumps({
    "DEBUG": settings.DEBUG,
    "CONN_MAX_AGE": db["CONN_MAX_AGE"],
    "CONN_HEALTH_CHECKS": db["CONN_HEALTH_CHECKS"],
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "journal_mode": journal_mode,
    "SECRET_KEY_LENGTH": len(settings.SECRET_KEY),
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "KARTKA_OTP_BACKEND": settings.KARTKA_OTP_BACKEND,
    "KARTKA_SERVE_MEDIA": settings.KARTKA_SERVE_MEDIA,
}))
"""


def snapshot(env: dict[str, str], var_dir: Path) -> dict:
    result = manage("shell", "--no-imports", "-c", SNAPSHOT, env=env, var_dir=var_dir)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("SNAPSHOT"))
    return json.loads(line.removeprefix("SNAPSHOT"))


@pytest.fixture
def var_dir(tmp_path):
    path = tmp_path / "var"
    path.mkdir()
    return path


def test_production_without_secret_key_refuses_to_start(var_dir):
    env = {**PRODUCTION, "SECRET_KEY": ""}
    result = manage("check", env=env, var_dir=var_dir)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in the environment when KARTKA_ENV=production." in result.stderr
    assert not (var_dir / "secret_key").exists(), "production must never invent a key"


def test_production_without_allowed_hosts_refuses_to_start(var_dir):
    result = manage("check", env={**PRODUCTION, "ALLOWED_HOSTS": ""}, var_dir=var_dir)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set in the environment when KARTKA_ENV=production." in result.stderr


def test_production_deploy_check_is_clean(var_dir):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, var_dir=var_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_turns_on_https_hardening(var_dir):
    values = snapshot(PRODUCTION, var_dir)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["ALLOWED_HOSTS"] == ["loyalty.example.com"]
    assert values["KARTKA_OTP_BACKEND"] == "", "no sign-in codes until a real delivery is chosen"
    assert values["KARTKA_SERVE_MEDIA"] is False, "uploads are the web server's or the storage's to serve"


def test_local_defaults_debug_off_sqlite_wal_persistent_connections(var_dir):
    """With nothing set: DEBUG off, a SQLite file in the var folder in WAL mode, connections kept open."""
    values = snapshot({}, var_dir)
    assert values["DEBUG"] is False
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"] == str(var_dir / "kartka.sqlite3")
    assert values["journal_mode"] == "wal"
    assert values["CONN_MAX_AGE"] > 0 and values["CONN_HEALTH_CHECKS"] is True
    assert values["KARTKA_OTP_BACKEND"] == "console", "the demo's sign-in codes show in the server's output"
    assert values["KARTKA_SERVE_MEDIA"] is True, "the demo's logos and theme images have no other server"
    # A generated key, kept private and reused by the next start.
    key_file = var_dir / "secret_key"
    assert values["SECRET_KEY_LENGTH"] >= 50 and key_file.stat().st_mode & 0o077 == 0
    first_key = key_file.read_text()
    snapshot({}, var_dir)
    assert key_file.read_text() == first_key


def test_database_url_and_debug_come_from_the_environment(var_dir, tmp_path):
    database = tmp_path / "elsewhere.sqlite3"
    values = snapshot({"DATABASE_URL": f"sqlite:///{database}", "DEBUG": "true"}, var_dir)
    assert values["NAME"] == str(database) and values["journal_mode"] == "wal"
    assert values["DEBUG"] is True

    # Not connected: the snapshot only reads the settings for PostgreSQL.
    values = snapshot({"DATABASE_URL": "postgres://kartka@127.0.0.1:5432/kartka_settings_only"}, var_dir)
    assert (values["ENGINE"], values["NAME"]) == ("django.db.backends.postgresql", "kartka_settings_only")
    assert values["CONN_MAX_AGE"] > 0 and values["CONN_HEALTH_CHECKS"] is True


def test_wsgi_application_takes_the_loaded_process_out_of_the_garbage_collectors_reach(var_dir):
    """A full collection over a loaded process (~180 000 objects) stopped every thread of a worker for ~0.1 s,
    which was the API's p99: the WSGI module loads every view and freezes what it loaded."""
    code = (
        "import gc, sys; import config.wsgi; print('FROZEN', gc.get_freeze_count(), "
        "'rest_framework.views' in sys.modules, 'programs.api.views' in sys.modules)"
    )
    environ = {key: value for key, value in os.environ.items() if key not in CLEARED}
    environ.update({"KARTKA_VAR_DIR": str(var_dir), "PYTHONWARNINGS": "ignore"})
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=environ, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    _, frozen, drf_loaded, api_loaded = next(
        line for line in result.stdout.splitlines() if line.startswith("FROZEN")
    ).split()
    assert int(frozen) > 50_000
    assert drf_loaded == api_loaded == "True"
