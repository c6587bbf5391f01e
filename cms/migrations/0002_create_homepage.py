from django.db import migrations


def create_homepage(apps, schema_editor):
    """Replace Wagtail's placeholder welcome page with a HomePage, so / is a real page at once."""
    ContentType = apps.get_model("contenttypes.ContentType")
    Locale = apps.get_model("wagtailcore.Locale")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("cms.HomePage")

    page_type = ContentType.objects.get(model="page", app_label="wagtailcore")
    Page.objects.filter(content_type=page_type, slug="home", depth=2).delete()
    home_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="cms")
    locale, _ = Locale.objects.get_or_create(language_code="ja")
    home = HomePage.objects.create(
        title="つなぐ", draft_title="つなぐ", slug="home", content_type=home_type,
        path="00010001", depth=2, numchild=0, url_path="/home/", locale=locale,
        live=True,
    )
    Site.objects.create(hostname="localhost", root_page=home, is_default_site=True,
                        site_name="つなぐ Tsunagu")


def remove_homepage(apps, schema_editor):
    apps.get_model("cms.HomePage").objects.filter(slug="home", depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [("cms", "0001_initial")]
    operations = [migrations.RunPython(create_homepage, remove_homepage)]
