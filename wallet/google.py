"""Google Wallet: a ``PassContent`` laid out as a loyalty class and object, the "Save to Google Wallet" link, the
REST client that writes them, and the sync step the background task runs for one pass.

* One **class** per card type (``loyalty_class``): the program's name, logo and colour, shared by every card of
  that type. One **object** per card (``loyalty_object``): balance, barcode, the member's fields.
* The save link (``save_url``) carries a *skinny* JWT: only the object's id. The object is written over REST first,
  so the link stays short (Google advises under 1800 characters) and never goes stale.
* Updates are PATCHes of the object (``GoogleWalletClient.object_upsert``). Google lets a pass raise at most three
  notifications a day (``notify_allowed``); anything over that is written silently.
* ``google_problems`` says in plain words what is wrong with a set of credentials, without the network.

Log lines name object and class ids only, never a member's name, phone or card number.
"""

import base64
import hashlib
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_
from google.auth import crypt
from google.auth import jwt as google_jwt

from programs.transports import HttpClient, TransportSwitch
from wallet.content import PassContent, PassField
from wallet.credentials import GoogleCredentials
from wallet.models import WalletPass

logger = logging.getLogger(__name__)

SAVE_URL = "https://pay.google.com/gp/v/save/"
SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
SERVICE_ACCOUNT_FIELDS = ("client_email", "private_key", "private_key_id", "token_uri")
NOTIFY_LIMIT = 3  # notifying updates per pass per NOTIFY_WINDOW (Google's own limit)
NOTIFY_WINDOW = timedelta(hours=24)
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1))
INT32_MAX = 2**31 - 1
DEFAULT_LANGUAGE = "en"

_ID_PART = re.compile(r"^[\w.-]+$", re.ASCII)


# --- Ids ----------------------------------------------------------------------------------------------------------


def class_suffix_for(*, program_id: int, card_type_id: int) -> str:
    """The class suffix of a card type: ``kartka-p<program>-ct<card type>``, unique within an issuer even when
    several programs share the install-wide one."""
    return f"kartka-p{program_id}-ct{card_type_id}"


def object_suffix_for(serial: str) -> str:
    """The object suffix of a pass: its serial, which is fixed for the card's life and unique install-wide."""
    return f"kartka-{serial}"


def resource_id(credentials: GoogleCredentials, suffix: str) -> str:
    """``<issuer id>.<suffix>``, Google's id for a class or object. Raises ``ValueError`` when the suffix holds
    anything but letters, digits, ``.``, ``_`` and ``-`` (Google rejects the write otherwise)."""
    if not _ID_PART.match(suffix):
        raise ValueError(f"a Google Wallet id may only hold letters, digits, '.', '_' and '-': {suffix!r}")
    return f"{credentials.issuer_id}.{suffix}"


# --- Texts --------------------------------------------------------------------------------------------------------


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != DEFAULT_LANGUAGE]


def _translation(content: PassContent, text: str, language: str) -> str:
    """The pass's own translation of ``text``, else Django's catalog's; "" when neither has one."""
    found = content.strings.get(language, {}).get(text)
    if found:
        return found
    with translation.override(language):
        found = gettext(text)
    return found if found != text else ""


def _localized(content: PassContent, text: str) -> dict | None:
    """A ``LocalizedString`` for an English msgid: the English as default, the shipped translations beside it.
    ``None`` when there is no translation at all (Google then shows the plain field)."""
    translated = []
    for language in _languages():
        value = _translation(content, text, language)
        if value:
            translated.append({"language": language, "value": value})
    if not translated:
        return None
    return {"defaultValue": {"language": DEFAULT_LANGUAGE, "value": text}, "translatedValues": translated}


def _with_localized(body: dict, key: str, localized_key: str, content: PassContent, text: str) -> None:
    if not text:
        return
    body[key] = text
    localized = _localized(content, text)
    if localized:
        body[localized_key] = localized


