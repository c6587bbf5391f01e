"""Minutes of a meeting: reads (who may see what) and writes (per-item versioned saves, action
items, attendance, circulation, correction proposals, approval and revisions, private notes).

Who:
- the chair and the recorder write the minutes; the chair alone circulates, approves and reopens;
- participants with an account read the draft once circulated and propose corrections;
- anyone who may see the meeting (selectors.meetings_visible_to) reads approved minutes;
- a case item's content (title, code, minutes, actions) only for the cases
  selectors.meeting_case_ids_visible gives the user; others see that there is a case item.

Every save of an item is compare-and-swap on AgendaItem.version: a save from an older version
raises ItemConflict with what is stored now, never overwriting it. Approved minutes are locked:
every write here raises MinutesLocked (private notes excepted: they are not part of the minutes).
Writes about a case record a CHANGE audit event; the page's reads are audited by the view.
"""

import datetime
import difflib
import re

from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from conferences import selectors, services
from conferences.models import (
    ActionItem,
    AgendaItem,
    AuditEvent,
    Case,
    CaseRole,
    CorrectionProposal,
    Meeting,
    Membership,
    Minutes,
    MinutesRevision,
    Participant,
    PrivateNote,
    SupportPlan,
)
from resources.models import Organisation
from resources.search import normalise, search_filter

# Days after the meeting by which an action made from an information point is due.
ACTION_FROM_LINE_DUE_DAYS = 14
# Leading bullets of a line of the summary ("・", "- ", "1. "), dropped from the action text.
_BULLET = re.compile(r"^\s*(?:[・･\-*•●○◆◇■□※]|\d+[.)．、]|[（(]\d+[)）])\s*")
ACTION_TEXT_MAX = 300
WRITER_ROLES = (Participant.Role.CHAIR, Participant.Role.RECORDER)


class MinutesLocked(Exception):
    """The minutes are approved: nothing in them may change until the chair reopens them."""

    def __init__(self, message=None):
        self.message = message or _(
            "These minutes are approved and locked. The chair can reopen them for a correction."
        )
        super().__init__(str(self.message))


class MinutesRefused(Exception):
    """The user may not do this (e.g. approve without being the chair); `message` says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class ItemConflict(Exception):
    """Someone saved the item after the editor loaded it; `current` is the item as stored now."""

    def __init__(self, current: AgendaItem):
        self.current = current
        self.message = _(
            "Someone else saved this item after you opened it (it is now version %(version)s). "
            "Your text was not saved: it is kept in the form, beside what is stored now. Merge "
            "the two, or copy what you need, and save again."
        ) % {"version": current.version}
        super().__init__(str(self.message))


# ---------------------------------------------------------------------------------------------
# Who may do what


def meeting_get_for_minutes(*, user, uid) -> Meeting:
    """The meeting, if the user may see it (404 otherwise: confidential meetings are not told)."""
    try:
        return (
            selectors.meetings_visible_to(user=user)
            .select_related("area", "organiser", "chair", "recorder", "series")
            .get(uid=uid)
        )
    except Meeting.DoesNotExist:
        raise Http404 from None


def minutes_roles(*, user, meeting: Meeting) -> dict:
    """What the user is on this meeting: chair, writer (chair or recorder), participant with an
    account. One query."""
    roles = set(
        Participant.objects.filter(meeting=meeting, user=user).values_list("role", flat=True)
    )
    is_chair = meeting.chair_id == user.pk or Participant.Role.CHAIR in roles
    is_writer = is_chair or meeting.recorder_id == user.pk or Participant.Role.RECORDER in roles
    return {
        "is_chair": is_chair,
        "is_writer": is_writer,
        "is_participant": bool(roles) or is_writer,
    }


def minutes_readable(*, roles: dict, minutes: Minutes | None) -> bool:
    """Whether the user may read the minutes' text: writers always, participants once the draft
    is circulated, everyone who may see the meeting once approved."""
    if roles["is_writer"]:
        return True
    if minutes is None:
        return False
    if minutes.status == Minutes.Status.APPROVED:
        return True
    return roles["is_participant"] and minutes.circulated_at is not None


def _minutes_for_write(*, meeting: Meeting, lock: bool = True) -> Minutes:
    """The meeting's minutes row (created as a draft on the first write), locked for the rest of
    the transaction; MinutesLocked when approved, MinutesRefused for a cancelled meeting."""
    if meeting.status == Meeting.Status.CANCELLED:
        raise MinutesRefused(_("The meeting was cancelled: it has no minutes to write."))
    rows = Minutes.objects.select_for_update() if lock else Minutes.objects.all()
    minutes = rows.filter(meeting=meeting).first()
    if minutes is None:
        # The first write: two writers may race here; get_or_create settles it on the unique key.
        minutes, _created = Minutes.objects.get_or_create(meeting=meeting)
    if minutes.status == Minutes.Status.APPROVED:
        raise MinutesLocked()
    return minutes


def _require_writer(*, user, meeting: Meeting) -> dict:
    roles = minutes_roles(user=user, meeting=meeting)
    if not roles["is_writer"]:
        raise MinutesRefused(_("Only the chair and the recorder write the minutes."))
    return roles


def _require_chair(*, user, meeting: Meeting) -> None:
    if not minutes_roles(user=user, meeting=meeting)["is_chair"]:
        raise MinutesRefused(_("Only the chair of the meeting can do this."))


def _audit_case_change(*, user, item: AgendaItem, detail: str) -> None:
    if item.case_id is None:
        return
    case = Case(pk=item.case_id)
    services.audit_record(
        user=user,
        case=case,
        action=AuditEvent.Action.CHANGE,
        organisation=selectors.case_access_organisation(user=user, case=case),
        meeting=item.meeting,
        detail=detail,
    )


def item_get_for_user(*, user, meeting: Meeting, pk: int) -> AgendaItem:
    """An item of the meeting whose content the user may see (404 otherwise, as for a missing
    one: a case item of a case not shared with the user is not there for them)."""
    item = (
        AgendaItem.objects.filter(meeting=meeting, pk=pk)
        .select_related("case", "presenting_organisation")
        .first()
    )
    if item is None:
        raise Http404
    if item.case_id is not None:
        if item.case_id not in selectors.meeting_case_ids_visible(user=user, meeting=meeting):
            raise Http404
    item.meeting = meeting
    return item


# ---------------------------------------------------------------------------------------------
# Reads


def _clean(text: str) -> str:
    """Line ends as \\n and no trailing blanks, so versions compare and diff line by line."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def summary_points(summary: str) -> list[str]:
    """The information points of a summary: its non-empty lines."""
    return [line.strip() for line in _clean(summary).split("\n") if line.strip()]


