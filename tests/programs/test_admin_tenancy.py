"""Tenancy, tested hard once: the owner of business A walks every Loyalty admin URL with business B's ids and
gets a 404 (or 403) every time, sees none of B's rows in any listing, cannot point a new object at B's program,
and changes nothing of B's by posting. The URL walk reads the URL patterns the admin actually registers, so a
new view with an id in its URL is covered (or makes this test fail until it is mapped)."""

import pytest
from django.core.files.base import ContentFile
from django.forms.models import model_to_dict
from django.http import Http404
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import GroupCollectionPermission, Page

from programs import access
from programs.choices import Bucket, CardKind, RuleKind
from programs.factories import UserFactory
from programs.models import (
    AuditEvent,
    Business,
    CardType,
    DiscountThreshold,
    EarningRule,
    LedgerEntry,
    Member,
    Program,
    RedemptionRule,
    Store,
    Tier,
)
from programs.services.api_keys import api_key_create
from programs.services.purchases import purchase_record
from tenancy.actors import Actor
from tenancy.registry import PAGE_ROOT_PROVIDERS, tenant_page_roots_register
from tenancy.services import business_staff_add
from tests.programs.admin_support import D, admin_url, field_errors, form_data, page_text, soup

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha_client(client, alpha, beta):
    client.force_login(alpha.owner)
    return client


def loyalty_patterns():
    """(namespace, url name, route parameters) of every URL the Loyalty admin registers."""
    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace and namespace.startswith("loyalty_"):
                found.append((namespace, entry.name, sorted(entry.pattern.converters)))

    walk(get_resolver().url_patterns, None)
    return found


def beta_ids(beta):
    """For each Loyalty namespace, the ids of business B's object to put in its URLs."""
    audit_event = AuditEvent.objects.filter(business=beta.business).first()
    api_key = api_key_create(
        program=beta.program, store=beta.store, name="Beta till", actor=Actor.staff(beta.owner)
    ).api_key
    return {
        "loyalty_programs": {"pk": beta.program.pk},
        "loyalty_card_types": {"pk": beta.card_type.pk},
        "loyalty_tiers": {"pk": beta.tier.pk},
        "loyalty_earning_rules": {"pk": beta.rule.pk},
        "loyalty_redemption_rules": {"pk": RedemptionRule.objects.get(card_type=beta.card_type).pk},
        "loyalty_stores": {"pk": beta.store.pk},
        "loyalty_members": {"pk": beta.member.pk, "card_pk": beta.card.pk},
        "loyalty_audit": {"pk": audit_event.pk},
        "loyalty_businesses": {"pk": beta.business.pk},
        "loyalty_api_keys": {"pk": api_key.pk},
        "loyalty_purchases": {
            "pk": purchase_record(card=beta.card, store=beta.store, receipt_id="B-1", total=D(10)).purchase.pk
        },
    }


def tenant_state(tenant):
    """Everything of one tenant the admin could change, to compare before and after an attack."""
    card = tenant.card
    card.refresh_from_db()
    rows = [tenant.business, tenant.program, tenant.card_type, tenant.stamp_type, tenant.tier, tenant.rule]
    rows += [tenant.store, tenant.member]
    state = {f"{type(row).__name__}:{row.pk}": model_to_dict(type(row).objects.get(pk=row.pk)) for row in rows}
    state["card"] = (card.status, card.points_balance, card.stamps_balance, card.number)
    state["counts"] = (
        Program.objects.filter(business=tenant.business).count(),
        CardType.objects.filter(program=tenant.program).count(),
        DiscountThreshold.objects.filter(card_type__program=tenant.program).count(),
        RedemptionRule.objects.filter(card_type__program=tenant.program).count(),
        Tier.objects.filter(program=tenant.program).count(),
        EarningRule.objects.filter(program=tenant.program).count(),
        Store.objects.filter(program=tenant.program).count(),
        Member.objects.filter(program=tenant.program).count(),
        tenant.member.cards.count(),
        LedgerEntry.objects.filter(program=tenant.program).count(),
        AuditEvent.objects.filter(business=tenant.business).count(),
    )
    state["staff"] = sorted(tenant.business.staff.values_list("username", flat=True))
    return state


# What a tampering owner might post to any of the URLs: plausible values for every form the admin has.
HOSTILE_POST = {
    "name": "Hacked",
    "slug": "hacked",
    "code": "hacked",
    "business": "",
    "program": "",
    "kind": CardKind.CASHBACK,
    "cashback_percent": "99",
    "threshold": "0",
    "multiplier": "2",
    "currency": "UAH",
    "timezone": "Europe/Kyiv",
    "amount": "1000",
    "unit": "points",
    "bucket": Bucket.CASHBACK,
    "reason": "tampering",
    "number": "2999999999999",
    "phone": "+380500000000",
    "first_name": "Hacked",
    "staff": "",
}


