"""What customers read: the brand, "How it works" written from the program's rules (and following them), every
block of a promo page, the program's language and currency, and the social image."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from pages.blocks import PromoStreamBlock
from pages.models import PortalHomePage, PromoPage
from programs.models import RedemptionRule, Tier
from tests.conftest import D

pytestmark = pytest.mark.django_db

HOST = "alpha.localhost"


def text_of(response) -> str:
    """The page as a reader sees it: tags dropped, spaces (non-breaking too) collapsed."""
    assert response.status_code == 200
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html).replace("\xa0", " ")).strip()


def promo(home, **fields) -> PromoPage:
    page = home.add_child(
        instance=PromoPage(title=fields.pop("title", "Promo"), slug=fields.pop("slug", "promo"), **fields)
    )
    page.save_revision().publish()
    return page


def test_home_is_drawn_in_the_brand(client, alpha_site):
    html = client.get("/", HTTP_HOST=HOST).content.decode()
    assert re.search(r"<style>:root \{ --k-background: #ffffff; --k-text: #1b1f24; --k-accent: #1f6feb;", html)
    assert '"Segoe UI"' in html  # quotes of font names survive (not HTML-escaped inside <style>)
    assert "/static/pages/portal.css" in html
    # Stylesheets and scripts are served by Kartka itself: nothing from a CDN or a font service.
    assets = re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', html)
    assert assets and all(url.startswith("/static/pages/") for url in assets), assets
    assert '<html lang="en">' in html


def test_how_it_works_is_written_from_the_rules(client, alpha_site):
    text = text_of(client.get("/", HTTP_HOST=HOST))
    assert "How it works" in text
    # Cashback card (5 %, redemption rule of the factory), accumulative steps, stamp card, tiers, extras, stores.
    assert "5 % of every purchase comes back to you as points." in text
    rule = RedemptionRule.objects.get(card_type__name="Alpha Bonus")
    assert f"Points pay up to {rule.max_share_percent.normalize():f} % of a check" in text
    assert "from ₴0 5 %" in text and "from ₴2,000 10 %" in text
    assert "One stamp for every item you buy (coffee)." in text
    assert "Collect 9 stamps and get: A free coffee." in text
    assert "Alpha Gold from ₴30,000 7 % back in points ×1.5 points" in text
    assert "Joining bonus: 10 points" in text
    assert "Alpha Podil 1 Sahaidachnoho St" in text
    assert "Ask for a card at the till" in text


def test_how_it_works_follows_rule_changes(client, alpha_site, django_capture_on_commit_callbacks):
    assert "₴30,000" in text_of(client.get("/", HTTP_HOST=HOST))
    gold = Tier.objects.get(name="Alpha Gold")
    gold.threshold = D(25000)
    with django_capture_on_commit_callbacks(execute=True):  # as the admin's transaction would commit
        gold.save()
    text = text_of(client.get("/", HTTP_HOST=HOST))
    assert "Alpha Gold from ₴25,000" in text and "₴30,000" not in text
    card_type = alpha_site.root_page.specific.program.card_types.get(name="Alpha Bonus")
    card_type.cashback_percent = D("4.5")
    with django_capture_on_commit_callbacks(execute=True):
        card_type.save()
    assert "4.5 % of every purchase comes back" in text_of(client.get("/", HTTP_HOST=HOST))
    card_type.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        card_type.save()
    assert "Alpha Bonus" not in text_of(client.get("/", HTTP_HOST=HOST))


def test_portal_speaks_the_program_language_and_writes_its_currency(
    client, alpha_site, django_capture_on_commit_callbacks
):
    home = alpha_site.root_page.specific
    home.language = "uk"
    with django_capture_on_commit_callbacks(execute=True):
        home.save_revision().publish()
    response = client.get("/", HTTP_HOST=HOST)
    text = text_of(response)
    assert response["Content-Language"] == "uk"
    assert '<html lang="uk">' in response.content.decode()
    assert "Як це працює" in text
    assert "від 30 000 ₴" in text
    assert "бали ×1,5" in text  # a multiplier reads "points ×1.5": no plural of a fraction to get wrong
    home.language = "ru"
    with django_capture_on_commit_callbacks(execute=True):
        home.save_revision().publish()
    text = text_of(client.get("/", HTTP_HOST=HOST))
    assert "Как это работает" in text and "баллы ×1,5" in text


def test_every_block_renders(client, alpha_site):
    home = alpha_site.root_page.specific
    ends_at = timezone.now() + timedelta(days=3)
    page = promo(
        home,
        title="Autumn promo",
        slug="autumn",
        search_description="Autumn offers",
        body=[
            ("hero", {"title": "Autumn sale", "text": "Twice the points", "button_text": "Join now"}),
            ("text", "<h2>Why</h2><p>Because autumn.</p>"),
            ("offers", {"heading": "Offers", "offers": [{"title": "Scarves", "text": "Warm", "badge": "×2"}]}),
            ("tiers", {"heading": "Our tiers"}),
            ("stamps", {"heading": "Your card", "collected": 6}),
            ("countdown", {"heading": "Ends in", "ends_at": ends_at, "ended_text": ""}),
            ("join", {"heading": "Join us", "text": "It is free."}),
            (
                "faq",
                {"heading": "Questions", "questions": [{"question": "Is it free?", "answer": "<p>Yes, always.</p>"}]},
            ),
        ],
    )
    response = client.get("/autumn/", HTTP_HOST=HOST)
    html, text = response.content.decode(), text_of(response)
    assert "Autumn sale Twice the points Join now" in text and 'href="#join"' in html
    assert "Why Because autumn." in text
    assert "×2 Scarves Warm" in text
    assert "Our tiers" in text and "Alpha Gold from ₴30,000" in text
    assert html.count("k-stamp k-stamp--filled") == 6 and html.count('class="k-stamp"') == 3
    assert "3 more stamps and you get: A free coffee." in text
    assert f'data-countdown="{timezone.localtime(ends_at).replace(microsecond=0).isoformat()}"' in html
    assert "Until " in text
    assert "Join us It is free." in text
    assert '<details class="k-faq__item"><summary>Is it free?</summary>' in html and "Yes, always." in text
    assert page.title in text_of(client.get("/", HTTP_HOST=HOST))  # listed on the home page


def test_countdown_of_a_past_offer_says_it_ended(client, alpha_site):
    promo(
        alpha_site.root_page.specific,
        body=[("countdown", {"heading": "", "ends_at": timezone.now() - timedelta(hours=1), "ended_text": "Over!"})],
    )
    html = client.get("/promo/", HTTP_HOST=HOST).content.decode()
    assert "Over!" in html and "data-countdown" not in html


def test_every_block_has_a_description_and_a_preview(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    for name, block in PromoStreamBlock().child_blocks.items():
        assert block.meta.description, name
        assert block.is_previewable, name
        value = block.get_preview_value()
        context = block.get_preview_context(value, parent_context={"request": request})
        html = block.render(value, context=context)
        assert html.strip(), name


def test_social_image_and_seo_fields(client, alpha_site, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    image = get_image_model().objects.create(title="Autumn", file=get_test_image_file())
    page = promo(alpha_site.root_page.specific, seo_title="Autumn deals at Alpha", search_description="Big autumn")
    page.social_image = image
    page.save_revision().publish()
    html = client.get("/promo/", HTTP_HOST=HOST).content.decode()
    assert "<title>Autumn deals at Alpha · Alpha Club</title>" in html
    assert '<meta name="description" content="Big autumn">' in html
    assert re.search(r'<meta property="og:image" content="http://alpha\.localhost/media/images/[^"]+\.png">', html)


def test_settings_tab_has_the_publishing_schedule():
    for model in (PortalHomePage, PromoPage):
        form_class = model.get_edit_handler().get_form_class()
        assert {"go_live_at", "expire_at"} <= set(form_class.base_fields), model
        assert "social_image" in form_class.base_fields
        assert "program" not in form_class.base_fields  # an owner never re-points a portal at another program


def test_brand_css_cannot_break_out_of_its_style_element():
    from pages.templatetags.pages_tags import portal_css
    from themes.tokens import ThemeTokens

    tokens = ThemeTokens(accent="#fff</style><script>alert(1)</script>", font_family='"Evil Sans" } body { x: y /* ')
    css = portal_css(tokens)
    assert not any(mark in css for mark in ("<", ">", "{", "}", "/*"))
    assert '--k-font: "Evil Sans"' in css  # font names keep their quotes


def test_uploaded_images_are_served_locally(settings, tmp_path, client):
    # The demo has no web server in front: its logos and theme images come from Django (KARTKA_SERVE_MEDIA).
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "original_images").mkdir()
    (tmp_path / "original_images" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    response = client.get("/media/original_images/logo.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
