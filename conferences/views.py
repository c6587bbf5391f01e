import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from conferences import selectors


@login_required
def dashboard(request):
    return render(request, "conferences/dashboard.html", selectors.dashboard(user=request.user))


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
