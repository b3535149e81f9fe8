"""The Apple pass bundle (``wallet.apple.pkpass_build``) and the credential checks (``apple_problems``), against the
test PKI of ``tests.wallet.pki``: what the phone reads in pass.json, the images and strings it shows, and a
signature that openssl accepts only with the right root and the untouched manifest."""

import datetime as dt
import hashlib
import io
import json
import logging
import re
import zipfile
from dataclasses import replace

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from PIL import Image, ImageFile

from tests.wallet import pki
from tests.wallet.pki import (
    PASS_TYPE_ID,
    TEAM_ID,
    needs_openssl,
    openssl_verify,
    pem_write,
    pkpass_files,
)
from tests.wallet.samples import png, sample_content
from wallet.apple import (
    ZIP_TIMESTAMP,
    BundleFile,
    apple_problems,
    images_render,
    manifest_sign,
    pass_images,
    pass_json,
    pkpass_build,
    strings_file,
    zip_stored,
)
from wallet.content import PassField, PassImages
from wallet.demo_ca import ca_issue, rsa_key_new

# The test PKI's session fixtures, shared by name (tests/wallet has no conftest on purpose).
apple_pki, other_pki, apple_pki_files = pki.apple_pki, pki.other_pki, pki.apple_pki_files
apns_key, apple_test_credentials = pki.apns_key, pki.apple_test_credentials

WEB_SERVICE = "https://kvitka.example/wallet/apple"


@pytest.fixture(scope="module")
def bundle(apple_test_credentials) -> dict[str, bytes]:
    return pkpass_files(pkpass_build(sample_content(), apple_test_credentials, web_service_url=WEB_SERVICE))


@pytest.fixture(scope="module")
def data(bundle) -> dict:
    return json.loads(bundle["pass.json"])


def jpeg(size: tuple[int, int], colour: str = "#1565c0") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def fields(data: dict) -> list[dict]:
    return [field for area in data["storeCard"].values() for field in area]


def field(data: dict, key: str) -> dict:
    return next(item for item in fields(data) if item["key"] == key)


# --- pass.json -------------------------------------------------------------------------------------------------


def test_pass_json_identifies_the_pass_with_the_certificates_ids(data, apple_test_credentials):
    assert data["formatVersion"] == 1
    assert data["passTypeIdentifier"] == PASS_TYPE_ID == apple_test_credentials.pass_type_identifier
    assert data["teamIdentifier"] == TEAM_ID == apple_test_credentials.team_identifier
    assert data["serialNumber"] == sample_content().serial
    assert data["organizationName"] == "Kvitka"
    assert data["description"] == "Loyalty card"
    assert data["logoText"] == "Kvitka Club"
    assert data["sharingProhibited"] is True
    assert "voided" not in data


def test_pass_json_shows_balance_as_money_and_tier_with_change_messages(data):
    balance = field(data, "balance")
    assert balance == {
        "key": "balance",
        "label": "Balance",
        "value": 140.5,
        "currencyCode": "UAH",
        "changeMessage": "Your balance is now %@",
    }
    assert data["storeCard"]["primaryFields"] == [balance]
    assert data["storeCard"]["headerFields"] == [
        {"key": "tier", "label": "Tier", "value": "Silver", "changeMessage": "Your tier is now %@"}
    ]
    # Whole figures are integers, fractions numbers; never strings the phone cannot format.
    assert field(data, "promo")["value"] == 20 and isinstance(field(data, "promo")["value"], int)
    assert field(data, "cashback")["value"] == 120.5
    assert all("%@" in item["changeMessage"] for item in fields(data) if "changeMessage" in item)
    assert len({item["key"] for item in fields(data)}) == len(fields(data))


def test_pass_json_barcode_colours_and_web_service(data):
    assert data["barcodes"] == [
        {
            "format": "PKBarcodeFormatQR",
            "message": "2000000000017",
            "messageEncoding": "iso-8859-1",
            "altText": "2000000000017",
        }
    ]
    assert "barcode" not in data  # the legacy key is for iOS < 9 only
    assert data["backgroundColor"] == "rgb(255, 247, 243)"
    assert data["foregroundColor"] == "rgb(59, 31, 43)"
    assert data["labelColor"] == "rgb(138, 75, 99)"
    assert data["webServiceURL"] == WEB_SERVICE
    assert len(data["authenticationToken"]) >= 16


