import pytest

from pages.cache import portal_cache_invalidate
from pages.services import portal_site_create
from programs.choices import StampBasis
from programs.factories import CardTypeFactory, DiscountThresholdFactory, StoreFactory, TierFactory
from tenancy.actors import Actor
from tests.conftest import D
from tests.programs.admin_support import build_tenant


@pytest.fixture(autouse=True)
def empty_page_cache():
    """Each test starts with an empty portal page cache (the local-memory cache outlives a test's database): a new
    generation, leaving what other code keeps in the cache alone."""
    portal_cache_invalidate()


@pytest.fixture
def alpha(db):
    return build_tenant("alpha", phone="+380501000001", first_name="Anna")


@pytest.fixture
def beta(db):
    return build_tenant("beta", phone="+380672000002", first_name="Bohdan")


def portal_for(tenant, *, hostname=None, port=80, language="en"):
    """``tenant``'s portal site, made by the service as an operator would."""
    return portal_site_create(
        program=tenant.program,
        hostname=f"{tenant.business.slug}.localhost" if hostname is None else hostname,
        port=port,
        actor=Actor.system("test"),
        language=language,
    )


@pytest.fixture
def alpha_site(alpha):
    """Alpha's portal, with a stamp card, a second tier and a store to describe."""
    program = alpha.program
    stamp_type = alpha.stamp_type
    stamp_type.is_active = True
    stamp_type.stamp_goal = 9
    stamp_type.stamp_basis = StampBasis.ITEM
    stamp_type.stamp_categories = "coffee"
    stamp_type.reward_description = "A free coffee"
    stamp_type.save()
    TierFactory(program=program, name="Alpha Gold", threshold=D(30000), cashback_percent=D(7), multiplier=D("1.5"))
    steps = CardTypeFactory(program=program, name="Alpha Steps", accumulative=True)
    DiscountThresholdFactory(card_type=steps, min_spend=D(0), percent=D(5))
    DiscountThresholdFactory(card_type=steps, min_spend=D(2000), percent=D(10))
    StoreFactory(program=program, name="Alpha Podil", code="alpha-podil", address="1 Sahaidachnoho St")
    return portal_for(alpha)
