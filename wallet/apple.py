"""Apple Wallet passes: a ``PassContent`` laid out as a signed ``.pkpass`` bundle, and the checks of the credentials
that sign it.

A bundle is a ZIP of ``pass.json`` (a storeCard), the images at @1x/@2x/@3x, ``xx.lproj/pass.strings`` for each
language, ``manifest.json`` (the SHA-1 of every other file) and ``signature`` (a detached PKCS#7 signature of the
manifest by the Pass Type ID certificate, carrying Apple's WWDR intermediate). ``pkpass_build`` makes one;
``apple_problems`` says in plain words what is wrong with a set of credentials (``manage.py wallet_check``, the
admin). Design notes: docs in ``/work/shared/design/wallet.md`` section 1.

Speed: a pass is rebuilt whenever a device asks for it after a change, so everything that does not depend on the
card (the rendered images, the strings files) is cached in-process; what is left is ``pass.json``, the manifest, an
RSA signature and the ZIP.
"""

import hashlib
import html
import io
import json
import logging
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import barcode
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtensionOID, NameOID
from django.utils import timezone
from django.utils.translation import gettext
from PIL import Image, ImageDraw, ImageFont, ImageOps

from wallet.content import PassContent, PassField, PassImages
from wallet.credentials import AppleCredentials

logger = logging.getLogger(__name__)

# What Apple puts in a Pass Type ID certificate: its extended key usage and the extension holding the pass type id.
APPLE_PASS_EKU = x509.ObjectIdentifier("1.2.840.113635.100.4.14")
APPLE_PASS_EXTENSION = x509.ObjectIdentifier("1.2.840.113635.100.6.1.16")

# storeCard layout limits (Apple, "Creating a store card pass"): more fields are not shown, or the pass is refused.
MAX_HEADER_FIELDS = 3
MAX_PRIMARY_FIELDS = 1
MAX_SECONDARY_AND_AUXILIARY_FIELDS = 4

# Languages every pass carries strings for: English (the keys themselves) and the ones Kartka ships.
LANGUAGES = ("en", "ru", "uk")

# Image roles: (file stem, size in points, how the source is fitted). "cover" crops to fill, "contain" keeps the
# whole image inside the box (the result may be narrower or lower than the box).
ICON = ("icon", (29, 29), "cover")
LOGO = ("logo", (160, 50), "contain")
STRIP = ("strip", (375, 123), "cover")
SCALES = (1, 2, 3)

# Every entry gets this time, so the same files make the same ZIP (the signature's signingTime still differs).
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
EXPIRY_WARNING = timedelta(days=30)