def test_back_field_links_are_anchors(data):
    portal = field(data, "portal")
    assert portal["attributedValue"] == (
        '<a href="https://kvitka.example/account/">https://kvitka.example/account/</a>'
    )
    assert portal in data["storeCard"]["backFields"]


@pytest.mark.parametrize("url", ["", "http://kvitka.example/wallet/apple", "https:///no-host"])
def test_no_web_service_keys_without_an_https_url(apple_test_credentials, url):
    data = pass_json(sample_content(), apple_test_credentials, web_service_url=url)
    assert "webServiceURL" not in data
    assert "authenticationToken" not in data


def test_a_blocked_card_is_voided(apple_test_credentials):
    data = pass_json(sample_content(voided=True), apple_test_credentials, web_service_url=WEB_SERVICE)
    assert data["voided"] is True


def test_a_payload_beyond_latin1_is_encoded_as_utf8(apple_test_credentials):
    data = pass_json(sample_content(barcode="KVITKA-Ї-1"), apple_test_credentials, web_service_url="")
    assert data["barcodes"][0]["messageEncoding"] == "utf-8"


def test_fields_beyond_the_store_card_limits_are_dropped_with_a_log_line(apple_test_credentials, caplog):
    def many(prefix: str, count: int) -> tuple[PassField, ...]:
        return tuple(PassField(f"{prefix}{index}", "Balance", index) for index in range(count))

    content = sample_content(
        header_fields=many("h", 5),
        primary_fields=many("p", 2),
        secondary_fields=many("s", 3),
        auxiliary_fields=(*many("a", 3), PassField("h0", "Tier", "duplicate key")),
    )
    with caplog.at_level(logging.WARNING, logger="wallet.apple"):
        card = pass_json(content, apple_test_credentials, web_service_url="")["storeCard"]
    assert [item["key"] for item in card["headerFields"]] == ["h0", "h1", "h2"]
    assert [item["key"] for item in card["primaryFields"]] == ["p0"]
    assert [item["key"] for item in card["secondaryFields"]] == ["s0", "s1", "s2"]
    assert [item["key"] for item in card["auxiliaryFields"]] == ["a0"]
    assert "'h3'" in caplog.text and "'a1'" in caplog.text and "used already" in caplog.text


def test_a_change_message_without_its_placeholder_is_left_out(apple_test_credentials):
    content = sample_content(header_fields=(PassField("tier", "Tier", "Gold", change_message="Tier changed"),))
    data = pass_json(content, apple_test_credentials, web_service_url="")
    assert "changeMessage" not in data["storeCard"]["headerFields"][0]


# --- Images ----------------------------------------------------------------------------------------------------


def sizes(bundle: dict[str, bytes]) -> dict[str, tuple[int, int]]:
    return {name: Image.open(io.BytesIO(data)).size for name, data in bundle.items() if name.endswith(".png")}


def test_images_have_apples_pixel_sizes_at_every_scale(bundle):
    assert sizes(bundle) == {
        "icon.png": (29, 29),
        "icon@2x.png": (58, 58),
        "icon@3x.png": (87, 87),
        "logo.png": (160, 50),
        "logo@2x.png": (320, 100),
        "logo@3x.png": (480, 150),
        "strip.png": (375, 123),
        "strip@2x.png": (750, 246),
        "strip@3x.png": (1125, 369),
    }
    assert all(Image.open(io.BytesIO(bundle[name])).format == "PNG" for name in sizes(bundle))


def test_any_image_format_and_shape_is_fitted(apple_test_credentials):
    images = PassImages(logo=png((300, 300)), icon=jpeg((640, 480)), strip=jpeg((800, 800)))
    files = pkpass_files(
        pkpass_build(sample_content(images=images, images_version="square"), apple_test_credentials, web_service_url="")
    )
    found = sizes(files)
    assert found["logo@3x.png"] == (150, 150)  # inside 480×150, aspect ratio kept
    assert found["icon@2x.png"] == (58, 58)
    assert found["strip@3x.png"] == (1125, 369)


