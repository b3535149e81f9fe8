"""A home-made certificate authority shaped like Apple's, for the demo (``manage.py wallet_demo_ca``) and the tests.

Apple signs a Pass Type ID certificate with its WWDR intermediate, which its root signs. Here the same chain is
made locally: a root → a WWDR-like intermediate → a pass certificate whose subject carries the pass type id as
``UID`` and the team id as ``OU``, with Apple's pass extended key usage (1.2.840.113635.100.4.14) and its pass type
extension (1.2.840.113635.100.6.1.16). Passes signed with it verify with ``openssl smime -verify`` against the local
root, which proves the bundle and the signature are right; phones refuse them, since they trust only Apple's root.
"""

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wallet.apple import APPLE_PASS_EKU, APPLE_PASS_EXTENSION

DEMO_PASS_TYPE_ID = "pass.localhost.kartka.demo"  # noqa: S105 (an identifier, not a password)
DEMO_TEAM_ID = "DEMO123456"
DEMO_WARNING = "phones will refuse it"


def rsa_key_new() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def apns_key_new() -> ec.EllipticCurvePrivateKey:
    """A key of the kind Apple issues for APNs token auth (.p8): P-256."""
    return ec.generate_private_key(ec.SECP256R1())


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def key_pem(key) -> bytes:
    """An unencrypted PKCS#8 PEM (the form of Apple's .p8 files, and what ``wallet.credentials`` reads)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes if value])


def _utf8_string(text: str) -> bytes:
    """DER of an ASN.1 UTF8String (what Apple's pass type extension holds: the pass type id)."""
    data = text.encode()
    if len(data) < 0x80:
        length = bytes([len(data)])
    else:
        size = len(data).to_bytes((len(data).bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(size)]) + size
    return b"\x0c" + length + data


def ca_issue(
    *,
    common_name: str,
    key,
    not_before: dt.datetime,
    not_after: dt.datetime,
    organization: str = "",
    organizational_unit: str = "",
    issuer: tuple[x509.Certificate, object] | None = None,
) -> x509.Certificate:
    """A CA certificate for ``key``: self-signed (a root) when ``issuer`` is None, else signed by the
    ``(certificate, key)`` given (an intermediate that may sign end certificates only)."""
    subject = _name(
        (NameOID.COMMON_NAME, common_name),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, organizational_unit),
        (NameOID.ORGANIZATION_NAME, organization),
    )
    issuer_certificate, issuer_key = issuer if issuer is not None else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_certificate.subject if issuer_certificate is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer_certificate is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_certificate.public_key()), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def pass_certificate_issue(
    *,
    pass_type_identifier: str,
    team_identifier: str,
    key,
    issuer: tuple[x509.Certificate, object],
    not_before: dt.datetime,
    not_after: dt.datetime,
    organization: str = "",
    apple_extensions: bool = True,
) -> x509.Certificate:
    """A Pass Type ID certificate as Apple issues them: ``UID`` = the pass type id, ``CN`` = "Pass Type ID: <id>",
    ``OU`` = the team id, signed by ``issuer`` (the WWDR-like intermediate's certificate and key). Without
    ``apple_extensions`` it lacks Apple's pass key usage and extension (for tests of ``apple_problems``)."""
    issuer_certificate, issuer_key = issuer
    subject = _name(
        (NameOID.USER_ID, pass_type_identifier),
        (NameOID.COMMON_NAME, f"Pass Type ID: {pass_type_identifier}"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, team_identifier),
        (NameOID.ORGANIZATION_NAME, organization),
        (NameOID.COUNTRY_NAME, "US"),
    )
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH, *([APPLE_PASS_EKU] if apple_extensions else [])]
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_certificate.public_key()), critical=False
        )
    )
    if apple_extensions:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(APPLE_PASS_EXTENSION, _utf8_string(pass_type_identifier)), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class DemoCA:
    """A whole chain: root, WWDR-like intermediate and pass certificate, with their keys."""

    pass_type_identifier: str
    team_identifier: str
    root: x509.Certificate
    root_key: object
    wwdr: x509.Certificate
    wwdr_key: object
    certificate: x509.Certificate
    key: object

    # File names inside the directory ``demo_ca_write`` fills, and what each holds.
    FILES = ("root.pem", "root.key", "wwdr.pem", "wwdr.key", "pass.pem", "pass.key")

    def files(self) -> dict[str, bytes]:
        return {
            "root.pem": certificate_pem(self.root),
            "root.key": key_pem(self.root_key),
            "wwdr.pem": certificate_pem(self.wwdr),
            "wwdr.key": key_pem(self.wwdr_key),
            "pass.pem": certificate_pem(self.certificate),
            "pass.key": key_pem(self.key),
        }


def demo_ca_issue(
    *,
    root_name: str,
    wwdr_name: str,
    organization: str,
    pass_type_identifier: str,
    team_identifier: str,
    at: dt.datetime | None = None,
    days: int = 3650,
) -> DemoCA:
    """A new chain valid from a day before ``at`` (now) for ``days``: ``root_name`` → ``wwdr_name`` (OU "G4", as
    Apple's current intermediate) → the pass certificate for ``pass_type_identifier`` / ``team_identifier``."""
    at = at or dt.datetime.now(dt.UTC)
    not_before, not_after = at - dt.timedelta(days=1), at + dt.timedelta(days=days)
    root_key, wwdr_key, key = rsa_key_new(), rsa_key_new(), rsa_key_new()
    root = ca_issue(
        common_name=root_name, key=root_key, organization=organization, not_before=not_before, not_after=not_after
    )
    wwdr = ca_issue(
        common_name=wwdr_name,
        key=wwdr_key,
        organization=organization,
        organizational_unit="G4",
        issuer=(root, root_key),
        not_before=not_before,
        not_after=not_after,
    )
    certificate = pass_certificate_issue(
        pass_type_identifier=pass_type_identifier,
        team_identifier=team_identifier,
        key=key,
        issuer=(wwdr, wwdr_key),
        organization=organization,
        not_before=not_before,
        not_after=not_after,
    )
    return DemoCA(pass_type_identifier, team_identifier, root, root_key, wwdr, wwdr_key, certificate, key)


def demo_ca_write(ca: DemoCA, directory: Path) -> dict[str, Path]:
    """Writes the chain's PEM files into ``directory`` (keys readable by their owner only); returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in ca.files().items():
        path = directory / name
        # Keys are created owner-only, never readable by others even for a moment.
        mode = 0o600 if name.endswith(".key") else 0o644
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as file:
            file.write(data)
        paths[name] = path
    return paths


def demo_ca_ensure(directory: Path) -> tuple[dict[str, Path], bool]:
    """The Kartka demo chain in ``directory``: made and written the first time, left as it is afterwards (so
    passes already handed out keep verifying). Returns the files' paths and whether they were made now. Raises
    ``FileExistsError`` when only some of the files are there: better to say so than to overwrite a half."""
    paths = {name: directory / name for name in DemoCA.FILES}
    present = [name for name, path in paths.items() if path.exists()]
    if len(present) == len(paths):
        return paths, False
    if present:
        raise FileExistsError(f"{directory} holds only {', '.join(present)} of the demo CA's files")
    ca = demo_ca_issue(
        root_name=f"Kartka DEMO Root CA ({DEMO_WARNING})",
        wwdr_name=f"Kartka DEMO WWDR intermediate ({DEMO_WARNING})",
        organization=f"Kartka DEMO ({DEMO_WARNING})",
        pass_type_identifier=DEMO_PASS_TYPE_ID,
        team_identifier=DEMO_TEAM_ID,
    )
    return demo_ca_write(ca, directory), True