def minutes_page(*, user, meeting: Meeting, item_ids=None) -> dict:
    """Everything the minutes page shows, in a constant number of queries whatever the number of
    items: the items (each with `case_visible`, `actions`, `carried`, `proposals`, `my_note`,
    `points`), participants, the choices for action items and the case panels. With `item_ids`,
    only those items (an htmx re-render of one item)."""
    roles = minutes_roles(user=user, meeting=meeting)
    minutes = Minutes.objects.filter(meeting=meeting).select_related("approved_by").first()
    readable = minutes_readable(roles=roles, minutes=minutes)
    visible_case_ids = selectors.meeting_case_ids_visible(user=user, meeting=meeting)
    is_draft = minutes is None or minutes.status == Minutes.Status.DRAFT
    cancelled = meeting.status == Meeting.Status.CANCELLED
    circulated = minutes is not None and minutes.circulated_at is not None
    can_propose = is_draft and circulated and roles["is_participant"] and not roles["is_writer"]

    action_rows = ActionItem.objects.select_related("organisation", "assignee").order_by(
        "due_on", "pk"
    )
    proposal_rows = CorrectionProposal.objects.select_related("proposed_by")
    if not roles["is_chair"]:
        # Participants see their own proposals; the chair sees everyone's.
        proposal_rows = proposal_rows.filter(proposed_by=user)
    items = AgendaItem.objects.filter(meeting=meeting).select_related(
        "case__lead_organisation", "presenting_organisation", "district_issue"
    )
    if item_ids is not None:
        items = items.filter(pk__in=item_ids)
    items = list(
        items.prefetch_related(
            Prefetch("action_items", queryset=action_rows, to_attr="actions"),
            Prefetch(
                "carried_actions",
                queryset=action_rows.select_related("agenda_item"),
                to_attr="carried",
            ),
            Prefetch(
                "correction_proposals",
                queryset=proposal_rows.order_by("proposed_at", "pk"),
                to_attr="proposals",
            ),
            Prefetch(
                "private_notes",
                queryset=PrivateNote.objects.filter(author=user),
                to_attr="my_notes",
            ),
        ).order_by("order", "pk")
    )
    shown_case_ids = set()
    for item in items:
        item.meeting = meeting
        item.case_visible = item.case_id is None or item.case_id in visible_case_ids
        item.content_visible = item.case_visible and readable
        item.my_note = item.my_notes[0] if item.my_notes else None
        item.points = summary_points(item.summary)
        item.pending = [p for p in item.proposals if p.status == CorrectionProposal.Status.PENDING]
        if item.case_id and item.case_visible:
            shown_case_ids.add(item.case_id)
    _mark_hidden_carried(user=user, items=items, visible_case_ids=visible_case_ids)
    for item in items:
        for action in item.carried:
            if action.about_case_id and not action.case_hidden:
                shown_case_ids.add(action.about_case_id)

    participants = list(
        Participant.objects.filter(meeting=meeting)
        .select_related("organisation", "user")
        .order_by("pk")
    )
    whole_page = item_ids is None
    pending_count = CorrectionProposal.objects.filter(
        agenda_item__meeting=meeting, status=CorrectionProposal.Status.PENDING
    )
    if not roles["is_chair"]:
        pending_count = pending_count.filter(proposed_by=user)
    context = {
        "meeting": meeting,
        "minutes": minutes,
        "roles": roles,
        "readable": readable,
        "is_draft": is_draft,
        "circulated": circulated,
        "can_edit": roles["is_writer"] and is_draft and not cancelled,
        "cancelled": cancelled,
        "can_propose": can_propose,
        "items": items,
        "participants": participants,
        "shown_case_ids": shown_case_ids,
    }
    if whole_page:
        # What the page shows around the items (an item's section re-rendered needs none of it).
        context["pending_count"] = pending_count.count()
        # Approved: where the open actions went (the next step is one click away).
        context["next_meeting"] = None if is_draft else next_meeting_in_series(meeting=meeting)
        context["revisions"] = list(
            MinutesRevision.objects.filter(minutes__meeting=meeting)
            .select_related("approved_by")
            .order_by("number")
        )
    if context["can_edit"]:
        context |= _writer_choices(meeting=meeting, participants=participants, items=items)
        if whole_page:
            context["agency_suggestions"] = agency_suggestions(meeting=meeting)
        context["case_panels"] = _case_panels(
            user=user, items=[i for i in items if i.case_id and i.case_visible]
        )
    return context


