import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from conferences import selectors, services
from conferences.models import AuditEvent, Minutes


@login_required
def dashboard(request):
    return render(request, "conferences/dashboard.html", selectors.dashboard(user=request.user))


@login_required
def meeting_list(request):
    upcoming = request.GET.get("when", "upcoming") != "past"
    meetings = selectors.meetings_visible_to(user=request.user).select_related("area")
    now = timezone.now()
    if upcoming:
        meetings = meetings.filter(starts_at__gte=now).order_by("starts_at")
    else:
        meetings = meetings.filter(starts_at__lt=now).order_by("-starts_at")
    page = Paginator(meetings, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "conferences/meeting_list.html",
        {"page": page, "upcoming": upcoming, "filter_query": "" if upcoming else "&when=past"},
    )


@login_required
def meeting_detail(request, uid):
    meeting = get_object_or_404(
        selectors.meetings_visible_to(user=request.user).select_related(
            "area",
            "organiser",
            "chair",
            "recorder",
            "series",
        ),
        uid=uid,
    )
    visible_case_ids = selectors.meeting_case_ids_visible(user=request.user, meeting=meeting)
    agenda = list(
        meeting.agenda_items.select_related(
            "case",
            "district_issue",
            "presenting_organisation",
        )
    )
    for item in agenda:
        # A case item shows its title, code and minutes only to people who may see that case.
        item.case_hidden = item.case_id is not None and item.case_id not in visible_case_ids
    return render(
        request,
        "conferences/meeting_detail.html",
        {
            "meeting": meeting,
            "agenda": agenda,
            "participants": meeting.participants.select_related("organisation", "user"),
            "minutes": Minutes.objects.filter(meeting=meeting)
            .select_related("approved_by")
            .first(),
        },
    )


@login_required
def case_list(request):
    cases = (
        selectors.cases_visible_to(user=request.user)
        .select_related("district", "lead_organisation")
        .order_by("status", "next_review_on", "code")
    )
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    return render(request, "conferences/case_list.html", {"page": page})


@login_required
def case_detail(request, public_id):
    case = selectors.case_get_visible(user=request.user, public_id=public_id)
    services.audit_record(
        user=request.user,
        case=case,
        action=AuditEvent.Action.VIEW,
        organisation=selectors.case_access_organisation(user=request.user, case=case),
        detail="staff:case_detail",
    )
    return render(
        request,
        "conferences/case_detail.html",
        {
            "case": case,
            "roles": case.roles.select_related("organisation"),
        },
    )


@login_required
def my_schedule(request):
    today = timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    meetings = selectors.meetings_of_user(
        user=request.user,
        start=start,
        end=start + datetime.timedelta(days=90),
    )
    return render(request, "conferences/my_schedule.html", {"meetings": meetings})