# ZIP records (APPNOTE 4.3.7, 4.3.12, 4.3.16) of a stored entry, as ``zipfile`` writes them: version 2.0, made on
# Unix, no extra fields, permissions 0644, every entry dated ZIP_TIMESTAMP.
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL_TAIL = struct.Struct("<3H2L")  # comment length, disk, internal and external attributes, offset
_END = struct.Struct("<4s4H2LH")
_DOS_TIME = (ZIP_TIMESTAMP[3] << 11) | (ZIP_TIMESTAMP[4] << 5) | (ZIP_TIMESTAMP[5] // 2)
_DOS_DATE = ((ZIP_TIMESTAMP[0] - 1980) << 9) | (ZIP_TIMESTAMP[1] << 5) | ZIP_TIMESTAMP[2]
_UNIX_0644 = 0o644 << 16
_MAX_SIZE = 0xFFFFFFFF  # beyond it an entry needs ZIP64, which no pass comes near


@dataclass(frozen=True)
class BundleFile:
    """A file of the bundle with what the manifest and the ZIP need of it, computed once: the images and strings
    files are cached with their digests, so a pass built again hashes only its own few kilobytes."""

    name: str
    data: bytes
    sha1: str
    crc: int = 0  # CRC-32 of ``data``, for the ZIP entry

    @classmethod
    def of(cls, name: str, data: bytes) -> "BundleFile":
        return cls(name, data, hashlib.sha1(data, usedforsecurity=False).hexdigest(), zlib.crc32(data))

    @cached_property
    def zip_header(self) -> bytes:
        """The entry's ZIP local file header with its name (``zip_stored``): it does not depend on where the entry
        lands, so a cached image's is made once."""
        name = self.name.encode()
        flags = 0 if self.name.isascii() else 0x800  # the name is UTF-8 (zipfile's rule)
        size = len(self.data)
        if size > _MAX_SIZE:
            raise ValueError(f"{self.name}: a pass file of 4 GiB or more")
        return (
            _LOCAL.pack(b"PK\x03\x04", 20, 0, flags, 0, _DOS_TIME, _DOS_DATE, self.crc, size, size, len(name), 0) + name
        )


# --- pass.json -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def rgb(colour: str) -> str | None:
    """A "#rrggbb" (or "#rgb") colour as Apple's "rgb(r, g, b)"; ``None`` for anything else (cached: a program's
    few theme colours are converted for every pass)."""
    text = colour.strip().removeprefix("#")
    if len(text) == 3:
        text = "".join(digit * 2 for digit in text)
    try:
        if len(text) != 6:
            raise ValueError(colour)
        red, green, blue = (int(text[index : index + 2], 16) for index in (0, 2, 4))
    except ValueError:
        return None
    return f"rgb({red}, {green}, {blue})"


def json_number(value: Decimal | int) -> int | float:
    """A figure as a JSON number: an int when whole, else the float whose shortest repr is the decimal's own
    digits (exact for the ≤ 15 significant digits balances have), so the wallet formats "140.5" with the currency
    itself. Nothing computes with the float: it only carries the digits into the JSON text."""
    if isinstance(value, int) or value == value.to_integral_value():
        return int(value)
    return float(value)


def _field(field: PassField, *, back: bool) -> dict:
    """One PassField as Apple's field dictionary. ``label`` and ``changeMessage`` stay English: the phone looks them
    up in ``pass.strings``. Money is a number with ``currencyCode``; a back field's link becomes an
    ``attributedValue`` anchor (Apple shows links only there)."""
    value = field.value
    data: dict = {"key": field.key}
    if field.label:
        data["label"] = field.label
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        data["value"] = json_number(value)
        if field.currency:
            data["currencyCode"] = field.currency
    else:
        data["value"] = str(value)
    if field.change_message:
        if "%@" in field.change_message:
            data["changeMessage"] = field.change_message
        else:
            logger.warning("pass field %r: change message without %%@ left out: %r", field.key, field.change_message)
    if field.link:
        if back:
            text = html.escape(str(value) or field.link)
            data["attributedValue"] = f'<a href="{html.escape(field.link)}">{text}</a>'
        else:
            logger.warning("pass field %r: links are shown on the back only; link left out", field.key)
    return data


def _fields(
    fields: Iterable[PassField], *, area: str, limit: int | None, seen: set[str], back: bool = False
) -> list[dict]:
    """The fields of one area, at most ``limit`` of them (Apple refuses or hides the rest, so they are dropped with a
    log line rather than making the whole pass fail); a key used already on the pass is dropped too (keys are
    unique per pass)."""
    laid_out = []
    for field in fields:
        if field.key in seen:
            logger.warning("pass field %r in %s: the key is used already; left out", field.key, area)
            continue
        if limit is not None and len(laid_out) >= limit:
            logger.warning("pass field %r: a storeCard shows at most %d %s; left out", field.key, limit, area)
            continue
        seen.add(field.key)
        laid_out.append(_field(field, back=back))
    return laid_out


def _store_card(content: PassContent) -> dict:
    seen: set[str] = set()
    header = _fields(content.header_fields, area="header fields", limit=MAX_HEADER_FIELDS, seen=seen)
    primary = _fields(content.primary_fields, area="primary fields", limit=MAX_PRIMARY_FIELDS, seen=seen)
    secondary = _fields(
        content.secondary_fields,
        area="secondary and auxiliary fields",
        limit=MAX_SECONDARY_AND_AUXILIARY_FIELDS,
        seen=seen,
    )
    auxiliary = _fields(
        content.auxiliary_fields,
        area="secondary and auxiliary fields",
        limit=MAX_SECONDARY_AND_AUXILIARY_FIELDS - len(secondary),
        seen=seen,
    )
    back = _fields(content.back_fields, area="back fields", limit=None, seen=seen, back=True)
    areas = {
        "headerFields": header,
        "primaryFields": primary,
        "secondaryFields": secondary,
        "auxiliaryFields": auxiliary,
        "backFields": back,
    }
    return {name: fields for name, fields in areas.items() if fields}


def _barcode(content: PassContent) -> dict:
    """The card's QR code. Apple converts ``message`` to bytes with ``messageEncoding``; iso-8859-1 is what scanners
    expect, utf-8 only when the payload has characters Latin-1 lacks."""
    try:
        content.barcode.encode("iso-8859-1")
        encoding = "iso-8859-1"
    except UnicodeEncodeError:
        encoding = "utf-8"
    barcode = {"format": "PKBarcodeFormatQR", "message": content.barcode, "messageEncoding": encoding}
    if content.card_number:
        barcode["altText"] = content.card_number
    return barcode


def web_service_usable(url: str) -> bool:
    """Phones talk to the PassKit web service over HTTPS only: an http or empty URL would make them refuse the
    pass, so such a pass is issued without updates instead."""
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.netloc)


