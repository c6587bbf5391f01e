"""The organisation page of the staff directory, and the mapping work recorded on it (visits with
follow-ups, ties). It lives in this layer because it also says how many cases the organisation
has a role on: a count only, never which cases.

Every form posts to its own URL: htmx gets the section back (#visits or #ties), a plain post is
redirected to the page (PRG), and refused input comes back with the reasons and what was typed.
Any logged-in staff member may record visits and ties: there is no finer permission model yet.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from conferences import selectors as conference_selectors
from conferences.models import AgendaItem, Case, CaseRole, Meeting
from districts.models import DistrictIssue
from resources import mapping, selectors
from resources.forms import FOLLOW_UP_PREFIX, FollowUpFormSet, TieForm, VisitForm

TEMPLATE = "conferences/organisation_detail.html"
TIE_CANDIDATE_LIMIT = 20


def case_counts(*, organisation) -> dict[str, int]:
    """How many cases the organisation has a role on, and how many of them are open: numbers
    only, so the page never says which cases (access to a case goes through its memberships)."""
    return CaseRole.objects.filter(organisation=organisation).aggregate(
        total=Count("case_id"),
        open=Count("case_id", filter=Q(case__status=Case.Status.OPEN)),
    )


def issues_taken_on(*, organisation, user):
    """District issues the organisation has worked on at meetings the user may see: it presented
    an agenda item about the issue or was given one of its action items. (Nothing else links an
    organisation to an issue yet.)"""
    meetings = Meeting.objects.filter(conference_selectors.meeting_visibility_filter(user=user))
    items = AgendaItem.objects.filter(
        Q(presenting_organisation=organisation) | Q(action_items__organisation=organisation),
        district_issue__isnull=False,
        meeting__in=meetings.values("pk"),
    ).values("district_issue_id")
    return (
        DistrictIssue.objects.filter(pk__in=items)
        .select_related("area")
        .order_by("-raised_on", "-pk")
    )


def _visit_forms(request, data=None):
    if data is None:
        visit_form = VisitForm(
            initial={"visited_on": timezone.localdate(), "staff": request.user.pk}
        )
        return visit_form, FollowUpFormSet(prefix=FOLLOW_UP_PREFIX)
    return VisitForm(data), FollowUpFormSet(data, prefix=FOLLOW_UP_PREFIX)


def _context(request, organisation, **forms) -> dict:
    visit_form, follow_ups = forms.get("visit_forms") or _visit_forms(request)
    return {
        "organisation": organisation,
        "areas_served": organisation.areas_served.order_by("reading", "code"),
        "services": selectors.organisation_services(organisation=organisation),
        "locations": selectors.organisation_locations(organisation=organisation),
        "visits": selectors.organisation_visits(organisation=organisation),
        "ties": selectors.organisation_ties(organisation=organisation),
        "cases": case_counts(organisation=organisation),
        "issues": issues_taken_on(organisation=organisation, user=request.user),
        "stale_before": selectors.stale_before(),
        "may_propose": organisation.pk
        in conference_selectors.user_organisation_ids(user=request.user),
        "today": timezone.localdate(),
        "visit_form": visit_form,
        "follow_ups": follow_ups,
        "tie_form": forms.get("tie_form") or TieForm(organisation=organisation),
        "candidates": forms.get("candidates"),
    }


def _section(request, organisation, section: str, **forms):
    """The section for htmx, or the whole page (after a refused plain post)."""
    template = f"{TEMPLATE}#{section}" if request.htmx else TEMPLATE
    return render(request, template, _context(request, organisation, **forms))


def _page_url(organisation, anchor: str) -> str:
    return reverse("staff:organisation_detail", args=[organisation.uuid]) + "#" + anchor


@login_required
def organisation_detail(request, uuid):
    organisation = selectors.organisation_get(uuid=uuid)
    return render(request, TEMPLATE, _context(request, organisation))


@login_required
@require_POST
def visit_add(request, uuid):
    organisation = selectors.organisation_get(uuid=uuid)
    visit_form, follow_ups = _visit_forms(request, request.POST)
    if "add_follow_up" in request.POST:
        # One more follow-up row, keeping what was typed (nothing is checked yet).
        visit_form = VisitForm(
            initial={name: visit_form[name].value() for name in visit_form.fields}
        )
        follow_ups = FollowUpFormSet(initial=follow_ups.typed_rows(), prefix=FOLLOW_UP_PREFIX)
        return _section(request, organisation, "visits", visit_forms=(visit_form, follow_ups))
    if visit_form.is_valid() and follow_ups.is_valid():
        data = visit_form.cleaned_data
        mapping.visit_record(
            organisation=organisation,
            visited_on=data["visited_on"],
            staff=data["staff"],
            heard=data["heard"],
            notes=data["notes"],
            follow_ups=follow_ups.rows(),
        )
        if not request.htmx:
            return redirect(_page_url(organisation, "visits"))
        return _section(request, organisation, "visits")
    return _section(request, organisation, "visits", visit_forms=(visit_form, follow_ups))


@login_required
@require_POST
def follow_up_done(request, uuid, pk):
    organisation = selectors.organisation_get(uuid=uuid)
    mapping.follow_up_mark_done(follow_up=selectors.follow_up_get(organisation=organisation, pk=pk))
    if not request.htmx:
        return redirect(_page_url(organisation, "visits"))
    return _section(request, organisation, "visits")


@login_required
@require_POST
def tie_add(request, uuid):
    organisation = selectors.organisation_get(uuid=uuid)
    form = TieForm(request.POST, organisation=organisation)
    finding = "find" in request.POST
    if not finding and form.is_valid():
        data = form.cleaned_data
        outgoing = data["direction"] == TieForm.OUTGOING
        try:
            mapping.tie_add(
                source=organisation if outgoing else data["target"],
                target=data["target"] if outgoing else organisation,
                kind=data["kind"],
                note=data["note"],
                since=data["since"],
            )
        except ValidationError as error:
            form.add_error(None, error)  # by field where the error names one
        else:
            if not request.htmx:
                return redirect(_page_url(organisation, "ties"))
            return _section(request, organisation, "ties")
    if finding:
        # "Find" shows the matches for the name typed; the tie is added by the next post.
        form = TieForm(
            initial={name: form[name].value() for name in form.fields if name != "target"},
            organisation=organisation,
        )
    candidates = selectors.tie_candidates(
        organisation=organisation, query=request.POST.get("other", ""), limit=TIE_CANDIDATE_LIMIT
    )
    return _section(request, organisation, "ties", tie_form=form, candidates=candidates)


@login_required
def tie_candidates(request, uuid):
    """The matches for a name typed in the tie form (htmx swaps them in as it is typed)."""
    organisation = selectors.organisation_get(uuid=uuid)
    query = request.GET.get("other", "")
    candidates = (
        selectors.tie_candidates(organisation=organisation, query=query, limit=TIE_CANDIDATE_LIMIT)
        if query.strip()
        else None
    )
    return render(
        request,
        f"{TEMPLATE}#tie_candidates",
        {"organisation": organisation, "candidates": candidates},
    )


@login_required
@require_POST
def tie_remove(request, uuid, pk):
    organisation = selectors.organisation_get(uuid=uuid)
    mapping.tie_remove(tie=selectors.tie_get(organisation=organisation, pk=pk))
    if not request.htmx:
        return redirect(_page_url(organisation, "ties"))
    return _section(request, organisation, "ties")
