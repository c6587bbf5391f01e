"""`manage.py seed_demo [--scale N] [--seed S] [--today YYYY-MM-DD] [--replace]`: the demo.

Builds the fictional ward 若草区, shaped like Setagaya (5 regions, 28 districts at scale 1),
with its directory, staff, cases, two years of meetings and the next three months, district
issues and the public home page. Each app builds its own data (districts/demo.py,
resources/demo.py, conferences/demo.py, cms/demo.py); this command runs them in layer order.

Deterministic: the same --seed and --today give the same rows, UUIDs included. Idempotent:
when the demo ward exists it only prints the demo accounts (--replace deletes it first).
"""

import argparse
import datetime
import random
import string
import time
import unicodedata
import zoneinfo
from io import StringIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from wagtail.signal_handlers import disable_reference_index_auto_update

from cms import demo as cms_demo
from conferences import demo as conferences_demo
from conferences.models import (
    ActionItem,
    AgendaItem,
    Case,
    CaseRole,
    Meeting,
    MeetingSeries,
    Membership,
    Minutes,
    Participant,
)
from districts import demo as districts_demo
from districts.models import Area, Chome, DistrictIssue, PopulationFigure
from resources import demo as resources_demo
from resources.models import Location, Organisation, Service

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
COUNTED = [
    Area,
    Chome,
    PopulationFigure,
    DistrictIssue,
    Organisation,
    Service,
    Location,
    Membership,
    Case,
    CaseRole,
    MeetingSeries,
    Meeting,
    Participant,
    AgendaItem,
    Minutes,
    ActionItem,
]


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("Give the date as YYYY-MM-DD.")) from None


class Command(BaseCommand):
    help = "Build the demo municipality (a fictional ward shaped like Setagaya)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="Multiply everything: 1 = 28 districts, ~2,000 organisations, ~5,000 meetings.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--today",
            type=iso_date,
            help="Anchor date YYYY-MM-DD for all dates (default: today in Asia/Tokyo).",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Delete the demo data first, then rebuild."
        )

    def handle(self, *args, scale, seed, today, replace, **options):
        if not 1 <= scale <= districts_demo.max_scale():
            raise CommandError(
                _("--scale must be between 1 and %(max)d.") % {"max": districts_demo.max_scale()}
            )
        today = today or datetime.datetime.now(TOKYO).date()
        verbose = options["verbosity"] >= 2

        if replace:
            started = time.monotonic()
            delete_demo()
            if verbose:
                self.stdout.write(f"deleted the demo data in {time.monotonic() - started:.1f} s")
        elif districts_demo.demo_exists():
            self.stdout.write(
                _("The demo municipality %(name)s is already loaded; nothing was changed.")
                % {"name": districts_demo.MUNICIPALITY_NAME}
            )
            self.write_accounts(kept=[])
            return

        taken = get_user_model().objects.filter(
            username__in=[a[0] for a in conferences_demo.STAFF_ACCOUNTS]
        )
        if taken.exists():
            raise CommandError(
                _("These usernames are taken and the demo needs them: %(names)s")
                % {"names": ", ".join(taken.values_list("username", flat=True))}
            )
        if not settings.DEBUG:
            warning = _(
                "Warning: the demo accounts share a published password. Never load the demo "
                "on a server that holds real data."
            )
            self.stderr.write(warning)

        started = time.monotonic()
        master = random.Random(seed)
        # One generator per layer, so adding rows to one layer does not reshuffle the others.
        rngs = [random.Random(master.getrandbits(64)) for _ in range(4)]
        # Hashing is slow on purpose: one hash, with a seeded salt, serves every demo user.
        salt = "".join(master.choice(string.ascii_letters + string.digits) for _ in range(22))
        password_hash = make_password(conferences_demo.DEMO_PASSWORD, salt=salt)

        stages = []

        def stage(label, function, **kwargs):
            begun = time.monotonic()
            result = function(**kwargs)
            stages.append((label, time.monotonic() - begun))
            return result

        with transaction.atomic():
            territory = stage(
                "districts",
                districts_demo.build_territory,
                rng=rngs[0],
                today=today,
                scale=scale,
            )
            directory = stage(
                "directory",
                resources_demo.build_directory,
                territory=territory,
                rng=rngs[1],
                today=today,
            )
            stage(
                "staff, cases, meetings",
                conferences_demo.build_work,
                territory=territory,
                directory=directory,
                rng=rngs[2],
                today=today,
                password_hash=password_hash,
            )
            kept = stage(
                "public site",
                cms_demo.build_site,
                territory=territory,
                directory=directory,
                password_hash=password_hash,
                today=today,
            )
        # The search index holds pages only (the directory is searched in the database), so
        # rebuilding it is cheap at any scale.
        stage("search index", call_command, command_name="update_index", stdout=StringIO())
        stage("planner statistics", refresh_statistics)

        if verbose:
            for label, seconds in stages:
                self.stdout.write(f"  {label}: {seconds:.1f} s")
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Built the demo municipality %(name)s (scale %(scale)d, seed %(seed)d, "
                    "today %(today)s) in %(seconds).1f s."
                )
                % {
                    "name": districts_demo.MUNICIPALITY_NAME,
                    "scale": scale,
                    "seed": seed,
                    "today": today.isoformat(),
                    "seconds": time.monotonic() - started,
                }
            )
        )
        self.stdout.write(
            "  "
            + ", ".join(
                f"{model._meta.verbose_name_plural}: {model.objects.count():,}" for model in COUNTED
            )
        )
        self.write_accounts(kept=kept)

    def write_accounts(self, *, kept: list[str]) -> None:
        accounts = cms_demo.site_accounts()[:1] + conferences_demo.staff_accounts()
        accounts += cms_demo.site_accounts()[1:]
        password = conferences_demo.DEMO_PASSWORD
        header = [_("Username"), _("Password"), _("Role"), _("Organisation"), _("What they can do")]
        rows = [
            [
                a.username,
                _("(unchanged)") if a.username in kept else password,
                str(a.role),
                a.organisation,
                str(a.can),
            ]
            for a in accounts
        ]
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (log in at /staff/ or /admin/):"))
        widths = [max(display_width(row[i]) for row in [header, *rows]) for i in range(5)]
        for row in [header, ["-" * w for w in widths], *rows]:
            cells = [
                cell + " " * (width - display_width(cell))
                for cell, width in zip(row, widths, strict=True)
            ]
            self.stdout.write("  " + " | ".join(cells).rstrip())


def display_width(text: str) -> int:
    """Columns on a terminal: full-width (Japanese) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def delete_demo() -> None:
    """Top layer first, so nothing PROTECTed is still pointed at when its turn comes.

    Wagtail's reference index would be updated once per deleted row; the demo's rows were
    bulk-inserted, so the index never held them, and skipping it makes this many times faster.
    """
    with transaction.atomic(), disable_reference_index_auto_update():
        area_ids = districts_demo.demo_area_ids()
        organisation_ids = list(
            resources_demo.demo_organisations(area_ids=area_ids).values_list("pk", flat=True)
        )
        cms_demo.delete_site_accounts()
        cms_demo.delete_site_pages()
        conferences_demo.delete_work(area_ids=area_ids, organisation_ids=organisation_ids)
        resources_demo.delete_directory(area_ids=area_ids)
        districts_demo.delete_territory()


def refresh_statistics() -> None:
    """After a bulk load PostgreSQL's planner still believes the tables are empty and picks
    nested loops that take minutes; ANALYZE gives it the real sizes. SQLite needs nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
