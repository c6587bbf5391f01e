"""Demo data, public layer: the home page's text for the fictional ward, and the Wagtail
accounts (a superuser and an editor)."""

import contextlib
import datetime
import zoneinfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _
from wagtail.signal_handlers import disable_reference_index_auto_update

from cms import demo_pages
from cms.models import HomePage
from conferences.demo import DEMO_EMAIL_DOMAIN, DemoAccount
from districts.demo import MUNICIPALITY_NAME, DemoTerritory
from resources.demo import DemoDirectory

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
EDITORS_GROUP = "Editors"  # made by Wagtail's initial migration
# username, first and last name, superuser?
SITE_ACCOUNTS = [("admin", "管理者", "若草", True), ("editor", "広報", "若草", False)]
ACCOUNT_ROLES = {"admin": _("Superuser"), "editor": _("Editor")}
ACCOUNT_ABILITIES = {
    "admin": _("Everything in /admin/ (Wagtail) and /staff/"),
    "editor": _("Edits and publishes the public site in /admin/ (Wagtail Editors group)"),
}

HOME_TITLE = f"{MUNICIPALITY_NAME} くらしの相談ガイド"
HOME_INTRO = (
    "介護、子育て、障害、くらしの困りごと。お住まいの地区の窓口が、関係機関とつながって支えます。"
    "（このサイトは架空の自治体「若草区」のデモです。）"
)
HOME_BODY = "".join(
    [
        "<h2>まずは地区の窓口へ</h2>",
        "<p>区内{districts}の地区それぞれに、まちづくりセンター、ふれあい安心センター"
        "（地域包括支援センター）、社会福祉協議会の地区事務局がそろっています（三者連携）。"
        "どこに相談すればよいかわからないときも、まずはお住まいの地区の窓口へどうぞ。</p>",
        "<ul>",
        "<li><b>ふれあい安心センター</b>：高齢の方とご家族の介護・健康・暮らしの相談</li>",
        "<li><b>こども家庭センター</b>（{regions}の地域に1か所ずつ）："
        "妊娠・出産・子育ての相談とサポートプラン</li>",
        "<li><b>社会福祉協議会</b>：地域の支えあい活動、ボランティア、くらしの相談</li>",
        "<li><b>まちづくりセンター</b>：地区の行政窓口、地域活動と防災</li>",
        "</ul>",
        "<h2>地域ケア会議と地域課題</h2>",
        "<p>一人ひとりの相談から見えてきた地域の課題は、地区・地域・区の会議で話し合い、"
        "新しい支えあいの活動や施策につなげています。どなたでも参加できる会議や"
        "ワークショップは、下の一覧をご覧ください。</p>",
        "<h2>緊急のとき</h2>",
        "<p>子どもの虐待の通告・相談は、児童相談所虐待対応ダイヤル「189」へ"
        "（24時間・通話料無料）。</p>",
    ]
)


def build_site(
    *,
    territory: DemoTerritory,
    password_hash: str,
    today: datetime.date,
    directory: DemoDirectory | None = None,
) -> list[str]:
    """Give the home page its text, build the public site's pages (cms.demo_pages) and make
    the Wagtail accounts. Returns the usernames that already existed and were left as they
    were (their passwords are not the demo's)."""
    with transaction.atomic():
        _publish_home_page(territory=territory)
        if directory is not None:
            with disable_reference_index_auto_update(), _no_search_index_tasks():
                demo_pages.build_pages(territory=territory, directory=directory, today=today)
        return _make_accounts(password_hash=password_hash, today=today)


@contextlib.contextmanager
def _no_search_index_tasks():
    """Saving a page queues a task to index it; seed_demo runs update_index once at the end, so
    the demo's hundreds of pages queue none (at scale 10, some 800 tasks for db_worker)."""
    from modelsearch import index
    from modelsearch.signal_handlers import post_save_signal_handler

    models = [m for m in index.get_indexed_models() if getattr(m, "search_auto_update", True)]
    for model in models:
        post_save.disconnect(post_save_signal_handler, sender=model)
    try:
        yield
    finally:
        for model in models:
            post_save.connect(post_save_signal_handler, sender=model)


def delete_site_pages() -> None:
    demo_pages.delete_pages()


def _publish_home_page(*, territory: DemoTerritory) -> None:
    home = HomePage.objects.order_by("depth", "path").first()
    if home is None:  # the data migration's page was deleted: the site keeps what it has
        return
    home.title = HOME_TITLE
    home.draft_title = HOME_TITLE
    home.intro = HOME_INTRO
    home.body = HOME_BODY.format(districts=len(territory.districts), regions=len(territory.regions))
    # A published revision, as an editor's save would make, so the page history starts here.
    home.save_revision().publish()


def _make_accounts(*, password_hash: str, today: datetime.date) -> list[str]:
    User = get_user_model()
    joined = datetime.datetime.combine(today, datetime.time(9), tzinfo=TOKYO)
    existing = set(
        User.objects.filter(username__in=[a[0] for a in SITE_ACCOUNTS]).values_list(
            "username", flat=True
        )
    )
    editors = _editors_group()
    # Editors translate pages (Translate, wagtail.contrib.simple_translation).
    editors.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="simple_translation", codename="submit_translation"
        )
    )
    for username, first, last, superuser in SITE_ACCOUNTS:
        if username in existing:
            continue
        user = User.objects.create(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{DEMO_EMAIL_DOMAIN}",
            password=password_hash,
            is_staff=superuser,
            is_superuser=superuser,
            date_joined=joined,
        )
        if not superuser:
            user.groups.add(editors)
    return sorted(existing)


def _editors_group() -> Group:
    group, created = Group.objects.get_or_create(name=EDITORS_GROUP)
    if created:  # Wagtail's group was removed; the least an editor needs is the admin's door
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    return group


def site_accounts() -> list[DemoAccount]:
    User = get_user_model()
    names = {a[0] for a in SITE_ACCOUNTS}
    found = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    return [
        DemoAccount(username, str(ACCOUNT_ROLES[username]), "—", ACCOUNT_ABILITIES[username])
        for username, *_ in SITE_ACCOUNTS
        if username in found
    ]


def delete_site_accounts() -> None:
    get_user_model().objects.filter(
        username__in=[a[0] for a in SITE_ACCOUNTS], email__endswith=f"@{DEMO_EMAIL_DOMAIN}"
    ).delete()