def _decimal_text(value: Decimal) -> str:
    """``140.50`` → "140.50", ``140.00`` → "140", never an exponent."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value, "f")


def _value_text(field: PassField) -> str:
    text = _decimal_text(field.value) if isinstance(field.value, Decimal) else str(field.value)
    return f"{text} {field.currency}" if field.currency else text


def _hex_colour(value: str) -> str:
    """ "#rrggbb", lower case ("#abc" is spelt out): the only form Google takes."""
    value = value.strip().lower()
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        value = "#" + "".join(c * 2 for c in value[1:])
    return value


def _balance(value: Decimal) -> dict:
    """A ``LoyaltyPointsBalance``: exactly one key, ``"int"`` for whole numbers that fit Google's int32, else
    ``"string"`` ("120.50"), which Google shows as written."""
    if value == value.to_integral_value() and abs(value) <= INT32_MAX:
        return {"int": int(value)}
    return {"string": _decimal_text(value)}


def _points(content: PassContent, label: str, value: Decimal) -> dict:
    points = {"balance": _balance(value)}
    _with_localized(points, "label", "localizedLabel", content, label)
    return points


# --- Class and object ---------------------------------------------------------------------------------------------


def loyalty_class(content: PassContent, credentials: GoogleCredentials, *, class_suffix: str, logo_url: str) -> dict:
    """The ``LoyaltyClass`` of a card type: what every card of the type shares (issuer and program name, logo,
    colour, the account labels). The logo is left out unless ``logo_url`` is https, as Google fetches it from the
    open internet. Program and business names are the owner's own words, so they carry no translations; the
    labels are Kartka's and do. Deterministic: equal inputs give equal JSON."""
    body = {
        "id": resource_id(credentials, class_suffix),
        "issuerName": content.organization,
        "programName": content.program_name,
        "hexBackgroundColor": _hex_colour(content.background),
        "reviewStatus": "UNDER_REVIEW",
    }
    if logo_url.startswith("https://"):
        body["programLogo"] = {
            "sourceUri": {"uri": logo_url},
            "contentDescription": {"defaultValue": {"language": DEFAULT_LANGUAGE, "value": content.program_name}},
        }
    _with_localized(body, "accountIdLabel", "localizedAccountIdLabel", content, N_("Card number"))
    _with_localized(body, "accountNameLabel", "localizedAccountNameLabel", content, N_("Member"))
    # A class is one card type, so the type is the class's "tier"; the member's own tier is a text module.
    _with_localized(body, "rewardsTierLabel", "localizedRewardsTierLabel", content, N_("Card type"))
    body["rewardsTier"] = content.card_type_name
    return body


def _unique_id(key: str, seen: set[str]) -> str:
    """``key`` as a module id (``[\\w.-]``), numbered when taken."""
    base = key if _ID_PART.match(key) else "field"
    module_id, n = base, 1
    while module_id in seen:
        n += 1
        module_id = f"{base}-{n}"
    seen.add(module_id)
    return module_id


def _text_modules(content: PassContent) -> list[dict]:
    """The front's header, secondary and auxiliary fields as text modules, in that order, ids unique; fields
    with no value are left out (Google refuses an empty module)."""
    modules, seen = [], set()
    for field in (*content.header_fields, *content.secondary_fields, *content.auxiliary_fields):
        text = _value_text(field)
        if not text:
            continue
        module = {"id": _unique_id(field.key, seen), "body": text}
        _with_localized(module, "header", "localizedHeader", content, field.label)
        modules.append(module)
    return modules


def _links(content: PassContent) -> dict | None:
    """The back fields that are links, and the portal (once), as the links module."""
    uris, seen_ids, seen_links = [], set(), set()
    for field in content.back_fields:
        if field.link and field.link not in seen_links:
            seen_links.add(field.link)
            uri = {"id": _unique_id(f"link-{field.key}", seen_ids), "uri": field.link}
            _with_localized(uri, "description", "localizedDescription", content, field.label)
            uris.append(uri)
    if content.portal_url and content.portal_url not in seen_links:
        uri = {"id": _unique_id("link-portal", seen_ids), "uri": content.portal_url}
        _with_localized(uri, "description", "localizedDescription", content, N_("Your account"))
        uris.append(uri)
    return {"uris": uris} if uris else None