def test_a_theme_without_icon_gets_one_drawn_from_its_colours(apple_test_credentials):
    content = sample_content(images=PassImages(), images_version="", program_name="Квітка")
    files = pkpass_files(pkpass_build(content, apple_test_credentials, web_service_url=""))
    assert sizes(files) == {"icon.png": (29, 29), "icon@2x.png": (58, 58), "icon@3x.png": (87, 87)}
    icon = Image.open(io.BytesIO(files["icon@3x.png"])).convert("RGB")
    assert icon.getpixel((0, 0)) == (255, 247, 243)  # the background
    assert (59, 31, 43) in {colour for _count, colour in icon.getcolors(87 * 87)}  # the initial, in the foreground


@pytest.mark.parametrize("truncated_allowed", [False, True], ids=["pillow-default", "after-weasyprint"])
@pytest.mark.parametrize("broken", [b"not an image", png((480, 150))[:80]], ids=["garbage", "truncated"])
def test_an_unreadable_image_is_left_out_and_the_pass_still_builds(
    apple_test_credentials, caplog, monkeypatch, broken, truncated_allowed
):
    # WeasyPrint (the analytics PDF) sets Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", truncated_allowed)
    content = sample_content(images=PassImages(logo=broken, icon=png((64, 64))), images_version="")
    with caplog.at_level(logging.WARNING, logger="wallet.apple"):
        files = pkpass_files(pkpass_build(content, apple_test_credentials, web_service_url=""))
    assert "logo.png" not in files and "icon.png" in files
    assert "logo image cannot be read" in caplog.text


def test_images_render_to_the_same_bytes_and_are_cached_per_version():
    content = sample_content()
    rendered = images_render(content.images, initial="K", background="#ffffff", foreground="#000000")
    again = images_render(content.images, initial="K", background="#ffffff", foreground="#000000")
    assert rendered == again
    assert pass_images(content) is pass_images(replace(content, serial="another card"))
    newer = replace(content, images_version="t1.r2", images=replace(content.images, strip=png((1125, 369), "#000")))
    assert pass_images(newer) is not pass_images(content)
    assert {f.name: f.data for f in pass_images(newer)}["strip.png"] != {f.name: f.data for f in pass_images(content)}[
        "strip.png"
    ]


# --- Strings ---------------------------------------------------------------------------------------------------

STRINGS_LINE = re.compile(r'^"((?:[^"\\]|\\.)*)" = "((?:[^"\\]|\\.)*)";$')


def strings_parse(data: bytes) -> dict[str, str]:
    """A .strings file read back as Apple reads it (the C escapes Kartka writes)."""

    def unescape(text: str) -> str:
        return re.sub(r"\\(.)", lambda match: {"n": "\n", "r": "\r", "t": "\t"}.get(match[1], match[1]), text)

    parsed = {}
    for line in data.decode().splitlines():
        match = STRINGS_LINE.match(line)
        assert match, f"not a strings line: {line!r}"
        parsed[unescape(match[1])] = unescape(match[2])
    return parsed


def test_strings_files_translate_every_english_key_of_the_pass(bundle, data):
    english = strings_parse(bundle["en.lproj/pass.strings"])
    keys = {data["description"]} | {
        item[name] for item in fields(data) for name in ("label", "changeMessage") if name in item
    }
    assert english == {key: key for key in keys}
    russian = strings_parse(bundle["ru.lproj/pass.strings"])
    assert russian["Balance"] == "Баланс"
    assert russian["Your balance is now %@"] == "Ваш баланс теперь %@"
    assert set(russian) == keys
    assert strings_parse(bundle["uk.lproj/pass.strings"])["Loyalty card"] == "Картка лояльності"


