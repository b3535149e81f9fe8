"""A test PKI shaped like Apple's, made at test time with ``wallet.demo_ca``: "Test Apple Root CA" → "Test WWDR G4" →
a Pass Type ID certificate (UID pass.com.example.loyalty, OU ABCDE12345), plus an APNs P-256 key.

Session-scoped fixtures; there is no conftest here on purpose, so a test module names the ones it uses (as module
attributes rather than imported names, which linters would flag as shadowed by the test arguments)::

    from tests.wallet import pki

    apple_pki, apns_key, apple_test_credentials = pki.apple_pki, pki.apns_key, pki.apple_test_credentials
"""

import datetime as dt
import io
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography import x509

from wallet.credentials import AppleCredentials
from wallet.demo_ca import (
    DemoCA,
    apns_key_new,
    certificate_pem,
    demo_ca_issue,
    key_pem,
    pass_certificate_issue,
    rsa_key_new,
)

PASS_TYPE_ID = "pass.com.example.loyalty"
TEAM_ID = "ABCDE12345"
APNS_KEY_ID = "KEY1234567"


@dataclass(frozen=True)
class TestPKI:
    """The chain and what tests make from it: certificate variants, credentials and PEM files."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    ca: DemoCA

    @property
    def root(self) -> x509.Certificate:
        return self.ca.root

    @property
    def wwdr(self) -> x509.Certificate:
        return self.ca.wwdr

    def pass_certificate(
        self,
        *,
        pass_type_identifier: str = PASS_TYPE_ID,
        team_identifier: str = TEAM_ID,
        key=None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        apple_extensions: bool = True,
    ) -> tuple[x509.Certificate, object]:
        """A pass certificate signed by this chain's WWDR, with its key: by default like the chain's own (valid from
        yesterday for a year, a new key), any of that changed: an expired one, another UID or team, another key."""
        now = dt.datetime.now(dt.UTC)
        key = key or rsa_key_new()
        certificate = pass_certificate_issue(
            pass_type_identifier=pass_type_identifier,
            team_identifier=team_identifier,
            key=key,
            issuer=(self.ca.wwdr, self.ca.wwdr_key),
            not_before=not_before or now - dt.timedelta(days=1),
            not_after=not_after or now + dt.timedelta(days=365),
            apple_extensions=apple_extensions,
        )
        return certificate, key

    def credentials(self, **overrides) -> AppleCredentials:
        """Credentials signing with the chain's pass certificate (no APNs key), fields replaced by ``overrides``."""
        credentials = AppleCredentials(
            pass_type_identifier=self.ca.pass_type_identifier,
            team_identifier=self.ca.team_identifier,
            certificate=self.ca.certificate,
            key=self.ca.key,
            wwdr=self.ca.wwdr,
        )
        return replace(credentials, **overrides)

    def write(self, directory: Path) -> dict[str, Path]:
        """The chain's PEM files in ``directory`` (root.pem, wwdr.pem, pass.pem and the keys)."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, data in self.ca.files().items():
            paths[name] = directory / name
            paths[name].write_bytes(data)
        return paths


def pem_write(path: Path, item) -> Path:
    """A certificate or private key as a PEM file."""
    path.write_bytes(certificate_pem(item) if isinstance(item, x509.Certificate) else key_pem(item))
    return path


def pki_new(prefix: str = "Test") -> TestPKI:
    return TestPKI(
        demo_ca_issue(
            root_name=f"{prefix} Apple Root CA",
            wwdr_name=f"{prefix} WWDR G4",
            organization=f"{prefix} Apple Inc.",
            pass_type_identifier=PASS_TYPE_ID,
            team_identifier=TEAM_ID,
        )
    )


@pytest.fixture(scope="session")
def apple_pki() -> TestPKI:
    return pki_new()


@pytest.fixture(scope="session")
def other_pki() -> TestPKI:
    """A second, unrelated chain with the same names: its root must not verify the first one's passes."""
    return pki_new()


@pytest.fixture(scope="session")
def apns_key():
    return apns_key_new()


@pytest.fixture(scope="session")
def apple_test_credentials(apple_pki, apns_key) -> AppleCredentials:
    """Healthy credentials: the test chain's pass certificate and key, the WWDR, and an APNs key."""
    return apple_pki.credentials(apns_key_id=APNS_KEY_ID, apns_key=apns_key)


@pytest.fixture(scope="session")
def apple_pki_files(apple_pki, tmp_path_factory) -> dict[str, Path]:
    return apple_pki.write(tmp_path_factory.mktemp("apple-pki"))


# --- Checking a bundle the way a phone (and openssl) would -----------------------------------------------------

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="no openssl binary")


def pkpass_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def openssl_verify(signature: bytes, manifest: bytes, root: Path, directory: Path) -> subprocess.CompletedProcess:
    """``openssl smime -verify`` of a detached ``signature`` over ``manifest`` against ``root`` (``-purpose any``:
    Apple's pass usage is not S/MIME's emailProtection)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "signature").write_bytes(signature)
    (directory / "manifest.json").write_bytes(manifest)
    command = [OPENSSL, "smime", "-verify", "-binary", "-inform", "DER", "-in", "signature"]
    command += ["-content", "manifest.json", "-CAfile", str(root), "-purpose", "any", "-out", os.devnull]
    return subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)