def loyalty_object(content: PassContent, credentials: GoogleCredentials, *, class_id: str, object_suffix: str) -> dict:
    """The ``LoyaltyObject`` of one card: state (``INACTIVE`` once the card is blocked or replaced), card number
    and member name, the balance and promo points, the QR code the POS scans, the front's fields as text modules
    and the portal as a link. No info module. Deterministic: equal content gives equal JSON."""
    body = {
        "id": resource_id(credentials, object_suffix),
        "classId": class_id,
        "state": "INACTIVE" if content.voided else "ACTIVE",
        "accountId": content.card_number,
        "accountName": content.member_name,
        "loyaltyPoints": _points(content, content.points_label, content.points),
        "barcode": {"type": "QR_CODE", "value": content.barcode, "alternateText": content.card_number},
    }
    if content.secondary_points is not None:
        body["secondaryLoyaltyPoints"] = _points(content, content.secondary_points_label, content.secondary_points)
    modules = _text_modules(content)
    if modules:
        body["textModulesData"] = modules
    links = _links(content)
    if links:
        body["linksModuleData"] = links
    return body


# --- Signing and the save link ------------------------------------------------------------------------------------


_signers: dict[tuple[str, str], crypt.RSASigner] = {}
_signers_lock = threading.Lock()


def _signer(credentials: GoogleCredentials) -> crypt.RSASigner:
    """The service account's RS256 signer (``kid`` = ``private_key_id``), parsed once per key per process."""
    info = credentials.service_account
    key = (info.get("private_key_id", ""), info.get("private_key", ""))
    with _signers_lock:
        signer = _signers.get(key)
        if signer is None:
            signer = _signers[key] = crypt.RSASigner.from_service_account_info(info)
    return signer


def _save_claims(credentials: GoogleCredentials, object_id: str, origins: list[str]) -> dict:
    return {
        "iss": credentials.email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(time.time()),
        "origins": list(origins),
        "payload": {"loyaltyObjects": [{"id": object_id}]},
    }


def save_url(*, credentials: GoogleCredentials, object_id: str, origins: list[str]) -> str:
    """The "Save to Google Wallet" link for an object already written over REST: a skinny JWT (the object's id
    only), RS256-signed with the service account, ``kid`` its key id, ``origins`` the sites allowed to show the
    button. Raises ``ValueError`` when the key cannot sign (``google_problems`` says why)."""
    try:
        token = google_jwt.encode(_signer(credentials), _save_claims(credentials, object_id, origins))
    except (KeyError, TypeError, ValueError) as error:  # not an RSA key, unreadable PEM: never the key in the text
        raise ValueError("the Google service account key cannot sign a save link (see wallet_check)") from error
    return SAVE_URL + token.decode()


# --- Notification budget ------------------------------------------------------------------------------------------