def test_strings_survive_quotes_backslashes_and_newlines():
    mapping = {'Say "hi"': 'Скажи "привіт"', "C:\\path": "a\\b\\", "two\nlines": "дві\nлінії;", "tab\t": '";'}
    data = strings_file(mapping)
    assert data.count(b"\n") == len(mapping)  # one line each: newlines inside are escaped
    assert strings_parse(data) == mapping


def test_quotes_in_translations_reach_the_bundle_escaped(apple_test_credentials):
    strings = {"ru": {"Balance": 'Баланс "Квітки"'}, "uk": {}}
    files = pkpass_files(pkpass_build(sample_content(strings=strings), apple_test_credentials, web_service_url=""))
    assert strings_parse(files["ru.lproj/pass.strings"]) == {"Balance": 'Баланс "Квітки"'}
    assert strings_parse(files["uk.lproj/pass.strings"]) == {}


# --- Manifest, ZIP ---------------------------------------------------------------------------------------------


def manifest_mismatches(files: dict[str, bytes]) -> set[str]:
    """Files a phone would reject the bundle for: missing from the manifest, listed but absent, or changed."""
    manifest = json.loads(files["manifest.json"])
    present = set(files) - {"manifest.json", "signature"}
    changed = {name for name in present & set(manifest) if hashlib.sha1(files[name]).hexdigest() != manifest[name]}
    return (present ^ set(manifest)) | changed


def test_manifest_lists_every_file_with_its_sha1(bundle):
    manifest = json.loads(bundle["manifest.json"])
    assert set(manifest) == set(bundle) - {"manifest.json", "signature"}
    assert manifest_mismatches(bundle) == set()
    assert all(re.fullmatch(r"[0-9a-f]{40}", digest) for digest in manifest.values())


def test_an_edited_pass_json_fails_the_manifest_check(bundle):
    edited = dict(bundle, **{"pass.json": bundle["pass.json"].replace(b"140.5", b"9999")})
    assert manifest_mismatches(edited) == {"pass.json"}
    assert manifest_mismatches(dict(bundle, **{"extra.png": b"x"})) == {"extra.png"}


def test_zip_entries_are_stored_in_a_fixed_order_and_time(apple_test_credentials):
    data = pkpass_build(sample_content(), apple_test_credentials, web_service_url=WEB_SERVICE)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert all(info.compress_type == zipfile.ZIP_STORED for info in infos)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    names = [info.filename for info in infos]
    assert names[0] == "pass.json" and names[-2:] == ["manifest.json", "signature"]
    assert not [name for name in names if name.endswith("/") or ".DS_Store" in name]
    again = pkpass_files(pkpass_build(sample_content(), apple_test_credentials, web_service_url=WEB_SERVICE))
    assert {name: body for name, body in pkpass_files(data).items() if name != "signature"} == {
        name: body for name, body in again.items() if name != "signature"
    }


