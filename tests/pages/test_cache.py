"""The portal's page cache: a cached page answers without a query, and stops answering as soon as what it shows
changed (a page published or unpublished, on schedule too; a rule; a store), cached or not."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import PageViewRestriction

from pages.cache import portal_cache_invalidate
from pages.jobs import pages_publish_scheduled
from pages.models import PromoPage
from programs.factories import StoreFactory
from programs.models import Program, Tier
from programs.services.programs import program_config_renew
from tests.conftest import D

pytestmark = pytest.mark.django_db

HOST = "alpha.localhost"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the cache's invalidation), as the admin's own transactions would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def get(client, path="/"):
    return client.get(path, HTTP_HOST=HOST)


def test_a_cached_home_and_promo_page_answer_without_touching_the_database(
    client, alpha_site, committed, django_assert_num_queries
):
    home = alpha_site.root_page.specific
    with committed():
        promo = home.add_child(instance=PromoPage(title="Autumn", slug="autumn", body=[("tiers", {"heading": ""})]))
        promo.save_revision().publish()
    for path in ("/", "/autumn/"):
        first = get(client, path)
        assert first["X-Kartka-Cache"] == "miss"
        with django_assert_num_queries(0):
            again = get(client, path)
        assert again["X-Kartka-Cache"] == "hit"
        assert again.content == first.content
        assert again["Content-Type"] == first["Content-Type"]
        assert again["Content-Language"] == "en"


def test_publishing_a_change_shows_it(client, alpha_site, committed):
    home = alpha_site.root_page.specific
    assert get(client)["X-Kartka-Cache"] == "miss"
    home.title = "Alpha Club, renewed"
    revision = home.save_revision()
    assert "renewed" not in get(client).content.decode()  # a draft changes nothing
    with committed():
        revision.publish()
    response = get(client)
    assert response["X-Kartka-Cache"] == "miss" and "Alpha Club, renewed" in response.content.decode()


def test_a_rule_change_shows_on_the_cached_page(client, alpha_site, committed):
    get(client)
    assert get(client)["X-Kartka-Cache"] == "hit"
    gold = Tier.objects.get(name="Alpha Gold")
    gold.threshold = D(32000)
    with committed():
        gold.save()
    text = get(client).content.decode()
    assert "₴32,000" in text and "₴30,000" not in text


def test_a_rule_renewed_without_any_signal_shows_within_the_site_entry_lifetime(
    client, alpha_site, settings, committed
):
    """``program_config_renew`` is a bare UPDATE (no signal); the site entry's short life bounds how long the old
    text is served."""
    settings.KARTKA_PAGES_SITE_SECONDS = 0.01
    get(client)
    Tier.objects.filter(name="Alpha Gold").update(threshold=D(31000))
    program_config_renew(program_id=alpha_site.root_page.specific.program_id)
    import time

    time.sleep(0.05)
    assert "₴31,000" in get(client).content.decode()


def test_a_new_store_shows_in_how_to_join(client, alpha_site, committed):
    get(client)
    with committed():
        StoreFactory(
            program=Program.objects.get(pk=alpha_site.root_page.specific.program_id), name="Alpha Obolon", code="ob"
        )
    assert "Alpha Obolon" in get(client).content.decode()


def test_unpublished_pages_stop_answering(client, alpha_site, committed):
    home = alpha_site.root_page.specific
    with committed():
        promo = home.add_child(instance=PromoPage(title="Flash sale", slug="flash", body=[]))
        promo.save_revision().publish()
    get(client, "/flash/")
    assert get(client, "/flash/")["X-Kartka-Cache"] == "hit"
    with committed():
        promo.unpublish()
    assert get(client, "/flash/").status_code == 404
    assert "Flash sale" not in get(client).content.decode()


def test_scheduled_publishing_and_expiry(client, alpha_site, committed):
    home = alpha_site.root_page.specific
    with committed():
        promo = home.add_child(instance=PromoPage(title="Black Friday", slug="black-friday", body=[], live=False))
        promo.go_live_at = timezone.now() + timedelta(hours=1)
        revision = promo.save_revision(approved_go_live_at=promo.go_live_at)
    assert get(client, "/black-friday/").status_code == 404
    assert "Black Friday" not in get(client).content.decode()
    get(client)  # cached without the promo
    # The hour has passed: the scheduler publishes the revision.
    past = timezone.now() - timedelta(minutes=1)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save(update_fields=["approved_go_live_at", "content"])
    with committed():
        pages_publish_scheduled()  # the job the django-q2 cluster runs every minute
    assert get(client, "/black-friday/").status_code == 200
    assert "Black Friday" in get(client).content.decode()
    assert get(client, "/black-friday/")["X-Kartka-Cache"] == "hit"
    # And it expires: the cached copy goes with it.
    PromoPage.objects.filter(pk=promo.pk).update(expire_at=timezone.now() - timedelta(minutes=1))
    with committed():
        call_command("publish_scheduled")
    assert get(client, "/black-friday/").status_code == 404
    assert "Black Friday" not in get(client).content.decode()


def test_pages_behind_a_view_restriction_are_never_cached(client, alpha_site, committed):
    home = alpha_site.root_page.specific
    with committed():
        promo = home.add_child(instance=PromoPage(title="Staff only", slug="staff", body=[]))
        promo.save_revision().publish()
        PageViewRestriction.objects.create(page=promo, restriction_type=PageViewRestriction.PASSWORD, password="x")
    for _attempt in range(2):
        response = get(client, "/staff/")
        assert "X-Kartka-Cache" not in response
        assert "Staff only" not in response.content.decode() or response.status_code != 200


def test_other_requests_are_left_alone(client, alpha_site, admin_user):
    get(client)
    assert get(client)["X-Kartka-Cache"] == "hit"
    assert "X-Kartka-Cache" not in client.get("/?utm_source=x", HTTP_HOST=HOST)  # query strings: rendered each time
    assert "X-Kartka-Cache" not in client.post("/", HTTP_HOST=HOST)
    assert "X-Kartka-Cache" not in client.get("/", HTTP_HOST="localhost")  # the landing page is not a portal
    client.force_login(admin_user)
    home = alpha_site.root_page.specific
    home.title = "Alpha Club draft"
    home.save_revision()
    # Wagtail previews through the middleware with a dummy request for "/": the draft, never the cached page.
    preview = client.get(f"/admin/pages/{home.pk}/view_draft/", HTTP_HOST=HOST)
    assert preview.status_code == 200 and not preview.has_header("X-Kartka-Cache")
    assert "Alpha Club draft" in preview.content.decode()
    assert client.get("/", HTTP_HOST="evil.example.com").status_code == 400  # ALLOWED_HOSTS still applies


def test_invalidation_forgets_everything(client, alpha_site):
    get(client)
    assert get(client)["X-Kartka-Cache"] == "hit"
    portal_cache_invalidate()
    assert get(client)["X-Kartka-Cache"] == "miss"


def test_the_publishing_schedule_runs_every_minute(db):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="kartka.pages_publish_scheduled")  # written after migrate
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == ("pages.jobs.pages_publish_scheduled", "I", 1)


def test_the_program_theme_shows_and_its_publication_renews_the_cached_page(client, alpha_site, alpha, committed):
    from tenancy.actors import Actor
    from themes.services import theme_create, theme_program_assign, theme_publish, theme_save_draft

    actor = Actor.system("test")
    with committed():
        theme = theme_create(business=alpha.business, actor=actor, name="Autumn", accent_colour="#8a3b12", publish=True)
        theme_program_assign(program=alpha.program, theme=theme, actor=actor)
    assert "--k-accent: #8a3b12" in get(client).content.decode()
    assert get(client)["X-Kartka-Cache"] == "hit"
    with committed():
        theme_save_draft(theme=theme, actor=actor, accent_colour="#0b5d1e")
    assert "--k-accent: #8a3b12" in get(client).content.decode()  # a draft changes nothing
    with committed():
        theme_publish(theme=theme, actor=actor)
    response = get(client)
    assert "--k-accent: #0b5d1e" in response.content.decode() and response["X-Kartka-Cache"] == "miss"
