"""Writes of the districts app: 地区アセスメント and 地域課題.

Both keep their whole history (AssessmentRevision, IssueStatusChange) and refuse to overwrite a
change made since the editor loaded the object: every write is a compare-and-swap on `version`
(`filter(pk=..., version=expected).update(...)`), so two people saving at once never lose text
silently, on SQLite or PostgreSQL alike.

Permissions: any logged-in staff member may write here; there is no finer model yet.
"""

import datetime
import itertools
import random

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from districts.models import (
    Area,
    Assessment,
    AssessmentRevision,
    DistrictIssue,
    IssueStatusChange,
    TargetGroup,
)

Status = DistrictIssue.Status

ASSESSMENT_TEXT_FIELDS = ("strengths", "challenges", "notes", "participants")


class EditConflict(Exception):
    """The object changed after the editor loaded it. `current` is what is stored now (None when it
    no longer exists), so the page can show it beside what the user typed."""

    def __init__(self, message: str, *, current=None):
        super().__init__(message)
        self.message = message
        self.current = current


# ---------------------------------------------------------------------------------------------
# Assessments


def assessment_save(
    *,
    area: Area,
    year: int,
    user,
    expected_version: int,
    strengths: str = "",
    challenges: str = "",
    notes: str = "",
    participants: str = "",
) -> Assessment:
    """Create (expected_version 0) or change an area's assessment for a year, keeping a revision.

    Raises EditConflict when the stored assessment is no longer the version the editor started
    from (including when someone else created the year's assessment first). Saving the same text
    again writes nothing: a revision records a change.
    """
    texts = {
        "strengths": _clean_text(strengths),
        "challenges": _clean_text(challenges),
        "notes": _clean_text(notes),
        "participants": _clean_text(participants),
    }
    if expected_version == 0:
        return _assessment_create(area=area, year=year, user=user, texts=texts)
    with transaction.atomic():
        current = Assessment.objects.filter(area=area, year=year).first()
        if current is None or current.version != expected_version:
            raise _assessment_conflict(current)
        if all(getattr(current, name) == value for name, value in texts.items()):
            return current
        new_version = expected_version + 1
        now = timezone.now()
        # update() skips auto_now, so updated_at is set by hand.
        changed = Assessment.objects.filter(pk=current.pk, version=expected_version).update(
            **texts, version=new_version, updated_by=user, updated_at=now
        )
        if not changed:
            raise _assessment_conflict(Assessment.objects.filter(pk=current.pk).first())
        AssessmentRevision.objects.create(
            assessment=current, version=new_version, saved_by=user, **texts
        )
    current.refresh_from_db()
    return current


def _assessment_create(*, area: Area, year: int, user, texts: dict[str, str]) -> Assessment:
    existing = Assessment.objects.filter(area=area, year=year).first()
    if existing is not None:
        raise _assessment_conflict(existing)
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                area=area, year=year, version=1, updated_by=user, **texts
            )
            AssessmentRevision.objects.create(
                assessment=assessment, version=1, saved_by=user, **texts
            )
    except IntegrityError:
        # Someone created it between the check and the insert.
        raise _assessment_conflict(
            Assessment.objects.filter(area=area, year=year).first()
        ) from None
    return assessment


def _assessment_conflict(current: Assessment | None) -> EditConflict:
    if current is None:
        return EditConflict(
            _("This assessment was deleted after you opened it. Your text is kept below."),
            current=None,
        )
    who = current.updated_by
    return EditConflict(
        _(
            "Someone else saved this assessment after you opened it (now version %(version)s, "
            "saved by %(who)s). Your text is kept below, beside what is stored now. Saving "
            "again replaces the stored text with yours."
        )
        % {
            "version": current.version,
            "who": (who.get_full_name() or who.get_username()) if who else _("unknown"),
        },
        current=current,
    )


def _clean_text(value: str) -> str:
    # Browsers send textarea lines as CRLF; store one form so unchanged text compares equal.
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


# ---------------------------------------------------------------------------------------------
# District issues