def test_every_admin_url_with_another_business_ids_is_not_found(alpha_client, alpha, beta):
    ids = beta_ids(beta)
    before = tenant_state(beta)
    hostile = {**HOSTILE_POST, "business": alpha.business.pk, "program": alpha.program.pk}
    walked = []

    for namespace, name, params in loyalty_patterns():
        if not params:
            continue
        url = admin_url(f"{namespace}:{name}", *[ids[namespace][param] for param in params])
        get = alpha_client.get(url)
        post = alpha_client.post(url, hostile)
        assert get.status_code in (403, 404), f"GET {url} -> {get.status_code}"
        assert post.status_code in (403, 404), f"POST {url} -> {post.status_code}"
        walked.append(f"{namespace}:{name}")

    assert tenant_state(beta) == before
    # The walk really covered the object views of every area (a renamed view would silently drop out otherwise).
    for expected in (
        "loyalty_programs:edit",
        "loyalty_programs:delete",
        "loyalty_programs:history",
        "loyalty_programs:usage",
        "loyalty_card_types:edit",
        "loyalty_card_types:delete",
        "loyalty_tiers:edit",
        "loyalty_earning_rules:delete",
        "loyalty_stores:history",
        "loyalty_members:detail",
        "loyalty_members:edit",
        "loyalty_members:card_adjust",
        "loyalty_members:card_block",
        "loyalty_members:card_unblock",
        "loyalty_members:card_replace",
        "loyalty_audit:inspect",
        "loyalty_businesses:edit",
        "loyalty_businesses:delete",
        "loyalty_api_keys:revoke",
    ):
        assert expected in walked


def test_own_member_with_another_business_card_is_not_found(alpha_client, alpha, beta):
    before = tenant_state(beta)

    for name in ("card_adjust", "card_block", "card_unblock", "card_replace"):
        url = admin_url(f"loyalty_members:{name}", alpha.member.pk, beta.card.pk)
        assert alpha_client.get(url).status_code == 404
        assert alpha_client.post(url, {**HOSTILE_POST}).status_code == 404
    detail = admin_url("loyalty_members:detail", alpha.member.pk) + f"?card={beta.card.pk}"
    assert alpha_client.get(detail).status_code == 404
    assert tenant_state(beta) == before


def beta_strings(beta):
    return [
        beta.business.name,
        beta.program.name,
        beta.card_type.name,
        beta.stamp_type.name,
        beta.tier.name,
        beta.rule.name,
        beta.store.name,
        beta.member.first_name,
        str(beta.member.phone),
        beta.card.number,
        "beta goodwill",
    ]


@pytest.mark.parametrize(
    "namespace",
    [
        "loyalty_programs",
        "loyalty_card_types",
        "loyalty_tiers",
        "loyalty_earning_rules",
        "loyalty_stores",
        "loyalty_members",
        "loyalty_audit",
    ],
)
def test_listings_show_only_the_own_business(alpha_client, alpha, beta, namespace):
    response = alpha_client.get(admin_url(f"{namespace}:index"))

    assert response.status_code == 200
    text = page_text(response)
    for leaked in beta_strings(beta):
        assert leaked not in text, f"{leaked!r} of business B is listed"
    assert any(own in text for own in (alpha.program.name, "Anna")), "the own rows are listed"
    # Filters offer the own programs only (no names of other businesses in the dropdown either).
    options = [option.get_text(strip=True) for option in soup(response).select('select[name="program"] option')]
    assert beta.program.name not in options


def test_searching_and_filtering_never_reach_another_business(alpha_client, alpha, beta):
    members = admin_url("loyalty_members:index")

    for query in (str(beta.member.phone), beta.card.number, "Bohdan"):
        assert "Bohdan" not in page_text(alpha_client.get(members, {"q": query}))
    filtered = alpha_client.get(members, {"program": beta.program.pk})
    assert "Bohdan" not in page_text(filtered)
    results = alpha_client.get(admin_url("loyalty_members:index_results"), {"q": "Bohdan"})
    assert "Bohdan" not in page_text(results)