def _parsed(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if timezone.is_aware(moment) else None


def notified_recent(notified_times: list[str], now: datetime) -> list[str]:
    """The notification times (ISO strings) of the last 24 hours, oldest first; unreadable ones are dropped."""
    since = now - NOTIFY_WINDOW
    kept = [(moment, value) for value in notified_times if (moment := _parsed(value)) and moment > since]
    return [value for _moment, value in sorted(kept)]


def notify_allowed(notified_times: list[str], now: datetime) -> bool:
    """Whether one more update may notify the holder: Google allows 3 notifying updates per pass per 24 hours
    and refuses the fourth (``QuotaExceeded``), so Kartka stops at 3 and writes the rest silently."""
    return len(notified_recent(notified_times, now)) < NOTIFY_LIMIT


# --- Credentials check --------------------------------------------------------------------------------------------


def google_problems(credentials: GoogleCredentials) -> list[str]:
    """What is wrong with Google credentials, in plain words for ``manage.py wallet_check`` and the admin; empty
    when a save link can be signed with them. Checks the issuer id, the service account's fields, that its key is a
    readable RSA key, and signs and verifies a trial save link. Uses no network, so it cannot tell whether Google
    knows the account: the first sync's answer says that."""
    problems = []
    if not credentials.issuer_id.isdigit():
        problems.append(
            gettext("The Google issuer ID must be digits only, as the Google Pay & Wallet Console shows it.")
        )
    info = credentials.service_account
    missing = [name for name in SERVICE_ACCOUNT_FIELDS if not info.get(name)]
    if missing:
        problems.append(
            gettext("The Google service account key lacks %(fields)s: download a new JSON key for the account.")
            % {"fields": ", ".join(missing)}
        )
    token_uri = info.get("token_uri", "")
    if token_uri and not token_uri.startswith("https://"):
        problems.append(gettext("The Google service account key's token_uri is not an https address."))
    if not info.get("private_key"):
        return problems
    try:
        key = serialization.load_pem_private_key(str(info["private_key"]).encode(), password=None)
    except (TypeError, ValueError):
        problems.append(gettext("The Google service account's private key cannot be read."))
        return problems
    if not isinstance(key, rsa.RSAPrivateKey):
        problems.append(gettext("The Google service account's private key is not an RSA key."))
        return problems
    claims = _save_claims(credentials, f"{credentials.issuer_id}.kartka-check", [])
    try:
        token = google_jwt.encode(crypt.RSASigner.from_service_account_info(info), claims)
        signing_input, _dot, signature = token.rpartition(b".")
        padded = signature + b"=" * (-len(signature) % 4)
        key.public_key().verify(base64.urlsafe_b64decode(padded), signing_input, padding.PKCS1v15(), hashes.SHA256())
    except Exception:  # whatever it is, passes cannot be signed; the message must not carry the key
        problems.append(gettext("A trial save link could not be signed with the Google service account's key."))
    return problems


# --- REST client --------------------------------------------------------------------------------------------------


class GoogleWalletError(Exception):
    """Google (or the way there) refused a write. ``status`` is the HTTP status (0: no answer), ``reason`` Google's
    short reason code or the network error's name, ``retryable`` whether trying later may succeed (429, 5xx, no
    answer)."""

    def __init__(self, status: int, reason: str, retryable: bool):
        super().__init__(f"{status} {reason}")
        self.status, self.reason, self.retryable = status, reason, retryable

    @property
    def quota_exceeded(self) -> bool:
        return "quota" in self.reason.lower()


@dataclass(frozen=True)
class GoogleWrite:
    """What one upsert did: ``action`` "inserted" or "updated", whether it asked Google to notify, the HTTP status,
    and whether the object is saved by anyone (Google's ``hasUsers``)."""

    action: str
    notified: bool
    status: int
    has_users: bool = False


def _error(response: httpx.Response) -> GoogleWalletError:
    status = response.status_code
    reason = ""
    error = _json(response).get("error", {})
    if isinstance(error, dict):
        details = error.get("errors") or [{}]
        first = details[0] if isinstance(details, list) and isinstance(details[0], dict) else {}
        reason = first.get("reason", "") or error.get("status", "") or ""
        message = error.get("message", "") or ""
        if "quotaexceeded" in message.replace(" ", "").lower() and "quota" not in reason.lower():
            reason = f"{reason} quotaExceeded".strip()
    elif isinstance(error, str):  # the token endpoint: {"error": "invalid_grant", ...}
        reason = error
    reason = reason or response.reason_phrase or "error"
    return GoogleWalletError(status, reason[:100], status == 429 or status >= 500)


# Tests send every call to Google through an ``httpx.MockTransport``: ``transport_override(transport)``.
_transport = TransportSwitch()
transport_override = _transport.override


class GoogleWalletClient(HttpClient):
    """Google Wallet's REST API for one service account, over httpx. The OAuth token comes from the account's
    ``token_uri`` (a JWT-bearer assertion signed with its key) and is reused until a minute before it expires; a
    401 drops it and retries once. ``transport`` is for tests (``httpx.MockTransport``). Every failure raises
    ``GoogleWalletError``."""

    TOKEN_MARGIN = 60  # seconds before expiry a token is renewed

    def __init__(self, credentials: GoogleCredentials, *, transport: httpx.BaseTransport | None = None):
        self.credentials = credentials
        self._http = httpx.Client(
            base_url=settings.KARTKA_WALLET_GOOGLE_API_URL.rstrip("/") + "/",
            timeout=settings.KARTKA_WALLET_GOOGLE_TIMEOUT,
            transport=transport or _transport.current,
        )
        self._token = ""
        self._token_expires = 0.0

    # Token.

    def _access_token(self) -> str:
        if self._token and time.monotonic() < self._token_expires - self.TOKEN_MARGIN:
            return self._token
        info = self.credentials.service_account
        now = int(time.time())
        try:
            token_uri = info["token_uri"]
            claims = {"iss": info["client_email"], "scope": SCOPE, "aud": token_uri, "iat": now, "exp": now + 3600}
            assertion = google_jwt.encode(_signer(self.credentials), claims).decode()
        except (KeyError, TypeError, ValueError) as error:  # google_problems says what exactly
            raise GoogleWalletError(0, "unusable service account key", False) from error
        data = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
        started = time.monotonic()
        response = self._send("POST", token_uri, data=data)
        if response.status_code != 200:
            raise _error(response)
        answer = _json(response)
        if not answer.get("access_token"):
            raise GoogleWalletError(response.status_code, "no access token in the answer", True)
        self._token = answer["access_token"]
        self._token_expires = started + float(answer.get("expires_in", 3600))
        return self._token

    # Requests.

    def _send(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise GoogleWalletError(0, type(error).__name__, True) from error

    def _call(self, method: str, path: str, *, body: dict | None = None) -> httpx.Response:
        """One API call; 404 is returned (callers decide), other failures raise."""
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._access_token()}"}
            response = self._send(method, path, json=body, headers=headers)
            if response.status_code == 401 and attempt == 1:
                self._token = ""
                continue
            break
        if response.status_code < 300 or response.status_code == 404:
            return response
        raise _error(response)

    # Classes and objects.

    def class_upsert(self, body: dict) -> str:
        """Write a loyalty class: insert it when Google has none under its id, else patch it. Returns "inserted"
        or "updated"."""
        class_id = body["id"]
        if self._call("GET", f"loyaltyClass/{class_id}").status_code == 404:
            self._call("POST", "loyaltyClass", body=body)
            logger.info("google: class %s inserted", class_id)
            return "inserted"
        self._call("PATCH", f"loyaltyClass/{class_id}", body=body)
        logger.info("google: class %s updated", class_id)
        return "updated"

    def object_upsert(self, body: dict, *, notify: bool) -> GoogleWrite:
        """Write a loyalty object: a PATCH (with ``notifyPreference: NOTIFY_ON_UPDATE`` when ``notify``, the
        setting lasting for this request only), or an insert when Google has none under its id. When Google
        refuses the notification for quota, the same update is written once more, silently."""
        object_id = body["id"]
        notified = notify
        payload = {**body, "notifyPreference": "NOTIFY_ON_UPDATE"} if notify else body
        try:
            response = self._call("PATCH", f"loyaltyObject/{object_id}", body=payload)
        except GoogleWalletError as error:
            # Over the daily notification quota Google refuses the whole update (a plain 429 may be that too):
            # the balance must still reach the phone, so it goes once more without the notification.
            if not (notify and (error.quota_exceeded or error.status == 429)):
                raise
            logger.info("google: object %s over its notification quota, updating silently", object_id)
            notified = False
            response = self._call("PATCH", f"loyaltyObject/{object_id}", body=body)
        action = "updated"
        if response.status_code == 404:
            response = self._call("POST", "loyaltyObject", body=body)
            if response.status_code == 404:  # the class is missing
                raise _error(response)
            action, notified = "inserted", False
        logger.info("google: object %s %s%s", object_id, action, " with notification" if notified else "")
        return GoogleWrite(action, notified, response.status_code, bool(_json(response).get("hasUsers")))

    def object_get(self, object_id: str) -> dict | None:
        """The object as Google holds it (``hasUsers`` says whether anyone saved it), or ``None`` when unknown."""
        response = self._call("GET", f"loyaltyObject/{object_id}")
        return None if response.status_code == 404 else _json(response)


def _json(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# --- Sync of one pass ---------------------------------------------------------------------------------------------


_written_classes: dict[str, str] = {}  # class id -> digest of the body this process last wrote


def class_cache_clear() -> None:
    """Forget which classes this process wrote (tests; a changed credentials set)."""
    _written_classes.clear()


def _digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def backoff(attempts: int) -> timedelta:
    """The wait before retry number ``attempts`` (1-based): 30 s, 2 min, 10 min, then hourly."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def _status_text(write: GoogleWrite) -> str:
    return f"{write.status} OK: {write.action}" + (", notified" if write.notified else "")


def _finish(wallet_pass: WalletPass, due_read: datetime | None, recorded: dict, settled: dict) -> None:
    """Write ``recorded``, and ``settled`` too unless the due time changed since it was read as ``due_read`` (a
    newer update was asked for meanwhile and must not be lost): one conditional UPDATE, and a second one without
    ``settled`` when the first matched nothing. The instance follows what was written."""
    rows = WalletPass.objects.filter(pk=wallet_pass.pk)
    same_due = rows.filter(google_due_at__isnull=True) if due_read is None else rows.filter(google_due_at=due_read)
    if same_due.update(**recorded, **settled):
        changed = {**recorded, **settled}
    else:
        if recorded:
            rows.update(**recorded)
        changed = recorded
        wallet_pass.refresh_from_db(fields=["google_due_at", "google_notify", "google_attempts"])
    for name, value in changed.items():
        setattr(wallet_pass, name, value)


def google_pass_sync(
    wallet_pass: WalletPass,
    content: PassContent,
    *,
    credentials: GoogleCredentials,
    client: GoogleWalletClient | None = None,
    class_suffix: str,
    logo_url: str,
) -> str:
    """Write one pass to Google: its class (unless this process already wrote that very class body) and its
    object, notifying the holder only when the due update asked for it and the pass is within Google's 3-a-day
    budget. On success the pass records what was written (object id, content hash, time, Google's answer, the
    notification) and its due update is settled; a due time set meanwhile (a newer change) is kept, since the
    update is filtered on the due time read here. A retryable failure (429, 5xx, no answer) moves the due time by
    the backoff (30 s, 2 min, 10 min, then hourly); a permanent one is recorded and the update dropped.

    Returns "unchanged", "synced", "notified", "retry" or "failed". Raises nothing from Google; ``ValueError`` for
    an invalid suffix (a programming error)."""
    now = timezone.now()
    due_read = wallet_pass.google_due_at
    prefix = f"{credentials.issuer_id}."
    if wallet_pass.google_object_id.startswith(prefix):
        object_suffix = wallet_pass.google_object_id[len(prefix) :]
    else:  # never written, or written under another issuer: a new object under this one
        object_suffix = object_suffix_for(wallet_pass.serial)
    class_body = loyalty_class(content, credentials, class_suffix=class_suffix, logo_url=logo_url)
    object_body = loyalty_object(content, credentials, class_id=class_body["id"], object_suffix=object_suffix)
    settled = {"google_due_at": None, "google_notify": False, "google_attempts": 0}

    if wallet_pass.google_object_id == object_body["id"] and wallet_pass.google_synced_hash == content.content_hash:
        _finish(wallet_pass, due_read, {}, settled)
        return "unchanged"

    notify = wallet_pass.google_notify and notify_allowed(wallet_pass.google_notified, now)
    own_client = client is None
    client = client or GoogleWalletClient(credentials)
    try:
        digest = _digest(class_body)
        if _written_classes.get(class_body["id"]) != digest:
            client.class_upsert(class_body)
            _written_classes[class_body["id"]] = digest
        write = client.object_upsert(object_body, notify=notify)
    except GoogleWalletError as error:
        _written_classes.pop(class_body["id"], None)  # write it again next time, in case it is what failed
        status = f"{error.status} {error.reason}"[:200]
        logger.warning("google: object %s not written: %s", object_body["id"], status)
        if error.retryable:
            attempts = wallet_pass.google_attempts + 1
            retry = {"google_due_at": now + backoff(attempts), "google_attempts": attempts}
            _finish(wallet_pass, due_read, {"google_status": status}, retry)
            return "retry"
        _finish(wallet_pass, due_read, {"google_status": status}, settled)
        return "failed"
    finally:
        if own_client:
            client.close()

    notified = notified_recent(wallet_pass.google_notified, now)
    if write.notified:
        notified.append(now.isoformat())
    recorded = {
        "google_object_id": object_body["id"],
        "google_synced_hash": content.content_hash,
        "google_synced_at": now,
        "google_status": _status_text(write),
        "google_notified": notified,
    }
    if write.has_users and wallet_pass.google_saved_at is None:
        recorded["google_saved_at"] = now
    _finish(wallet_pass, due_read, recorded, settled)
    return "notified" if write.notified else "synced"
