"""The admin's sign-in locks out after repeated wrong passwords, per account and per address, across processes;
the right password does not open a locked account until the window ends; success clears an account's failures."""

import pytest
from django.core.cache import cache

from programs.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def sign_in(client, username, password, address="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def owner():
    user = UserFactory(username="olena")
    user.set_password("right-horse-battery")
    user.save()
    return user


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, owner, settings):
    settings.KARTKA_ADMIN_LOGIN_FAILURES = 5
    for _ in range(5):
        assert "didn&#x27;t match" in sign_in(client, "olena", "wrong").content.decode()

    cache.clear()  # another process's memory: the count is not kept there
    locked = sign_in(client, "Olena", "right-horse-battery")

    assert not signed_in(client)
    assert "Too many failed sign-ins. Try again in" in locked.content.decode()


def test_a_success_clears_the_accounts_failures(client, owner, settings):
    settings.KARTKA_ADMIN_LOGIN_FAILURES = 3
    sign_in(client, "olena", "wrong")
    sign_in(client, "olena", "wrong")
    assert sign_in(client, "olena", "right-horse-battery").status_code == 302
    client.logout()

    sign_in(client, "olena", "wrong")
    sign_in(client, "olena", "wrong")
    sign_in(client, "olena", "right-horse-battery")

    assert signed_in(client)


def test_one_address_trying_many_accounts_is_locked_out(client, owner, settings):
    settings.KARTKA_ADMIN_LOGIN_FAILURES_IP = 4
    for name in ("anna", "boris", "clara", "denys"):
        sign_in(client, name, "guess", address="198.51.100.9")

    from_there = sign_in(client, "olena", "right-horse-battery", address="198.51.100.9")
    assert not signed_in(client)
    assert "Too many failed sign-ins" in from_there.content.decode()

    sign_in(client, "olena", "right-horse-battery", address="203.0.113.7")
    assert signed_in(client)


def test_the_lockout_speaks_russian(client, owner, settings):
    settings.KARTKA_ADMIN_LOGIN_FAILURES = 1
    sign_in(client, "olena", "wrong")

    locked = client.post(
        LOGIN, {"username": "olena", "password": "wrong"}, REMOTE_ADDR="203.0.113.7", HTTP_ACCEPT_LANGUAGE="ru"
    )

    assert "Слишком много неудачных попыток входа" in locked.content.decode()


def test_no_name_or_address_is_logged(client, owner, settings, caplog):
    settings.KARTKA_ADMIN_LOGIN_FAILURES = 1
    sign_in(client, "olena", "wrong")
    sign_in(client, "olena", "wrong")

    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "refused" in logged
    assert "olena" not in logged and "203.0.113.7" not in logged
