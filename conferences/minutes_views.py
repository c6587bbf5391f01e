"""The minutes page (/staff/meetings/<uid>/minutes/) and its write endpoints.

Every form posts to its own URL. Without JavaScript a successful post redirects back to the page
(at the item); a refused one renders the page again with what the user typed and why. With htmx
(hx-post on the same forms) the response is the one item's section of the page (the partial
`item` of minutes_page.html), swapped in place.
"""

import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from conferences import minutes as service
from conferences import minutes_forms as forms
from conferences.models import AgendaItem, MinutesRevision
from resources.models import Organisation

PAGE = "conferences/minutes_page.html"


def _page_url(meeting, item=None) -> str:
    url = reverse("staff:minutes", args=[meeting.uid])
    return f"{url}#item-{item.pk}" if item is not None else url


def _item_forms(item, context, overrides) -> None:
    """Attach to the item the forms the page shows for it (bound ones from `overrides` when a
    post was refused, so what the user typed stays)."""
    prefix = f"item-{item.pk}"
    bound = overrides.get(item.pk, {})
    item.minutes_form = bound.get("minutes") or forms.ItemMinutesForm(
        prefix=prefix,
        initial={"summary": item.summary, "decisions": item.decisions, "version": item.version},
    )
    item.note_form = bound.get("note") or forms.PrivateNoteForm(
        prefix=f"{prefix}-note", initial={"text": item.my_note.text if item.my_note else ""}
    )
    item.proposal_form = bound.get("proposal") or forms.ProposalForm(prefix=f"{prefix}-proposal")
    item.conflict = bound.get("conflict")
    item.error = bound.get("error")
    if not context.get("can_edit"):
        return
    choices = {
        "organisation_choices": context["organisation_choices"],
        "people_choices": context["people_choices"],
    }
    meeting_day = context["meeting"].starts_at.date()
    item.action_form = bound.get("action") or forms.ActionItemForm(
        prefix=f"{prefix}-action",
        initial={
            "organisation": item.presenting_organisation_id or context["meeting"].organiser_id,
            "due_on": meeting_day + datetime.timedelta(days=service.ACTION_FROM_LINE_DUE_DAYS),
        },
        **choices,
    )
    for action in item.actions:
        action.edit_form = bound.get(("action", action.pk)) or forms.ActionItemForm(
            prefix=f"action-{action.pk}",
            initial={
                "description": action.description,
                "organisation": action.organisation_id,
                "assignee": action.assignee_id,
                "is_lead": "1" if action.is_lead else "0",
                "due_on": action.due_on,
            },
            **choices,
        )
    panel = context.get("case_panels", {}).get(item.case_id) if item.case_id else None
    item.case_panel = panel
    if panel is not None:
        plan = panel["plan"]
        item.plan_form = bound.get("plan") or forms.PlanForm(
            prefix=f"{prefix}-plan",
            initial={
                "goals": plan.goals if plan else "",
                "monitoring_interval_months": plan.monitoring_interval_months if plan else 3,
                "next_review_on": item.case.next_review_on,
            },
        )
        item.lead_form = bound.get("lead") or forms.LeadForm(
            prefix=f"{prefix}-lead",
            initial={"organisation": item.case.lead_organisation_id},
            organisation_choices=[(r.organisation_id, r.organisation.name) for r in panel["roles"]],
        )
        item.review_form = bound.get("review") or forms.ReviewForm(
            prefix=f"{prefix}-review", initial={"next_review_on": item.case.next_review_on}
        )


def _render(
    request,
    meeting,
    *,
    item=None,
    overrides=None,
    page_error=None,
    status=200,
    audit=True,
    extra=None,
):
    """The page, or with htmx and `item` the item's section only. The case material it shows
    is audited as read (`audit`), except right after a write that audited it as changed."""
    overrides = overrides or {}
    partial = item is not None and request.htmx
    context = service.minutes_page(
        user=request.user, meeting=meeting, item_ids=[item.pk] if partial else None
    )
    for each in context["items"]:
        _item_forms(each, context, overrides)
    context["page_error"] = page_error
    context["reopen_form"] = (extra or {}).get("reopen_form") or forms.ReopenForm()
    if audit:
        service.audit_page_read(
            user=request.user,
            meeting=meeting,
            case_ids=context["shown_case_ids"],
            detail="staff:minutes",
        )
    if partial:
        context["item"] = context["items"][0] if context["items"] else None
        return render(request, f"{PAGE}#item", context, status=200)
    return render(request, PAGE, context, status=200 if request.htmx else status)


def _done(request, meeting, item=None, notice=None, audit=False):
    """After a successful write: the item's section (htmx) or back to the page (PRG). `audit`:
    the section shows case material that the write itself did not audit."""
    if request.htmx and item is not None:
        return _render(request, meeting, item=item, audit=audit)
    if notice:
        messages.success(request, notice)
    return redirect(_page_url(meeting, item))


