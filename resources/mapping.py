"""The welfare council's mapping work, written: visits (訪問調査) with their follow-ups, and ties
between organisations. Plain functions with keyword-only arguments; the forms only check input."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from resources.models import FollowUp, Organisation, Tie, Visit


@transaction.atomic
def visit_record(
    *,
    organisation: Organisation,
    visited_on: datetime.date,
    staff,
    heard: str,
    notes: str = "",
    follow_ups: Iterable[dict] = (),
) -> Visit:
    """A visit and its follow-ups, each a dict of description, due_on and assignee (or None)."""
    visit = Visit.objects.create(
        organisation=organisation, visited_on=visited_on, staff=staff, heard=heard, notes=notes
    )
    FollowUp.objects.bulk_create(
        FollowUp(
            visit=visit,
            description=item["description"],
            due_on=item["due_on"],
            assignee=item.get("assignee"),
        )
        for item in follow_ups
    )
    return visit


def follow_up_mark_done(*, follow_up: FollowUp, on: datetime.date | None = None) -> FollowUp:
    """Marks a follow-up done (today unless told); one already done keeps its date."""
    if follow_up.done_on is None:
        follow_up.done_on = on or timezone.localdate()
        follow_up.save(update_fields=["done_on"])
    return follow_up


def tie_add(
    *,
    source: Organisation,
    target: Organisation,
    kind: str,
    note: str = "",
    since: datetime.date | None = None,
) -> Tie:
    """A tie from `source` to `target`. Refused: a tie to itself, or the same tie twice."""
    if source.pk == target.pk:
        raise ValidationError(
            {"target": _("An organisation cannot be tied to itself.")}, code="self"
        )
    if Tie.objects.filter(source=source, target=target, kind=kind).exists():
        raise ValidationError(
            _("This tie is already recorded: %(source)s → %(target)s (%(kind)s).")
            % {"source": source.name, "target": target.name, "kind": Tie.Kind(kind).label},
            code="duplicate",
        )
    return Tie.objects.create(source=source, target=target, kind=kind, note=note, since=since)


def tie_remove(*, tie: Tie) -> None:
    tie.delete()
