"""Collect what is due and e-mail what has not been e-mailed. Safe to run every few minutes:
each notification is recorded once (per user, kind, object and due date) and e-mailed once."""

import datetime

from django.core.management.base import BaseCommand

from conferences import notifications


class Command(BaseCommand):
    help = "Send the notifications that are due (idempotent: safe to run every few minutes)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="Collect as of this date (YYYY-MM-DD); default: today.",
        )

    def handle(self, *args, today=None, **options):
        notifications.collect(today=today)
        sent = notifications.send_due()
        self.stdout.write(f"e-mails sent: {sent}")