def test_zip_stored_writes_the_bytes_zipfile_writes(apple_test_credentials):
    """``zip_stored`` writes the records itself (for speed): the same bytes as ``zipfile`` for the same entries,
    a UTF-8 name and an empty file included, and a ZIP that ``zipfile`` reads back with every CRC right."""
    files = [
        BundleFile.of("pass.json", b'{"serialNumber": "1"}'),
        BundleFile.of("strip@2x.png", png((750, 246))),
        BundleFile.of("uk.lproj/pass.strings", '"Tier" = "Рівень";\n'.encode()),
        BundleFile.of("ünï.txt", b""),
        BundleFile.of("signature", bytes(range(256)) * 9),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for file in files:
            info = zipfile.ZipInfo(file.name, date_time=ZIP_TIMESTAMP)
            info.external_attr = 0o644 << 16
            archive.writestr(info, file.data)
    data = zip_stored(files)
    assert data == buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert {info.filename: archive.read(info) for info in archive.infolist()} == {f.name: f.data for f in files}


# --- Signature -------------------------------------------------------------------------------------------------


def test_signature_is_detached_sha256_with_signing_time_and_the_wwdr(bundle, apple_pki):
    content_info = cms.ContentInfo.load(bundle["signature"])
    assert content_info["content_type"].native == "signed_data"
    signed = content_info["content"]
    assert signed["encap_content_info"]["content"].native is None  # detached
    (signer,) = signed["signer_infos"]
    assert signer["digest_algorithm"]["algorithm"].native == "sha256"
    attributes = {attribute["type"].native: attribute["values"][0].native for attribute in signer["signed_attrs"]}
    assert attributes["message_digest"] == hashlib.sha256(bundle["manifest.json"]).digest()
    assert isinstance(attributes["signing_time"], dt.datetime)
    assert abs(attributes["signing_time"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    embedded = {certificate.chosen.dump() for certificate in signed["certificates"]}
    der = serialization.Encoding.DER
    assert {apple_pki.wwdr.public_bytes(der), apple_pki.ca.certificate.public_bytes(der)} <= embedded


@needs_openssl
def test_openssl_verifies_the_signature_with_the_root(bundle, apple_pki_files, tmp_path):
    result = openssl_verify(bundle["signature"], bundle["manifest.json"], apple_pki_files["root.pem"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr


@needs_openssl
def test_openssl_refuses_another_root(bundle, other_pki, tmp_path):
    other_root = pem_write(tmp_path / "other-root.pem", other_pki.root)
    result = openssl_verify(bundle["signature"], bundle["manifest.json"], other_root, tmp_path / "check")
    assert result.returncode != 0
    assert "unable to get local issuer certificate" in result.stderr


@needs_openssl
def test_openssl_refuses_an_edited_manifest(bundle, apple_pki_files, tmp_path):
    manifest = json.loads(bundle["manifest.json"])
    manifest["pass.json"] = hashlib.sha1(b"another pass").hexdigest()
    edited = json.dumps(manifest).encode()
    result = openssl_verify(bundle["signature"], edited, apple_pki_files["root.pem"], tmp_path)
    assert result.returncode != 0
    assert "signature failure" in result.stderr or "digest failure" in result.stderr


@needs_openssl
def test_a_manifest_with_newlines_still_verifies(apple_test_credentials, apple_pki_files, tmp_path):
    """Regression: without the Binary option the signature covers a CRLF copy of the manifest, not the file."""
    manifest = json.dumps({"pass.json": "0" * 40, "icon.png": "1" * 40}, indent=2).encode() + b"\n"
    signature = manifest_sign(manifest, apple_test_credentials)
    result = openssl_verify(signature, manifest, apple_pki_files["root.pem"], tmp_path)
    assert result.returncode == 0, result.stderr


# --- apple_problems --------------------------------------------------------------------------------------------


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_healthy_credentials_have_no_problems(apple_test_credentials):
    assert apple_problems(apple_test_credentials) == []


def test_an_expired_certificate(apple_pki, apple_test_credentials):
    certificate, key = apple_pki.pass_certificate(
        not_before=now() - dt.timedelta(days=400), not_after=now() - dt.timedelta(days=2)
    )
    problems = apple_problems(replace(apple_test_credentials, certificate=certificate, key=key))
    expired_on = certificate.not_valid_after_utc.date().isoformat()
    assert problems == [f"The pass certificate expired on {expired_on}."]


def test_a_certificate_expiring_within_30_days(apple_pki, apple_test_credentials):
    certificate, key = apple_pki.pass_certificate(not_after=now() + dt.timedelta(days=45))
    credentials = replace(apple_test_credentials, certificate=certificate, key=key)
    assert apple_problems(credentials) == []
    expires_on = certificate.not_valid_after_utc.date().isoformat()
    assert apple_problems(credentials, at=now() + dt.timedelta(days=20)) == [
        f"The pass certificate expires on {expires_on}: renew it before then."
    ]


def test_a_naive_time_is_taken_as_utc(apple_test_credentials):
    after = apple_test_credentials.certificate.not_valid_after_utc.replace(tzinfo=None) + dt.timedelta(days=1)
    assert apple_problems(apple_test_credentials, at=after)[0].startswith("The pass certificate expired on ")


def test_a_key_of_another_certificate(apple_test_credentials):
    problems = apple_problems(replace(apple_test_credentials, key=rsa_key_new()))
    assert problems == ["The private key does not belong to the pass certificate."]


def test_a_certificate_for_another_pass_type_or_team(apple_pki, apple_test_credentials):
    certificate, key = apple_pki.pass_certificate(pass_type_identifier="pass.com.example.other")
    problems = apple_problems(replace(apple_test_credentials, certificate=certificate, key=key))
    assert problems == [
        "The pass certificate was issued for the pass type ID pass.com.example.other, not pass.com.example.loyalty."
    ]
    certificate, key = apple_pki.pass_certificate(team_identifier="ZZZZZ99999")
    problems = apple_problems(replace(apple_test_credentials, certificate=certificate, key=key))
    assert problems == ["The pass certificate was issued for the team ID ZZZZZ99999, not ABCDE12345."]


def test_a_certificate_without_apples_pass_usage_is_a_warning(apple_pki, apple_test_credentials):
    certificate, key = apple_pki.pass_certificate(apple_extensions=False)
    (problem,) = apple_problems(replace(apple_test_credentials, certificate=certificate, key=key))
    assert problem.startswith("Warning: the pass certificate lacks Apple's Pass Type ID usage")


def test_a_missing_wwdr(apple_test_credentials):
    (problem,) = apple_problems(replace(apple_test_credentials, wwdr=None))
    assert "WWDR intermediate certificate is not set" in problem
    assert "AppleWWDRCAG4.cer" in problem


def test_a_wwdr_that_did_not_issue_the_certificate(apple_test_credentials, other_pki):
    # Same names, another key: only the signature tells them apart.
    (problem,) = apple_problems(replace(apple_test_credentials, wwdr=other_pki.wwdr))
    assert problem.startswith("The WWDR certificate (")
    assert "did not issue the pass certificate" in problem


def test_an_expired_wwdr(apple_pki, apple_test_credentials):
    # The same intermediate (name and key) re-issued with past dates: it still issued the pass certificate.
    expired = ca_issue(
        common_name="Test WWDR G4",
        key=apple_pki.ca.wwdr_key,
        organization="Test Apple Inc.",
        organizational_unit="G4",
        issuer=(apple_pki.root, apple_pki.ca.root_key),
        not_before=now() - dt.timedelta(days=3000),
        not_after=dt.datetime(2023, 2, 7, tzinfo=dt.UTC),
    )
    assert expired.subject == apple_pki.wwdr.subject
    problems = apple_problems(replace(apple_test_credentials, wwdr=expired))
    assert problems == ["The WWDR intermediate certificate expired on 2023-02-07."]


def test_no_apns_key_disables_pushes_as_a_warning(apple_pki):
    (problem,) = apple_problems(apple_pki.credentials())
    assert problem.startswith("Warning: no APNs key")
    assert "pushes are disabled" in problem
    (problem,) = apple_problems(apple_pki.credentials(apns_key=ec.generate_private_key(ec.SECP256R1())))
    assert "pushes are disabled" in problem  # a key without its ID cannot sign a token either


def test_an_apns_key_that_is_not_p256_or_a_bad_key_id(apple_test_credentials):
    problems = apple_problems(replace(apple_test_credentials, apns_key=ec.generate_private_key(ec.SECP384R1())))
    assert problems == ["The APNs key is not a P-256 key: use the .p8 file Apple issued for push tokens."]
    problems = apple_problems(replace(apple_test_credentials, apns_key=rsa_key_new(), apns_key_id="ABC"))
    assert problems == [
        "The APNs key is not a P-256 key: use the .p8 file Apple issued for push tokens.",
        "The APNs key ID ABC is not 10 characters long: copy it as Apple shows it.",
    ]


def test_a_key_that_cannot_sign_fails_the_trial_signature(apple_test_credentials):
    problems = apple_problems(replace(apple_test_credentials, key=ed25519.Ed25519PrivateKey.generate()))
    assert problems[0] == "The private key does not belong to the pass certificate."
    assert problems[-1].startswith("A trial signature failed: ")
    assert len(problems) == 2