def _refused(request, meeting, error, item=None, overrides=None, status=403):
    if item is not None:
        overrides = overrides or {}
        overrides.setdefault(item.pk, {})["error"] = error.message
        return _render(request, meeting, item=item, overrides=overrides, status=status)
    return _render(request, meeting, page_error=error.message, status=status)


@login_required
def minutes_page(request, uid):
    meeting = service.meeting_get_for_minutes(user=request.user, uid=uid)
    return _render(request, meeting)


def _meeting_and_item(request, uid, pk):
    meeting = service.meeting_get_for_minutes(user=request.user, uid=uid)
    return meeting, service.item_get_for_user(user=request.user, meeting=meeting, pk=pk)


@login_required
@require_POST
def item_save(request, uid, pk):
    meeting, item = _meeting_and_item(request, uid, pk)
    prefix = f"item-{item.pk}"
    form = forms.ItemMinutesForm(request.POST, prefix=prefix)
    if not form.is_valid():
        return _refused(
            request,
            meeting,
            service.MinutesRefused(_("The form was incomplete: reload the page and try again.")),
            item=item,
            overrides={item.pk: {"minutes": form}},
            status=400,
        )
    data = form.cleaned_data
    if request.POST.get("merge"):
        # Both texts in the fields, at the stored version: the next save goes through.
        current = AgendaItem.objects.get(pk=item.pk)
        merged = forms.ItemMinutesForm(
            prefix=prefix,
            initial={
                "summary": service.merge_texts(current.summary, data["summary"]),
                "decisions": service.merge_texts(current.decisions, data["decisions"]),
                "version": current.version,
            },
        )
        notice = _(
            "Both texts are now in the fields (what is stored first, then your lines). Edit "
            "them and save."
        )
        return _render(
            request, meeting, item=item, overrides={item.pk: {"minutes": merged, "error": notice}}
        )
    try:
        service.item_minutes_save(
            item=item,
            user=request.user,
            summary=data["summary"],
            decisions=data["decisions"],
            expected_version=data["version"],
        )
    except service.ItemConflict as conflict:
        current = conflict.current
        conflict_view = {
            "version": current.version,
            "summary": service.side_by_side(current.summary, data["summary"]),
            "decisions": service.side_by_side(current.decisions, data["decisions"]),
        }
        return _render(
            request,
            meeting,
            item=item,
            overrides={
                item.pk: {"minutes": form, "conflict": conflict_view, "error": conflict.message}
            },
            status=409,
        )
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _refused(request, meeting, error, item=item, overrides={item.pk: {"minutes": form}})
    return _done(request, meeting, item, notice=_("Saved."))


def _action_form_values(request, form, meeting):
    """(organisation, assignee) of a valid action form; MinutesRefused if they do not resolve."""
    data = form.cleaned_data
    other = (data.get("other_organisation") or "").strip()
    if other:
        organisation = service.organisation_find_agency(name=other)
    else:
        organisation = Organisation.objects.filter(pk=data["organisation"]).first()
        if organisation is None:
            raise service.MinutesRefused(_("Choose the organisation."))
    assignee = None
    if data.get("assignee"):
        assignee = get_user_model().objects.filter(pk=data["assignee"]).first()
    return organisation, assignee


def _choices(request, meeting):
    return service.action_choices(meeting=meeting)


@login_required
@require_POST
def action_add(request, uid, pk):
    meeting, item = _meeting_and_item(request, uid, pk)
    form = forms.ActionItemForm(
        request.POST, prefix=f"item-{item.pk}-action", **_choices(request, meeting)
    )
    overrides = {item.pk: {"action": form}}
    if not form.is_valid():
        return _render(request, meeting, item=item, overrides=overrides, status=400)
    try:
        organisation, assignee = _action_form_values(request, form, meeting)
        service.action_item_create(
            item=item,
            user=request.user,
            description=form.cleaned_data["description"],
            organisation=organisation,
            assignee=assignee,
            is_lead=form.cleaned_data["is_lead"],
            due_on=form.cleaned_data["due_on"],
        )
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _refused(request, meeting, error, item=item, overrides=overrides)
    return _done(request, meeting, item, notice=_("Action item added."))


@login_required
@require_POST
def action_from_point(request, uid, pk):
    meeting, item = _meeting_and_item(request, uid, pk)
    try:
        service.action_item_from_point(
            item=item, user=request.user, point=request.POST.get("point", "")
        )
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _refused(request, meeting, error, item=item)
    return _done(request, meeting, item, notice=_("Action item added."))