@pytest.mark.parametrize(
    ("namespace", "data", "field", "model"),
    [
        ("loyalty_stores", {"name": "Sneaky", "code": "sneaky"}, "program", Store),
        ("loyalty_tiers", {"name": "Sneaky", "threshold": "5000", "multiplier": "1"}, "program", Tier),
        (
            "loyalty_earning_rules",
            {"name": "Sneaky", "kind": RuleKind.MULTIPLIER, "multiplier": "3", "bucket": Bucket.CASHBACK},
            "program",
            EarningRule,
        ),
        (
            "loyalty_card_types",
            {
                "name": "Sneaky",
                "kind": CardKind.CASHBACK,
                "cashback_percent": "5",
                "rounding": "down",
                "stamp_basis": "purchase",
                "thresholds-TOTAL_FORMS": "0",
                "thresholds-INITIAL_FORMS": "0",
                "redemption_rules-TOTAL_FORMS": "0",
                "redemption_rules-INITIAL_FORMS": "0",
            },
            "program",
            CardType,
        ),
    ],
)
def test_cannot_create_an_object_in_another_business_program(alpha_client, beta, namespace, data, field, model):
    response = alpha_client.post(admin_url(f"{namespace}:add"), {**data, "program": beta.program.pk})

    assert response.status_code == 200
    assert field_errors(response, field) == ["Select a valid choice. That choice is not one of the available choices."]
    assert not model.objects.filter(name="Sneaky").exists()


def test_cannot_create_a_program_in_another_business(alpha_client, beta):
    response = alpha_client.post(
        admin_url("loyalty_programs:add"),
        {"business": beta.business.pk, "name": "Sneaky", "slug": "sneaky", "currency": "UAH", "timezone": "UTC"},
    )

    assert response.status_code == 200
    assert field_errors(response, "business")
    assert not Program.objects.filter(slug="sneaky").exists()


def test_cannot_enrol_a_member_in_another_business_program(alpha_client, beta):
    before = Member.objects.filter(program=beta.program).count()

    response = alpha_client.post(
        admin_url("loyalty_members:add"), {"program": beta.program.pk, "phone": "+380509990000"}
    )

    assert response.status_code == 200
    assert field_errors(response, "program")
    assert Member.objects.filter(program=beta.program).count() == before