def pass_json(content: PassContent, credentials: AppleCredentials, *, web_service_url: str) -> dict:
    """``content`` as the ``pass.json`` of a storeCard signed with ``credentials``.

    The pass type and team ids are the credentials' (phones refuse a pass whose ids differ from its certificate's).
    ``webServiceURL`` and ``authenticationToken`` are there only when ``web_service_url`` is https. Colours are
    ``rgb()``; labels, change messages and the description are English keys of ``pass.strings``; fields beyond
    the storeCard's limits are dropped with a log line. Sharing is prohibited: a pass is its member's card."""
    data: dict = {
        "formatVersion": 1,
        "passTypeIdentifier": credentials.pass_type_identifier,
        "teamIdentifier": credentials.team_identifier,
        "serialNumber": content.serial,
        "organizationName": content.organization or content.program_name,  # required, and shown on the lock screen
        "description": content.description,
        "logoText": content.program_name,
    }
    if web_service_usable(web_service_url):
        data["webServiceURL"] = web_service_url
        data["authenticationToken"] = content.authentication_token
    elif web_service_url:
        logger.warning("pass %s: web service URL %r is not https; no updates", content.serial, web_service_url)
    for key, colour in (
        ("backgroundColor", content.background),
        ("foregroundColor", content.foreground),
        ("labelColor", content.label_colour),
    ):
        value = rgb(colour) if colour else None
        if value is not None:
            data[key] = value
        elif colour:
            logger.warning("pass %s: colour %r is not #rrggbb; %s left out", content.serial, colour, key)
    if content.barcode:
        data["barcodes"] = [_barcode(content)]
    data["storeCard"] = _store_card(content)
    if content.voided:
        data["voided"] = True
    data["sharingProhibited"] = True
    return data


def english_keys(data: dict) -> tuple[str, ...]:
    """The English texts of ``pass.json`` the phone looks up in ``pass.strings``: the description and every field's
    label and change message, in order of appearance, once each."""
    keys = [data.get("description", "")]
    for fields in data.get("storeCard", {}).values():
        for field in fields:
            keys += [field.get("label", ""), field.get("changeMessage", "")]
    return tuple(dict.fromkeys(key for key in keys if key))


# --- pass.strings ----------------------------------------------------------------------------------------------


def strings_escape(text: str) -> str:
    """Text as the inside of a quoted ``.strings`` literal: backslash, double quote and line breaks escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def strings_file(mapping: dict[str, str]) -> bytes:
    """A ``pass.strings`` file: one ``"KEY" = "Value";`` line per entry, UTF-8. Apple recommends UTF-16 but
    accepts UTF-8 (what passkit-generator and the other libraries ship), and UTF-8 keeps the bundle small."""
    lines = [f'"{strings_escape(key)}" = "{strings_escape(value)}";\n' for key, value in mapping.items()]
    return "".join(lines).encode()


@lru_cache(maxsize=128)
def _strings_files(table: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> tuple[BundleFile, ...]:
    return tuple(
        BundleFile.of(f"{language}.lproj/pass.strings", strings_file(dict(pairs))) for language, pairs in table
    )


def pass_strings(content: PassContent, keys: tuple[str, ...]) -> tuple[BundleFile, ...]:
    """The ``xx.lproj/pass.strings`` files for ``keys``: English maps each key to itself (so an English phone shows
    the text, not a lookup miss), the other languages map the keys ``content.strings`` translates. A translated
    change message that lost its ``%@`` is left out (the phone then shows the English). Files are cached by their
    text: every pass of a program shares them."""
    languages = [*LANGUAGES, *sorted(set(content.strings) - set(LANGUAGES))]
    table = []
    for language in languages:
        if language == "en":
            pairs = tuple((key, key) for key in keys)
        else:
            translations = content.strings.get(language, {})
            pairs = tuple(
                (key, translations[key])
                for key in keys
                if translations.get(key) and ("%@" not in key or "%@" in translations[key])
            )
        table.append((language, pairs))
    return _strings_files(tuple(table))


# --- Images ----------------------------------------------------------------------------------------------------


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans Mono, which python-barcode (a dependency) ships: it has Cyrillic initials, which Pillow's built-in
    font lacks; the built-in one is the fallback. The same file everywhere keeps icons byte-identical."""
    try:
        return ImageFont.truetype(str(Path(barcode.__file__).parent / "fonts" / "DejaVuSansMono.ttf"), size)
    except OSError:
        return ImageFont.load_default(size=size)