# The status flow. Escalation moves the issue to the parent area, where it is discussed again;
# addressed or closed issues may go back to discussion (with a reason) when the problem returns.
ISSUE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.RAISED: (Status.DISCUSSED, Status.CLOSED),
    Status.DISCUSSED: (Status.ESCALATED, Status.ADDRESSED, Status.CLOSED),
    Status.ESCALATED: (Status.DISCUSSED, Status.ADDRESSED, Status.CLOSED),
    Status.ADDRESSED: (Status.CLOSED, Status.DISCUSSED),
    Status.CLOSED: (Status.DISCUSSED,),
}

# How each move is offered in the status form (the label says what the step does).
TRANSITION_LABELS = {
    Status.DISCUSSED: gettext_lazy("Discussed"),
    Status.ADDRESSED: gettext_lazy("Addressed (a response is in place)"),
    Status.CLOSED: gettext_lazy("Close (reason required)"),
}
REOPEN_LABEL = gettext_lazy("Back to discussion (reason required)")


def issue_reason_required(*, from_status: str, to_status: str) -> bool:
    """Closing needs a reason, and so does going back to discussion after a response or closure."""
    return to_status == Status.CLOSED or (
        to_status == Status.DISCUSSED and from_status in (Status.ADDRESSED, Status.CLOSED)
    )


def issue_next_statuses(*, issue: DistrictIssue) -> list[str]:
    """The statuses the issue may move to now (no escalation above the municipality)."""
    allowed = list(ISSUE_TRANSITIONS.get(issue.status, ()))
    if issue.area.parent_id is None and Status.ESCALATED in allowed:
        allowed.remove(Status.ESCALATED)
    return allowed


def issue_transition_label(*, issue: DistrictIssue, to_status: str) -> str:
    if to_status == Status.ESCALATED and issue.area.parent is not None:
        return _("Escalate to %(area)s") % {"area": issue.area.parent.name}
    if to_status == Status.DISCUSSED and issue.status in (Status.ADDRESSED, Status.CLOSED):
        return str(REOPEN_LABEL)
    return str(TRANSITION_LABELS.get(to_status, Status(to_status).label))


@transaction.atomic
def issue_raise(
    *,
    area: Area,
    title: str,
    description: str,
    target_group: str,
    user,
    raised_on: datetime.date | None = None,
) -> DistrictIssue:
    """Record a new 地域課題 in an area of any level, with its first history entry.

    Raises ValidationError (by field) for a missing title or an unknown target group.
    """
    issue = DistrictIssue(
        area=area,
        raised_in=area,
        title=(title or "").strip(),
        description=_clean_text(description),
        target_group=target_group,
        status=Status.RAISED,
        raised_on=raised_on or timezone.localdate(),
    )
    issue.full_clean()
    issue.save()
    IssueStatusChange.objects.create(
        issue=issue,
        from_status="",
        to_status=Status.RAISED,
        from_area=area,
        to_area=area,
        changed_by=user,
    )
    return issue


