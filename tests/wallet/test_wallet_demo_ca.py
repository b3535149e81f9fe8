"""``manage.py wallet_demo_ca``: a demo chain made once, printed as WALLET_APPLE_* lines, that signs passes openssl
accepts against its root."""

import io
import stat

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command
from django.test import override_settings

from tests.wallet.pki import needs_openssl, openssl_verify, pkpass_files
from tests.wallet.samples import sample_content
from wallet.apple import apple_problems, pkpass_build
from wallet.credentials import apple_credentials
from wallet.demo_ca import DemoCA


def run(directory) -> tuple[str, dict[str, str]]:
    """The command's output, and its variable lines as {variable: value}."""
    out = io.StringIO()
    call_command("wallet_demo_ca", "--directory", str(directory), stdout=out)
    lines = [line for line in out.getvalue().splitlines() if line and not line.startswith("#")]
    return out.getvalue(), dict(line.split("=", 1) for line in lines)


def _subject_bytes(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).subject.rfc4514_string().encode()


def test_makes_the_chain_once_and_keeps_it(tmp_path):
    output, variables = run(tmp_path / "demo")
    files = {name: (tmp_path / "demo" / name).read_bytes() for name in DemoCA.FILES}
    again, same_variables = run(tmp_path / "demo")
    assert {name: (tmp_path / "demo" / name).read_bytes() for name in DemoCA.FILES} == files
    assert same_variables == variables
    assert "made now" in output and "already there" in again
    assert "phones will refuse it" in output
    assert b"Kartka DEMO Root CA" in _subject_bytes(files["root.pem"])
    assert variables == {
        "WALLET_APPLE_PASS_TYPE_ID": "pass.localhost.kartka.demo",
        "WALLET_APPLE_TEAM_ID": "DEMO123456",
        "WALLET_APPLE_CERTIFICATE": str(tmp_path / "demo" / "pass.pem"),
        "WALLET_APPLE_KEY": str(tmp_path / "demo" / "pass.key"),
        "WALLET_APPLE_WWDR": str(tmp_path / "demo" / "wwdr.pem"),
    }
    assert f"-CAfile {tmp_path / 'demo' / 'root.pem'} -purpose any" in output
    assert stat.S_IMODE((tmp_path / "demo" / "pass.key").stat().st_mode) == 0o600


def test_refuses_to_complete_half_a_chain(tmp_path):
    run(tmp_path)
    (tmp_path / "wwdr.pem").unlink()
    with pytest.raises(CommandError, match="Remove the directory"):
        run(tmp_path)


@needs_openssl
def test_a_pass_signed_with_the_demo_chain_verifies_against_its_root(tmp_path):
    _output, variables = run(tmp_path / "demo")
    with override_settings(
        KARTKA_WALLET_APPLE_PASS_TYPE_ID=variables["WALLET_APPLE_PASS_TYPE_ID"],
        KARTKA_WALLET_APPLE_TEAM_ID=variables["WALLET_APPLE_TEAM_ID"],
        KARTKA_WALLET_APPLE_CERTIFICATE=variables["WALLET_APPLE_CERTIFICATE"],
        KARTKA_WALLET_APPLE_KEY=variables["WALLET_APPLE_KEY"],
        KARTKA_WALLET_APPLE_KEY_PASSWORD="",
        KARTKA_WALLET_APPLE_WWDR=variables["WALLET_APPLE_WWDR"],
        KARTKA_WALLET_APNS_KEY_ID="",
        KARTKA_WALLET_APNS_KEY="",
    ):
        credentials = apple_credentials()
    # Only pushes are missing: the demo has no APNs key, since Apple would refuse its tokens anyway.
    (problem,) = apple_problems(credentials)
    assert "pushes are disabled" in problem
    files = pkpass_files(pkpass_build(sample_content(), credentials, web_service_url="https://localhost/wallet"))
    result = openssl_verify(files["signature"], files["manifest.json"], tmp_path / "demo" / "root.pem", tmp_path / "x")
    assert result.returncode == 0, result.stderr
