"""Adding an owner to a business is one screen: invite by e-mail (a one-time password-set link) or create the
account with a password; an existing account is given access, never duplicated; nobody adds anyone to a business
that isn't theirs."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from wagtail.users.models import UserProfile

from programs.factories import BusinessFactory, UserFactory
from tenancy.models import AuditEvent
from tenancy.services import business_staff_add
from tests.programs.admin_support import field_errors, soup

User = get_user_model()


@pytest.fixture
def kvitka(db):
    business = BusinessFactory(slug="kvitka", name="Kvitka Ltd")
    owner = UserFactory(username="olena", first_name="Olena", last_name="Koval")
    business_staff_add(business=business, user=owner)
    return business, owner


@pytest.fixture
def rival(db):
    business = BusinessFactory(slug="rival", name="Rival Ltd")
    owner = UserFactory(username="roman")
    business_staff_add(business=business, user=owner)
    return business, owner


def add_url(business) -> str:
    return reverse("tenancy_business_owner_add", args=[business.pk])


def test_owner_invites_a_co_owner_who_sets_a_password_through_a_one_time_link(
    client, kvitka, django_capture_on_commit_callbacks
):
    business, owner = kvitka
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            add_url(business), {"how": "invite", "email": "Petro@Example.com", "first_name": "Petro"}, follow=True
        )

    petro = User.objects.get(email__iexact="petro@example.com")
    assert petro.username == "Petro@example.com" and not petro.has_usable_password()
    assert business.staff.filter(pk=petro.pk).exists()
    assert "Petro is an owner of Kvitka Ltd now" in soup(response).get_text(" ")
    assert [event.action for event in AuditEvent.objects.filter(business=business).order_by("pk")][-2:] == [
        "business.staff_add",
        "business.owner_invite",
    ]
    (message,) = mail.outbox
    assert message.to == ["Petro@example.com"]
    assert "Kvitka Ltd" in message.subject and "Olena Koval" in message.body
    link = re.search(r"http://testserver(/admin/password_reset/confirm/\S+)", message.body).group(1)

    client.logout()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and soup(form_page).select_one("input[name=new_password1]") is not None
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"new_password1": "a-long-fresh-secret-42", "new_password2": "a-long-fresh-secret-42"},
    )
    assert done.status_code == 302
    petro.refresh_from_db()
    assert petro.check_password("a-long-fresh-secret-42")
    assert client.login(username="Petro@example.com", password="a-long-fresh-secret-42")
    client.logout()

    # Once used, the link opens nothing.
    again = client.get(link, follow=True)
    assert soup(again).select_one("input[name=new_password1]") is None


def test_owner_creates_a_co_owner_with_a_password(client, kvitka):
    business, owner = kvitka
    client.force_login(owner)

    client.post(
        add_url(business),
        {
            "how": "password",
            "email": "maria@example.com",
            "username": "maria",
            "password1": "coffee-and-croissants-7",
            "password2": "coffee-and-croissants-7",
        },
    )

    maria = User.objects.get(username="maria")
    assert business.staff.filter(pk=maria.pk).exists()
    assert mail.outbox == []
    client.logout()
    assert client.login(username="maria", password="coffee-and-croissants-7")
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("how", ["invite", "password"])
def test_an_existing_account_is_given_access_not_duplicated(
    client, kvitka, rival, how, django_capture_on_commit_callbacks
):
    business, owner = kvitka
    _, roman = rival
    roman.email = "roman@example.com"
    roman.save(update_fields=["email"])
    client.force_login(owner)
    users_before = User.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            add_url(business),
            {
                "how": how,
                "email": "ROMAN@example.com",
                "password1": "new-pass-for-r-9",
                "password2": "new-pass-for-r-9",
            },
        )

    assert response.status_code == 302
    assert User.objects.count() == users_before
    assert business.staff.filter(pk=roman.pk).exists()
    assert roman.check_password("kartka-pass-1")  # their own password is left alone
    assert mail.outbox == []


def test_nobody_adds_anyone_to_a_business_that_is_not_theirs(client, kvitka, rival, django_capture_on_commit_callbacks):
    _, owner = kvitka
    rival_business, _ = rival
    client.force_login(owner)
    staff_before = set(rival_business.staff.values_list("pk", flat=True))

    assert client.get(add_url(rival_business)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(add_url(rival_business), {"how": "invite", "email": "spy@example.com"})

    assert response.status_code == 404
    assert set(rival_business.staff.values_list("pk", flat=True)) == staff_before
    assert not User.objects.filter(email="spy@example.com").exists()
    assert mail.outbox == []


def test_a_staff_user_of_no_business_and_a_visitor_add_nobody(client, kvitka):
    business, _ = kvitka
    drifter = UserFactory(username="drifter")
    business_staff_add(business=business, user=drifter)
    business.staff.remove(drifter)  # admin access through the group, but no business
    client.force_login(drifter)

    assert client.post(add_url(business), {"how": "invite", "email": "a@example.com"}).status_code == 404
    client.logout()
    visitor = client.post(add_url(business), {"how": "invite", "email": "a@example.com"})
    assert visitor.status_code == 302 and "/admin/login/" in visitor["Location"]
    assert not User.objects.filter(email="a@example.com").exists()


def test_a_superuser_adds_an_owner_to_any_business(client, kvitka, rival, django_capture_on_commit_callbacks):
    rival_business, _ = rival
    client.force_login(UserFactory(username="root", is_superuser=True))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(add_url(rival_business), {"how": "invite", "email": "new@example.com"})

    assert rival_business.staff.filter(email="new@example.com").exists()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("language", "mismatch", "numeric"),
    [
        ("en", "The two passwords are different.", "This password is entirely numeric."),
        ("uk", "Паролі різні.", "Цей пароль повністю складається із цифр."),
        ("ru", "Пароли не совпадают.", "Введённый пароль состоит только из цифр."),
    ],
)
def test_form_errors_are_in_the_users_language(client, kvitka, language, mismatch, numeric):
    business, owner = kvitka
    profile = UserProfile.get_for_user(owner)
    profile.preferred_language = language
    profile.save(update_fields=["preferred_language"])
    client.force_login(owner)
    data = {"how": "password", "email": "ivan@example.com", "username": "ivan"}

    different = client.post(add_url(business), {**data, "password1": "first-secret-1", "password2": "other-2"})
    weak = client.post(add_url(business), {**data, "password1": "38291746502", "password2": "38291746502"})

    assert field_errors(different, "password2") == [mismatch]
    assert numeric in field_errors(weak, "password1")
    assert not User.objects.filter(username="ivan").exists()


def test_a_taken_username_is_a_form_error_and_nothing_is_written(client, kvitka):
    business, owner = kvitka
    client.force_login(owner)
    audit_before = AuditEvent.objects.count()

    response = client.post(
        add_url(business),
        {
            "how": "password",
            "email": "x@example.com",
            "username": "olena",
            "password1": "p-4-x-long-enough",
            "password2": "p-4-x-long-enough",
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "username")
    assert not User.objects.filter(email="x@example.com").exists()
    assert AuditEvent.objects.count() == audit_before


def test_the_service_refuses_an_actor_who_is_not_staff_of_the_business(kvitka, rival):
    from django.core.exceptions import PermissionDenied

    from tenancy.actors import SYSTEM, Actor
    from tenancy.services import business_owner_add

    business, _ = kvitka
    _, roman = rival
    for actor in (Actor.staff(roman), SYSTEM):
        with pytest.raises(PermissionDenied):
            business_owner_add(business=business, email="x@example.com", actor=actor)
    assert not User.objects.filter(email="x@example.com").exists()


def test_the_businesses_list_offers_add_owner_to_superusers(client, kvitka, rival):
    client.force_login(UserFactory(username="root", is_superuser=True))

    page = soup(client.get(reverse("loyalty_businesses:index")))

    links = {link["href"] for link in page.select("a[href]")}
    assert {add_url(kvitka[0]), add_url(rival[0])} <= links