def issue_change_status(
    *, issue: DistrictIssue, to_status: str, reason: str, user, expected_version: int
) -> DistrictIssue:
    """Move an issue one step along the flow and record who, when, why and between which areas.

    Escalation moves the issue to its area's parent. Raises ValidationError for a step the flow
    does not allow, a missing reason, escalation above the municipality, or when the issue changed
    since `expected_version` (code "stale"). Returns the issue as now stored.
    """
    reason = _clean_text(reason)
    with transaction.atomic():
        current = DistrictIssue.objects.select_related("area__parent").get(pk=issue.pk)
        if current.version != expected_version:
            raise ValidationError(
                _(
                    "Someone else changed this issue after you opened it: it is now "
                    "“%(status)s” in %(area)s. Check its history, then try again."
                ),
                code="stale",
                params={"status": current.get_status_display(), "area": current.area.name},
            )
        from_status, from_area = current.status, current.area
        if to_status not in Status.values:
            raise ValidationError(_("Unknown status."), code="invalid_status")
        if to_status == from_status:
            raise ValidationError(
                _("The issue is already “%(status)s”."),
                code="invalid_transition",
                params={"status": current.get_status_display()},
            )
        if to_status not in ISSUE_TRANSITIONS.get(from_status, ()):
            raise ValidationError(
                _("An issue that is “%(from)s” cannot become “%(to)s”."),
                code="invalid_transition",
                params={"from": current.get_status_display(), "to": Status(to_status).label},
            )
        to_area = from_area
        if to_status == Status.ESCALATED:
            if from_area.parent is None:
                raise ValidationError(
                    _(
                        "%(area)s is the top of the area tree: an issue there cannot be "
                        "escalated further."
                    ),
                    code="no_parent",
                    params={"area": from_area.name},
                )
            to_area = from_area.parent
        if not reason and issue_reason_required(from_status=from_status, to_status=to_status):
            message = (
                _("Say why the issue is closed.")
                if to_status == Status.CLOSED
                else _("Say why the issue goes back to discussion.")
            )
            raise ValidationError({"reason": ValidationError(message, code="reason_required")})

        fields = {"status": to_status, "area": to_area, "version": F("version") + 1}
        if to_status == Status.CLOSED:
            fields["closed_reason"] = reason
        elif from_status == Status.CLOSED:
            # Re-opened: the old reason stays in the history, not on the open issue.
            fields["closed_reason"] = ""
        changed = DistrictIssue.objects.filter(pk=current.pk, version=expected_version).update(
            **fields
        )
        if not changed:
            raise ValidationError(
                _("Someone else changed this issue at the same moment. Reload it and try again."),
                code="stale",
            )
        IssueStatusChange.objects.create(
            issue=current,
            from_status=from_status,
            to_status=to_status,
            from_area=from_area,
            to_area=to_area,
            reason=reason,
            changed_by=user,
        )
    issue.refresh_from_db()
    return issue


def issue_escalate(
    *, issue: DistrictIssue, reason: str, user, expected_version: int
) -> DistrictIssue:
    """Move the issue up to its area's parent (地区 → 地域 → 全区/市), keeping its history."""
    return issue_change_status(
        issue=issue,
        to_status=Status.ESCALATED,
        reason=reason,
        user=user,
        expected_version=expected_version,
    )


# ---------------------------------------------------------------------------------------------
# Demo data

DEMO_STRENGTHS = [
    "町会・自治会の見守り活動が続いており、顔の見える関係がある。",
    "通いの場（サロン・体操教室）が徒歩圏内に複数ある。",
    "商店街が高齢者の買い物に配達で協力している。",
    "子育てひろばと児童館の連携で、乳幼児の親子が集まりやすい。",
    "民生委員・児童委員の欠員がなく、相談がつながりやすい。",
]
DEMO_CHALLENGES = [
    "坂が多く、通院や買い物の移動に困る高齢者が多い。",
    "単身高齢者世帯が増え、孤立の心配がある。",
    "集合住宅の住民と町会のつながりが薄い。",
    "地域活動の担い手が高齢化し、後継者がいない。",
    "転入した子育て世帯に地域の情報が届きにくい。",
]
DEMO_NOTES = [
    "三者（まちづくりセンター・あんしんすこやかセンター・社会福祉協議会）で地区懇談会の結果を整理した。",
    "住民アンケートの結果を追記した。",
    "地区の地域ケア会議での意見を反映した。",
]
DEMO_PARTICIPANTS = [
    "まちづくりセンター",
    "あんしんすこやかセンター",
    "社会福祉協議会",
    "民生委員・児童委員協議会",
    "町会・自治会連合会",
    "児童館",
]
DEMO_ISSUES = [
    (
        "夜間・休日に介護者が相談できる窓口がない",
        TargetGroup.ELDERLY,
        "家族介護者から、夜間や休日に相談できる先がないという声が続いている。",
    ),
    (
        "ヤングケアラーに気づく仕組みがない",
        TargetGroup.CHILDREN,
        "学校と地域の関係者が、家族の世話をする子どもに気づいても相談先を知らない。",
    ),
    (
        "障害のある人の災害時の避難支援が決まっていない",
        TargetGroup.DISABILITY,
        "個別避難計画が未作成の人が多く、誰が支援するか決まっていない。",
    ),
    (
        "食料支援につながらない生活困窮世帯がある",
        TargetGroup.HARDSHIP,
        "フードパントリーを知らない世帯があり、相談につながる前に困窮が進んでいる。",
    ),
]
DEMO_MEETINGS = {
    Area.Level.DISTRICT: "地域ケア会議",
    Area.Level.REGION: "地域ケアネットワーク会議",
    Area.Level.MUNICIPALITY: "地域ケア推進会議",
}
DEMO_REASONS = {
    Status.DISCUSSED: "地区の地域ケア会議で事例をもとに話し合った。",
    Status.ESCALATED: "地区の資源だけでは解決できないため、上位の会議で検討する。",
    Status.ADDRESSED: "関係機関で対応策を決め、新しい取り組みを始めた。",
    Status.CLOSED: "取り組みの効果を確認し、課題としては終結とした。",
}
# The walks the demo issues take; each step is checked against ISSUE_TRANSITIONS.
DEMO_WALKS = [
    [Status.RAISED, Status.DISCUSSED],
    [Status.RAISED, Status.DISCUSSED, Status.ESCALATED],
    [Status.RAISED, Status.DISCUSSED, Status.ESCALATED, Status.DISCUSSED, Status.ADDRESSED],
    [
        Status.RAISED,
        Status.DISCUSSED,
        Status.ESCALATED,
        Status.DISCUSSED,
        Status.ESCALATED,
        Status.DISCUSSED,
    ],
    [Status.RAISED, Status.DISCUSSED, Status.ADDRESSED, Status.CLOSED],
    [Status.RAISED, Status.CLOSED],
]