def _icon_drawn(side: int, *, initial: str, background: str, foreground: str) -> Image.Image:
    """A plain square in the background colour with the program's initial in the foreground colour: the icon a pass
    gets when its theme has none (Apple refuses a pass without ``icon.png``)."""
    image = Image.new("RGB", (side, side), background)
    if initial:
        draw = ImageDraw.Draw(image)
        draw.text((side / 2, side / 2), initial, fill=foreground, font=_font(round(side * 0.62)), anchor="mm")
    return image


def _decoded(data: bytes | None, role: str) -> Image.Image | None:
    """The theme's image, upright (EXIF orientation applied) and in RGB(A); ``None`` when there is none or it
    cannot be read (logged: a broken upload must not stop passes)."""
    if not data:
        return None
    try:
        # verify() first: load() accepts a truncated file once anything in the process has set Pillow's global
        # LOAD_TRUNCATED_IMAGES (WeasyPrint does on import, for the analytics reports); verify() never does.
        Image.open(io.BytesIO(data)).verify()
        image = Image.open(io.BytesIO(data))
        image = ImageOps.exif_transpose(image)
        image.load()
    except Exception as error:  # Pillow raises OSError, SyntaxError, DecompressionBombError…: any means unusable
        logger.warning("wallet %s image cannot be read (%s); left out", role, error)
        return None
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _png(image: Image.Image) -> bytes:
    """PNG bytes with no metadata: the same pixels always give the same bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def _scaled(image: Image.Image, size: tuple[int, int], fit: str) -> Image.Image:
    if fit == "cover":
        return ImageOps.fit(image, size, method=Image.Resampling.LANCZOS)
    return ImageOps.contain(image, size, method=Image.Resampling.LANCZOS)


def _role_files(stem: str, image: Image.Image, points: tuple[int, int], fit: str) -> list[BundleFile]:
    files = []
    for scale in SCALES:
        size = (points[0] * scale, points[1] * scale)
        name = f"{stem}.png" if scale == 1 else f"{stem}@{scale}x.png"
        files.append(BundleFile.of(name, _png(_scaled(image, size, fit))))
    return files


def images_render(images: PassImages, *, initial: str, background: str, foreground: str) -> tuple[BundleFile, ...]:
    """The bundle's PNGs from the theme's images, whatever their size and format: ``icon`` 29×29 (cropped to a
    square; drawn from the colours and ``initial`` when the theme has none), ``logo`` inside 160×50 (aspect ratio
    kept), ``strip`` 375×123 (cropped to fill), each at @1x, @2x and @3x. A missing logo or strip is left out."""
    files: list[BundleFile] = []
    icon = _decoded(images.icon, "icon")
    if icon is not None:
        files += _role_files(ICON[0], icon, ICON[1], ICON[2])
    else:
        for scale in SCALES:
            side = ICON[1][0] * scale
            drawn = _icon_drawn(side, initial=initial, background=background, foreground=foreground)
            files.append(BundleFile.of("icon.png" if scale == 1 else f"icon@{scale}x.png", _png(drawn)))
    for role, source in ((LOGO, images.logo), (STRIP, images.strip)):
        image = _decoded(source, role[0])
        if image is not None:
            files += _role_files(role[0], image, role[1], role[2])
    return tuple(files)


class _LRU:
    """A small thread-safe least-recently-used cache (gunicorn may run threads)."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key, make: Callable[[], object]):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()  # outside the lock: rendering takes a while, a duplicate render is harmless
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