def _mark_hidden_carried(*, user, items, visible_case_ids) -> None:
    """A carried-over action about a case (its own, or its item's) that the user may not see is
    marked `case_hidden`: the page then says only that there is one. At most one query."""
    carried = [action for item in items for action in item.carried]
    for action in carried:
        action.about_case_id = action.case_id or action.agenda_item.case_id
    unknown = {a.about_case_id for a in carried if a.about_case_id} - set(visible_case_ids)
    if unknown:
        unknown -= set(
            selectors.cases_visible_to(user=user)
            .filter(pk__in=unknown)
            .values_list("pk", flat=True)
        )
    for action in carried:
        action.case_hidden = action.about_case_id in unknown


def _writer_choices(*, meeting: Meeting, participants, items) -> dict:
    """Organisations for action items (the participants' first, then the presenting ones) and
    the people who are members of them. Two queries."""
    organisations = {}
    for participant in participants:
        organisations.setdefault(participant.organisation_id, participant.organisation)
    for item in items:
        if item.presenting_organisation_id:
            organisations.setdefault(item.presenting_organisation_id, item.presenting_organisation)
        for action in item.actions:
            organisations.setdefault(action.organisation_id, action.organisation)
    organisations.setdefault(meeting.organiser_id, meeting.organiser)
    memberships = (
        Membership.objects.filter(organisation_id__in=organisations)
        .select_related("user", "organisation")
        .order_by("organisation__reading", "organisation_id", "user__username")
    )
    # One choice per person (someone may belong to several of the organisations), each with
    # the organisations it belongs to, so that the form can offer the chosen one's people.
    people: dict[int, list] = {}
    for membership in memberships:
        name = membership.user.get_full_name() or membership.user.get_username()
        entry = people.setdefault(membership.user_id, [name, [], []])
        entry[1].append(membership.organisation.name)
        entry[2].append(membership.organisation_id)
    return {
        "organisation_choices": [(pk, org.name) for pk, org in organisations.items()],
        "people_choices": [
            (pk, f"{name} ({'、'.join(org_names)})", org_ids)
            for pk, (name, org_names, org_ids) in people.items()
        ],
    }


def agency_suggestions(*, meeting: Meeting, limit: int = 300) -> list[str]:
    """Names of agencies based in the meeting's area (and the areas under it), for the "another
    agency" field's suggestions; any other agency can still be typed. One or two queries."""
    area_ids = [area.pk for area in selectors.area_subtree(area=meeting.area)]
    return list(
        Organisation.objects.filter(is_agency=True, home_area_id__in=area_ids)
        .order_by("reading", "pk")
        .values_list("name", flat=True)[:limit]
    )