def _action_and_item(request, uid, pk):
    meeting = service.meeting_get_for_minutes(user=request.user, uid=uid)
    action = service.action_get_for_meeting(meeting=meeting, pk=pk)
    if action.agenda_item.meeting_id == meeting.pk:
        item_pk = action.agenda_item_id
    else:
        item_pk = action.carried_into.filter(meeting=meeting).values_list("pk", flat=True).first()
    item = service.item_get_for_user(user=request.user, meeting=meeting, pk=item_pk)
    about_case_id = action.case_id or action.agenda_item.case_id
    if about_case_id and about_case_id != item.case_id:
        # Carried into a general item: the case it is about must be one the user may see.
        if (
            about_case_id
            not in service.selectors.meeting_case_ids_visible(user=request.user, meeting=meeting)
            and not service.selectors.cases_visible_to(user=request.user)
            .filter(pk=about_case_id)
            .exists()
        ):
            raise Http404
    return meeting, action, item


@login_required
@require_POST
def action_edit(request, uid, pk):
    meeting, action, item = _action_and_item(request, uid, pk)
    form = forms.ActionItemForm(
        request.POST, prefix=f"action-{action.pk}", **_choices(request, meeting)
    )
    overrides = {item.pk: {("action", action.pk): form}}
    if not form.is_valid():
        return _render(request, meeting, item=item, overrides=overrides, status=400)
    try:
        organisation, assignee = _action_form_values(request, form, meeting)
        service.action_item_update(
            action=action,
            meeting=meeting,
            user=request.user,
            description=form.cleaned_data["description"],
            organisation=organisation,
            assignee=assignee,
            is_lead=form.cleaned_data["is_lead"],
            due_on=form.cleaned_data["due_on"],
        )
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _refused(request, meeting, error, item=item, overrides=overrides)
    return _done(request, meeting, item, notice=_("Action item saved."))


@login_required
@require_POST
def action_done(request, uid, pk):
    meeting, action, item = _action_and_item(request, uid, pk)
    try:
        service.action_item_set_done(
            action=action, meeting=meeting, user=request.user, done=request.POST.get("done") == "1"
        )
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _refused(request, meeting, error, item=item)
    return _done(request, meeting, item)


@login_required
@require_POST
def attendance_save(request, uid):
    meeting = service.meeting_get_for_minutes(user=request.user, uid=uid)
    values = {"yes": True, "no": False, "": None}
    attended = {}
    for key, value in request.POST.items():
        if key.startswith("attended-") and key[9:].isdigit() and value in values:
            attended[int(key[9:])] = values[value]
    try:
        service.attendance_save(meeting=meeting, user=request.user, attended=attended)
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _refused(request, meeting, error)
    if request.htmx:
        return _render_attendance(request, meeting)
    messages.success(request, _("Attendance saved."))
    return redirect(f"{_page_url(meeting)}#attendance")


def _render_attendance(request, meeting):
    context = service.minutes_page(user=request.user, meeting=meeting, item_ids=[])
    context["attendance_saved"] = True
    return render(request, f"{PAGE}#attendance", context)


@login_required
@require_POST
def private_note(request, uid, pk):
    meeting, item = _meeting_and_item(request, uid, pk)
    form = forms.PrivateNoteForm(request.POST, prefix=f"item-{item.pk}-note")
    if form.is_valid():
        service.private_note_save(item=item, user=request.user, text=form.cleaned_data["text"])
    return _done(request, meeting, item, notice=_("Your private note is saved."), audit=True)


@login_required
@require_POST
def proposal_add(request, uid, pk):
    meeting, item = _meeting_and_item(request, uid, pk)
    form = forms.ProposalForm(request.POST, prefix=f"item-{item.pk}-proposal")
    overrides = {item.pk: {"proposal": form}}
    if not form.is_valid():
        return _render(request, meeting, item=item, overrides=overrides, status=400)
    try:
        service.correction_propose(item=item, user=request.user, **form.cleaned_data)
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _refused(request, meeting, error, item=item, overrides=overrides)
    return _done(request, meeting, item, notice=_("Your proposed correction is sent to the chair."))


@login_required
@require_POST
def proposal_decide(request, uid, pk):
    meeting = service.meeting_get_for_minutes(user=request.user, uid=uid)
    proposal = service.proposal_get_for_meeting(meeting=meeting, pk=pk)
    item = service.item_get_for_user(user=request.user, meeting=meeting, pk=proposal.agenda_item_id)
    form = forms.DecideForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            meeting,
            service.MinutesRefused(_("Choose to accept or reject the proposal.")),
            item=item,
            status=400,
        )
    try:
        service.correction_decide(
            proposal=proposal,
            user=request.user,
            accept=form.cleaned_data["decision"] == "accept",
            expected_version=form.cleaned_data["version"],
        )
    except service.ItemConflict as conflict:
        return _refused(request, meeting, conflict, item=item, status=409)
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _refused(request, meeting, error, item=item)
    return _done(request, meeting, item)


