import pytest
from django.core.cache import cache

from programs.factories import BusinessFactory, ProgramFactory, UserFactory
from tenancy.actors import Actor
from tenancy.services import business_staff_add


@pytest.fixture
def business(db):
    return BusinessFactory(slug="kvitka", name="Kvitka Ltd")


@pytest.fixture
def owner(business):
    user = UserFactory(username="owner-kvitka")
    business_staff_add(business=business, user=user)
    return Actor.staff(user)


@pytest.fixture
def shop(business):
    return ProgramFactory(business=business, slug="kvitka-club", name="Kvitka Flower Club")


@pytest.fixture(autouse=True)
def empty_cache():
    """Icons are cached by program id and theme version, and ids repeat across rolled-back tests."""
    cache.clear()
    yield
    cache.clear()
