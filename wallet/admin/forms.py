"""The credentials form of one program: Apple's Pass Type ID certificate, its key, the WWDR intermediate and the APNs
key; Google's issuer and service account. Uploads are read and checked here (they parse, the key fits the
certificate, the certificate is valid and was issued for the pass type and team IDs) and handed to
``wallet.services.wallet_config_save`` as a ``WalletConfigInput``; nothing is stored by the form itself.

Stored secrets are never sent back to the browser: a field says that one is stored and an upload replaces it.
"""

import json

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wallet.credentials import CredentialsError, certificate_load, key_load
from wallet.google import SERVICE_ACCOUNT_FIELDS
from wallet.models import WalletConfig
from wallet.secrets import SecretsUnavailable, secret_open, secrets_available
from wallet.services import WalletConfigInput

MAX_UPLOAD = 64 * 1024  # certificates, keys and JSON keys are a few kilobytes
P12_SUFFIXES = (".p12", ".pfx")
KEY_ID_FORMAT = gettext_lazy("Ten capital letters and digits, as Apple shows it.")
ISSUER_ID_FORMAT = gettext_lazy("Digits only, as the Google Pay & Wallet Console shows it.")
SECRETS_KEY_MISSING = gettext_lazy(
    "Set WALLET_SECRETS_KEY on the server first: without it Kartka cannot store keys encrypted. Nothing was saved."
)