_images_cache = _LRU(32)


def pass_images(content: PassContent) -> tuple[BundleFile, ...]:
    """The rendered images of ``content``, cached per program and ``images_version`` (the theme's version changes
    whenever its images do; rendering is the slow part of building a pass). Without a version nothing is cached."""
    background = content.background if rgb(content.background) else "#ffffff"
    foreground = content.foreground if rgb(content.foreground) else "#000000"
    initial = content.program_name.strip()[:1].upper()

    def render() -> tuple[BundleFile, ...]:
        return images_render(content.images, initial=initial, background=background, foreground=foreground)

    if not content.images_version:
        return render()
    key = (content.program_id, content.images_version, initial, background, foreground)
    return _images_cache.get(key, render)


# --- Manifest, signature, bundle -------------------------------------------------------------------------------


def manifest_json(files: Iterable[BundleFile]) -> bytes:
    """``manifest.json``: every file's path → the lowercase hex SHA-1 of its bytes."""
    return json.dumps({file.name: file.sha1 for file in files}).encode()


def manifest_sign(manifest: bytes, credentials: AppleCredentials) -> bytes:
    """The ``signature`` file: a detached PKCS#7 SignedData (DER) over ``manifest`` by the pass certificate and key,
    SHA-256, with the WWDR intermediate included and a signing time (``cryptography`` adds it). ``Binary`` signs
    the bytes as they are: without it a manifest holding a newline is canonicalised to CRLF first and the
    signature no longer matches the file."""
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(manifest)
        .add_signer(credentials.certificate, credentials.key, hashes.SHA256())
    )
    if credentials.wwdr is not None:
        builder = builder.add_certificate(credentials.wwdr)
    return builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])


def zip_stored(files: Iterable[BundleFile]) -> bytes:
    """The files as a ZIP, in the order given, uncompressed (PNGs barely compress, and stored entries are what the
    known-good builders write), every entry with the same timestamp and permissions.

    Written record by record rather than through ``zipfile``: a pass is ~15 entries, and ``zipfile``'s per-entry
    bookkeeping and CRC of the cached images cost more than the rest of a pass bar its signature. The bytes are
    the ones ``zipfile.ZipFile.writestr`` writes for the same entries (``test_apple_pass`` compares them)."""
    parts: list[bytes] = []
    central: list[bytes] = []
    offset = entries = 0
    for file in files:
        header = file.zip_header
        parts += (header, file.data)
        # The central record: "version made by" (2.0, Unix), the local header's fields, then its own.
        central += (b"PK\x01\x02\x14\x03", header[4:30], _CENTRAL_TAIL.pack(0, 0, 0, _UNIX_0644, offset), header[30:])
        offset += len(header) + len(file.data)
        entries += 1
    if offset > _MAX_SIZE:
        raise ValueError("a bundle of 4 GiB or more")
    directory = b"".join(central)
    end = _END.pack(b"PK\x05\x06", 0, 0, entries, entries, len(directory), offset, 0)
    return b"".join(parts) + directory + end


def pkpass_build(content: PassContent, credentials: AppleCredentials, *, web_service_url: str) -> bytes:
    """The signed ``.pkpass`` of ``content`` (serve it as ``application/vnd.apple.pkpass``): ``pass.json``, the
    images, the strings files, ``manifest.json`` and ``signature``, in that order. Raises what signing raises when
    the credentials are unusable (``apple_problems`` says why beforehand)."""
    data = pass_json(content, credentials, web_service_url=web_service_url)
    files = [
        BundleFile.of("pass.json", json.dumps(data, ensure_ascii=False).encode()),
        *pass_images(content),
        *pass_strings(content, english_keys(data)),
    ]
    manifest = manifest_json(files)
    signature = manifest_sign(manifest, credentials)
    return zip_stored([*files, BundleFile.of("manifest.json", manifest), BundleFile.of("signature", signature)])


