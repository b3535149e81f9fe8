"""Data: the default site (``localhost``) shows Kartka's landing page instead of Wagtail's "Welcome to your new
Wagtail site!". The welcome page is converted in place (same id, path and site): its row gains a
``pages_landingpage`` child row and the landing page's content type. A default site whose root is anything else
(an operator already set it up) is left alone. Reversible."""

from django.db import migrations

TITLE = "Kartka"


def _default_welcome_page(apps):
    Site = apps.get_model("wagtailcore", "Site")
    Page = apps.get_model("wagtailcore", "Page")
    ContentType = apps.get_model("contenttypes", "ContentType")
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return None, None
    page = Page.objects.filter(pk=site.root_page_id).first()
    base_type = ContentType.objects.filter(app_label="wagtailcore", model="page").first()
    if page is None or base_type is None or page.content_type_id != base_type.pk:
        return None, None
    return page, base_type


def to_landing(apps, schema_editor):
    page, _ = _default_welcome_page(apps)
    if page is None:
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    LandingPage = apps.get_model("pages", "LandingPage")
    landing_type, _ = ContentType.objects.get_or_create(app_label="pages", model="landingpage")
    # raw: insert only the child table's row, the page row is already there.
    LandingPage(page_ptr_id=page.pk).save_base(raw=True)
    type(page).objects.filter(pk=page.pk).update(content_type=landing_type, title=TITLE, draft_title=TITLE)


def to_welcome(apps, schema_editor):
    Site = apps.get_model("wagtailcore", "Site")
    Page = apps.get_model("wagtailcore", "Page")
    ContentType = apps.get_model("contenttypes", "ContentType")
    site = Site.objects.filter(is_default_site=True).first()
    landing_type = ContentType.objects.filter(app_label="pages", model="landingpage").first()
    if site is None or landing_type is None:
        return
    page = Page.objects.filter(pk=site.root_page_id, content_type=landing_type).first()
    if page is None:
        return
    base_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="page")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM pages_landingpage WHERE page_ptr_id = %s", [page.pk])
    Page.objects.filter(pk=page.pk).update(
        content_type=base_type, title="Welcome to your new Wagtail site!", draft_title="Welcome to your new Wagtail site!"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("pages", "0001_portal_pages"),
        ("wagtailcore", "0002_initial_data"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(to_landing, to_welcome)]