def action_choices(*, meeting: Meeting) -> dict:
    """The organisation and people choices of the action item forms, on their own (for a post,
    when the page's data is not loaded). Four queries."""
    participants = list(
        Participant.objects.filter(meeting=meeting).select_related("organisation").order_by("pk")
    )
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("presenting_organisation")
        .prefetch_related(
            Prefetch(
                "action_items",
                queryset=ActionItem.objects.select_related("organisation").order_by("pk"),
                to_attr="actions",
            )
        )
        .order_by("order", "pk")
    )
    return _writer_choices(meeting=meeting, participants=participants, items=items)


def _case_panels(*, user, items) -> dict:
    """Per case on the page that the user may see as a case: its roles (candidate leads) and
    latest plan. Three queries."""
    case_ids = {item.case_id for item in items}
    if case_ids:
        # Only cases the user sees as a case (not merely as this meeting's material): the plan,
        # lead and review are changed through selectors.case_get_visible.
        case_ids = set(
            selectors.cases_visible_to(user=user)
            .filter(pk__in=case_ids)
            .values_list("pk", flat=True)
        )
    if not case_ids:
        return {}
    roles = (
        CaseRole.objects.filter(case_id__in=case_ids)
        .select_related("organisation")
        .order_by("case_id", "organisation__reading", "organisation_id")
    )
    panels = {case_id: {"roles": [], "plan": None} for case_id in case_ids}
    for role in roles:
        panels[role.case_id]["roles"].append(role)
    plans = SupportPlan.objects.filter(case_id__in=case_ids).order_by("case_id", "-number")
    for plan in plans:
        if panels[plan.case_id]["plan"] is None:
            panels[plan.case_id]["plan"] = plan
    return panels


def audit_page_read(*, user, meeting: Meeting, case_ids, detail: str) -> None:
    """One VIEW audit event per case whose material a page showed, through the organisation the
    user sees it by (None for a meeting's chair, recorder or participant)."""
    case_ids = sorted(case_ids)
    if not case_ids:
        return
    access = {}
    rows = (
        CaseRole.objects.filter(case_id__in=case_ids, organisation__memberships__user=user)
        .order_by("case_id", "organisation__name")
        .values_list("case_id", "organisation_id")
    )
    for case_id, organisation_id in rows:
        access.setdefault(case_id, organisation_id)
    services.audit_record_many(
        user=user,
        case_organisations={case_id: access.get(case_id) for case_id in case_ids},
        action=AuditEvent.Action.VIEW,
        meeting=meeting,
        detail=detail,
    )


def next_meeting_in_series(*, meeting: Meeting) -> Meeting | None:
    """The next planned meeting of the same series, after this one."""
    if meeting.series_id is None:
        return None
    return (
        Meeting.objects.filter(
            series_id=meeting.series_id,
            status=Meeting.Status.PLANNED,
            starts_at__gt=meeting.starts_at,
        )
        .order_by("starts_at", "pk")
        .first()
    )


# ---------------------------------------------------------------------------------------------
# Writes: an item's minutes


def item_minutes_save(
    *,
    item: AgendaItem,
    user,
    summary: str,
    decisions: str,
    expected_version: int,
    detail: str = "minutes:item_save",
) -> AgendaItem:
    """Save an item's summary and decisions, only if it is still at `expected_version` (raises
    ItemConflict with the stored item otherwise). Creates the minutes on the first save. Saving
    the text that is stored already changes nothing, whatever the version (the version stays, so
    no one else's save is refused for it)."""
    meeting = item.meeting
    _require_writer(user=user, meeting=meeting)
    summary, decisions = _clean(summary), _clean(decisions)
    with transaction.atomic():
        _minutes_for_write(meeting=meeting)
        updated = (
            AgendaItem.objects.filter(pk=item.pk, version=expected_version)
            .exclude(summary=summary, decisions=decisions)
            .update(summary=summary, decisions=decisions, version=F("version") + 1)
        )
        if not updated:
            current = AgendaItem.objects.get(pk=item.pk)
            if (current.summary, current.decisions) == (summary, decisions):
                # What is stored already (saved twice, or the same words from two people):
                # nothing changes, not even the version, and there is nothing to refuse.
                item.summary, item.decisions, item.version = summary, decisions, current.version
                return item
            raise ItemConflict(current)
        _audit_case_change(user=user, item=item, detail=detail)
    item.summary, item.decisions = summary, decisions
    item.version = expected_version + 1
    return item