# --- Checks ----------------------------------------------------------------------------------------------------


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _subject(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _public(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _validity_problems(certificate: x509.Certificate, at: datetime, *, what: str) -> list[str]:
    if certificate.not_valid_after_utc <= at:
        return [
            gettext("The %(what)s expired on %(date)s.") % {"what": what, "date": _day(certificate.not_valid_after_utc)}
        ]
    if certificate.not_valid_before_utc > at:
        return [
            gettext("The %(what)s is not valid before %(date)s.")
            % {"what": what, "date": _day(certificate.not_valid_before_utc)}
        ]
    if certificate.not_valid_after_utc - at <= EXPIRY_WARNING:
        return [
            gettext("The %(what)s expires on %(date)s: renew it before then.")
            % {"what": what, "date": _day(certificate.not_valid_after_utc)}
        ]
    return []


def _has_apple_pass_usage(certificate: x509.Certificate) -> bool:
    try:
        usages = certificate.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
        certificate.extensions.get_extension_for_oid(APPLE_PASS_EXTENSION)
    except x509.ExtensionNotFound:
        return False
    return APPLE_PASS_EKU in usages


def _apns_problems(credentials: AppleCredentials) -> list[str]:
    key, key_id = credentials.apns_key, credentials.apns_key_id
    if key is None or not key_id:
        return [
            gettext(
                "Warning: no APNs key (or no key ID) is set, so pushes are disabled: passes on phones change only "
                "when their owners refresh them. Add the .p8 key and its ID to send updates."
            )
        ]
    problems = []
    if not (isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)):
        problems.append(gettext("The APNs key is not a P-256 key: use the .p8 file Apple issued for push tokens."))
    if len(key_id) != 10:
        problems.append(
            gettext("The APNs key ID %(key_id)s is not 10 characters long: copy it as Apple shows it.")
            % {"key_id": key_id}
        )
    return problems


def apple_problems(credentials: AppleCredentials, *, at: datetime | None = None) -> list[str]:
    """What is wrong with ``credentials``, in plain words (empty when nothing is): the pass certificate's dates
    (expired, not yet valid, expiring within 30 days), whether the key belongs to it, whether its UID and OU are
    the pass type and team ids, whether it carries Apple's pass key usage (a warning), the WWDR intermediate
    (missing, not the certificate's issuer, its dates), the APNs key (missing: a warning, pushes disabled; not
    P-256; a key id that is not 10 characters), and whether a trial signature succeeds. ``at``: now."""
    at = at or timezone.now()
    if timezone.is_naive(at):
        at = timezone.make_aware(at, UTC)
    certificate = credentials.certificate
    problems = _validity_problems(certificate, at, what=gettext("pass certificate"))
    if _public(credentials.key.public_key()) != _public(certificate.public_key()):
        problems.append(gettext("The private key does not belong to the pass certificate."))
    uid = _subject(certificate, NameOID.USER_ID)
    if uid != credentials.pass_type_identifier:
        problems.append(
            gettext("The pass certificate was issued for the pass type ID %(uid)s, not %(configured)s.")
            % {"uid": uid or "—", "configured": credentials.pass_type_identifier or "—"}
        )
    team = _subject(certificate, NameOID.ORGANIZATIONAL_UNIT_NAME)
    if team != credentials.team_identifier:
        problems.append(
            gettext("The pass certificate was issued for the team ID %(team)s, not %(configured)s.")
            % {"team": team or "—", "configured": credentials.team_identifier or "—"}
        )
    if not _has_apple_pass_usage(certificate):
        problems.append(
            gettext(
                "Warning: the pass certificate lacks Apple's Pass Type ID usage; phones accept only Pass Type ID "
                "certificates issued by Apple."
            )
        )
    wwdr = credentials.wwdr
    if wwdr is None:
        problems.append(
            gettext(
                "The Apple WWDR intermediate certificate is not set, and phones refuse passes without it: "
                "download AppleWWDRCAG4.cer from https://www.apple.com/certificateauthority/."
            )
        )
    else:
        try:
            certificate.verify_directly_issued_by(wwdr)
        except (ValueError, TypeError, InvalidSignature):
            problems.append(
                gettext("The WWDR certificate (%(wwdr)s) did not issue the pass certificate (issuer: %(issuer)s).")
                % {"wwdr": wwdr.subject.rfc4514_string(), "issuer": certificate.issuer.rfc4514_string()}
            )
        problems += _validity_problems(wwdr, at, what=gettext("WWDR intermediate certificate"))
    problems += _apns_problems(credentials)
    try:
        manifest_sign(b"{}", credentials)
    except Exception as error:  # anything: the message is the point, and a check must not crash
        problems.append(gettext("A trial signature failed: %(error)s") % {"error": error})
    return problems