def districts_demo_history(
    *, areas: list[Area], users: list, rng: random.Random, today: datetime.date
) -> dict[str, int]:
    """Demo 地区アセスメント (the last three fiscal years, one to three revisions each, saved by
    the given users) and 地域課題 whose histories walk the flow, escalations included, for the
    given areas (usually the districts). Deterministic for a given rng and today; years an area
    already has an assessment for are left alone. Returns counts of what was written.
    """
    users = list(users) or [None]
    areas = list(Area.objects.filter(pk__in=[a.pk for a in areas]).select_related("parent__parent"))
    areas.sort(key=lambda a: a.pk)
    this_year = today.year if today.month >= 4 else today.year - 1
    years = [this_year - 2, this_year - 1, this_year]
    taken = set(
        Assessment.objects.filter(area__in=areas, year__in=years).values_list("area_id", "year")
    )
    counts = {"assessments": 0, "revisions": 0, "issues": 0, "status_changes": 0}
    new_assessments, pending_revisions = [], []
    for area in areas:
        for year in years:
            if (area.pk, year) in taken:
                continue
            states = _demo_assessment_states(area=area, rng=rng)
            start = datetime.date(year, rng.randint(5, 9), rng.randint(1, 28))
            moments = [
                _demo_moment(start + datetime.timedelta(days=30 * i + rng.randint(0, 20)), today)
                for i in range(len(states))
            ]
            savers = [rng.choice(users) for _ in states]
            final = states[-1]
            new_assessments.append(
                Assessment(
                    area=area,
                    year=year,
                    version=len(states),
                    updated_by=savers[-1],
                    **final,
                )
            )
            pending_revisions.append((states, moments, savers))
    with transaction.atomic():
        saved = Assessment.objects.bulk_create(new_assessments, batch_size=1000)
        revisions, revision_moments = [], []
        for assessment, (states, moments, savers) in zip(saved, pending_revisions, strict=True):
            for version, (state, moment, saver) in enumerate(
                zip(states, moments, savers, strict=True), start=1
            ):
                revisions.append(
                    AssessmentRevision(
                        assessment=assessment, version=version, saved_by=saver, **state
                    )
                )
                revision_moments.append(moment)
            assessment.updated_at = moments[-1]
        revisions = AssessmentRevision.objects.bulk_create(revisions, batch_size=1000)
        # auto_now / auto_now_add overwrite on insert, so the demo moments are written after.
        for revision, moment in zip(revisions, revision_moments, strict=True):
            revision.saved_at = moment
        AssessmentRevision.objects.bulk_update(revisions, ["saved_at"], batch_size=1000)
        Assessment.objects.bulk_update(saved, ["updated_at"], batch_size=1000)
        counts["assessments"], counts["revisions"] = len(saved), len(revisions)

        issue_counts = _demo_issues(areas=areas, users=users, rng=rng, today=today)
    counts.update(issue_counts)
    return counts


