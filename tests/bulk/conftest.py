import pytest

from tests.programs.conftest import alpha, beta  # noqa: F401  (two businesses built the way production builds them)


@pytest.fixture(autouse=True)
def bulk_dir(settings, tmp_path):
    """Uploaded files go to a directory of the test's own."""
    settings.KARTKA_BULK_DIR = tmp_path / "bulk"
    return settings.KARTKA_BULK_DIR


@pytest.fixture(autouse=True)
def english():
    """A job speaks the language active at its upload; a test client's request may leave another one active in the
    thread, so each test starts in English (the ones about other languages switch on purpose)."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()
