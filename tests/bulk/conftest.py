import pytest

from tests.programs.conftest import alpha, beta  # noqa: F401  (two businesses built the way production builds them)


@pytest.fixture(autouse=True)
def bulk_dir(settings, tmp_path):
    """Uploaded files go to a directory of the test's own."""
    settings.KARTKA_BULK_DIR = tmp_path / "bulk"
    return settings.KARTKA_BULK_DIR
