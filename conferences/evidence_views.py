"""District issues from cases (issue 6): tagging a minutes item as evidence for a 地域課題, and the
evidence section of an issue's page.

The minutes page loads each item's evidence panel with htmx and links to the same panel as a page
of its own, so tagging works without JavaScript (plain POST, then back to the panel's page).
The issue page (districts, which must not import this layer) loads /staff/issues/<pk>/evidence/
the same way and links to it.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from conferences import escalation, minutes
from conferences import evidence as service
from conferences.models import AgendaItem, AuditEvent, IssueEvidence
from conferences.services import audit_record
from districts import selectors as district_selectors

PANEL = "conferences/evidence_item.html"
ISSUE = "conferences/issue_evidence.html"


class EvidenceForm(forms.Form):
    issue = forms.TypedChoiceField(
        label=gettext_lazy("District issue"), coerce=int, required=False, empty_value=None
    )
    new_title = forms.CharField(
        label=gettext_lazy("or raise a new issue in this meeting's area"),
        max_length=200,
        required=False,
    )
    new_description = forms.CharField(
        label=gettext_lazy("Description of the new issue"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    note = forms.CharField(
        label=gettext_lazy("Anonymised note"),
        help_text=gettext_lazy(
            "Read by people without access to the case: no names, addresses or case codes."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args, issues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.issues = {issue.pk: issue for issue in issues}
        self.fields["issue"].choices = [("", _("— a new issue —"))] + [
            (issue.pk, f"{issue.title} ({issue.area.name} · {issue.get_status_display()})")
            for issue in issues
        ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("What the meeting decided"), widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=gettext_lazy("Why (required to close)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, issue, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = escalation.decision_choices(issue=issue)


def _is_issue_item(item) -> bool:
    return item.kind == AgendaItem.Kind.DISTRICT_ISSUE and item.district_issue_id is not None


def _panel_url(meeting, item) -> str:
    return reverse("staff:evidence_item", args=[meeting.uid, item.pk])


def _item(request, uid, pk):
    meeting = minutes.meeting_get_for_minutes(user=request.user, uid=uid)
    item = minutes.item_get_for_user(user=request.user, meeting=meeting, pk=pk)
    return meeting, item


def _render_panel(request, meeting, item, *, form=None, decision_form=None, status=200, audit=True):
    can_tag = service.evidence_can_tag(user=request.user, meeting=meeting)
    issues = service.evidence_issue_choices(meeting=meeting) if can_tag else []
    if form is None and can_tag:
        form = EvidenceForm(prefix=f"evidence-{item.pk}", issues=issues)
    # The panel alone (htmx, inside the minutes page, which audits its own read) shows no case
    # material; the page of its own shows the item's title, so that read is audited.
    if audit and item.case_id is not None and not request.htmx:
        audit_record(
            user=request.user,
            case=item.case,
            action=AuditEvent.Action.VIEW,
            organisation=minutes.selectors.case_access_organisation(
                user=request.user, case=item.case
            ),
            meeting=meeting,
            detail="staff:evidence",
        )
    context = {
        "meeting": meeting,
        "item": item,
        "evidence": service.evidence_for_item(item=item),
        "can_tag": can_tag,
        "form": form,
    }
    if _is_issue_item(item):
        issue = item.district_issue
        context["issue"] = issue
        context["decisions"] = escalation.item_decisions(item=item)
        if can_tag and issue.area_id == meeting.area_id:
            context["decision_form"] = decision_form or DecisionForm(
                prefix=f"decision-{item.pk}", issue=issue, initial={"version": issue.version}
            )
    template = f"{PANEL}#panel" if request.htmx else PANEL
    return render(request, template, context, status=200 if request.htmx else status)


@login_required
def item_evidence(request, uid, pk):
    """GET: the item's evidence panel (htmx) or page. POST: tag the item."""
    meeting, item = _item(request, uid, pk)
    if request.method != "POST":
        return _render_panel(request, meeting, item)
    if not service.evidence_can_tag(user=request.user, meeting=meeting):
        raise Http404
    issues = service.evidence_issue_choices(meeting=meeting)
    form = EvidenceForm(request.POST, prefix=f"evidence-{item.pk}", issues=issues)
    if form.is_valid():
        data = form.cleaned_data
        try:
            service.evidence_tag(
                item=item,
                user=request.user,
                note=data["note"],
                issue=form.issues.get(data["issue"]) if data["issue"] else None,
                new_title=data["new_title"],
                new_description=data["new_description"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            if request.htmx:
                return _render_panel(request, meeting, item, audit=False)
            messages.success(request, _("The item is tagged as evidence for the issue."))
            return redirect(_panel_url(meeting, item))
    return _render_panel(request, meeting, item, form=form, status=400, audit=False)


@login_required
@require_POST
def item_decide(request, uid, pk):
    """Record the meeting's decision on the district issue the item discusses."""
    meeting, item = _item(request, uid, pk)
    if not _is_issue_item(item) or not service.evidence_can_tag(user=request.user, meeting=meeting):
        raise Http404
    form = DecisionForm(request.POST, prefix=f"decision-{item.pk}", issue=item.district_issue)
    if form.is_valid():
        data = form.cleaned_data
        try:
            issue = escalation.issue_decide(
                item=item,
                user=request.user,
                decision=data["decision"],
                reason=data["reason"],
                expected_version=data["version"],
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "stale":
                # Offer the decisions allowed from where the issue is now, with its new version.
                item.district_issue.refresh_from_db()
                fresh = request.POST.copy()
                fresh[f"decision-{item.pk}-version"] = str(item.district_issue.version)
                form = DecisionForm(fresh, prefix=f"decision-{item.pk}", issue=item.district_issue)
                form.is_valid()
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                for message in error.messages:
                    form.add_error(None, message)
        else:
            item.district_issue = issue
            if request.htmx:
                return _render_panel(request, meeting, item, audit=False)
            messages.success(
                request,
                _("The decision is recorded: the issue is now “%(status)s”.")
                % {"status": issue.get_status_display()},
            )
            return redirect(_panel_url(meeting, item))
    return _render_panel(request, meeting, item, decision_form=form, status=400, audit=False)


@login_required
@require_POST
def evidence_remove(request, uid, pk, evidence_pk):
    meeting, item = _item(request, uid, pk)
    evidence = get_object_or_404(IssueEvidence, pk=evidence_pk, agenda_item=item)
    evidence.agenda_item = item
    try:
        service.evidence_remove(evidence=evidence, user=request.user)
    except PermissionError:
        raise Http404 from None
    if request.htmx:
        return _render_panel(request, meeting, item, audit=False)
    messages.success(request, _("The tag is removed."))
    return redirect(_panel_url(meeting, item))


@login_required
def issue_evidence(request, pk):
    """The evidence section of a district issue: a partial for htmx, a page without it."""
    issue = district_selectors.issue_get(pk=pk)
    context = service.issue_evidence_page(issue=issue, user=request.user)
    context["decisions"] = escalation.issue_decisions(issue=issue)
    visible = {row["meeting"].pk for row in context["meetings"] if row["visible"]}
    for decision in context["decisions"]:
        decision.meeting_visible = decision.agenda_item.meeting_id in visible
    context["proposed"] = escalation.proposed_item(issue=issue)
    template = f"{ISSUE}#section" if request.htmx else ISSUE
    return render(request, template, context)
