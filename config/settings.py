"""Kartka settings: one env-driven base, secure by default.

Every deploy-time difference is an environment variable. With none set, Kartka runs locally (SQLite in WAL
mode, a generated secret kept in a git-ignored file, DEBUG off). With ``KARTKA_ENV=production`` it refuses to
start without ``SECRET_KEY`` and ``ALLOWED_HOSTS`` and turns on the HTTPS hardening.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KARTKA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


KARTKA_ENV = os.environ.get("KARTKA_ENV", "local").strip().lower()
PRODUCTION = KARTKA_ENV == "production"
DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment when KARTKA_ENV=production.")
    # Local runs (demo, tests) keep one generated key so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

# Locally also every *.localhost (".localhost"): the demo's portals are kvitka.localhost and zerno.localhost.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,.localhost,127.0.0.1,[::1],testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the environment when KARTKA_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "tenancy",
    "programs",
    "themes",
    "pages",
    "portal",
    "wallet",
    "analytics",
    "webhooks",
    "bulk",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "phonenumber_field",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pages.cache.PortalPageCacheMiddleware",  # cached portal pages answer here, before sessions and routing
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "programs.admin.timezones.ProgramTimeZoneMiddleware",  # admin times in the owner's programs' zone
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",  # this origin only; no inline script on customers' pages
    "programs.api.middleware.RedirectMiddleware",  # Wagtail's, leaving /api/ answers alone
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite file by default (WAL, IMMEDIATE transactions so writers queue instead of failing with
# "database is locked"); PostgreSQL when DATABASE_URL says so. Connections persist either way.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'kartka.sqlite3'}"
if DATABASE_URL.startswith("sqlite"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }

# The purchase path's fixed-shape statements (programs.services._fastsql, programs.api.sql) are prepared once per
# connection on PostgreSQL: parsing and planning them anew was half the database's time per purchase. Set
# DATABASE_PREPARED_STATEMENTS=0 behind a pooler in transaction mode that does not keep prepared statements
# (PgBouncer < 1.21, or without max_prepared_statements).
KARTKA_DB_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and KARTKA_DB_PREPARED_STATEMENTS:
    # psycopg prepares nothing while this is None (Django's default). Django's own cursors bind client-side and
    # never prepare whatever it is, so only the statements that ask (fastsql's cursor) are prepared.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1_000_000

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kartka",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2: the ORM broker needs nothing else running; Redis takes over when configured.
Q_CLUSTER = {
    "name": "kartka",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 1800,
    "retry": 3600,
    "max_attempts": 3,
    "catch_up": False,
    # Workers that may have children: an import's dry run parses in processes of its own (KARTKA_BULK_PARSERS).
    "daemonize_workers": False,
    "label": _("Background jobs"),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
if env_bool("Q_SYNC"):
    Q_CLUSTER["sync"] = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("uk", "Українська")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
# The project's own assets; skipped while the folder is absent (git keeps no empty folders in a fresh clone).
STATICFILES_DIRS = [path for path in (BASE_DIR / "static",) if path.is_dir()]
# Plus plotly.js from the installed plotly package (analytics/finders.py): served by whitenoise, never a CDN.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "analytics.finders.PlotlyFinder",
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Whether Django itself answers /media/ (uploaded logos, theme images): on locally and in the demo, where nothing
# else serves them; off in production, where the web server or object storage does.
KARTKA_SERVE_MEDIA = env_bool("SERVE_MEDIA", default=not PRODUCTION)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security: HTTPS hardening in production, overridable for a TLS-terminating proxy.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Deliberate choices `check --deploy` would flag:
# - security.W019: Wagtail's editor previews pages in a same-origin frame, so X_FRAME_OPTIONS stays SAMEORIGIN.
# - security.W021: HSTS preloading binds every subdomain for months and is hard to undo; opt in with
#   SECURE_HSTS_PRELOAD=true once the domain is ready.
SILENCED_SYSTEM_CHECKS = ["security.W019", "security.W021", *env_list("SILENCED_SYSTEM_CHECKS")]

# REST API: drf-spectacular documents the public /api/ only; Swagger UI and ReDoc are served locally (sidecar).
# The API views (programs/api) set their own authentication (API keys), throttling, parsing and error handling.
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kartka API",
    "DESCRIPTION": (
        "The POS and CRM API of Kartka: look members up, enrol them, quote and record purchases with points and "
        "stamps, refund, read ledgers. Authenticate with an API key from the admin (Loyalty → API keys) as "
        "`Authorization: Bearer kk_…`. Errors are `application/problem+json` with a stable `code`. Guide: "
        "docs/api.md in the repository."
    ),
    "VERSION": "1.0.0",
    "PREPROCESSING_HOOKS": ["config.openapi.public_api_only"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.openapi.request_bodies_closed"],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    "REDOC_DIST": "SIDECAR",
}
# Calls per API key: "600/min", "20/s", ... ("off" for none). Counted in the default cache: per process without
# Redis, across processes with REDIS_URL.
# Pages answered with a Content-Security-Policy allowing this origin only (config.csp).
KARTKA_CSP_PATHS = ["/admin/", "/api/v1/docs/", "/api/v1/redoc/", "/api/v1/schema/"]

# The admin's sign-in lockout (tenancy.admin.login): wrong passwords per account and per address in 15 minutes.
KARTKA_ADMIN_LOGIN_FAILURES = int(os.environ.get("ADMIN_LOGIN_FAILURES", "5"))
KARTKA_ADMIN_LOGIN_FAILURES_IP = int(os.environ.get("ADMIN_LOGIN_FAILURES_IP", "20"))
WAGTAILADMIN_USER_LOGIN_FORM = "tenancy.admin.login.LockoutLoginForm"

KARTKA_API_RATE = os.environ.get("API_RATE", "600/min").strip()
if KARTKA_API_RATE.lower() in {"", "off", "none", "0"}:
    KARTKA_API_RATE = None
# Each server process reuses an authenticated API key (with its program and store) for this many seconds before
# reading it again: a revoked key or a deactivated store is refused everywhere within this time. 0: read every call.
KARTKA_API_KEY_CACHE_SECONDS = float(os.environ.get("API_KEY_CACHE_SECONDS", "10"))
# Answers to writes sent with an Idempotency-Key are kept (and replayed) this many days.
# The largest API request body taken (bytes); a receipt of 500 lines is ~60 kB.
KARTKA_API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(1024 * 1024)))
KARTKA_API_IDEMPOTENCY_DAYS = int(os.environ.get("API_IDEMPOTENCY_DAYS", "7"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kartka@localhost")
# Analytics (analytics/): whether each program's monthly PDF report is e-mailed to its owners on the 1st (through
# EMAIL_BACKEND). Off by default: the job then logs and sends nothing; the report is always downloadable.
KARTKA_ANALYTICS_REPORTS_EMAIL = env_bool("ANALYTICS_REPORTS_EMAIL", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Phones and card numbers in logged URLs are cut to their last four digits (config/logfilters.py).
    "filters": {"personal_data": {"()": "config.logfilters.MaskPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"filters": ["personal_data"]},
        "django.server": {"filters": ["personal_data"]},
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request's full URL at INFO; a webhook URL may carry the receiver's own token.
        "httpx": {"level": "WARNING"},
    },
}

# Wagtail
WAGTAIL_SITE_NAME = "Kartka"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://localhost:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Documents always pass through Django (tenancy.wagtail_hooks checks who may download them): never a direct
# storage URL.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]

PHONENUMBER_DEFAULT_REGION = os.environ.get("PHONENUMBER_DEFAULT_REGION", "UA")
PHONENUMBER_DEFAULT_FORMAT = "E164"

# The customer portal (portal/): member sessions and one-time codes. Sessions last this many days after the last
# visit. A code lives KARTKA_PORTAL_CODE_SECONDS and allows KARTKA_PORTAL_CODE_ATTEMPTS wrong tries; a new code for
# the same number waits KARTKA_PORTAL_RESEND_SECONDS, doubling with each code sent to it in the last hour. Per
# hour at most: codes to one number, codes asked from one IP address, codes to one number prefix (the country and
# operator digits: SMS-pumping fraud walks number ranges), wrong codes typed from one IP address, and unknown
# card numbers tried from one IP address.
KARTKA_PORTAL_SESSION_DAYS = int(os.environ.get("PORTAL_SESSION_DAYS", "180"))
KARTKA_PORTAL_CODE_SECONDS = int(os.environ.get("PORTAL_CODE_SECONDS", "300"))
KARTKA_PORTAL_CODE_ATTEMPTS = int(os.environ.get("PORTAL_CODE_ATTEMPTS", "5"))
KARTKA_PORTAL_RESEND_SECONDS = int(os.environ.get("PORTAL_RESEND_SECONDS", "60"))
KARTKA_PORTAL_LIMIT_PHONE = int(os.environ.get("PORTAL_LIMIT_PHONE", "5"))
KARTKA_PORTAL_LIMIT_IP = int(os.environ.get("PORTAL_LIMIT_IP", "20"))
KARTKA_PORTAL_LIMIT_PREFIX = int(os.environ.get("PORTAL_LIMIT_PREFIX", "60"))
KARTKA_PORTAL_LIMIT_IP_FAILURES = int(os.environ.get("PORTAL_LIMIT_IP_FAILURES", "30"))
KARTKA_PORTAL_LIMIT_IP_CARDS = int(os.environ.get("PORTAL_LIMIT_IP_CARDS", "20"))
# How many reverse proxies stand in front of Kartka and append to X-Forwarded-For (0: none, REMOTE_ADDR is the
# client). The per-IP limits read the client's address this many hops from the right.
KARTKA_TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

# Loyalty engine knobs (deploy-time, not per program).
KARTKA_EXPIRY_CHUNK = int(os.environ.get("KARTKA_EXPIRY_CHUNK", "20000"))

# Imports and bulk adjustments (bulk/): where uploaded files wait for their job (a directory every web process and
# worker shares; each file is deleted when its job is done), how big an upload may be, and how many rows one
# transaction of an import writes (a failed import resumes after the last chunk written).
KARTKA_BULK_DIR = Path(os.environ.get("KARTKA_BULK_DIR", VAR_DIR / "bulk"))
KARTKA_BULK_MAX_UPLOAD_MB = int(os.environ.get("KARTKA_BULK_MAX_UPLOAD_MB", "100"))
KARTKA_BULK_CHUNK = int(os.environ.get("KARTKA_BULK_CHUNK", "5000"))
# Database connections an import's commit writes its chunks on at once (PostgreSQL; each chunk still commits after
# the one before it). 1 writes them one after another.
KARTKA_BULK_WRITERS = int(os.environ.get("KARTKA_BULK_WRITERS", "2"))
# Processes a dry run parses a big file's rows in, beside the job's own (forked from it; 1 parses in the job's
# process). django-q2's workers may start them because Q_CLUSTER["daemonize_workers"] is off.
KARTKA_BULK_PARSERS = int(os.environ.get("KARTKA_BULK_PARSERS", "2"))
# Days the event outbox (programs.outbox) keeps events every consumer has handled.
KARTKA_EVENTS_RETENTION_DAYS = int(os.environ.get("EVENTS_RETENTION_DAYS", "30"))

# Outbound webhooks (webhooks/): seconds each attempt may take per phase (connect, send, wait for the answer); whether
# endpoints may point into private networks (loopback, RFC 1918, link-local: allowed locally so a receiver on the
# same machine works, refused in production so an owner can't make Kartka probe its own network); days the
# delivery log is kept.
KARTKA_WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "5"))
KARTKA_WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", default=not PRODUCTION)
KARTKA_WEBHOOK_RETENTION_DAYS = int(os.environ.get("WEBHOOK_RETENTION_DAYS", "30"))

# One-time codes for the customer portal's sign-in (portal/delivery.py; docs/portal-codes.md). OTP_BACKEND says how
# a code reaches the phone: "console" (printed to the server's stderr, never logged: the demo and local runs),
# "sms" (a generic HTTP SMS gateway), "flash_call" (a provider calls from a number ending in the code; an SMS when
# the call fails and the gateway is set), "memory" (tests). Production defaults to none: sign-in is refused, with a
# warning in the log, until a real delivery is chosen. The bodies are templates with {phone}, {text} and {sender}
# (flash call: {phone}), escaped for their content type; the phone and the text travel only in the body, never in
# a URL that proxies and access logs keep. The Authorization headers are secrets: set them in the environment only.
KARTKA_OTP_BACKEND = os.environ.get("OTP_BACKEND", "" if PRODUCTION else "console").strip().lower()
KARTKA_SMS_URL = os.environ.get("SMS_URL", "").strip()
KARTKA_SMS_METHOD = os.environ.get("SMS_METHOD", "POST").strip().upper()
KARTKA_SMS_BODY = os.environ.get("SMS_BODY", "")
KARTKA_SMS_CONTENT_TYPE = os.environ.get("SMS_CONTENT_TYPE", "application/json").strip()
KARTKA_SMS_AUTH_HEADER = os.environ.get("SMS_AUTH_HEADER", "")
KARTKA_SMS_SENDER = os.environ.get("SMS_SENDER", "")
KARTKA_SMS_TIMEOUT = float(os.environ.get("SMS_TIMEOUT", "10"))
KARTKA_FLASH_CALL_URL = os.environ.get("FLASH_CALL_URL", "").strip()
KARTKA_FLASH_CALL_METHOD = os.environ.get("FLASH_CALL_METHOD", "POST").strip().upper()
KARTKA_FLASH_CALL_BODY = os.environ.get("FLASH_CALL_BODY", "")
KARTKA_FLASH_CALL_CONTENT_TYPE = os.environ.get("FLASH_CALL_CONTENT_TYPE", "application/json").strip()
KARTKA_FLASH_CALL_AUTH_HEADER = os.environ.get("FLASH_CALL_AUTH_HEADER", "")
# Where the provider's JSON answer holds the code or the calling number ("code", "data.caller"): its last 4 digits.
KARTKA_FLASH_CALL_CODE_FIELD = os.environ.get("FLASH_CALL_CODE_FIELD", "code").strip()
KARTKA_FLASH_CALL_TIMEOUT = float(os.environ.get("FLASH_CALL_TIMEOUT", "10"))

# Wallet passes (wallet/; docs/wallet.md). Install-wide credentials, used by every program that has none of its own
# (the admin's Wallet page). Each certificate or key variable holds a file path or the PEM/JSON text itself; keys
# and the Google service account are secrets: the environment only. WALLET_SECRETS_KEY (Fernet; several separated by
# commas rotate) seals the secrets owners upload in the admin. WALLET_PUBLIC_URL is the https origin phones reach
# for the PassKit web service and Google fetches images from (default: each portal's own host). APNS_URL: Apple's
# production host; its sandbox or a test server only for development.
KARTKA_WALLET_SECRETS_KEY = os.environ.get("WALLET_SECRETS_KEY", "")
KARTKA_WALLET_PUBLIC_URL = os.environ.get("WALLET_PUBLIC_URL", "").strip().rstrip("/")
KARTKA_WALLET_APPLE_PASS_TYPE_ID = os.environ.get("WALLET_APPLE_PASS_TYPE_ID", "").strip()
KARTKA_WALLET_APPLE_TEAM_ID = os.environ.get("WALLET_APPLE_TEAM_ID", "").strip()
KARTKA_WALLET_APPLE_CERTIFICATE = os.environ.get("WALLET_APPLE_CERTIFICATE", "")
KARTKA_WALLET_APPLE_KEY = os.environ.get("WALLET_APPLE_KEY", "")
KARTKA_WALLET_APPLE_KEY_PASSWORD = os.environ.get("WALLET_APPLE_KEY_PASSWORD", "")
# Apple's WWDR G4 intermediate (AppleWWDRCAG4.cer from apple.com/certificateauthority, DER or PEM): every signature
# carries it.
KARTKA_WALLET_APPLE_WWDR = os.environ.get("WALLET_APPLE_WWDR", "")
KARTKA_WALLET_APNS_KEY_ID = os.environ.get("WALLET_APNS_KEY_ID", "").strip()
KARTKA_WALLET_APNS_KEY = os.environ.get("WALLET_APNS_KEY", "")
KARTKA_WALLET_APNS_URL = os.environ.get("WALLET_APNS_URL", "https://api.push.apple.com").strip().rstrip("/")
KARTKA_WALLET_APNS_TIMEOUT = float(os.environ.get("WALLET_APNS_TIMEOUT", "10"))
# A PEM bundle of the CAs trusted for the APNs host *instead of* the system's: only for a test server with its own
# certificate (bench/wallet_push.py's local fake APNs). Unset (the default), APNs is checked against the system's CAs.
KARTKA_WALLET_APNS_CA_FILE = os.environ.get("WALLET_APNS_CA_FILE", "").strip()
KARTKA_WALLET_GOOGLE_ISSUER_ID = os.environ.get("WALLET_GOOGLE_ISSUER_ID", "").strip()
KARTKA_WALLET_GOOGLE_SERVICE_ACCOUNT = os.environ.get("WALLET_GOOGLE_SERVICE_ACCOUNT", "")
KARTKA_WALLET_GOOGLE_API_URL = "https://walletobjects.googleapis.com/walletobjects/v1"
KARTKA_WALLET_GOOGLE_TIMEOUT = float(os.environ.get("WALLET_GOOGLE_TIMEOUT", "10"))