def _case_write(request, uid, pk, form_class, name, write):
    meeting, item = _meeting_and_item(request, uid, pk)
    kwargs = {}
    if form_class is forms.LeadForm:
        kwargs["organisation_choices"] = (
            [
                (role.organisation_id, role.organisation.name)
                for role in item.case.roles.select_related("organisation")
            ]
            if item.case_id
            else []
        )
    form = form_class(request.POST, prefix=f"item-{item.pk}-{name}", **kwargs)
    overrides = {item.pk: {name: form}}
    if not form.is_valid():
        return _render(request, meeting, item=item, overrides=overrides, status=400)
    try:
        write(meeting=meeting, item=item, data=form.cleaned_data)
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _refused(request, meeting, error, item=item, overrides=overrides)
    except service.services.SharingRefused as error:
        return _refused(request, meeting, error, item=item, overrides=overrides, status=400)
    except service.services.StaleCase:
        error = service.MinutesRefused(
            _("The case changed while you were editing: check it and try again.")
        )
        return _refused(request, meeting, error, item=item, overrides=overrides, status=409)
    return _done(request, meeting, item, notice=_("The case is updated."))


@login_required
@require_POST
def case_plan(request, uid, pk):
    def write(*, meeting, item, data):
        service.item_case_plan(item=item, user=request.user, **data)

    return _case_write(request, uid, pk, forms.PlanForm, "plan", write)


@login_required
@require_POST
def case_lead(request, uid, pk):
    def write(*, meeting, item, data):
        organisation = Organisation.objects.get(pk=data["organisation"])
        service.item_case_lead(
            item=item, user=request.user, organisation=organisation, reason=data["reason"]
        )

    return _case_write(request, uid, pk, forms.LeadForm, "lead", write)


@login_required
@require_POST
def case_review(request, uid, pk):
    def write(*, meeting, item, data):
        service.item_case_next_review(
            item=item, user=request.user, next_review_on=data["next_review_on"]
        )

    return _case_write(request, uid, pk, forms.ReviewForm, "review", write)


@login_required
@require_POST
def circulate(request, uid):
    meeting = service.meeting_get_for_minutes(user=request.user, uid=uid)
    try:
        service.minutes_circulate(meeting=meeting, user=request.user)
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _refused(request, meeting, error)
    return _done(request, meeting, notice=_("The draft is circulated to the participants."))


@login_required
@require_POST
def approve(request, uid):
    meeting = service.meeting_get_for_minutes(user=request.user, uid=uid)
    try:
        service.minutes_approve(meeting=meeting, user=request.user)
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _refused(request, meeting, error)
    return _done(request, meeting, notice=_("The minutes are approved and locked."))


@login_required
@require_POST
def reopen(request, uid):
    meeting = service.meeting_get_for_minutes(user=request.user, uid=uid)
    form = forms.ReopenForm(request.POST)
    if not form.is_valid():
        return _render(
            request,
            meeting,
            page_error=_("Give the reason for the correction."),
            extra={"reopen_form": form},
            status=400,
        )
    try:
        service.minutes_reopen(
            meeting=meeting, user=request.user, reason=form.cleaned_data["reason"]
        )
    except (service.MinutesLocked, service.MinutesRefused) as error:
        return _render(
            request,
            meeting,
            page_error=error.message,
            extra={"reopen_form": form},
            status=403,
        )
    return _done(request, meeting, notice=_("The minutes are reopened for a correction."))


@login_required
def revisions(request, uid):
    """Two approved revisions side by side, item by item."""
    meeting = service.meeting_get_for_minutes(user=request.user, uid=uid)
    stored = list(
        MinutesRevision.objects.filter(minutes__meeting=meeting)
        .select_related("approved_by")
        .order_by("number")
    )
    numbers = [revision.number for revision in stored]
    by_number = {revision.number: revision for revision in stored}
    initial = {
        "left": numbers[-2] if len(numbers) > 1 else (numbers[0] if numbers else None),
        "right": numbers[-1] if numbers else None,
    }
    form = forms.CompareForm(request.GET or None, numbers=numbers, initial=initial)
    rows, left, right = [], None, None
    if numbers:
        if form.is_valid():
            left, right = (
                by_number[form.cleaned_data["left"]],
                by_number[form.cleaned_data["right"]],
            )
        else:
            left, right = by_number[initial["left"]], by_number[initial["right"]]
        rows, shown = service.revisions_compare(
            user=request.user, meeting=meeting, left=left, right=right
        )
        service.audit_page_read(
            user=request.user, meeting=meeting, case_ids=shown, detail="staff:minutes_revisions"
        )
    return render(
        request,
        "conferences/minutes_revisions.html",
        {
            "meeting": meeting,
            "revisions": stored,
            "form": form,
            "left": left,
            "right": right,
            "rows": rows,
        },
    )