def test_own_rule_cannot_point_at_another_business_card_type(alpha_client, alpha, beta):
    response = alpha_client.post(
        admin_url("loyalty_earning_rules:add"),
        {
            "program": alpha.program.pk,
            "card_type": beta.card_type.pk,
            "name": "Sneaky",
            "kind": RuleKind.MULTIPLIER,
            "multiplier": "3",
            "min_purchase": "0",
            "bonus_points": "0",
            "bucket": Bucket.CASHBACK,
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "card_type")
    assert not EarningRule.objects.filter(name="Sneaky").exists()


def test_businesses_area_does_not_exist_for_an_owner(alpha_client, alpha, beta):
    menu = page_text(alpha_client.get(admin_url("wagtailadmin_home")))
    assert "Businesses" not in menu

    for url in (
        admin_url("loyalty_businesses:index"),
        admin_url("loyalty_businesses:add"),
        admin_url("loyalty_businesses:edit", alpha.business.pk),
        admin_url("loyalty_businesses:delete", alpha.business.pk),
    ):
        assert alpha_client.get(url).status_code == 404, url
    response = alpha_client.post(admin_url("loyalty_businesses:add"), {"name": "Mine", "slug": "mine"})
    assert response.status_code == 404
    assert not Business.objects.filter(slug="mine").exists()
    # ... not even to add oneself to another business.
    response = alpha_client.post(
        admin_url("loyalty_businesses:edit", beta.business.pk),
        {"name": beta.business.name, "slug": beta.business.slug, "staff": [alpha.owner.pk]},
    )
    assert response.status_code == 404
    assert not beta.business.staff.filter(pk=alpha.owner.pk).exists()


def test_superuser_sees_every_business(client, alpha, beta):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    programs = page_text(client.get(admin_url("loyalty_programs:index")))
    members = page_text(client.get(admin_url("loyalty_members:index")))
    businesses = page_text(client.get(admin_url("loyalty_businesses:index")))

    assert alpha.program.name in programs and beta.program.name in programs
    assert "Anna" in members and "Bohdan" in members
    assert alpha.business.name in businesses and beta.business.name in businesses
    assert client.get(admin_url("loyalty_members:detail", beta.member.pk)).status_code == 200


def test_owner_of_two_businesses_sees_both(client, alpha, beta):
    business_staff_add(business=beta.business, user=alpha.owner)
    client.force_login(alpha.owner)

    members = page_text(client.get(admin_url("loyalty_members:index")))

    assert "Anna" in members and "Bohdan" in members


def test_staff_user_of_no_business_sees_nothing(client, alpha, beta):
    drifter = UserFactory(username="drifter")
    business_staff_add(business=alpha.business, user=drifter)
    alpha.business.staff.remove(drifter)  # still in the group, no longer staff of any business
    client.force_login(drifter)

    for namespace in ("loyalty_programs", "loyalty_members", "loyalty_audit"):
        text = page_text(client.get(admin_url(f"{namespace}:index")))
        assert "Anna" not in text and alpha.program.name not in text and "Bohdan" not in text
    assert client.get(admin_url("loyalty_members:detail", alpha.member.pk)).status_code == 404


def test_inactive_owner_reaches_nothing(client, alpha, beta):
    alpha.owner.is_active = False
    alpha.owner.save(update_fields=["is_active"])
    client.force_login(alpha.owner)

    response = client.get(admin_url("loyalty_members:detail", alpha.member.pk))

    assert response.status_code in (302, 403, 404)
    assert "Anna" not in page_text(response)


def test_wagtail_endpoints_that_take_any_model_use_the_same_policy(alpha_client, alpha, beta):
    # Wagtail's editing-session ping resolves any model by name and asks the registered policy.
    for obj in (beta.program, beta.card_type, beta.tier, beta.rule, beta.store):
        url = admin_url("wagtailadmin_editing_sessions:ping", obj._meta.app_label, obj._meta.model_name, obj.pk, 0)
        assert alpha_client.post(url).status_code == 404, url
    own = admin_url("wagtailadmin_editing_sessions:ping", "programs", "program", alpha.program.pk, 0)
    assert alpha_client.post(own).status_code == 200


def test_wagtail_site_history_shows_nothing_of_another_business(client, alpha, beta):
    # Business B's owner edits B's program in the admin ...
    beta_client = Client()
    beta_client.force_login(beta.owner)
    edit_url = admin_url("loyalty_programs:edit", beta.program.pk)
    data = form_data(beta_client.get(edit_url))
    data["description"] = "Beta's secret plans"
    assert beta_client.post(edit_url, data).status_code == 302

    # ... and A's owner, in Wagtail's own Site history report, sees nothing of it.
    client.force_login(alpha.owner)
    response = client.get(admin_url("wagtailadmin_reports:site_history"))

    text = page_text(response)
    assert beta.program.name not in text
    assert beta.owner.username not in text


def test_access_helpers_treat_missing_and_not_yours_alike(alpha, beta):
    root = UserFactory(username="root", is_superuser=True)
    missing = 10**9

    assert access.access_program_for_user(user=alpha.owner, program_id=alpha.program.pk) == alpha.program
    assert access.access_member_for_user(user=alpha.owner, member_id=alpha.member.pk) == alpha.member
    for user, program_id in ((alpha.owner, beta.program.pk), (alpha.owner, missing), (root, missing)):
        with pytest.raises(Http404):
            access.access_program_for_user(user=user, program_id=program_id)
    with pytest.raises(Http404):
        access.access_member_for_user(user=alpha.owner, member_id=beta.member.pk)
    with pytest.raises(Http404):
        access.access_card_for_user(user=alpha.owner, member=alpha.member, card_id=beta.card.pk)
    assert access.access_program_for_user(user=root, program_id=beta.program.pk) == beta.program
    assert set(access.programs_for_user(user=root)) == {alpha.program, beta.program}
    alpha.owner.is_active = False
    assert not access.programs_for_user(user=alpha.owner).exists()
    assert not access.scope_for_user(Member.objects.all(), user=alpha.owner).exists()


# --- Wagtail's own areas: images, documents and pages --------------------------------------------------------

BETA_TITLES = ("Beta secret image", "Beta secret document", "Beta portal draft", "Beta secret promo")


@pytest.fixture
def media_and_pages(alpha, beta, settings, tmp_path):
    """An image and a document in each business's collection, and each business's page root (a draft for B)
    named by a page-roots provider the way the pages app will."""
    settings.MEDIA_ROOT = tmp_path
    Image, Document = get_image_model(), get_document_model()
    made = {}
    for tenant, name in ((alpha, "Alpha"), (beta, "Beta")):
        made[f"{name}_image"] = Image.objects.create(
            title=f"{name} secret image", file=get_test_image_file(), collection=tenant.business.collection
        )
        made[f"{name}_document"] = Document.objects.create(
            title=f"{name} secret document",
            file=ContentFile(b"plans", name=f"{name.lower()}-plan.txt"),
            collection=tenant.business.collection,
        )
    root = Page.get_first_root_node()
    made["Alpha_page"] = root.add_child(instance=Page(title="Alpha portal", slug="alpha-portal"))
    made["Beta_page"] = root.add_child(instance=Page(title="Beta portal draft", slug="beta-portal", live=False))
    made["Beta_child"] = made["Beta_page"].add_child(
        instance=Page(title="Beta secret promo", slug="beta-promo", live=False)
    )
    owners = {alpha.business.pk: made["Alpha_page"], beta.business.pk: made["Beta_page"]}

    def provider(business_ids):
        return [owners[pk] for pk in business_ids if pk in owners]

    tenant_page_roots_register(provider)
    yield made
    PAGE_ROOT_PROVIDERS.remove(provider)


def wagtail_area_urls(made) -> list[str]:
    image, document = made["Beta_image"].pk, made["Beta_document"].pk
    page, child = made["Beta_page"].pk, made["Beta_child"].pk
    return [
        "/admin/images/chooser/",
        "/admin/images/chooser/results/?q=secret",
        "/admin/documents/chooser/",
        "/admin/documents/chooser/results/?q=secret",
        "/admin/choose-page/",
        f"/admin/choose-page/{page}/",
        "/admin/choose-page/search/?q=Beta",
        "/admin/api/main/images/",
        f"/admin/api/main/images/{image}/",
        "/admin/api/main/documents/",
        f"/admin/api/main/documents/{document}/",
        "/admin/api/main/pages/",
        "/admin/api/main/pages/?child_of=root&for_explorer=1",
        f"/admin/api/main/pages/{page}/",
        f"/admin/api/main/pages/{child}/",
        "/admin/api/main/pages/?search=Beta",
        "/admin/pages/",
        f"/admin/pages/{page}/",
        "/admin/pages/search/?q=Beta",
        f"/admin/bulk/wagtailimages/image/delete/?id={image}",
        f"/admin/bulk/wagtailimages/image/add_tags/?id={image}",
        f"/admin/bulk/wagtailimages/image/add_to_collection/?id={image}",
        f"/admin/bulk/wagtaildocs/document/delete/?id={document}",
        f"/admin/bulk/wagtaildocs/document/add_to_collection/?id={document}",
        f"/admin/bulk/wagtailcore/page/delete/?id={page}&id={child}",
        f"/admin/bulk/wagtailcore/page/publish/?id={page}&id={child}",
        f"/admin/bulk/wagtailcore/page/unpublish/?id={child}",
        f"/admin/bulk/wagtailcore/page/move/?id={child}",
    ]


def test_owner_never_sees_another_business_images_documents_or_pages(alpha_client, media_and_pages):
    for url in wagtail_area_urls(media_and_pages):
        response = alpha_client.get(url)
        assert response.status_code < 500, url
        text = response.content.decode()
        for title in BETA_TITLES:
            assert title not in text, f"{url} shows {title!r}"


def test_owner_sees_their_own_images_documents_and_pages(alpha_client, media_and_pages):
    assert "Alpha secret image" in alpha_client.get("/admin/images/chooser/").content.decode()
    assert "Alpha secret document" in alpha_client.get("/admin/documents/chooser/").content.decode()
    assert "Alpha secret image" in alpha_client.get("/admin/api/main/images/").content.decode()
    assert "Alpha secret document" in alpha_client.get("/admin/api/main/documents/").content.decode()
    assert "Alpha portal" in alpha_client.get("/admin/choose-page/").content.decode()
    # (The admin pages API and explorer list only pages the user has page permissions for; owners get those with
    # the pages app.)


def test_superuser_sees_every_business_media_and_pages(client, media_and_pages):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    for url, title in (
        ("/admin/images/chooser/", "Beta secret image"),
        ("/admin/documents/chooser/", "Beta secret document"),
        ("/admin/api/main/pages/", "Beta portal draft"),
        (f"/admin/choose-page/{media_and_pages['Beta_page'].pk}/", "Beta secret promo"),
    ):
        assert title in client.get(url).content.decode(), url


def test_owner_uploads_into_their_business_collection_only(alpha, beta):
    owner = alpha.owner
    assert owner.groups.filter(pk=alpha.business.staff_group_id).exists()
    granted = GroupCollectionPermission.objects.filter(group=alpha.business.staff_group)
    assert {grant.collection_id for grant in granted} == {alpha.business.collection_id}
    assert {grant.permission.codename for grant in granted} >= {"choose_image", "add_image", "choose_document"}


def test_documents_download_only_for_their_business(client, alpha, beta, media_and_pages):
    url = media_and_pages["Beta_document"].url
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "login" in anonymous["Location"]
    client.force_login(alpha.owner)
    assert client.get(url).status_code in (403, 404)
    client.force_login(beta.owner)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"plans"