def merge_texts(stored: str, mine: str) -> str:
    """Both texts in one, line by line: lines in both once, lines only in one kept where they
    stand (the stored ones first where the two differ), for the editor to tidy."""
    stored_lines, my_lines = _clean(stored).split("\n"), _clean(mine).split("\n")
    if not _clean(stored):
        return _clean(mine)
    if not _clean(mine):
        return _clean(stored)
    merged = []
    matcher = difflib.SequenceMatcher(a=stored_lines, b=my_lines, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            merged.extend(stored_lines[a1:a2])
        else:
            merged.extend(stored_lines[a1:a2])
            merged.extend(my_lines[b1:b2])
    return "\n".join(merged)


def _inline_parts(left: str, right: str) -> tuple[list, list]:
    """Two versions of one line as (text, changed) parts, character by character (Japanese has
    no spaces to split words at), so a one-character fix is marked as one character."""
    left_parts, right_parts = [], []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            left_parts.append((left[a1:a2], False))
            right_parts.append((right[b1:b2], False))
            continue
        if a2 > a1:
            left_parts.append((left[a1:a2], True))
        if b2 > b1:
            right_parts.append((right[b1:b2], True))
    return left_parts, right_parts


def side_by_side(left: str, right: str) -> list[dict]:
    """Rows for a two-column view of two texts, line by line: each row has `left` and `right`
    (None where the line is only on the other side), `changed`, and `left_parts` and
    `right_parts`: the line as (text, changed) pieces, for marking what changed within it."""
    left_lines = _clean(left).split("\n") if _clean(left) else []
    right_lines = _clean(right).split("\n") if _clean(right) else []
    rows = []
    matcher = difflib.SequenceMatcher(a=left_lines, b=right_lines, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                {
                    "left": line,
                    "right": line,
                    "changed": False,
                    "left_parts": [(line, False)],
                    "right_parts": [(line, False)],
                }
                for line in left_lines[a1:a2]
            )
            continue
        lefts, rights = left_lines[a1:a2], right_lines[b1:b2]
        for index in range(max(len(lefts), len(rights))):
            a = lefts[index] if index < len(lefts) else None
            b = rights[index] if index < len(rights) else None
            if a is not None and b is not None:
                left_parts, right_parts = _inline_parts(a, b)
            else:
                left_parts = [(a, True)] if a is not None else []
                right_parts = [(b, True)] if b is not None else []
            rows.append(
                {
                    "left": a,
                    "right": b,
                    "changed": True,
                    "left_parts": left_parts,
                    "right_parts": right_parts,
                }
            )
    return rows


# ---------------------------------------------------------------------------------------------
# Writes: action items


def organisation_find_agency(*, name: str) -> Organisation:
    """The one agency (Organisation.is_agency) with that name, or whose name holds every word
    typed; MinutesRefused says what went wrong otherwise."""
    name = (name or "").strip()
    agencies = Organisation.objects.filter(is_agency=True)
    exact = list(agencies.filter(name=name)[:2])
    if len(exact) == 1:
        return exact[0]
    matches = list(agencies.filter(search_filter(name)).order_by("reading", "pk")[:6])
    if len(matches) == 1 and normalise(name):
        return matches[0]
    if not matches or not normalise(name):
        raise MinutesRefused(_("No agency is called “%(name)s”.") % {"name": name})
    raise MinutesRefused(
        _("Several agencies match “%(name)s” (%(names)s…): type more of the name.")
        % {"name": name, "names": "、".join(org.name for org in matches[:5])}
    )


def _check_assignee(*, organisation: Organisation, assignee) -> None:
    if assignee is None:
        return
    if not Membership.objects.filter(user=assignee, organisation=organisation).exists():
        raise MinutesRefused(
            _("%(person)s is not a member of %(organisation)s.")
            % {
                "person": assignee.get_full_name() or assignee.get_username(),
                "organisation": organisation.name,
            }
        )


def action_item_create(
    *,
    item: AgendaItem,
    user,
    description: str,
    organisation: Organisation,
    due_on: datetime.date,
    assignee=None,
    is_lead: bool = False,
    detail: str = "minutes:action_add",
) -> ActionItem:
    """An action item of the agenda item, about the item's case (if any)."""
    _require_writer(user=user, meeting=item.meeting)
    _check_assignee(organisation=organisation, assignee=assignee)
    with transaction.atomic():
        _minutes_for_write(meeting=item.meeting)
        action = ActionItem.objects.create(
            agenda_item=item,
            description=description.strip()[:ACTION_TEXT_MAX],
            organisation=organisation,
            assignee=assignee,
            is_lead=is_lead,
            due_on=due_on,
            case_id=item.case_id,
        )
        _audit_case_change(user=user, item=item, detail=detail)
    return action


def action_item_from_point(*, item: AgendaItem, user, point: str) -> ActionItem:
    """Turn one information point (a line of the saved summary) into an action item: its text,
    the presenting organisation (else the organiser), due two weeks after the meeting."""
    if point.strip() not in summary_points(
        AgendaItem.objects.values_list("summary", flat=True).get(pk=item.pk)
    ):
        raise MinutesRefused(
            _("That line is no longer in the saved summary (someone changed it): reload the page.")
        )
    description = _BULLET.sub("", point.strip()) or point.strip()
    meeting = item.meeting
    organisation = item.presenting_organisation or meeting.organiser
    due_on = timezone.localtime(meeting.starts_at).date() + datetime.timedelta(
        days=ACTION_FROM_LINE_DUE_DAYS
    )
    return action_item_create(
        item=item,
        user=user,
        description=description,
        organisation=organisation,
        due_on=due_on,
        detail="minutes:action_from_point",
    )


def action_get_for_meeting(*, meeting: Meeting, pk: int) -> ActionItem:
    """An action of one of the meeting's items, or carried into one of them (404 otherwise)."""
    action = (
        ActionItem.objects.filter(pk=pk)
        .filter(Q(agenda_item__meeting=meeting) | Q(carried_into__meeting=meeting))
        .select_related("agenda_item", "organisation")
        .distinct()
        .first()
    )
    if action is None:
        raise Http404
    return action


def action_item_update(
    *,
    action: ActionItem,
    meeting: Meeting,
    user,
    description: str,
    organisation: Organisation,
    due_on: datetime.date,
    assignee=None,
    is_lead: bool = False,
) -> ActionItem:
    _require_writer(user=user, meeting=meeting)
    _check_assignee(organisation=organisation, assignee=assignee)
    with transaction.atomic():
        _minutes_for_write(meeting=meeting)
        action.description = description.strip()[:ACTION_TEXT_MAX]
        action.organisation = organisation
        action.assignee = assignee
        action.is_lead = is_lead
        action.due_on = due_on
        action.save(update_fields=["description", "organisation", "assignee", "is_lead", "due_on"])
        _audit_action_change(
            user=user, action=action, meeting=meeting, detail="minutes:action_edit"
        )
    return action


def action_item_set_done(
    *, action: ActionItem, meeting: Meeting, user, done: bool, done_on=None
) -> ActionItem:
    """Mark an action done (on `done_on`, today by default) or open again."""
    _require_writer(user=user, meeting=meeting)
    with transaction.atomic():
        _minutes_for_write(meeting=meeting)
        action.status = ActionItem.Status.DONE if done else ActionItem.Status.OPEN
        action.done_on = (done_on or timezone.localdate()) if done else None
        action.save(update_fields=["status", "done_on"])
        _audit_action_change(
            user=user, action=action, meeting=meeting, detail="minutes:action_done"
        )
    return action


def _audit_action_change(*, user, action: ActionItem, meeting: Meeting, detail: str) -> None:
    if action.case_id is None:
        return
    case = Case(pk=action.case_id)
    services.audit_record(
        user=user,
        case=case,
        action=AuditEvent.Action.CHANGE,
        organisation=selectors.case_access_organisation(user=user, case=case),
        meeting=meeting,
        detail=detail,
    )


# ---------------------------------------------------------------------------------------------
# Writes: attendance, the case from within its item, private notes


def attendance_save(*, meeting: Meeting, user, attended: dict) -> int:
    """Set Participant.attended for the participants given (id → True, False or None for not
    recorded). Returns how many changed."""
    _require_writer(user=user, meeting=meeting)
    changed = 0
    with transaction.atomic():
        _minutes_for_write(meeting=meeting)
        rows = Participant.objects.filter(meeting=meeting, pk__in=list(attended))
        for participant in rows:
            value = attended[participant.pk]
            if participant.attended != value:
                participant.attended = value
                participant.save(update_fields=["attended"])
                changed += 1
    return changed


def _case_for_item(*, user, item: AgendaItem) -> Case:
    """The item's case, through the only lookup that applies the access rules (404 otherwise)."""
    if item.case_id is None:
        raise Http404
    return selectors.case_get_visible(user=user, public_id=item.case.public_id)


def item_case_plan(*, item: AgendaItem, user, **plan) -> SupportPlan:
    """A new version of the item's case plan, agreed at this meeting."""
    _require_writer(user=user, meeting=item.meeting)
    case = _case_for_item(user=user, item=item)
    with transaction.atomic():
        _minutes_for_write(meeting=item.meeting)
        return services.support_plan_create(case=case, user=user, meeting=item.meeting, **plan)


def item_case_lead(*, item: AgendaItem, user, organisation: Organisation, reason: str):
    _require_writer(user=user, meeting=item.meeting)
    case = _case_for_item(user=user, item=item)
    with transaction.atomic():
        _minutes_for_write(meeting=item.meeting)
        return services.case_lead_change(
            case=case, user=user, organisation=organisation, reason=reason, meeting=item.meeting
        )


def item_case_next_review(*, item: AgendaItem, user, next_review_on) -> None:
    _require_writer(user=user, meeting=item.meeting)
    case = _case_for_item(user=user, item=item)
    with transaction.atomic():
        _minutes_for_write(meeting=item.meeting)
        services.case_next_review_set(
            case=case, user=user, next_review_on=next_review_on, meeting=item.meeting
        )


def private_note_save(*, item: AgendaItem, user, text: str) -> PrivateNote | None:
    """The user's own note on the item (an empty text deletes it). Not part of the minutes, so
    it stays editable after approval; shown to its author only."""
    text = _clean(text)
    if not text:
        PrivateNote.objects.filter(agenda_item=item, author=user).delete()
        return None
    note, _created = PrivateNote.objects.update_or_create(
        agenda_item=item, author=user, defaults={"text": text}
    )
    return note


# ---------------------------------------------------------------------------------------------
# Writes: circulation and correction proposals


def minutes_circulate(*, meeting: Meeting, user) -> Minutes:
    """The chair sends the draft round the participants, who may then read it and propose
    corrections. (No e-mail yet.)"""
    _require_chair(user=user, meeting=meeting)
    with transaction.atomic():
        minutes = _minutes_for_write(meeting=meeting)
        minutes.circulated_at = timezone.now()
        minutes.save(update_fields=["circulated_at"])
    return minutes


def correction_propose(
    *, item: AgendaItem, user, field: str, text: str, comment: str = ""
) -> CorrectionProposal:
    roles = minutes_roles(user=user, meeting=item.meeting)
    if not roles["is_participant"] or roles["is_writer"]:
        raise MinutesRefused(
            _("Only the meeting's participants propose corrections (its writers edit directly).")
        )
    with transaction.atomic():
        minutes = _minutes_for_write(meeting=item.meeting)
        if minutes.circulated_at is None:
            raise MinutesRefused(_("The draft has not been circulated yet."))
        proposal = CorrectionProposal.objects.create(
            agenda_item=item,
            field=field,
            text=_clean(text),
            comment=comment.strip(),
            proposed_by=user,
        )
        _audit_case_change(user=user, item=item, detail="minutes:correction_propose")
    return proposal


def proposal_get_for_meeting(*, meeting: Meeting, pk: int) -> CorrectionProposal:
    proposal = (
        CorrectionProposal.objects.filter(pk=pk, agenda_item__meeting=meeting)
        .select_related("agenda_item__case", "agenda_item__presenting_organisation")
        .first()
    )
    if proposal is None:
        raise Http404
    proposal.agenda_item.meeting = meeting
    return proposal


def correction_decide(
    *, proposal: CorrectionProposal, user, accept: bool, expected_version: int
) -> CorrectionProposal:
    """The chair accepts (the proposed text replaces the field, through the same versioned save:
    ItemConflict if the item changed since the chair looked) or rejects a pending proposal."""
    item = proposal.agenda_item
    _require_chair(user=user, meeting=item.meeting)
    if proposal.status != CorrectionProposal.Status.PENDING:
        raise MinutesRefused(_("This proposal has already been decided."))
    with transaction.atomic():
        _minutes_for_write(meeting=item.meeting)
        if accept:
            current = AgendaItem.objects.get(pk=item.pk)
            texts = {"summary": current.summary, "decisions": current.decisions}
            texts[proposal.field] = proposal.text
            item_minutes_save(
                item=item,
                user=user,
                expected_version=expected_version,
                detail="minutes:correction_accept",
                **texts,
            )
        decided = CorrectionProposal.objects.filter(
            pk=proposal.pk, status=CorrectionProposal.Status.PENDING
        ).update(
            status=CorrectionProposal.Status.ACCEPTED
            if accept
            else CorrectionProposal.Status.REJECTED,
            decided_by=user,
            decided_at=timezone.now(),
        )
        if not decided:
            raise MinutesRefused(_("This proposal has already been decided."))
    proposal.refresh_from_db()
    return proposal


# ---------------------------------------------------------------------------------------------
# Writes: approval, revisions, corrections


def minutes_snapshot(*, meeting: Meeting) -> dict:
    """The minutes as approved: each item's title, kind, case id, summary, decisions and action
    items (never private notes). Three queries."""
    items = (
        AgendaItem.objects.filter(meeting=meeting)
        .prefetch_related(
            Prefetch(
                "action_items",
                queryset=ActionItem.objects.select_related("organisation", "assignee").order_by(
                    "due_on", "pk"
                ),
            )
        )
        .order_by("order", "pk")
    )
    return {
        "items": [
            {
                "id": item.pk,
                "order": item.order,
                "title": item.title,
                "kind": item.kind,
                "case_id": item.case_id,
                "summary": item.summary,
                "decisions": item.decisions,
                "actions": [
                    {
                        "description": action.description,
                        "organisation": action.organisation.name,
                        "assignee": (
                            action.assignee.get_full_name() or action.assignee.get_username()
                        )
                        if action.assignee
                        else "",
                        "is_lead": action.is_lead,
                        "due_on": action.due_on.isoformat(),
                        "status": action.status,
                        "done_on": action.done_on.isoformat() if action.done_on else None,
                    }
                    for action in item.action_items.all()
                ],
            }
            for item in items
        ]
    }


def minutes_approve(*, meeting: Meeting, user) -> Minutes:
    """The chair approves the draft: it is locked, a revision is stored, and the open action
    items are carried into the next planned meeting of the series."""
    _require_chair(user=user, meeting=meeting)
    with transaction.atomic():
        minutes = _minutes_for_write(meeting=meeting)
        now = timezone.now()
        Minutes.objects.filter(pk=minutes.pk).update(
            status=Minutes.Status.APPROVED, approved_by=user, approved_at=now
        )
        MinutesRevision.objects.create(
            minutes=minutes,
            number=minutes.revision,
            reason=minutes.correction_reason,
            snapshot=minutes_snapshot(meeting=meeting),
            approved_by=user,
            approved_at=now,
        )
        case_ids = AgendaItem.objects.filter(meeting=meeting, case__isnull=False).values_list(
            "case_id", flat=True
        )
        for case_id in sorted(set(case_ids)):
            case = Case(pk=case_id)
            services.audit_record(
                user=user,
                case=case,
                action=AuditEvent.Action.CHANGE,
                organisation=selectors.case_access_organisation(user=user, case=case),
                meeting=meeting,
                detail="minutes:approve",
            )
        following = next_meeting_in_series(meeting=meeting)
        if following is not None:
            from conferences.agenda import carry_over_open_actions

            carry_over_open_actions(meeting=following)
    minutes.refresh_from_db()
    return minutes


def minutes_reopen(*, meeting: Meeting, user, reason: str) -> Minutes:
    """A correction of approved minutes: the chair reopens them with a reason, as the next
    revision (a draft again; approving it stores that revision beside the earlier ones)."""
    _require_chair(user=user, meeting=meeting)
    reason = (reason or "").strip()
    if not reason:
        raise MinutesRefused(_("Give the reason for the correction."))
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().filter(meeting=meeting).first()
        if minutes is None or minutes.status != Minutes.Status.APPROVED:
            raise MinutesRefused(_("Only approved minutes can be reopened for a correction."))
        Minutes.objects.filter(pk=minutes.pk).update(
            status=Minutes.Status.DRAFT,
            revision=F("revision") + 1,
            correction_reason=reason,
            circulated_at=None,
            approved_by=None,
            approved_at=None,
        )
    minutes.refresh_from_db()
    return minutes


def revisions_compare(*, user, meeting: Meeting, left: MinutesRevision, right: MinutesRevision):
    """Per item (matched by id, in the newer revision's order), the two revisions' summary and
    decisions side by side; case items only for cases the user may see now. Returns (rows,
    shown case ids)."""
    visible = selectors.meeting_case_ids_visible(user=user, meeting=meeting)
    left_items = {item["id"]: item for item in left.snapshot.get("items", [])}
    right_items = {item["id"]: item for item in right.snapshot.get("items", [])}
    order = [item["id"] for item in right.snapshot.get("items", [])]
    order += [pk for pk in left_items if pk not in right_items]
    rows, shown = [], set()
    for pk in order:
        a, b = left_items.get(pk, {}), right_items.get(pk, {})
        case_id = (b or a).get("case_id")
        hidden = case_id is not None and case_id not in visible
        if case_id is not None and not hidden:
            shown.add(case_id)
        rows.append(
            {
                "title": (b or a).get("title", ""),
                "hidden": hidden,
                "summary": side_by_side(a.get("summary", ""), b.get("summary", "")),
                "decisions": side_by_side(a.get("decisions", ""), b.get("decisions", "")),
                "left_actions": a.get("actions", []),
                "right_actions": b.get("actions", []),
                "changed": (a.get("summary"), a.get("decisions"), a.get("actions"))
                != (b.get("summary"), b.get("decisions"), b.get("actions")),
            }
        )
    return rows, shown
