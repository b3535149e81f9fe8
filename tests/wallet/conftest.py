"""The wallet's fixtures for every test module here: the test PKI (``pki``) and the HTTP kit (``kit``)."""

from tests.wallet.kit import alpha, anna, apple_settings  # noqa: F401
from tests.wallet.pki import apns_key, apple_pki, apple_pki_files, apple_test_credentials, other_pki  # noqa: F401