def _demo_assessment_states(*, area: Area, rng: random.Random) -> list[dict[str, str]]:
    strengths = rng.sample(DEMO_STRENGTHS, 2)
    challenges = rng.sample(DEMO_CHALLENGES, 2)
    participants = DEMO_PARTICIPANTS[:3] + rng.sample(DEMO_PARTICIPANTS[3:], 1)
    states = [
        {
            "strengths": "\n".join(strengths),
            "challenges": "\n".join(challenges),
            "notes": DEMO_NOTES[0],
            "participants": "\n".join(participants),
        }
    ]
    for _step in range(rng.randint(0, 2)):
        state = dict(states[-1])
        extra = rng.choice(DEMO_CHALLENGES)
        if extra not in state["challenges"]:
            state["challenges"] += "\n" + extra
        state["notes"] += "\n" + rng.choice(DEMO_NOTES[1:])
        states.append(state)
    return states


def _demo_issues(*, areas: list[Area], users: list, rng: random.Random, today) -> dict[str, int]:
    issues, walks = [], []
    for area in areas:
        title, target, text = rng.choice(DEMO_ISSUES)
        walk = rng.choice(DEMO_WALKS)
        # Only walk as far up as the tree goes: one escalation per level above the area.
        while walk.count(Status.ESCALATED) > len(area.ancestors()):
            walk = rng.choice(DEMO_WALKS)
        _check_walk(walk)
        raised_on = today - datetime.timedelta(days=rng.randint(60, 500))
        node = area
        for step in walk:
            if step == Status.ESCALATED:
                node = node.parent
        final = walk[-1]
        issues.append(
            DistrictIssue(
                area=node,
                raised_in=area,
                title=title,
                description=f"{area.name}の{DEMO_MEETINGS[area.level]}で検討した事例から。{text}",
                target_group=target,
                status=final,
                raised_on=raised_on,
                closed_reason=DEMO_REASONS[Status.CLOSED] if final == Status.CLOSED else "",
                version=len(walk),
            )
        )
        walks.append((area, walk, raised_on))
    saved = DistrictIssue.objects.bulk_create(issues, batch_size=1000)
    changes, moments = [], []
    for issue, (area, walk, raised_on) in zip(saved, walks, strict=True):
        node, previous = area, ""
        span = max(len(walk), (today - raised_on).days)
        offsets = sorted(rng.sample(range(1, span), len(walk) - 1)) if len(walk) > 1 else []
        for step, offset in zip(walk, [0, *offsets], strict=True):
            to_node = node.parent if step == Status.ESCALATED else node
            changes.append(
                IssueStatusChange(
                    issue=issue,
                    from_status=previous,
                    to_status=step,
                    from_area=node,
                    to_area=to_node,
                    reason=DEMO_REASONS.get(step, ""),
                    changed_by=rng.choice(users),
                )
            )
            moments.append(_demo_moment(raised_on + datetime.timedelta(days=offset), today))
            node, previous = to_node, step
    changes = IssueStatusChange.objects.bulk_create(changes, batch_size=1000)
    for change, moment in zip(changes, moments, strict=True):
        change.changed_at = moment
    IssueStatusChange.objects.bulk_update(changes, ["changed_at"], batch_size=1000)
    return {"issues": len(saved), "status_changes": len(changes)}


def _check_walk(walk: list[str]) -> None:
    for before, after in itertools.pairwise(walk):
        if after not in ISSUE_TRANSITIONS[before]:
            raise ValueError(f"demo walk breaks the flow: {before} → {after}")


def _demo_moment(day: datetime.date, today: datetime.date) -> datetime.datetime:
    day = min(day, today)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(17, 30)))
