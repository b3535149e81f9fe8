from datetime import timedelta
from decimal import Decimal

import pytest

from analytics import rollups
from programs import clock
from programs.services.purchases import purchase_record
from tests.programs.admin_support import build_tenant


def _with_history(tenant, total: str):
    """A purchase today and one 40 days ago in the tenant's store, rolled up."""
    purchase_record(card=tenant.card, store=tenant.store, receipt_id="today", total=Decimal(total))
    with clock.travel(clock.now() - timedelta(days=40)):
        purchase_record(card=tenant.card, store=tenant.store, receipt_id="earlier", total=Decimal(total))
    bounds = rollups.history_bounds(tenant.program)
    rollups.rollups_recompute(program=tenant.program, first=bounds[0], last=bounds[1])
    return tenant


@pytest.fixture
def alpha(db):
    return _with_history(build_tenant("alpha", phone="+380501110001", first_name="Alina"), "1111.11")


@pytest.fixture
def beta(db):
    return _with_history(build_tenant("beta", phone="+380501110002", first_name="Bohdan"), "7777.77")
