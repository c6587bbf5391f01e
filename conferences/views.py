import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from conferences import selectors, services
from conferences.models import AuditEvent


@login_required
def dashboard(request):
    return render(request, "conferences/dashboard.html", selectors.dashboard(user=request.user))


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
