"""The demo ward shows directory keeping: every entry has a keeper, the 社協 account's queue has
entries never verified and stale ones, proposals from members and residents' reports."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation

from conferences.selectors import user_organisation_ids
from resources import stewardship
from resources.models import ChangeProposal, CorrectionReport, Organisation

pytestmark = pytest.mark.django_db


def test_the_demo_has_keepers_a_stale_queue_proposals_and_reports():
    with translation.override("en"):
        call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    assert not Organisation.objects.filter(keeper_organisation__isnull=True).exists()
    shakyo = get_user_model().objects.get(username="shakyo")
    ids = user_organisation_ids(user=shakyo)
    queue = list(stewardship.verification_queue(user=shakyo, organisation_ids=ids))
    assert queue and queue[0].last_verified_on is None
    assert any(o.last_verified_on is not None for o in queue)
    entries = stewardship.kept_by(user=shakyo, organisation_ids=ids)
    assert stewardship.pending_proposals(entries=entries).count() >= 2
    assert stewardship.open_reports(entries=entries).count() >= 2
    assert ChangeProposal.objects.filter(proposed_by__isnull=True).count() == 0
    assert CorrectionReport.objects.count() >= 2
