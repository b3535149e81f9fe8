import pytest

from tests.programs.admin_support import build_tenant


@pytest.fixture
def alpha():
    """A business with a full set of rows, owned by its own staff user; ``beta`` is its neighbour."""
    return build_tenant("alpha", phone="+380501000001", first_name="Anna")


@pytest.fixture
def beta():
    return build_tenant("beta", phone="+380672000002", first_name="Bohdan")