def _subject(certificate: x509.Certificate, oid) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _public(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _day(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def certificate_summary(pem: str) -> str:
    """ "pass.com.example (ABCDE12345), valid until 01.02.2027" for a stored certificate ("" if unreadable)."""
    try:
        certificate = certificate_load(pem.encode(), "certificate")
    except CredentialsError:
        return ""
    name = _subject(certificate, NameOID.USER_ID) or _subject(certificate, NameOID.COMMON_NAME)
    team = _subject(certificate, NameOID.ORGANIZATIONAL_UNIT_NAME)
    return _("%(name)s, valid until %(date)s") % {
        "name": f"{name} ({team})" if team else name,
        "date": _day(certificate.not_valid_after_utc),
    }


class WalletCredentialsForm(forms.Form):
    apple_pass_type_identifier = forms.CharField(
        label=gettext_lazy("Pass type ID"),
        max_length=255,
        required=False,
        help_text=gettext_lazy(
            "As registered at Apple, e.g. pass.com.example.loyalty. Empty: read from the certificate."
        ),
    )
    apple_team_identifier = forms.CharField(
        label=gettext_lazy("Team ID"),
        max_length=10,
        required=False,
        help_text=gettext_lazy("Ten characters, e.g. ABCDE12345. Empty: read from the certificate."),
    )
    apple_certificate = forms.FileField(
        label=gettext_lazy("Pass Type ID certificate"),
        required=False,
        help_text=gettext_lazy("The .cer or .pem file from Apple, or a .p12 exported with its private key."),
    )
    apple_p12_password = forms.CharField(
        label=gettext_lazy("Password of the .p12 file"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    apple_key = forms.FileField(
        label=gettext_lazy("Private key of the certificate"),
        required=False,
        help_text=gettext_lazy("A .pem file. Not needed with a .p12 file, which carries its key."),
    )
    apple_key_password = forms.CharField(
        label=gettext_lazy("Password of the private key"),
        required=False,
        strip=False,
        help_text=gettext_lazy("Only if the key file is encrypted."),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    apple_wwdr = forms.FileField(
        label=gettext_lazy("Apple WWDR intermediate certificate"),
        required=False,
        help_text=gettext_lazy("Optional (.cer or .pem). Empty: the one the server is set up with."),
    )
    apple_wwdr_remove = forms.BooleanField(label=gettext_lazy("Remove the stored WWDR certificate"), required=False)
    apns_key_id = forms.CharField(
        label=gettext_lazy("APNs key ID"),
        max_length=10,
        required=False,
        validators=[RegexValidator(r"^[A-Z0-9]{10}$", KEY_ID_FORMAT)],
    )
    apns_key = forms.FileField(
        label=gettext_lazy("APNs key (.p8)"),
        required=False,
        help_text=gettext_lazy(
            "Lets Kartka tell phones that a pass changed. Without it passes update only when opened."
        ),
    )
    apns_key_remove = forms.BooleanField(label=gettext_lazy("Remove the stored APNs key"), required=False)
    apple_remove = forms.BooleanField(
        label=gettext_lazy("Stop using this program's own Apple credentials"),
        required=False,
        help_text=gettext_lazy("Removes the certificate and keys; the server's Apple credentials are used, if any."),
    )
    google_issuer_id = forms.CharField(
        label=gettext_lazy("Google issuer ID"),
        max_length=32,
        required=False,
        validators=[RegexValidator(r"^\d+$", ISSUER_ID_FORMAT)],
    )
    google_service_account = forms.FileField(
        label=gettext_lazy("Google service account key (JSON)"),
        required=False,
        help_text=gettext_lazy("The JSON key of a service account allowed to manage the issuer's passes."),
    )
    google_remove = forms.BooleanField(
        label=gettext_lazy("Stop using this program's own Google credentials"),
        required=False,
        help_text=gettext_lazy("Removes the service account key; the server's Google credentials are used, if any."),
    )

    APPLE_FIELDS = (
        "apple_pass_type_identifier",
        "apple_team_identifier",
        "apple_certificate",
        "apple_p12_password",
        "apple_key",
        "apple_key_password",
        "apple_wwdr",
        "apple_wwdr_remove",
        "apns_key_id",
        "apns_key",
        "apns_key_remove",
        "apple_remove",
    )
    GOOGLE_FIELDS = ("google_issuer_id", "google_service_account", "google_remove")

    def __init__(self, *args, config: WalletConfig | None, **kwargs):
        self.config = config or WalletConfig()
        initial = {
            name: getattr(self.config, name)
            for name in ("apple_pass_type_identifier", "apple_team_identifier", "apns_key_id", "google_issuer_id")
        }
        kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.values: WalletConfigInput | None = None
        stored = {
            "apple_certificate": self.config.apple_certificate,
            "apple_key": self.config.apple_key_sealed,
            "apple_wwdr": self.config.apple_wwdr,
            "apns_key": self.config.apns_key_sealed,
            "google_service_account": self.config.google_service_account_sealed,
        }
        for name, value in stored.items():
            if not value:
                continue
            field = self.fields[name]
            if name in ("apple_certificate", "apple_wwdr"):
                summary = certificate_summary(value)
                note = _("A certificate is stored (%(summary)s) — upload a new one to replace it.") % {
                    "summary": summary or "—"
                }
            else:
                note = _("A key is stored — upload a new one to replace it.")
            field.help_text = f"{note} {field.help_text}"
        if self.config.apple_key_password_sealed:
            self.fields["apple_key_password"].help_text = _(
                "A password is stored; it is replaced whenever a new key is uploaded."
            )

    def apple_fields(self):
        return [self[name] for name in self.APPLE_FIELDS]

    def google_fields(self):
        return [self[name] for name in self.GOOGLE_FIELDS]

    # --- Reading uploads -------------------------------------------------------------------------------------

    def _upload(self, name: str) -> bytes | None:
        upload = self.cleaned_data.get(name)
        if not upload:
            return None
        if upload.size > MAX_UPLOAD:
            self.add_error(name, _("This file is too large for a certificate or a key."))
            return None
        return upload.read()

    def _stored_secret(self, field: str, sealed: str) -> bytes | None:
        try:
            return secret_open(sealed)
        except SecretsUnavailable:
            self.add_error(
                field, _("The stored key cannot be opened with the server's WALLET_SECRETS_KEY: upload it again.")
            )
            return None

    def _key(self, field: str, data: bytes, password: bytes = b""):
        try:
            return key_load(data, "key", password)
        except CredentialsError as error:
            if isinstance(error.__cause__, TypeError):
                self.add_error(field, _("This key needs a password, or was given one it does not need."))
            else:
                self.add_error(field, _("This is not a PEM private key, or its password is wrong."))
            return None

    def _certificate(self, field: str, data: bytes) -> x509.Certificate | None:
        try:
            return certificate_load(data, "certificate")
        except CredentialsError:
            self.add_error(field, _("This is not a certificate (.cer or .pem)."))
            return None

    # --- Checking ---------------------------------------------------------------------------------------------

    def _uploads_secrets(self) -> bool:
        data = self.cleaned_data
        certificate = data.get("apple_certificate")
        apple = data.get("apple_key") or data.get("apns_key") or (certificate and self._is_p12(certificate))
        google = data.get("google_service_account")
        return bool((apple and not data.get("apple_remove")) or (google and not data.get("google_remove")))

    @staticmethod
    def _is_p12(upload) -> bool:
        return upload.name.lower().endswith(P12_SUFFIXES)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if self._uploads_secrets() and not secrets_available():
            raise forms.ValidationError(SECRETS_KEY_MISSING, code="no_secrets_key")
        apple = self._clean_apple()
        google = self._clean_google()
        if not self.errors:
            self.values = WalletConfigInput(**apple, **google)
        return cleaned

    def _clean_apple(self) -> dict:
        data = self.cleaned_data
        if data["apple_remove"]:
            return {
                "apple_pass_type_identifier": "",
                "apple_team_identifier": "",
                "apns_key_id": "",
                "apple_certificate": "",
                "apple_wwdr": "",
                "apple_key": b"",
                "apple_key_password": b"",
                "apns_key": b"",
            }
        config = self.config
        values = {}
        certificate = key = None
        upload = self._upload("apple_certificate")
        if upload is not None:
            if self._is_p12(data["apple_certificate"]):
                try:
                    key, certificate, extra = pkcs12.load_key_and_certificates(
                        upload, data["apple_p12_password"].encode() or None
                    )
                except (ValueError, TypeError):
                    self.add_error(
                        "apple_certificate", _("This .p12 file cannot be opened: is it one, and is the password right?")
                    )
                    return {}
                if certificate is None or key is None:
                    self.add_error(
                        "apple_certificate", _("This .p12 file must hold the certificate and its private key.")
                    )
                    return {}
                values["apple_key"], values["apple_key_password"] = _key_pem(key), b""
                wwdr = next((item for item in extra if item.subject == certificate.issuer), None)
                if wwdr is not None and not data.get("apple_wwdr"):
                    values["apple_wwdr"] = _pem(wwdr)
            else:
                certificate = self._certificate("apple_certificate", upload)
                if certificate is None:
                    return {}
            values["apple_certificate"] = _pem(certificate)
        elif config.apple_certificate:
            certificate = certificate_load(config.apple_certificate.encode(), "certificate")

        key_upload = self._upload("apple_key")
        if key is None and key_upload is not None:
            password = data["apple_key_password"].encode()
            key = self._key("apple_key", key_upload, password)
            if key is None:
                return {}
            values["apple_key"], values["apple_key_password"] = key_upload, password
        elif key is None and config.apple_key_sealed and certificate is not None:
            stored = self._stored_secret("apple_key", config.apple_key_sealed)
            password = self._stored_secret("apple_key", config.apple_key_password_sealed) if stored else None
            if stored is None or password is None:
                return {}
            key = self._key("apple_key", stored, password)

        pass_type = data["apple_pass_type_identifier"].strip()
        team = data["apple_team_identifier"].strip()
        if certificate is None:
            if pass_type or team or key_upload is not None or data.get("apns_key") or data.get("apple_wwdr"):
                self.add_error("apple_certificate", _("Upload the Pass Type ID certificate."))
                return {}
            values.update(apple_pass_type_identifier="", apple_team_identifier="", apns_key_id="")
            return values
        if key is None:
            if not self.has_error("apple_key"):
                self.add_error("apple_key", _("Upload the private key of the certificate."))
            return {}
        if _public(key.public_key()) != _public(certificate.public_key()):
            self.add_error("apple_key", _("This key does not belong to the certificate."))
        uid = _subject(certificate, NameOID.USER_ID)
        ou = _subject(certificate, NameOID.ORGANIZATIONAL_UNIT_NAME)
        pass_type, team = pass_type or uid, team or ou
        if pass_type != uid:
            self.add_error(
                "apple_pass_type_identifier",
                _("The certificate was issued for the pass type ID %(uid)s, not this one.") % {"uid": uid or "—"},
            )
        if team != ou:
            self.add_error(
                "apple_team_identifier",
                _("The certificate was issued for the team ID %(team)s, not this one.") % {"team": ou or "—"},
            )
        now = timezone.now()
        if certificate.not_valid_after_utc <= now:
            self.add_error(
                "apple_certificate",
                _("This certificate expired on %(date)s: create a new one at Apple.")
                % {"date": _day(certificate.not_valid_after_utc)},
            )
        elif certificate.not_valid_before_utc > now:
            self.add_error(
                "apple_certificate",
                _("This certificate is not valid before %(date)s.") % {"date": _day(certificate.not_valid_before_utc)},
            )
        values.update(apple_pass_type_identifier=pass_type, apple_team_identifier=team)

        wwdr_upload = self._upload("apple_wwdr")
        if wwdr_upload is not None:
            wwdr = self._certificate("apple_wwdr", wwdr_upload)
            if wwdr is not None:
                values["apple_wwdr"] = _pem(wwdr)
        elif data["apple_wwdr_remove"]:
            values["apple_wwdr"] = ""

        key_id = data["apns_key_id"]
        apns_upload = self._upload("apns_key")
        if apns_upload is not None:
            if self._key("apns_key", apns_upload) is not None:
                values["apns_key"] = apns_upload
        elif data["apns_key_remove"]:
            values["apns_key"] = b""
        has_apns_key = bool(apns_upload) or (bool(config.apns_key_sealed) and not data["apns_key_remove"])
        if has_apns_key and not key_id:
            self.add_error("apns_key_id", _("Enter the ID of the APNs key."))
        if key_id and not has_apns_key:
            self.add_error("apns_key", _("Upload the .p8 key of this key ID."))
        values["apns_key_id"] = key_id
        return values

    def _clean_google(self) -> dict:
        data = self.cleaned_data
        if data["google_remove"]:
            return {"google_issuer_id": "", "google_service_account": b""}
        issuer = data["google_issuer_id"]
        upload = self._upload("google_service_account")
        values = {"google_issuer_id": issuer}
        if upload is not None:
            if not issuer:
                self.add_error("google_issuer_id", _("Enter the issuer ID the service account writes passes for."))
            error = self._service_account_error(upload)
            if error:
                self.add_error("google_service_account", error)
            else:
                values["google_service_account"] = upload
        elif issuer and not self.config.google_service_account_sealed:
            self.add_error("google_service_account", _("Upload the service account's JSON key."))
        elif not issuer and self.config.google_service_account_sealed:
            values["google_service_account"] = b""  # no issuer: the program's Google credentials are off
        return values

    @staticmethod
    def _service_account_error(data: bytes) -> str:
        try:
            info = json.loads(data)
        except ValueError:
            return _("This is not a JSON file.")
        if not isinstance(info, dict) or info.get("type") not in (None, "service_account"):
            return _("This is not a service account key: download a JSON key for a service account.")
        missing = [name for name in SERVICE_ACCOUNT_FIELDS if not info.get(name)]
        if missing:
            return _("The key lacks %(fields)s: download a new JSON key for the account.") % {
                "fields": ", ".join(missing)
            }
        try:
            key = serialization.load_pem_private_key(str(info["private_key"]).encode(), password=None)
        except (TypeError, ValueError):
            return _("The key's private_key cannot be read.")
        if not isinstance(key, rsa.RSAPrivateKey):
            return _("The key's private_key is not an RSA key.")
        return ""
